"""The review loop: returned records, the return banner, the submitter's comment on the
approver's box, and the "Awaiting my approval" list, per team and per role."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from assessor.models import Assessment, Decision, Team
from assessor.records import selectors, services
from assessor.review import services as review
from assessor.teams import access
from tests.builders import LOWER_TRUST, SAFEST, make_assessment, make_user, record_state

# approvals here store a stub PDF: these tests are about the review, not the rendering
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf")]

RETURN_COMMENT = "The evidence link for monitoring is broken."


@pytest.fixture
def complete(owner, questionnaire):
    return make_assessment(owner, answers=SAFEST, name="Leaver deprovisioning")


@pytest.fixture
def returned(complete, owner, approver):
    review.assessment_submit(assessment=complete, user=owner, comment="Ready.")
    review.assessment_return(assessment=complete, user=approver, comment=RETURN_COMMENT)
    complete.refresh_from_db()
    return complete


@pytest.fixture
def carol(db):
    """Approver in Team A, reviewer in Team B: one person, different roles per team."""
    user = make_user("carol", roles=("approver",))
    from assessor.teams.membership import member_add

    member_add(team_name="Team B", username="carol", role="reviewer")
    return user


def page(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


# --- the status ------------------------------------------------------------------------------


def test_returned_is_a_status_of_its_own_with_a_plain_label():
    assert Assessment.Status.RETURNED == "returned"
    assert Assessment.Status.RETURNED.label == "Returned for changes"


def test_a_returned_record_is_editable_like_a_draft(returned):
    assert returned.status == Assessment.Status.RETURNED
    assert not returned.is_locked and returned.snapshot_document is None


def test_the_reviewer_changes_a_returned_record_and_resubmits_it(returned, owner, client):
    client.force_login(owner)
    response = client.post(
        reverse("wizard", args=[returned.pk, 1]),
        {"version": returned.version, "task_type": "secret_rotation", "next": "1"},
    )
    assert response.status_code == 302
    returned.refresh_from_db()
    assert returned.status == Assessment.Status.RETURNED  # saving does not change it
    client.post(reverse("submit", args=[returned.pk]), {"comment": "Link fixed."})
    returned.refresh_from_db()
    assert returned.status == Assessment.Status.SUBMITTED
    assert returned.snapshot_document is not None


def test_a_returned_record_cannot_be_approved_or_returned_again(returned, approver):
    with pytest.raises(services.WorkflowError):
        review.assessment_approve(assessment=returned, user=approver)
    with pytest.raises(services.WorkflowError):
        review.assessment_return(assessment=returned, user=approver, comment="Again")


def test_a_returned_record_is_not_reassessed(returned, owner):
    with pytest.raises(services.WorkflowError, match="still open for changes"):
        services.assessment_reassess(assessment=returned, user=owner)


def test_the_dashboard_shows_and_filters_returned_records(returned, owner, client):
    html = page(client, owner, "dashboard").content.decode()
    assert '<td data-label="Status">Returned for changes</td>' in html
    filtered = client.get(reverse("dashboard"), {"status": "returned"}).content.decode()
    assert "Leaver deprovisioning" in filtered
    drafts = client.get(reverse("dashboard"), {"status": "draft"}).content.decode()
    # the filter applies to the list; the "Returned to me" section above it stays
    assert "Leaver deprovisioning" not in drafts[drafts.index("<h1") :]


def test_the_report_offers_edit_and_submit_on_a_returned_record(returned, owner, client):
    html = page(client, owner, "report", returned.pk).content.decode()
    assert reverse("wizard", args=[returned.pk, 1]) in html
    assert reverse("submit", args=[returned.pk]) in html


# --- banners ---------------------------------------------------------------------------------


def test_the_return_comment_is_a_banner_at_the_top_of_the_report(returned, owner, client):
    html = page(client, owner, "report", returned.pk).content.decode()
    banner = html.index('id="review-banner"')
    assert RETURN_COMMENT in html[banner : banner + 800]
    assert "Returned for changes by approver" in html
    assert banner < html.index('class="report"')  # above the report itself


@pytest.mark.parametrize("step", [1, 5, 9])
def test_the_return_comment_is_a_banner_on_every_wizard_step(returned, owner, client, step):
    html = page(client, owner, "wizard", returned.pk, step).content.decode()
    banner = html.index('id="review-banner"')
    assert RETURN_COMMENT in html[banner : banner + 800]
    assert banner < html.index('id="wizard-form"')


def test_the_banner_goes_once_the_record_is_resubmitted(returned, owner, client):
    review.assessment_submit(assessment=returned, user=owner)
    assert 'id="review-banner"' not in page(client, owner, "report", returned.pk).content.decode()


def test_a_draft_never_returned_has_no_banner(complete, owner, client):
    assert (
        'id="review-banner"' not in page(client, owner, "wizard", complete.pk, 1).content.decode()
    )


def test_the_approver_sees_the_submitters_comment_on_the_approval_box(
    complete, owner, approver, client
):
    review.assessment_submit(assessment=complete, user=owner, comment="Please check step 4.")
    html = page(client, approver, "report", complete.pk).content.decode()
    box = html.index('id="review-title"')
    assert "Submitted by owner" in html[box : box + 1200]
    assert "Please check step 4." in html[box : box + 1200]
    assert html.index("Please check step 4.") < html.index(reverse("approve", args=[complete.pk]))


def test_the_approval_box_shows_the_latest_submission_after_a_return(returned, owner, approver):
    review.assessment_submit(assessment=returned, user=owner, comment="Link fixed.")
    from django.test import Client

    html = page(Client(), approver, "report", returned.pk).content.decode()
    assert "Link fixed." in html
    assert 'id="review-banner"' not in html


# --- the review trail on the report ----------------------------------------------------------


def test_the_report_lists_review_decisions_and_links_to_the_history(returned, owner, client):
    html = page(client, owner, "report", returned.pk).content.decode()
    assert html.count('data-decision="submitted"') == 1
    assert html.count('data-decision="returned"') == 1
    assert reverse("history", args=[returned.pk]) in html
    assert "Set the answer" not in html  # the trail is on its own page


# --- "Awaiting my approval" -----------------------------------------------------------------


def submitted_in(team_name: str, reviewer, name: str) -> Assessment:
    record = services.assessment_create(
        owner=reviewer, team=Team.objects.get(name=team_name), name=name
    )
    services.answers_save(
        assessment=record,
        existing={},
        submitted={k: (v, "", "") for k, v in SAFEST.items()},
        user=reviewer,
    )
    review.assessment_submit(assessment=record, user=reviewer)
    return record


def awaiting_names(user) -> list[str]:
    return [record.name for record in selectors.assessments_awaiting_approval(user)]


def test_awaiting_lists_submitted_records_of_the_teams_where_one_approves(
    questionnaire, owner, carol, outsider
):
    submitted_in("Team A", owner, "A submitted")
    make_assessment(owner, answers=SAFEST, name="A draft")
    submitted_in("Team B", outsider, "B submitted")
    assert awaiting_names(carol) == ["A submitted"]  # a reviewer only in Team B
    assert awaiting_names(outsider) == []  # B's own submission: four eyes
    assert awaiting_names(owner) == []  # a reviewer approves nothing


def test_awaiting_leaves_out_ones_own_submission(questionnaire, db):
    both = make_user("both", roles=("reviewer", "approver"))
    other = make_user("other", roles=("reviewer",))
    submitted_in("Team A", both, "Mine")
    submitted_in("Team A", other, "Theirs")
    assert awaiting_names(both) == ["Theirs"]


def test_awaiting_is_its_own_section_at_the_top_of_the_dashboard(
    questionnaire, owner, carol, client
):
    submitted_in("Team A", owner, "A submitted")
    html = page(client, carol, "dashboard").content.decode()
    section = html.index('id="awaiting-approval"')
    assert "Awaiting my approval" in html
    assert section < html.index("<h1")
    assert reverse("report", args=[Assessment.objects.get(name="A submitted").pk]) in html


def test_no_awaiting_section_without_anything_to_approve(questionnaire, owner, client):
    assert 'id="awaiting-approval"' not in page(client, owner, "dashboard").content.decode()


# --- what changed since the return, and the submitter's "Returned to me" list -----------------


def edit(record, user, **answers):
    """`user` changes answers through the service the wizard and the API call."""
    record.refresh_from_db()
    existing = {a.question_key: a for a in record.answers.all()}
    submitted = {key: (choice, "", "") for key, choice in answers.items()}
    services.answers_save(assessment=record, existing=existing, submitted=submitted, user=user)
    record.refresh_from_db()


@pytest.fixture
def resubmitted(complete, owner, teammate, approver):
    """Changed before its first submission, returned, then changed by two people (one change
    undone again) and resubmitted."""
    edit(complete, owner, data_quality="mostly_reliable")  # the first round: not listed
    review.assessment_submit(assessment=complete, user=owner, comment="Ready.")
    review.assessment_return(assessment=complete, user=approver, comment=RETURN_COMMENT)
    edit(complete, teammate, privilege_scope="moderate")
    edit(complete, owner, monitoring="periodic_review", reversibility="manual_rollback")
    edit(complete, owner, reversibility="automatic_rollback")  # back as it was: no change
    edit(complete, teammate, monitoring="real_time_alerting")
    edit(complete, owner, monitoring="periodic_review")
    review.assessment_submit(assessment=complete, user=owner, comment="Fixed.")
    complete.refresh_from_db()
    return complete


def test_a_resubmitted_record_lists_exactly_the_answers_changed_since_the_return(resubmitted):
    model = resubmitted.scoring_model()
    changes = selectors.changes_since_return(resubmitted)
    assert [(c.question, c.before, c.after, c.who) for c in changes] == [
        (
            "privilege_scope",
            selectors.choice_label(model, "privilege_scope", "narrow"),
            selectors.choice_label(model, "privilege_scope", "moderate"),
            ("teammate",),
        ),
        (
            "monitoring",
            selectors.choice_label(model, "monitoring", "real_time_alerting"),
            selectors.choice_label(model, "monitoring", "periodic_review"),
            ("owner", "teammate"),
        ),
    ]


def test_a_record_never_returned_or_not_submitted_lists_no_changes(complete, returned, owner):
    assert selectors.changes_since_return(complete) == []  # returned, not resubmitted yet
    fresh = make_assessment(owner, answers=SAFEST, name="Never returned")
    review.assessment_submit(assessment=fresh, user=owner)
    fresh.refresh_from_db()
    assert selectors.changes_since_return(fresh) == []


def test_the_changes_since_the_return_take_two_queries_however_many_there_are(
    resubmitted, owner, approver, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert len(selectors.changes_since_return(resubmitted)) == 2
    review.assessment_return(assessment=resubmitted, user=approver, comment="Once more.")
    edit(resubmitted, owner, **LOWER_TRUST)
    review.assessment_submit(assessment=resubmitted, user=owner)
    resubmitted.refresh_from_db()
    with django_assert_num_queries(2):
        assert len(selectors.changes_since_return(resubmitted)) > 10


def test_the_approver_sees_what_changed_on_the_report(resubmitted, approver, client):
    html = page(client, approver, "report", resubmitted.pk).content.decode()
    section = html[html.index('id="changes-since-return"') :]
    section = section[: section.index("</table>")]
    model = resubmitted.scoring_model()
    for key in ("privilege_scope", "monitoring"):
        assert escape(model.question_map[key].text) in section
    assert escape(model.question_map["reversibility"].text) not in section
    assert escape(model.question_map["data_quality"].text) not in section
    assert "owner, teammate" in section


def test_a_first_submission_shows_no_changes_section(complete, owner, approver, client):
    review.assessment_submit(assessment=complete, user=owner)
    html = page(client, approver, "report", complete.pk).content.decode()
    assert 'id="changes-since-return"' not in html


def returned_names(user) -> list[str]:
    return [record.name for record in selectors.assessments_returned_to(user)]


def test_a_returned_record_is_listed_for_its_submitter_and_owner_only(
    complete, owner, teammate, approver, outsider, questionnaire
):
    theirs = make_assessment(teammate, answers=SAFEST, name="Teammate's")
    for record, submitter in ((complete, owner), (theirs, teammate)):
        review.assessment_submit(assessment=record, user=submitter)
        review.assessment_return(assessment=record, user=approver, comment="Fix it.")
    # owner submitted one of them and owns nothing else; the teammate submitted and owns the other
    assert returned_names(owner) == ["Leaver deprovisioning"]
    assert returned_names(teammate) == ["Teammate's"]
    for user in (approver, outsider):
        assert returned_names(user) == []
    # a teammate who resubmits the owner's record makes it theirs too, and still the owner's
    edit(complete, teammate, monitoring="periodic_review")
    review.assessment_submit(assessment=complete, user=teammate)
    review.assessment_return(assessment=complete, user=approver, comment="Still not.")
    assert sorted(returned_names(teammate)) == ["Leaver deprovisioning", "Teammate's"]
    assert returned_names(owner) == ["Leaver deprovisioning"]


def test_a_resubmitted_record_leaves_the_list(returned, owner):
    assert returned_names(owner) == [returned.name]
    review.assessment_submit(assessment=returned, user=owner)
    assert returned_names(owner) == []


def test_returned_to_me_is_one_query(returned, owner, questionnaire, django_assert_num_queries):
    other = make_assessment(owner, answers=SAFEST, name="Another")
    review.assessment_submit(assessment=other, user=owner)
    with django_assert_num_queries(1):
        assert len(returned_names(owner)) == 1


def test_returned_to_me_is_a_section_at_the_top_of_the_dashboard(returned, owner, teammate, client):
    html = page(client, owner, "dashboard").content.decode()
    assert html.index('id="returned-to-me"') < html.index("<h1")
    assert RETURN_COMMENT not in html  # the reason is on the report, one click away
    assert reverse("report", args=[returned.pk]) in html[html.index('id="returned-to-me"') :]
    client.logout()
    assert 'id="returned-to-me"' not in page(client, teammate, "dashboard").content.decode()


# --- one person, different roles in different teams ----------------------------------------


def test_an_approver_in_one_team_and_reviewer_in_another(questionnaire, owner, carol, client):
    a_record = submitted_in("Team A", owner, "A record")
    review.assessment_return(assessment=a_record, user=carol, comment="Fix it.")
    b_record = services.assessment_create(
        owner=carol, team=Team.objects.get(name="Team B"), name="B"
    )
    a_record.refresh_from_db()
    # in Team A she returns, and may not edit the returned record
    assert access.may(carol, a_record.team, access.APPROVE)
    client.force_login(carol)
    response = client.post(
        reverse("wizard", args=[a_record.pk, 1]),
        {"version": a_record.version, "task_type": "secret_rotation"},
    )
    assert response.status_code == 403
    assert (
        'id="review-banner"' in client.get(reverse("report", args=[a_record.pk])).content.decode()
    )
    # in Team B she edits, and may neither approve nor return her team's records
    services.answers_save(
        assessment=b_record,
        existing={},
        submitted={k: (v, "", "") for k, v in SAFEST.items()},
        user=carol,
    )
    review.assessment_submit(assessment=b_record, user=carol)
    assert client.post(reverse("return", args=[b_record.pk]), {"comment": "x"}).status_code == 403
    assert (
        client.post(reverse("approve", args=[b_record.pk]), {"confirm": "yes"}).status_code == 403
    )
    b_record.refresh_from_db()
    assert b_record.status == Assessment.Status.SUBMITTED
    assert Decision.objects.filter(assessment=b_record, actor=carol).count() == 1  # submitted


# --- upgrading: records returned before the status existed -----------------------------------


def test_the_migration_marks_drafts_whose_last_decision_is_a_return(
    complete, owner, approver, questionnaire
):
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("assessor.migrations.0007_review_loop")
    # The models as that migration sees them (plain managers, as when `migrate` runs it).
    apps = MigrationLoader(connection).project_state(("assessor", "0007_review_loop")).apps
    review.assessment_submit(assessment=complete, user=owner)
    review.assessment_return(assessment=complete, user=approver, comment="Fix it.")
    resubmitted = make_assessment(owner, answers=SAFEST, name="Returned, then resubmitted")
    review.assessment_submit(assessment=resubmitted, user=owner)
    review.assessment_return(assessment=resubmitted, user=approver, comment="Fix it.")
    review.assessment_submit(assessment=resubmitted, user=owner)
    make_assessment(owner, answers=SAFEST, name="Never submitted")
    # As the previous version stored a returned record: back to draft (below the models'
    # guard, which moves a status only through the review workflow).
    Assessment._base_manager.filter(pk=complete.pk).update(status=Assessment.Status.DRAFT)

    migration.mark_returned(apps, None)

    statuses = dict(Assessment.objects.values_list("name", "status"))
    assert statuses == {
        "Leaver deprovisioning": "returned",
        "Returned, then resubmitted": "submitted",
        "Never submitted": "draft",
    }


# --- approving: verdict first, then a decision that asks for confirmation ------------------------


@pytest.mark.parametrize("confirm", [None, "", "false"], ids=["absent", "empty", "false"])
def test_approving_without_the_confirmation_changes_nothing_and_says_why(
    complete, owner, approver, client, confirm
):
    review.assessment_submit(assessment=complete, user=owner)
    before = record_state(complete)
    client.force_login(approver)
    data = {"comment": "Agreed."} | ({} if confirm is None else {"confirm": confirm})
    response = client.post(reverse("approve", args=[complete.pk]), data, follow=True)
    html = response.content.decode()
    assert "Not approved: tick “I have read the report” first" in html
    assert "cannot be undone" in html and "Nothing changed." in html
    assert record_state(complete) == before
    assert not Decision.objects.filter(assessment=complete, action="approved").exists()


def test_the_approve_form_asks_for_the_confirmation_in_plain_html(
    complete, owner, approver, client
):
    review.assessment_submit(assessment=complete, user=owner)
    html = page(client, approver, "report", complete.pk).content.decode()
    form = html[html.index('action="' + reverse("approve", args=[complete.pk])) :]
    form = form[: form.index("</form>")]
    assert 'type="checkbox" name="confirm"' in form and "required" in form
    assert "I have read the report; approving stores the PDF for good" in form


def test_the_verdict_comes_before_the_decision_on_the_report(complete, owner, approver, client):
    review.assessment_submit(assessment=complete, user=owner)
    html = page(client, approver, "report", complete.pk).content.decode()
    verdict = html.index('id="verdict-title"')
    assert verdict < html.index('id="scales-title"') < html.index('id="rules-title"')
    decision = html.index('id="decision-title"')
    assert "{#" not in html and "#}" not in html  # no template comment leaks onto the page
    assert html.index('id="rules-title"') < decision
    assert html.index('id="conditions-title"') < decision
    for action in ("approve", "return"):
        assert verdict < decision < html.index('action="' + reverse(action, args=[complete.pk]))


def test_the_submit_box_comes_after_the_verdict(complete, owner, client):
    html = page(client, owner, "report", complete.pk).content.decode()
    submit = html.index('action="' + reverse("submit", args=[complete.pk]))
    assert html.index('id="verdict-title"') < html.index('id="decision-title"') < submit
