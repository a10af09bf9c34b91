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
        # The portfolio's count reads this index alone, never the rows and their labels.
        indexes = [
            models.Index(fields=["assessment", "key", "lifts"], name="gap_count"),
            models.Index(fields=["key"], name="gap_key"),  # the words of a retired rule
        ]

    def __str__(self):
        return f"{self.assessment_id}: {self.key}{' (lifts)' if self.lifts else ''}"


class PortfolioRecord(models.Model):
    """What the portfolio counts of one approved record, in a narrow row of its own: written
    once at approval (an approved record never changes), so the portfolio's grouped counts
    over tens of thousands of approvals read this table and the review cycles, never the wide
    assessment rows (their frozen bank and result) nor an answer per record."""

    assessment = models.OneToOneField(
        "assessor.Assessment",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portfolio_record",
    )
    team = models.ForeignKey("assessor.Team", on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(max_length=20)
    prior_verdict = models.CharField(
        max_length=20,
        blank=True,
        help_text="The workflow's verdict before this approval (empty: none).",
    )
    task_type = models.CharField(max_length=50, blank=True)
    environment = models.CharField(max_length=50, blank=True)
    is_example = models.BooleanField(default=False)
    # The record's review cycle, joined on the record's id: no column of its own.
    cycle = models.ForeignObject(
        "assessor.ReviewCycle",
        on_delete=models.DO_NOTHING,
        from_fields=["assessment"],
        to_fields=["assessment"],
        related_name="+",
    )

    def __str__(self):
        return f"{self.assessment_id}: {self.verdict}"
