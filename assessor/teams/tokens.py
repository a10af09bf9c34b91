"""Personal access tokens for the API: create, revoke, and check one a request presents.

A token is `aat_<8 hex>_<43 random characters>`: the first part is the visible prefix that
tells tokens apart in the list, the whole is shown once. Only its SHA-256 digest is stored, so
a copy of the database gives no usable token; a 256-bit random secret needs no slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessor.models import ApiToken
from assessor.records.validators import xml_text

PREFIX = "aat_"
DEFAULT_DAYS = 90
MAX_DAYS = 3650
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# Last use is written at most once a minute per token: a write on every call would double
# the cost of a cheap API request for a figure nobody reads to the second.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(Exception):
    """The presented token cannot be used; the message says why (and nothing else)."""


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_name(name) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError("Give the token a name, e.g. what script uses it.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"The name is too long: at most {NAME_MAX_LENGTH} characters.")
    if "\x00" in name:
        raise ValidationError("The name contains a character that is not allowed.")
    xml_text(name)
    return name


def check_days(days) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"The lifetime must be a whole number of days from 1 to {MAX_DAYS}.")
    return days


def token_create(*, user, name: str, expires_days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never stored."""
    name, expires_days = check_name(name), check_days(expires_days)
    if not user.is_active:
        raise ValidationError(f"{user.get_username()} is inactive and cannot hold a token.")
    prefix = PREFIX + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        digest=digest(raw),
        expires_at=timezone.now() + timedelta(days=expires_days),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, user, pk: int) -> ApiToken:
    """Revoke one of the user's own tokens (a no-op when already revoked)."""
    token = ApiToken.objects.select_for_update().get(pk=pk, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_check(raw: str) -> ApiToken:
    """The usable token `raw` names, with its user, in one query; TokenRefused otherwise."""
    token = ApiToken.objects.select_related("user").filter(digest=digest(raw)).first()
    now = timezone.now()
    if token is None:
        raise TokenRefused("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRefused("This token was revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("This token has expired.")
    if not token.user.is_active:
        raise TokenRefused("The token's user account is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def user_by_name(username: str):
    """For the command: the user, or ValidationError naming the field."""
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise ValidationError(f"no user named {username!r}") from None
