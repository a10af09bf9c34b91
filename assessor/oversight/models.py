"""The review cycle of one approved assessment, kept beside the record.

An approved assessment is fixed (see locked_records.py), so what moves with the clock after
approval (its review state, a requested re-review) lives in this table of its own.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from assessor.records.validators import xml_text

REASON_MAX_LENGTH = 2000


class ReviewCycle(models.Model):
    """current -> due -> overdue -> lapsed, by the clock (see cycle.py); closed once a newer
    revision of the record is approved."""

    class State(models.TextChoices):
        CURRENT = "current", "Current"
        DUE = "due", "Review due"
        OVERDUE = "overdue", "Review overdue"
        LAPSED = "lapsed", "Approval lapsed"

    assessment = models.OneToOneField(
        "assessor.Assessment", on_delete=models.CASCADE, related_name="review_cycle"
    )
    approved_at = models.DateTimeField()
    review_by = models.DateField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CURRENT)
    state_since = models.DateTimeField()
    # A re-review asked for (on demand, by a new questionnaire version, by a changed
    # credential): the clock still runs, the report says why it should be looked at again.
    rereview_requested_at = models.DateTimeField(null=True, blank=True)
    rereview_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rereview_reason = models.TextField(
        blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH), xml_text]
    )
    # Set when a newer revision of the record is approved: the cycle is over, the clock stops.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "review_by"], name="cycle_open_by_state")]

    def __str__(self):
        return f"{self.assessment_id}: {self.state} (review by {self.review_by})"

    @property
    def is_lapsed(self) -> bool:
        return self.state == self.State.LAPSED

    @property
    def rereview_requested(self) -> bool:
        return self.rereview_requested_at is not None and self.closed_at is None
