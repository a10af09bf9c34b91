"""Page 1's words and the comparison with the previous pack, from stored figures (no PDF)."""

from datetime import date

from assessor.boardpacks import document
from assessor.boardpacks.models import BoardPack


def figures(*, owner=1, supervised=2, copilot=3, lapsed=(), overdue=(), lowered=(), controls=()):
    return {
        "teams": ["Team A", "Team B"],
        "verdict_mix": {
            "counts": {"copilot": copilot, "supervised": supervised, "owner": owner},
            "total": owner + supervised + copilot,
            "in_progress": 0,
            "awaiting_approval": 2,
        },
        "changes": {"new": [], "raised": [], "lowered": list(lowered), "lapsed": []},
        "review": {"due": [], "overdue": list(overdue), "lapsed": list(lapsed)},
        "missing_controls": list(controls),
    }


def row(name, team="Team A"):
    return {"workflow": name, "team": team, "assessment_id": 1, "old_verdict": "owner",
            "new_verdict": "supervised", "on": "2026-08-01", "review_by": "2026-08-01",
            "owner": "alice"}  # fmt: skip


CONTROL = {"kind": "condition", "key": "runtime_policy", "label": "Runtime policy checks",
           "held_back": 4, "would_move_up": 3}  # fmt: skip


def previous_pack(data) -> BoardPack:
    return BoardPack(
        title="Q2 board",
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        status="issued",
        figures=data,
    )


def test_the_board_is_asked_to_decide_on_lapsed_overdue_and_lowered_workflows():
    data = figures(
        lapsed=[row("Leaver cleanup"), row("Joiner"), row("Mover"), row("Guest expiry")],
        overdue=[row("Key rotation", "Team B")],
        lowered=[row("Access triage")],
        controls=[CONTROL],
    )
    said = document.summary(data, document.comparison(data, None))
    assert said["headline"].startswith("6 workflows of Team A, Team B have an approval in force")
    decide = " ".join(said["decide"])
    assert "4 approvals lapsed and must be re-reviewed or withdrawn: Leaver cleanup (Team A)" in (
        decide
    )
    assert "and 1 more" in decide  # three named, the rest counted
    assert "1 approval is overdue for review: Key rotation (Team B)" in decide
    assert "1 workflow lost autonomy in the period: Access triage (Team A)" in decide
    assert "Whether to put “Runtime policy checks” in place" in decide
    assert "3 workflows up a level" in decide
    note = " ".join(said["note"])
    assert "The control missing most often is “Runtime policy checks”" in note
    assert "2 assessments await approval" in note


def test_a_quiet_period_asks_for_no_decision():
    data = figures()
    said = document.summary(data, document.comparison(data, None))
    assert said["decide"] == []
    assert "No workflow's verdict changed in the period." in said["note"]


def test_the_first_pack_says_so_and_the_next_compares_figure_by_figure():
    then = figures(owner=1, copilot=3, lapsed=[row("Mover")], controls=[CONTROL])
    assert document.comparison(then, None)["first"] is True
    now = figures(owner=4, copilot=1)
    compared = document.comparison(now, previous_pack(then))
    assert compared["first"] is False and compared["previous_issued"]
    assert compared["previous_period"] == "1 April 2026 to 30 June 2026"
    rows = {r["label"]: (r["before"], r["now"], r["delta"]) for r in compared["rows"]}
    assert rows["Workflows at Bounded ownership"] == (1, 4, "+3")
    assert rows["Workflows at Copilot"] == (3, 1, "−2")
    assert rows["Workflows at Supervised"] == (2, 2, "no change")
    assert rows["Approvals lapsed"] == (1, 0, "−1")
    assert compared["controls_gone"] == ["Runtime policy checks"]
    said = document.summary(now, compared)
    assert (
        "Since the previous pack, workflows under bounded ownership went from 1 to 4."
        in (said["note"])
    )


def test_the_appendix_takes_each_changed_workflow_once():
    data = figures(lowered=[row("Access triage")])
    data["changes"]["new"] = [{**row("New one"), "assessment_id": 7}]
    data["changes"]["lapsed"] = [{**row("Access triage"), "assessment_id": 1}]
    assert document.appendix_ids(data) == [7, 1]
