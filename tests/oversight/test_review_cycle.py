"""The review cycle: an approval's review-by date, its state moving with the clock (current,
due, overdue, lapsed), each change announced once, and what a lapsed approval no longer
counts for (the dashboard, the API, the report)."""

import datetime as dt
from csv import DictReader
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from assessor import events
from assessor.bank import loading
from assessor.documents import pdf
from assessor.models import Assessment, Rule, Team
from assessor.oversight import cycle
from assessor.oversight.models import ReviewCycle
from assessor.oversight.selectors import current_approvals
from assessor.oversight.services import (
    ReviewRequestError,
    review_cycles_reschedule,
    review_request,
    review_requests_for_version,
)
from assessor.records import services
from assessor.review import services as review
from assessor.studio.impact import impact_preview
from tests.builders import SAFEST, api_client, make_assessment, make_user

WINDOW, GRACE = 30, 30
R = dt.date(2027, 6, 15)


@pytest.fixture(autouse=True)
def clock_settings(settings):
    settings.ASSESSOR_REVIEW_DUE_WINDOW_DAYS = WINDOW
    settings.ASSESSOR_REVIEW_GRACE_DAYS = GRACE


@pytest.fixture
def stub_pdf(monkeypatch):
    """The cycle, not rendering: the approval's PDF is a few fixed bytes here."""
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF-1.4 stub")


@pytest.fixture
def swept(django_capture_on_commit_callbacks):
    """Sweep on a day; the review events it sent, as (type, assessment id, state), once the
    sweep's transactions commit (the test's own transaction never does)."""

    def sweep(day: dt.date) -> list[tuple]:
        sent = []

        def receiver(sender, event_type, team, payload, **kwargs):
            sent.append((event_type, payload["assessment"], payload["state"]))

        events.event_published.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                cycle.review_cycle_sweep(now=noon(day))
        finally:
            events.event_published.disconnect(receiver)
        return sent

    return sweep


def approved(owner, approver, *, name="Secret rotation", answers=SAFEST) -> Assessment:
    record = make_assessment(owner, answers=answers, name=name)
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    record.refresh_from_db()
    return record


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def sweep_on(day: dt.date) -> dict:
    return cycle.review_cycle_sweep(now=noon(day))


def state_of(record) -> str:
    return ReviewCycle.objects.get(assessment=record).state


# --- the clock, without a database -----------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (R - dt.timedelta(days=31), "current"),
        (R - dt.timedelta(days=30), "due"),
        (R, "due"),
        (R + dt.timedelta(days=1), "overdue"),
        (R + dt.timedelta(days=30), "overdue"),
        (R + dt.timedelta(days=31), "lapsed"),
    ],
)
def test_each_boundary_puts_an_approval_in_its_state(today, state):
    assert cycle.state_on(R, today, due_window=WINDOW, grace=GRACE) == state


@given(
    review_by=st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)),
    first=st.integers(-800, 800),
    later=st.integers(0, 800),
    window=st.integers(0, 365),
    grace=st.integers(0, 365),
)
def test_the_state_never_goes_back_as_the_days_pass(review_by, first, later, window, grace):
    day = review_by + dt.timedelta(days=first)
    states = [
        cycle.state_on(review_by, d, due_window=window, grace=grace)
        for d in (day, day + dt.timedelta(days=later))
    ]
    assert cycle.ORDER.index(states[0]) <= cycle.ORDER.index(states[1])


# --- the review-by date ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_review_by_date_is_the_approval_date_plus_the_team_interval_or_the_default(settings):
    settings.ASSESSOR_REVIEW_INTERVAL_DAYS = 365
    team = Team.objects.create(name="Ops")
    when = noon(dt.date(2027, 1, 10))
    assert cycle.review_by_date(when, team) == dt.date(2028, 1, 10)
    team.review_interval_days = 90
    assert cycle.review_by_date(when, team) == dt.date(2027, 4, 10)


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, 1096])
def test_a_team_interval_outside_1_to_1095_days_is_refused(days):
    team = Team(name="Ops", review_interval_days=days)
    with pytest.raises(ValidationError) as refused:
        team.full_clean()
    assert "review_interval_days" in refused.value.message_dict


