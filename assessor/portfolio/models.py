"""The controls holding each approved record back, kept beside the record (see gaps.py).

Written once when the record is approved, from its frozen result: the portfolio counts the
controls missing most often across thousands of workflows with one grouped query, instead of
running the engine's planner over every record on every page view.
"""

from django.db import models

from .gaps import CONDITION, RULE


class ControlGap(models.Model):
    class Kind(models.TextChoices):
        CONDITION = CONDITION, "Condition for ownership"
        RULE = RULE, "Rule"

    assessment = models.ForeignKey(
        "assessor.Assessment", on_delete=models.CASCADE, related_name="control_gaps"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=120)
    label = models.TextField()
    lifts = models.BooleanField(help_text="Fixing this control alone lifts the record one verdict.")

    class Meta:
        ordering = ["assessment", "key"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "key"], name="one_gap_per_control")
        ]

    def __str__(self):
        return f"{self.assessment_id}: {self.key}{' (lifts)' if self.lifts else ''}"
