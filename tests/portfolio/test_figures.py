import json
from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from assessor.engine import evaluate
from assessor.models import ReviewCycle, Team
from assessor.oversight.cycle import review_cycle_sweep
from assessor.portfolio import gaps
from assessor.portfolio.selectors import portfolio_figures, portfolio_teams
from assessor.teams.membership import member_add
from tests.builders import AT_VERDICT, make_approval, make_user

TODAY = date(2026, 6, 30)
START, END = date(2026, 4, 1), date(2026, 6, 30)


@pytest.fixture
def people(db, questionnaire, stub_pdf):
    return {
        "a_owner": make_user("a_owner", team="Team A", roles=("reviewer",)),
        "a_approver": make_user("a_approver", team="Team A", roles=("approver",)),
        "b_owner": make_user("b_owner", team="Team B", roles=("reviewer",)),
        "b_approver": make_user("b_approver", team="Team B", roles=("approver",)),
    }


@pytest.fixture
def portfolio(people):
    """Team A: one workflow raised, one new, one lowered, one lapsed in the period, one left
    at copilot since January; Team B: one new workflow."""
    a, ok = people["a_owner"], people["a_approver"]
    rotation = make_approval(
        a, ok, answers=AT_VERDICT["copilot"], on=date(2026, 1, 10), name="Rotation"
    )
    raised = make_approval(
        a, ok, answers=AT_VERDICT["supervised"], on=date(2026, 5, 5), previous=rotation
    )
    new = make_approval(a, ok, answers=AT_VERDICT["owner"], on=date(2026, 5, 10), name="Triage")
    leaver = make_approval(a, ok, answers=AT_VERDICT["owner"], on=date(2026, 2, 1), name="Leaver")
    lowered = make_approval(
        a, ok, answers=AT_VERDICT["supervised"], on=date(2026, 6, 1), previous=leaver
    )
    # review-by so that the approval lapses on 10 April, inside the period
    lapse = timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS + 1)
    old = make_approval(
        a,
        ok,
        answers=AT_VERDICT["supervised"],
        on=date(2025, 3, 1),
        name="Old",
        review_by=date(2026, 4, 10) - lapse,
    )
    steady = make_approval(
        a, ok, answers=AT_VERDICT["copilot"], on=date(2026, 1, 20), name="Steady"
    )
    b = make_approval(
        people["b_owner"],
        people["b_approver"],
        answers=AT_VERDICT["copilot"],
        on=date(2026, 4, 15),
        name="B flow",
    )
    # the daily sweep, on the day the old approval lapses
    review_cycle_sweep(now=timezone.make_aware(datetime.combine(date(2026, 4, 10), time(12))))
    return {
        "raised": raised,
        "new": new,
        "lowered": lowered,
        "old": old,
        "steady": steady,
        "b": b,
        "rotation": rotation,
    }


def figures_for(*names, **kwargs):
    teams = Team.objects.filter(name__in=names).order_by("name")
    return portfolio_figures(teams=teams, start=START, end=END, today=TODAY, **kwargs)


def test_the_verdict_mix_counts_each_workflow_once_at_its_verdict_in_force(portfolio):
    figures = figures_for("Team A", "Team B")
    # raised (supervised), new (owner), lowered (supervised), steady + B (copilot); old lapsed
    assert figures.verdict_mix.counts == {"copilot": 2, "supervised": 2, "owner": 1}
    assert [(row.label, row.counts) for row in figures.by_team] == [
        ("Team A", {"copilot": 1, "supervised": 2, "owner": 1}),
        ("Team B", {"copilot": 1, "supervised": 0, "owner": 0}),
    ]


def test_breakdowns_by_task_type_and_environment_follow_the_scope_answers(portfolio):
    figures = figures_for("Team A", "Team B")
    tasks = {row.key: row.counts for row in figures.by_task_type}
    envs = {row.key: row.counts for row in figures.by_environment}
    copilot_task = AT_VERDICT["copilot"]["task_type"]
    assert tasks[copilot_task]["copilot"] == 2
    assert sum(row.total for row in figures.by_task_type) == 5
    assert envs[AT_VERDICT["copilot"]["environment_tier"]]["copilot"] == 2
    only = figures_for("Team A", "Team B", task_type=copilot_task)
    assert only.verdict_mix.counts == {"copilot": 2, "supervised": 0, "owner": 0}


