"""Page 1's words per status: the mark, the decision requested and the sign-off dates."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from assessor import engine
from assessor.documents import autonomy_scales, brief
from tests.builders import AT_VERDICT, SAFEST


def person(name):
    return SimpleNamespace(get_full_name=lambda: "", get_username=lambda: name)


def decision(action, name, day, comment=""):
    when = datetime(*day, tzinfo=UTC)
    return SimpleNamespace(action=action, actor=person(name), created_at=when, comment=comment)


def brief_for(model, status, decisions=(), answers=SAFEST, days=365):
    result = engine.evaluate(model, answers)
    return brief.build(
        status=status,
        result=result,
        thresholds=model.thresholds,
        decisions=list(decisions),
        team="Team A",
        interval_days=days,
    )


@pytest.mark.parametrize(
    "status, mark",
    [
        ("draft", "DRAFT"),
        ("submitted", "AWAITING APPROVAL"),
        ("returned", "RETURNED FOR CHANGES"),
        ("something new", "DRAFT"),  # any status short of approved reads as a draft
        ("approved", ""),
    ],
)
def test_every_record_short_of_approval_carries_a_mark(model, status, mark):
    assert brief_for(model, status).mark == mark


def test_a_returned_assessment_is_not_for_decision_and_says_who_returned_it(model):
    decisions = [
        decision("submitted", "alice", (2026, 3, 1)),
        decision("returned", "bob", (2026, 3, 2)),
    ]
    page = brief_for(model, "returned", decisions)
    assert page.decision_title == "not yet for decision"
    assert "returned this assessment for changes" in page.decision_text
    assert page.returned.who == "bob" and page.submitted is None
    assert page.subject.startswith("RETURNED FOR CHANGES: not a signed-off record. Verdict:")


def test_the_next_review_is_the_approval_date_plus_the_interval(model):
    decisions = [
        decision("submitted", "alice", (2026, 3, 1)),
        decision("approved", "bob", (2026, 3, 5)),
    ]
    page = brief_for(model, "approved", decisions, days=90)
    assert str(page.next_review) == "2026-06-03"
    assert page.approved.who == "bob" and page.submitted.who == "alice"
    assert "Review it again by 3 June 2026" in page.decision_text
    assert brief_for(model, "submitted", decisions[:1]).next_review is None


def test_a_submitted_assessment_asks_for_approval_of_its_verdict(model):
    page = brief_for(model, "submitted", [decision("submitted", "alice", (2026, 3, 1))])
    assert page.headline == "Verdict: Bounded ownership"
    assert page.decision_title == "approve Bounded ownership for this workflow, or return it"
    assert "Run the workflow end to end" in page.allows


def test_an_unfinished_assessment_names_no_verdict_anywhere(model):
    page = brief_for(model, "draft", answers={"task_type": "secret_rotation"})
    assert page.headline == "No verdict yet" and page.verdict_label == ""
    assert page.allows == page.forbids == page.why == ""
    words = page.subject + page.keywords(["NIST CSF 2.0"]) + page.decision_text
    for label in engine.VERDICT_LABELS.values():
        assert label not in words


def test_a_verdict_a_floor_lifted_says_the_reasons_lift_it(model):
    from tests.builders import LOWER_TRUST

    answers = {**LOWER_TRUST, "approval_chain": "codified", "informal_overrides": "none"}
    page = brief_for(model, "draft", answers=answers)
    assert page.headline == "Verdict: Supervised"
    assert "enough for Copilot on their own; the reasons below lift it to Supervised." in page.why
    assert "hold it at" not in page.why


@pytest.mark.parametrize("verdict", sorted(AT_VERDICT))
def test_page_one_gives_the_verdicts_level_on_each_autonomy_scale(model, verdict):
    words = brief_for(model, "draft", answers=AT_VERDICT[verdict])
    assert words.verdict_label == engine.VERDICT_LABELS[verdict]
    assert words.scales == autonomy_scales.placements(verdict)
    assert [p.scale_short for p in words.scales] == [
        "Knight Institute levels",
        "AWS scoping matrix",
        "EU human oversight",
    ]


def test_an_unfinished_assessment_is_on_no_scale(model):
    assert brief_for(model, "draft", answers={"task_type": "provisioning"}).scales == ()


# --- the approver's words on page 1 ------------------------------------------------------------


def test_page_one_carries_the_approvers_conditions(model):
    decisions = [
        decision("submitted", "alice", (2026, 3, 1), "Ready."),
        decision(
            "approved", "bob", (2026, 3, 5), "Approved on condition the\nkill switch is drilled."
        ),
    ]
    page = brief_for(model, "approved", decisions)
    assert page.comment_title == "Approver’s conditions and comment (bob)"
    assert page.comment == "Approved on condition the kill switch is drilled."
    assert not page.comment_cut


def test_page_one_carries_the_return_comment_while_returned_only(model):
    decisions = [
        decision("submitted", "alice", (2026, 3, 1), "Ready."),
        decision("returned", "bob", (2026, 3, 2), "The evidence link is broken."),
    ]
    page = brief_for(model, "returned", decisions)
    assert page.comment_title == "Returned for changes: what bob asked"
    assert page.comment == "The evidence link is broken."
    resubmitted = [*decisions, decision("submitted", "alice", (2026, 3, 3), "Fixed.")]
    assert brief_for(model, "submitted", resubmitted).comment == ""


def test_a_long_comment_is_cut_on_page_one_at_a_word(model):
    decisions = [decision("approved", "bob", (2026, 3, 5), "condition " * 200)]
    page = brief_for(model, "approved", decisions)
    assert page.comment_cut and page.comment.endswith("condition…")
    assert len(page.comment) <= brief.COMMENT_ON_PAGE_ONE


def test_no_comment_means_no_comment_block(model):
    decisions = [decision("approved", "bob", (2026, 3, 5), "  ")]
    assert brief_for(model, "approved", decisions).comment_title == ""
