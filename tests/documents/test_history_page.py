"""The history page: entries grouped by kind, filtered by kind and person (GET, no script),
and a reassessment recorded as one "created from revision N" event."""

import re

import pytest
from django.urls import reverse

from assessor.documents import history_page
from assessor.records import selectors, services
from assessor.review import services as review
from tests.builders import SAFEST, make_assessment, make_user

# approvals here store a stub PDF: these tests are about the review, not the rendering
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf")]


@pytest.fixture
def reviewed(owner, teammate, approver, questionnaire):
    """Answered by owner, one answer changed by teammate, submitted by owner, returned."""
    record = make_assessment(owner, answers=SAFEST, name="Leaver deprovisioning")
    services.answers_save(
        assessment=record,
        existing=selectors.answers_of(record),
        submitted={"monitoring": ("periodic_review", "Weekly", "")},
        user=teammate,
    )
    record.refresh_from_db()
    review.assessment_submit(assessment=record, user=owner, comment="Ready.")
    review.assessment_return(assessment=record, user=approver, comment="Check monitoring.")
    record.refresh_from_db()
    return record


def history(client, user, record, **params):
    client.force_login(user)
    return client.get(reverse("history", args=[record.pk]), params)


def groups(html: str) -> list[str]:
    return re.findall(r'data-kind="([a-z]+)"', html)


def test_entries_are_grouped_by_kind_with_review_decisions_first(client, owner, reviewed):
    html = history(client, owner, reviewed).content.decode()
    assert groups(html) == ["review", "created", "answers", "details"]
    review = html[html.index('data-kind="review"') : html.index('data-kind="created"')]
    assert "Submitted for approval" in review and "Returned for changes" in review
    assert "Set the answer" not in review


def test_filtering_by_action_shows_that_group_only(client, owner, reviewed):
    html = history(client, owner, reviewed, action="review").content.decode()
    assert groups(html) == ["review"]
    assert "Check monitoring." in html and "Set the answer" not in html
    assert '<option value="review" selected>' in html  # the form keeps the choice


def test_filtering_by_person_shows_their_entries_only(client, owner, reviewed):
    html = history(client, owner, reviewed, who="teammate").content.decode()
    assert groups(html) == ["answers"]
    assert "Changed the answer to" in html
    assert '<td data-label="Who">owner</td>' not in html
    assert '<td data-label="Who">teammate</td>' in html


def test_both_filters_together(client, owner, reviewed):
    html = history(client, owner, reviewed, action="review", who="approver").content.decode()
    assert "Returned for changes" in html and "Submitted for approval" not in html
    html = history(client, owner, reviewed, action="exports", who="approver").content.decode()
    assert groups(html) == [] and "No recorded change matches these filters." in html


@pytest.mark.parametrize(
    "params",
    [{"action": "nonsense"}, {"who": "nobody"}, {"action": "review", "who": "<script>"}],
)
def test_a_bad_filter_is_a_clear_400(client, owner, reviewed, params):
    response = history(client, owner, reviewed, **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "not one of the available choices" in html
    assert "This filter is not one the history offers" in html
    assert groups(html) == []
    assert "<script>" not in html


def test_the_filters_are_a_plain_get_form(client, owner, reviewed):
    html = history(client, owner, reviewed).content.decode()
    assert '<form method="get"' in html
    assert 'name="action"' in html and 'name="who"' in html
    for name in ("owner", "teammate", "approver"):
        assert f'<option value="{name}">' in html


def test_groups_are_in_the_order_of_the_kinds():
    entries = [
        history_page.HistoryEntry(when=2, who="a", what="x", kind="answers"),
        history_page.HistoryEntry(when=1, who="b", what="y", kind="review"),
        history_page.HistoryEntry(when=3, who="a", what="z", kind="review"),
    ]
    grouped = history_page.history_groups(entries)
    assert [(g["kind"], [e.what for e in g["entries"]]) for g in grouped] == [
        ("review", ["y", "z"]),
        ("answers", ["x"]),
    ]
    assert [g["kind"] for g in history_page.history_groups(entries, who="b")] == ["review"]


# --- reassessment ---------------------------------------------------------------------------


@pytest.fixture
def revision(owner, approver, questionnaire):
    first = make_assessment(owner, answers=SAFEST, name="Leaver deprovisioning")
    review.assessment_submit(assessment=first, user=owner)
    review.assessment_approve(assessment=first, user=approver)
    reviewer = make_user("ravi")  # another reviewer of Team A reassesses
    return services.assessment_reassess(assessment=first, user=reviewer)


def test_reassessment_is_one_created_from_event_under_the_reviewers_name(revision):
    entries = history_page.history_entries(revision)
    assert [(e.what, e.who, e.kind) for e in entries] == [
        ("Created from revision 1 (answers carried over)", "ravi", "created")
    ]


def test_copied_answers_are_not_shown_as_set_by_the_reviewer(client, revision):
    html = history(client, revision.owner, revision).content.decode()
    assert "Set the answer" not in html
    assert html.count("Created from revision 1") == 1
    assert len(selectors.answers_of(revision)) == len(SAFEST)  # the answers were carried over


def test_a_change_after_reassessment_reads_as_a_change_from_the_carried_answer(revision):
    services.answers_save(
        assessment=revision,
        existing=selectors.answers_of(revision),
        submitted={"monitoring": ("periodic_review", "", "")},
        user=revision.owner,
    )
    answers = [e for e in history_page.history_entries(revision) if e.kind == "answers"]
    assert len(answers) == 1
    assert answers[0].what.startswith("Changed the answer to")
    assert answers[0].before != "" and answers[0].who == "ravi"


def test_a_fresh_assessment_still_shows_answers_as_set(owner, questionnaire):
    record = make_assessment(owner, answers={"monitoring": "periodic_review"})
    whats = [e.what for e in history_page.history_entries(record)]
    assert whats[0] == "Created"
    assert any(what.startswith("Set the answer to") for what in whats)
