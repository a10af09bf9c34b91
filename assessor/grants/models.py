"""The grants' rows: the signing keys (shared by every app host through the database) and the
grants themselves. Imported by `assessor.models`, so Django sees them in the one app."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from assessor.records.guard import Guarded, GuardedQuerySet, WriteRule
from assessor.records.validators import xml_text

REASON_MAX_LENGTH = 2000
CONDITIONS_MAX_LENGTH = 2000


class SigningKey(models.Model):
    """An Ed25519 key pair. One is active (signs new grants); a retired one stays published in
    the JWKS until every grant it signed has expired, then `rotate_grant_key --retire` drops
    it. The private key is a PKCS#8 PEM, encrypted when ASSESSOR_GRANT_KEY_PASSWORD is set."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    public_jwk = models.JSONField(help_text="The public key as a JWK (with its kid).")
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # two hosts generating the first key at once: the second insert fails, it reads
            # the first one's key instead (see signing.key_active)
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True),
                name="one_active_signing_key",
            ),
        ]

    def __str__(self):
        return f"{self.kid} ({'active' if self.active else 'retired'})"


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


# What may change on a grant once issued: its revocation, and nothing else.
REVOCATION_FIELDS = frozenset(
    {"status", "revoked_at", "revoked_by", "revoked_by_id", "revoke_reason"}
)


class ImmutableGrant(ValidationError):
    """A write that would change what a grant says, or delete it."""


class GrantRule(WriteRule):
    """A grant is written once; afterwards only its revocation fields change, once, from
    active to revoked; no grant is deleted (the revocation list must keep naming it)."""

    def _changes_refusal(self, fields):
        changed = set(fields) - REVOCATION_FIELDS
        if changed:
            return ImmutableGrant(
                f"An issued autonomy grant does not change ({', '.join(sorted(changed))}); "
                "revoke it and approve a new revision instead."
            )
        return None

    def save_refusal(self, obj, *, using, fields, lock):
        if obj.pk is None or obj._state.adding:
            return None
        rows = type(obj)._base_manager.using(using).filter(pk=obj.pk)
        stored = (rows.select_for_update() if lock else rows).first()
        if stored is None:
            return None
        if stored.status == GrantStatus.REVOKED:
            return ImmutableGrant("This autonomy grant is revoked already; it stays revoked.")
        names = [f.attname for f in obj._meta.concrete_fields]
        changed = [n for n in names if getattr(stored, n) != getattr(obj, n)]
        return self._changes_refusal(changed)

    def delete_refusal(self, rows, *, lock):
        if rows.exists():
            return ImmutableGrant("An autonomy grant is never deleted; revoke it instead.")
        return None

    def update_refusal(self, rows, kwargs):
        refusal = self._changes_refusal(kwargs)
        if refusal is None and rows.filter(status=GrantStatus.REVOKED).exists():
            return ImmutableGrant("A revoked autonomy grant stays revoked.")
        return refusal

    def bulk_update_refusal(self, model, objs, fields, *, using):
        return ImmutableGrant("Autonomy grants are revoked one by one (grant_revoke).")


class AutonomyGrant(Guarded):
    """What an approval lets an agent do, signed: the token is a compact JWS (see signing)."""

    Status = GrantStatus

    jti = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        "assessor.Assessment", on_delete=models.PROTECT, related_name="grants"
    )
    agent = models.ForeignKey("assessor.Agent", on_delete=models.PROTECT, related_name="grants")
    verdict = models.CharField(max_length=20)
    conditions = models.TextField(
        blank=True, validators=[MaxLengthValidator(CONDITIONS_MAX_LENGTH), xml_text]
    )
    claims = models.JSONField(help_text="The signed claims, as the token carries them.")
    kid = models.CharField(max_length=64)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(db_index=True)
    token = models.TextField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the app revoked it (a lapse, a re-review, a newer revision).",
    )
    revoke_reason = models.TextField(
        blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH), xml_text]
    )

    objects = GuardedQuerySet.as_manager()
    write_rule = GrantRule()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=["supervised", "owner"]),
                name="grant_verdict_above_copilot",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=GrantStatus.values),
                name="grant_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", revoked_at__isnull=True)
                | models.Q(status="revoked", revoked_at__isnull=False),
                name="grant_revoked_has_time",
            ),
            # one live grant per record: issuing twice at once fails on the second
            models.UniqueConstraint(
                fields=["assessment"],
                condition=models.Q(status="active"),
                name="one_active_grant_per_record",
            ),
        ]

    def __str__(self):
        return f"Grant {self.jti} for {self.agent_id} on record {self.assessment_id}"

    def state(self, now) -> str:
        """'revoked', 'expired', 'not yet valid' or 'active' at `now`, from the row alone."""
        if self.status == GrantStatus.REVOKED:
            return "revoked"
        if now >= self.valid_until:
            return "expired"
        if now < self.valid_from:
            return "not yet valid"
        return "active"
