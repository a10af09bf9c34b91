"""The grants' keys and signatures: Ed25519 keys kept in the database (so every app host
signs with the same one), the JWKS that publishes their public halves, and the check of one
token. joserfc does the JOSE work; nothing here is home-made cryptography.

A key is made at first use. `key_rotate` makes a new active key; the old one keeps being
published until every grant it signed has expired (`keys_retire` drops it then).
"""

from __future__ import annotations

import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OKPKey

from .models import AutonomyGrant, SigningKey

ALG = "EdDSA"  # Ed25519; what PyJWT, OPA's io.jwt and most JOSE libraries accept today
TYP = "autonomy-grant+jwt"


@contextmanager
def _eddsa():
    """RFC 9864 prefers the name "Ed25519" for the same signature; joserfc warns about
    "EdDSA", which verifiers (PyJWT, OPA) still expect, so that one warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        yield


class KeyUnreadable(RuntimeError):
    """The active key's private half cannot be read with ASSESSOR_GRANT_KEY_PASSWORD."""


class MalformedToken(ValueError):
    """Not a compact JWS at all (or not one of ours): the caller's input, a 400 / exit 2."""


def _password() -> bytes | None:
    secret = settings.ASSESSOR_GRANT_KEY_PASSWORD
    return secret.encode() if secret else None


def _new_key() -> SigningKey:
    kid = uuid.uuid4().hex
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid})
    public = {**key.as_dict(private=False), "alg": ALG, "use": "sig"}
    return SigningKey(
        kid=kid,
        private_pem=key.as_pem(private=True, password=_password()).decode(),
        public_jwk=public,
        active=True,
    )


def key_active() -> SigningKey:
    """The key that signs new grants, made at first use. Two hosts making the first key at
    once: the partial unique index lets one insert win; the other reads the winner's key."""
    found = SigningKey.objects.filter(active=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            key = _new_key()
            key.save()
            return key
    except IntegrityError:
        return SigningKey.objects.get(active=True)


@transaction.atomic
def key_rotate() -> SigningKey:
    """A new active key; the previous one retires but stays published (its grants verify)."""
    now = timezone.now()
    SigningKey.objects.select_for_update().filter(active=True).update(active=False, retired_at=now)
    key = _new_key()
    key.save()
    return key


@transaction.atomic
def keys_retire(now: datetime | None = None) -> list[str]:
    """Drop the retired keys whose every grant has expired: nothing they signed can still be
    valid, so they leave the JWKS. The kids dropped."""
    now = now or timezone.now()
    live = AutonomyGrant.objects.filter(valid_until__gt=now).values("kid")
    stale = SigningKey.objects.filter(active=False).exclude(kid__in=live)
    kids = list(stale.values_list("kid", flat=True))
    stale.delete()
    return kids


def jwks() -> dict:
    """Every published public key (the active one and the retired ones still needed)."""
    return {"keys": [key.public_jwk for key in SigningKey.objects.order_by("-created_at", "-id")]}


def token_sign(claims: dict) -> tuple[str, str]:
    """The compact JWS of `claims`, signed with the active key; (token, kid)."""
    row = key_active()
    try:
        key = OKPKey.import_key(row.private_pem, password=_password())
    except (ValueError, TypeError) as error:
        raise KeyUnreadable(
            f"The grant signing key {row.kid} cannot be read ({error}): check "
            "ASSESSOR_GRANT_KEY_PASSWORD, or rotate the key (manage.py rotate_grant_key)."
        ) from None
    header = {"alg": ALG, "kid": row.kid, "typ": TYP}
    with _eddsa():
        return jwt.encode(header, claims, key, algorithms=[ALG]), row.kid


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    claims: dict = field(default_factory=dict)
    kid: str = ""

    def as_dict(self) -> dict:
        return {"valid": self.valid, "reason": self.reason, "kid": self.kid, "claims": self.claims}


def _header(token: str) -> dict:
    if not isinstance(token, str) or not token.strip():
        raise MalformedToken("No token: send the compact JWS (three base64url parts).")
    token = token.strip()
    if token.count(".") != 2:
        raise MalformedToken("Not a compact JWS: expected three base64url parts joined by dots.")
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError) as error:
        raise MalformedToken(f"Not a compact JWS: {error}.") from None
    if header.get("typ") != TYP:
        raise MalformedToken(f"Not an autonomy grant: its typ header is not {TYP!r}.")
    return header


def token_verify(token: str, now: datetime | None = None) -> Verification:
    """Whether `token` is a grant this app signed that holds at `now`: the reason when not
    (unknown kid, bad signature, expired, not yet valid, revoked). MalformedToken when it is
    not a compact JWS grant at all."""
    header = _header(token)
    kid = str(header.get("kid", ""))
    if header.get("alg") != ALG:
        return Verification(False, f"unexpected algorithm {header.get('alg')!r}", kid=kid)
    row = SigningKey.objects.filter(kid=kid).first()
    if row is None:
        return Verification(False, "unknown kid: no published key signed it", kid=kid)
    try:
        with _eddsa():
            decoded = jwt.decode(token.strip(), OKPKey.import_key(row.public_jwk), algorithms=[ALG])
        claims = decoded.claims
    except BadSignatureError:
        return Verification(False, "bad signature", kid=kid)
    except (JoseError, ValueError, TypeError) as error:
        raise MalformedToken(f"Not a readable grant: {error}.") from None
    now_ts = int((now or timezone.now()).timestamp())
    try:
        exp, nbf = int(claims["exp"]), int(claims["nbf"])
    except (KeyError, TypeError, ValueError):
        return Verification(False, "no validity window (exp, nbf)", claims, kid)
    if now_ts >= exp:
        until = datetime.fromtimestamp(exp, UTC).isoformat()
        return Verification(False, f"expired at {until}", claims, kid)
    if now_ts < nbf:
        since = datetime.fromtimestamp(nbf, UTC).isoformat()
        return Verification(False, f"not yet valid (valid from {since})", claims, kid)
    revoked = AutonomyGrant.objects.filter(
        jti=_uuid(claims.get("jti")), status=AutonomyGrant.Status.REVOKED
    ).first()
    if revoked is not None:
        return Verification(False, f"revoked at {revoked.revoked_at.isoformat()}", claims, kid)
    return Verification(True, "valid", claims, kid)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
