"""The outbound address check: a webhook must not be a way into the server's own network.

A URL's host is resolved and every address it resolves to must be public (not loopback,
private, link-local, multicast, reserved, unspecified or otherwise not global), unless the
operator allows it (`ASSESSOR_WEBHOOK_ALLOWED_TARGETS`: host names and CIDR ranges). The check
runs when an endpoint is saved and again at every send; the sender connects to the address
checked here, so a name that resolves differently a moment later (DNS rebinding) changes
nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeTarget(ValueError):
    """The URL may not be posted to; the message says why, for the form and the log."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header and the TLS name)
    port: int
    path: str  # with the query string
    address: str  # the checked IP address to connect to


KINDS = (
    ("is_loopback", "a loopback address"),
    ("is_unspecified", "an unspecified address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)


def _kind(ip) -> str | None:
    """Why `ip` is not a public address, or None if it is one."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    for attribute, label in KINDS:
        if getattr(ip, attribute):
            return label
    return None if ip.is_global else "not a public address"


def _allowed(host: str, ip) -> bool:
    for entry in settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS:
        if entry.lower() == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a host name, not a range
    return False


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeTarget(f"The host {host} could not be resolved ({error}).") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def target_check(url: str) -> Target:
    """The address to post `url` to; UnsafeTarget with the reason if it may not be."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https URLs can receive webhooks.")
    if parts.username or parts.password:
        raise UnsafeTarget("Put no user name or password in the URL; the payload is signed.")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("The URL's port is not a number between 0 and 65535.") from None
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeTarget(f"The host {host} has no address.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        kind = _kind(ip)
        if kind and not _allowed(host, ip):
            where = address if address == host else f"{host} resolves to {address}, which"
            raise UnsafeTarget(
                f"{where} is {kind}: webhooks may not reach this server or its internal "
                "network. An operator can allow it (ASSESSOR_WEBHOOK_ALLOWED_TARGETS)."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])