@pytest.mark.django_db
def test_approval_opens_a_cycle_on_the_team_interval_and_the_brief_api_and_export_agree(
    questionnaire, owner, approver, stub_pdf, client
):
    Team.objects.filter(name="Team A").update(review_interval_days=90)
    record = approved(owner, approver)
    decision = record.decisions.get(action="approved")
    expected = timezone.localdate(decision.created_at) + dt.timedelta(days=90)
    assert ReviewCycle.objects.get(assessment=record).review_by == expected
    data = api_client(owner).get(f"/api/v1/assessments/{record.pk}/").data
    assert (data["review_by"], data["review_state"]) == (expected.isoformat(), "current")
    client.force_login(owner)
    page = client.get(f"/assessments/{record.pk}/report/").content.decode()
    assert f"review by {expected:%-d %B %Y}" in page
    csv = client.get("/assessments/export.csv").content.decode("utf-8-sig")
    (row,) = list(DictReader(StringIO(csv)))
    assert (row["review by"], row["review state"]) == (expected.isoformat(), "current")


@pytest.mark.django_db
def test_a_longer_team_interval_moves_an_overdue_approval_back_to_current(
    questionnaire, owner, approver, stub_pdf
):
    record = approved(owner, approver)
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    sweep_on(review_by + dt.timedelta(days=2))
    assert state_of(record) == "overdue"
    record.team.review_interval_days = 1095
    record.team.save()
    assert review_cycles_reschedule(team=record.team) == 1
    assert state_of(record) == "current"


# --- the sweep -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_moves_an_approval_through_each_state_and_announces_each_change_once(
    questionnaire, owner, approver, stub_pdf, swept
):
    record = approved(owner, approver)
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    steps = [
        (-31, "current", None),
        (-30, "due", events.REVIEW_DUE),
        (0, "due", None),
        (1, "overdue", events.REVIEW_OVERDUE),
        (30, "overdue", None),
        (31, "lapsed", events.REVIEW_LAPSED),
    ]
    for offset, state, event in steps:
        sent = swept(review_by + dt.timedelta(days=offset))
        sent += swept(review_by + dt.timedelta(days=offset))  # twice: idempotent
        assert state_of(record) == state, offset
        assert sent == ([(event, record.pk, state)] if event else []), offset


@pytest.mark.django_db
def test_a_sweep_after_a_long_pause_announces_only_the_state_it_lands_in(
    questionnaire, owner, approver, stub_pdf, swept
):
    record = approved(owner, approver)
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    sent = swept(review_by + dt.timedelta(days=400))
    assert sent == [(events.REVIEW_LAPSED, record.pk, "lapsed")]
    assert sweep_on(review_by - dt.timedelta(days=400))["lapsed"] == 0  # never back
    assert state_of(record) == "lapsed"


@pytest.mark.django_db
def test_the_sweep_opens_a_cycle_for_an_approval_that_has_none(
    questionnaire, owner, approver, stub_pdf
):
    record = approved(owner, approver)
    expected = ReviewCycle.objects.get(assessment=record).review_by
    ReviewCycle.objects.all().delete()  # as for a record approved before the cycle existed
    assert cycle.review_cycle_sweep()["opened"] == 1
    assert ReviewCycle.objects.get(assessment=record).review_by == expected


@pytest.mark.django_db
def test_an_approved_revision_closes_the_cycle_of_the_one_it_replaces(
    questionnaire, owner, approver, stub_pdf
):
    first = approved(owner, approver)
    revision = services.assessment_reassess(assessment=first, user=owner)
    review.assessment_submit(assessment=revision, user=owner)
    review.assessment_approve(assessment=revision, user=approver)
    assert ReviewCycle.objects.get(assessment=first).closed_at is not None
    assert list(current_approvals(Assessment.objects.all())) == [revision]
    sweep_on(dt.date(2099, 1, 1))
    assert state_of(first) == "current"  # a closed cycle's clock has stopped
    assert state_of(revision) == "lapsed"
    assert list(current_approvals(Assessment.objects.all())) == []


# --- what a lapsed approval no longer counts for ---------------------------------------------


@pytest.fixture
def lapsed_and_current(questionnaire, owner, approver, stub_pdf):
    old = approved(owner, approver, name="Old rotation")
    fresh = approved(owner, approver, name="Fresh rotation")
    review_by = ReviewCycle.objects.get(assessment=old).review_by
    ReviewCycle.objects.filter(assessment=fresh).update(
        review_by=review_by + dt.timedelta(days=500)
    )
    sweep_on(review_by + dt.timedelta(days=GRACE + 1))
    return old, fresh


