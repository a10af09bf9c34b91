"""The data migration that rescores drafts pinned to an earlier questionnaire version."""

import importlib

import pytest
from django.apps import apps

from assessor import bank
from assessor.bank.loading import questionnaire_load
from assessor.models import Assessment
from tests.builders import make_assessment

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("assessor.migrations.0005_rescore_drafts")


def test_drafts_on_2026_1_get_the_verdict_their_report_shows_and_signed_records_keep_theirs(
    owner,
):
    document = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    del document["binding_conditions"], document["follow_ups_assumed_riskiest"]
    questionnaire_load(document=document, publish=True)
    answers = {
        q["key"]: q["choices"][0]["key"] for s in document["sections"] for q in s["questions"]
    }
    answers["credential_lifetime"] = "short_lived"  # a condition for ownership not met
    draft = make_assessment(owner, answers=answers, name="Draft")
    signed = make_assessment(owner, answers=answers, name="Signed")
    # As an installation stored them before 2026.2: ownership, with the condition unmet.
    Assessment.objects.filter(pk__in=[draft.pk, signed.pk]).update(verdict="owner", score=97)
    # (below the models' guard, which moves a status only through the review workflow)
    Assessment._base_manager.filter(pk=signed.pk).update(status=Assessment.Status.APPROVED)

    MIGRATION.rescore_drafts(apps, None)

    draft.refresh_from_db()
    signed.refresh_from_db()
    assert draft.verdict == "supervised"
    assert (signed.verdict, signed.score) == ("owner", 97)
