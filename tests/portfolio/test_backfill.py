import importlib
from datetime import date

from django.apps import apps

from assessor.models import ControlGap, PortfolioRecord
from tests.builders import AT_VERDICT, make_approval, make_user

backfill = importlib.import_module("assessor.migrations.0018_portfolio").backfill


def rows():
    return (
        sorted(
            PortfolioRecord.objects.values_list(
                "assessment_id", "verdict", "prior_verdict", "task_type", "environment"
            )
        ),
        sorted(ControlGap.objects.values_list("assessment_id", "key", "lifts")),
    )


def test_the_migration_writes_what_an_approval_writes(db, questionnaire, stub_pdf):
    owner = make_user("owner", roles=("reviewer",))
    approver = make_user("approver", roles=("approver",))
    first = make_approval(owner, approver, answers=AT_VERDICT["copilot"], on=date(2026, 1, 5))
    make_approval(
        owner, approver, answers=AT_VERDICT["supervised"], on=date(2026, 2, 5), previous=first
    )
    written = rows()
    assert len(written[0]) == 2 and written[1]  # the approvals wrote both tables
    PortfolioRecord.objects.all().delete()
    ControlGap.objects.all().delete()
    backfill(apps, None)
    assert rows() == written