@pytest.mark.django_db
def test_the_dashboard_marks_a_lapsed_approval_and_filters_by_review_state(
    lapsed_and_current, owner, client
):
    old, fresh = lapsed_and_current
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert 'data-review-state="lapsed">Approval lapsed</span>' in page
    assert "not a current verdict" in page
    lapsed = client.get("/?review=lapsed").content.decode()
    assert "Old rotation" in lapsed and "Fresh rotation" not in lapsed
    current = client.get("/?review=current").content.decode()
    assert "Fresh rotation" in current and "Old rotation" not in current
    bad = client.get("/?review=expired").content.decode()
    assert "“expired” is not one of current, due, overdue, lapsed" in bad


@pytest.mark.django_db
def test_the_api_gives_the_review_state_and_filters_lapsed_approvals(lapsed_and_current, owner):
    old, fresh = lapsed_and_current
    api = api_client(owner)
    states = {r["name"]: r["review_state"] for r in api.get("/api/v1/assessments/").data["results"]}
    assert states == {"Old rotation": "lapsed", "Fresh rotation": "current"}
    lapsed = api.get("/api/v1/assessments/?review=lapsed").data["results"]
    assert [r["id"] for r in lapsed] == [old.pk]
    refused = api.get("/api/v1/assessments/?review=gone")
    assert refused.status_code == 400 and "review" in refused.data
    assert list(current_approvals(Assessment.objects.all())) == [fresh]


@pytest.mark.django_db
def test_the_report_of_a_lapsed_approval_says_so_and_offers_the_re_review(
    lapsed_and_current, owner, client
):
    old, _ = lapsed_and_current
    lapsed_on = ReviewCycle.objects.get(assessment=old).review_by + dt.timedelta(days=GRACE + 1)
    client.force_login(owner)
    page = client.get(f"/assessments/{old.pk}/report/").content.decode()
    assert f'Approval lapsed on <time datetime="{lapsed_on.isoformat()}">' in page
    assert "start a re-review" in page
    assert "Start the re-review" in page  # the reassessment, one click


# --- re-review requested -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reviewer_requests_a_re_review_with_a_reason_and_the_report_shows_it(
    questionnaire, owner, approver, stub_pdf, client
):
    record = approved(owner, approver)
    client.force_login(approver)
    url = f"/assessments/{record.pk}/review-request/"
    response = client.post(url, {"reason": "The vault moved to a new cluster."}, follow=True)
    page = response.content.decode()
    assert "Re-review requested." in page
    assert "The vault moved to a new cluster." in page
    cycle_row = ReviewCycle.objects.get(assessment=record)
    assert cycle_row.rereview_requested_by == approver


@pytest.mark.django_db
def test_a_re_review_without_a_reason_is_refused_and_changes_nothing(
    questionnaire, owner, approver, stub_pdf, client
):
    record = approved(owner, approver)
    client.force_login(owner)
    response = client.post(f"/assessments/{record.pk}/review-request/", {"reason": "  "})
    page = client.get(response["Location"]).content.decode()
    assert "Re-review not requested: Say why it should be reviewed again" in page
    assert ReviewCycle.objects.get(assessment=record).rereview_requested_at is None


@pytest.mark.django_db
def test_an_auditor_cannot_request_a_re_review_and_an_outsider_sees_no_record(
    questionnaire, owner, approver, auditor, outsider, stub_pdf, client
):
    record = approved(owner, approver)
    client.force_login(auditor)
    url = f"/assessments/{record.pk}/review-request/"
    assert client.post(url, {"reason": "Why not"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"reason": "Why not"}).status_code == 404
    assert ReviewCycle.objects.get(assessment=record).rereview_requested_at is None


@pytest.mark.django_db
def test_a_draft_has_no_review_cycle_to_request(questionnaire, owner):
    draft = make_assessment(owner, answers=SAFEST)
    with pytest.raises(ReviewRequestError, match="Only an approved assessment"):
        review_request(assessment=draft, reason="Credential type changed.")


@pytest.mark.django_db
def test_the_system_requests_a_re_review_when_a_credential_changes(
    questionnaire, owner, approver, stub_pdf
):
    record = approved(owner, approver)
    review_request(assessment=record, reason="Identity svc-rotate: credential type changed.")
    found = ReviewCycle.objects.get(assessment=record)
    assert found.rereview_requested and found.rereview_requested_by is None


