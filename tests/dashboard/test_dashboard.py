"""The dashboard: the user's assessments, filters, search, pagination and a first-use page."""

import pytest
from django.urls import reverse

from assessor.dashboard.examples import examples_create
from assessor.models import Assessment, Questionnaire
from tests.builders import SAFEST, make_assessment, make_user

pytestmark = pytest.mark.django_db


def test_an_empty_dashboard_explains_what_to_do_first(owner_client, questionnaire):
    html = owner_client.get("/").content.decode()
    assert "No assessments yet" in html
    assert "Start your first assessment" in html


def test_lists_only_the_users_own_assessments_with_status_verdict_and_progress(
    owner_client, owner, outsider, questionnaire
):
    make_assessment(owner, answers=SAFEST, name="Rotate staging secrets")
    make_assessment(owner, answers={"task_type": "provisioning"}, name="Joiner provisioning")
    make_assessment(outsider, name="Someone else's workflow")
    html = owner_client.get("/").content.decode()
    assert "Rotate staging secrets" in html and "Joiner provisioning" in html
    assert "Someone else" not in html
    assert "Bounded ownership" in html
    assert "1 of 25 core questions answered" in html
    assert "25 of 25 core questions answered" in html
    assert "Draft" in html
    assert 'href="/assessments/new/"' in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("verdict=owner", "Safe one", "Risky one"),
        ("verdict=copilot", "Risky one", "Safe one"),
        ("verdict=incomplete", "Half done", "Safe one"),
        ("status=submitted", "Risky one", "Safe one"),
        ("q=safe", "Safe one", "Risky one"),
    ],
)
def test_filters_and_search(owner_client, owner, questionnaire, query, shown, hidden):
    make_assessment(owner, answers=SAFEST, name="Safe one")
    risky = make_assessment(
        owner, answers={**SAFEST, "approval_chain": "unclear"}, name="Risky one"
    )
    # A status set below the models' guard: only the review workflow moves it through them.
    Assessment._base_manager.filter(pk=risky.pk).update(status=Assessment.Status.SUBMITTED)
    make_assessment(owner, answers={"task_type": "other"}, name="Half done")
    html = owner_client.get(f"/?{query}").content.decode()
    assert shown in html
    assert hidden not in html


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("verdict=<x>", "copilot, supervised, owner, incomplete"),
        ("verdict=bogus", "copilot, supervised, owner, incomplete"),
        ("status=nonsense", "draft, submitted, approved, returned"),
        ("q=still%00listed", "NUL character"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_allowed_values(
    owner_client, owner, questionnaire, query, allowed
):
    make_assessment(owner, name="Still listed")
    response = owner_client.get(f"/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert allowed in page
    assert "Still listed" not in page  # not every record, as if no filter had been asked for
    assert "&lt;x&gt;" in page or "<x>" not in query


def test_a_page_number_that_is_not_one_shows_the_first_page(owner_client, owner, questionnaire):
    make_assessment(owner, name="Still listed")
    response = owner_client.get("/?page=abc")
    assert response.status_code == 200
    assert "Still listed" in response.content.decode()


def test_pagination_keeps_the_filters(owner_client, owner, questionnaire):
    for n in range(25):
        make_assessment(owner, name=f"Workflow {n:02d}")
    first = owner_client.get("/?q=Workflow").content.decode()
    assert "Page 1 of 2" in first
    assert "q=Workflow&amp;page=2" in first
    second = owner_client.get("/?q=Workflow&page=2").content.decode()
    assert "Workflow 00" in second and "Workflow 24" not in second


def test_new_assessment_requires_a_name_and_creates_nothing_without_one(
    owner_client, questionnaire
):
    response = owner_client.post(reverse("assessment_new"), {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Assessment.objects.count() == 0


def test_new_assessment_is_a_draft_pinned_to_the_current_questionnaire(
    owner_client, owner, questionnaire
):
    response = owner_client.post(
        reverse("assessment_new"),
        {
            "name": "Access reviews",
            "description": "Quarterly",
            "system": "IGA",
            "business_owner": "Compliance",
        },
    )
    assessment = Assessment.objects.get()
    assert response["Location"] == reverse("wizard", args=[assessment.pk, 1])
    assert assessment.owner == owner
    assert assessment.status == Assessment.Status.DRAFT
    assert assessment.questionnaire == questionnaire
    assert (assessment.system, assessment.business_owner) == ("IGA", "Compliance")


def test_new_assessment_without_a_published_questionnaire_explains_and_creates_nothing(
    owner_client,
):
    assert Questionnaire.objects.count() == 0
    response = owner_client.post(reverse("assessment_new"), {"name": "Anything"}, follow=True)
    assert "No questionnaire is published yet" in response.content.decode()
    assert Assessment.objects.count() == 0


def test_saving_answers_moves_the_record_to_the_top_with_the_time_of_the_save(
    owner_client, owner, questionnaire
):
    older = make_assessment(owner, name="Older workflow")
    make_assessment(owner, name="Newer workflow")
    html = owner_client.get("/").content.decode()
    assert html.index("Newer workflow") < html.index("Older workflow")

    before = Assessment.objects.get(pk=older.pk).updated_at
    key = next(q["key"] for q in older.document["sections"][0]["questions"] if q["core"])
    response = owner_client.post(
        reverse("wizard", args=[older.pk, 1]),
        {key: SAFEST[key], "version": older.version},
    )
    assert response.status_code == 302
    saved = Assessment.objects.get(pk=older.pk)
    assert saved.updated_at > before
    assert saved.history.latest("history_date").updated_at == saved.updated_at
    html = owner_client.get("/").content.decode()
    assert html.index("Older workflow") < html.index("Newer workflow")
    assert saved.updated_at.strftime("%-d %b %Y, %H:%M") in html


# --- the seeded examples and the first page ------------------------------------------------------


@pytest.fixture
def examples(owner, questionnaire):
    return examples_create(owner=owner, team=owner.teams.get())


def test_with_only_the_examples_the_dashboard_shows_them_marked_as_examples(owner_client, examples):
    html = owner_client.get("/").content.decode()
    assert "No assessments of your own yet" in html and "Start your first assessment" in html
    for example in examples:
        assert example.name in html
    assert html.count('<span class="badge text-bg-info">Example</span>') == 4  # 3 rows, the note
    # what is shown is what the export links export
    assert 'href="/assessments/export.csv?examples=1"' in html


def test_once_there_is_real_work_the_examples_leave_the_list_unless_asked(
    owner_client, owner, examples
):
    make_assessment(owner, answers=SAFEST, name="Rotate staging secrets")
    html = owner_client.get("/").content.decode()
    assert "Rotate staging secrets" in html and "Leaver deprovisioning" not in html
    assert "No assessments" not in html
    assert 'name="examples" value="1"' in html and "Include the 3 examples" in html
    assert 'href="/assessments/export.csv"' in html
    shown = owner_client.get("/?examples=1").content.decode()
    assert "Rotate staging secrets" in shown and "Leaver deprovisioning" in shown
    assert 'href="/assessments/export.csv?examples=1"' in shown


def test_the_examples_are_left_out_of_the_counts(owner_client, owner, examples):
    for number in range(20):
        make_assessment(owner, name=f"Real {number}")
    html = owner_client.get("/").content.decode()
    assert "Page 1 of" not in html  # 20 real records: one page, no pager
    assert "Page 1 of 2" in owner_client.get("/?examples=1").content.decode()


def test_a_questionnaire_admin_who_reads_no_records_lands_on_the_studio(client, questionnaire):
    admin = make_user("bank", roles=("admin",))
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("studio_versions")


def test_a_questionnaire_admin_who_also_reads_records_keeps_the_dashboard(client, questionnaire):
    client.force_login(make_user("bank", roles=("admin", "auditor")))
    assert client.get("/").status_code == 200