def test_the_changes_of_the_period_are_new_raised_lowered_and_lapsed(portfolio):
    changes = figures_for("Team A", "Team B").changes
    assert [(c.workflow, c.team) for c in changes.new] == [
        ("B flow", "Team B"),
        ("Triage", "Team A"),
    ]
    assert [(c.old_verdict, c.new_verdict, c.on) for c in changes.raised] == [
        ("copilot", "supervised", date(2026, 5, 5))
    ]
    assert [(c.old_verdict, c.new_verdict) for c in changes.lowered] == [("owner", "supervised")]
    assert [(c.workflow, c.on) for c in changes.lapsed] == [("Old", date(2026, 4, 10))]


def test_the_trend_counts_workflows_in_force_at_each_month_end(portfolio):
    trend = figures_for("Team A").trend
    assert [point.on for point in trend] == [
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    # April: rotation and steady at copilot, leaver at owner (old lapsed on 10 April)
    assert trend[0].counts == {"copilot": 2, "supervised": 0, "owner": 1}
    # May: rotation raised, triage new
    assert trend[1].counts == {"copilot": 1, "supervised": 1, "owner": 2}
    assert trend[2].counts == {"copilot": 1, "supervised": 2, "owner": 1}


def test_the_review_cycle_lists_due_overdue_and_lapsed_approvals(portfolio):
    ReviewCycle.objects.filter(assessment=portfolio["steady"]).update(
        review_by=TODAY + timedelta(days=5)
    )
    review_cycle_sweep(now=timezone.make_aware(datetime.combine(TODAY, time(12))))
    review = figures_for("Team A").review
    assert [item.workflow for item in review.due] == ["Steady"]
    assert [item.workflow for item in review.lapsed] == ["Old"]
    assert review.lapsed[0].owner == "a_owner"
    assert review.overdue == ()


def test_missing_controls_are_those_of_the_engines_plan(portfolio, model):
    figures = figures_for("Team A", "Team B")
    in_force = [portfolio[k] for k in ("raised", "new", "lowered", "steady", "b")]
    expected: dict[str, list] = {}
    for record in in_force:
        result = evaluate(
            record.scoring_model(), {a.question_key: a.choice_key for a in record.answers.all()}
        )
        plan = result.next_level
        for rule in result.rules_fired:
            lifts = bool(plan) and all(rule.id in change.rules_cleared for change in plan)
            held, up = expected.get(rule.id, [0, 0])
            expected[rule.id] = [held + 1, up + lifts]
    got = {c.key: [c.held_back, c.would_move_up] for c in figures.missing_controls}
    assert got == expected
    assert any(up for _, up in got.values())  # the crafted portfolio has a one-control lift
    kinds = {c.key: c.kind for c in figures.missing_controls}
    assert all((kinds[k] == gaps.CONDITION) == k.startswith("condition-") for k in kinds)


def test_examples_are_left_out(portfolio, people):
    make_approval(
        people["b_owner"], people["b_approver"], answers=AT_VERDICT["owner"], on=START, example=True
    )
    assert figures_for("Team B").verdict_mix.counts["owner"] == 0
    assert figures_for("Team B", examples=True).verdict_mix.counts["owner"] == 1


def test_as_json_is_plain_json(portfolio):
    data = figures_for("Team A", "Team B").as_json()
    assert json.loads(json.dumps(data))["verdict_mix"]["total"] == 5
    assert data["changes"]["raised"][0]["on"] == "2026-05-05"


def test_the_portfolio_is_read_by_approvers_auditors_and_team_managers_of_the_team(db):
    mixed = make_user("mixed", team="Team A", roles=("approver",))
    member_add(team_name="Team B", username="mixed", role="reviewer")
    reviewer = make_user("only_reviewer", team="Team A", roles=("reviewer",))
    assert [t.name for t in portfolio_teams(mixed)] == ["Team A"]
    assert list(portfolio_teams(reviewer)) == []


def test_a_rows_limit_keeps_the_first_rows_and_counts_them_all(portfolio):
    figures = figures_for("Team A", "Team B", rows_limit=1)
    assert [c.workflow for c in figures.changes.new] == ["B flow"]
    assert figures.changes.totals == {"new": 2, "raised": 1, "lowered": 1, "lapsed": 1}
    assert figures.review.totals == {"due": 0, "overdue": 0, "lapsed": 1}