@pytest.mark.django_db
def test_publishing_a_version_that_changes_a_verdict_requests_its_re_review(
    questionnaire, owner, approver, stub_pdf
):
    changed = approved(
        owner, approver, name="Partial", answers={**SAFEST, "evidence_capture": "partial"}
    )
    same = approved(owner, approver, name="Safe")
    draft = loading.questionnaire_clone(questionnaire, version="2026.9")
    Rule.objects.filter(questionnaire=draft, key="partial-evidence").update(cap="copilot")
    loading.questionnaire_refresh(draft)
    loading.questionnaire_publish(draft)
    reason = ReviewCycle.objects.get(assessment=changed).rereview_reason
    assert reason == (
        "Questionnaire version 2026.9 would change its verdict from Supervised to Copilot."
    )
    assert ReviewCycle.objects.get(assessment=same).rereview_reason == ""


@pytest.mark.django_db
def test_re_review_requests_refuse_a_preview_that_hides_some_teams(questionnaire, owner):
    make_assessment(owner, answers=SAFEST)
    draft = loading.questionnaire_clone(questionnaire, version="2026.9")
    partial = impact_preview(draft, readable=Team.objects.none())
    with pytest.raises(ValueError, match="every team"):
        review_requests_for_version(draft, preview=partial)


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2027-13-01", "tomorrow", ""])
def test_the_command_refuses_a_bad_date_naming_the_field(value):
    with pytest.raises(CommandError) as refused:
        call_command("review_sweep", "--now", value)
    assert refused.value.returncode == 2
    assert str(refused.value).startswith("--now:")


@pytest.mark.django_db
def test_the_command_moves_the_clock_and_says_what_moved(questionnaire, owner, approver, stub_pdf):
    record = approved(owner, approver)
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    out = StringIO()
    later = review_by + dt.timedelta(days=1)
    call_command("review_sweep", "--now", later.isoformat(), stdout=out)
    assert (
        f"Review sweep for {later}: 0 cycle(s) opened; moved to due 0, overdue 1" in out.getvalue()
    )
    earlier = StringIO()
    call_command("review_sweep", "--now", review_by.isoformat(), stdout=earlier)
    assert "none moves back" in earlier.getvalue()
    assert state_of(record) == "overdue"


# --- the team's interval, set by its manager in the back office ---------------------------------


def team_form(team, interval: str) -> dict:
    """The admin's Team change form with the team's membership rows unchanged."""
    rows = list(team.memberships.order_by("pk"))
    data = {
        "name": team.name,
        "review_interval_days": interval,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data |= {f"memberships-{n}-{k}": str(v) for k, v in (("team", team.pk), ("id", row.pk))}
        data[f"memberships-{n}-user"] = str(row.user_id)
        for role in ("reviewer", "approver", "auditor", "team_manager"):
            if getattr(row, role):
                data[f"memberships-{n}-{role}"] = "on"
    return data


@pytest.mark.django_db
def test_a_team_manager_sets_the_interval_and_open_approvals_follow_it(
    questionnaire, owner, approver, stub_pdf, client
):
    record = approved(owner, approver)
    manager = make_user("manager", roles=("manager",))
    client.force_login(manager)
    team = record.team
    url = f"/admin/assessor/team/{team.pk}/change/"
    refused = client.post(url, team_form(team, "1096"))
    assert refused.status_code == 200
    assert "Ensure this value is less than or equal to 1095." in refused.content.decode()
    assert client.post(url, team_form(team, "90")).status_code == 302
    approved_on = timezone.localdate(ReviewCycle.objects.get(assessment=record).approved_at)
    assert ReviewCycle.objects.get(assessment=record).review_by == approved_on + dt.timedelta(
        days=90
    )


@pytest.mark.django_db
def test_a_review_event_names_the_record_its_team_state_date_and_report(
    questionnaire, owner, approver, stub_pdf, django_capture_on_commit_callbacks
):
    record = approved(owner, approver)
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    heard = []

    def receiver(sender, event_type, team, payload, **kwargs):
        heard.append((event_type, team, payload))

    events.event_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sweep_on(review_by)
    finally:
        events.event_published.disconnect(receiver)
    assert heard == [
        (
            events.REVIEW_DUE,
            record.team,
            {
                "assessment": record.pk,
                "assessment_id": record.pk,
                "name": "Secret rotation",
                "team": "Team A",
                "state": "due",
                "review_by": review_by.isoformat(),
                "report": f"/assessments/{record.pk}/report/",
                "url": f"/assessments/{record.pk}/report/",
            },
        )
    ]
