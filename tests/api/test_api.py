"""The REST API at /api/v1/: every endpoint, for every role, with the web pages' team rules.

| person | Team A               | Team B  |
|--------|----------------------|---------|
| alice  | reviewer             | auditor |
| bob    | approver             | auditor |
| carol  | reviewer and approver| (none)  |
| olga   | (none)               | reviewer and approver (the outsider) |
"""

import hashlib
import io
import json
import tempfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessor.dashboard.examples import examples_create
from assessor.documents import autonomy_scales
from assessor.models import ApprovedReport, Assessment, ExportRecord
from assessor.review import services as review
from assessor.teams.membership import member_add
from tests.builders import (
    AT_VERDICT,
    LOWER_TRUST,
    SAFEST,
    api_client,
    make_assessment,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(questionnaire):
    alice = make_user("alice", team="Team A", roles=("reviewer",))
    member_add(team_name="Team B", username="alice", role="auditor")
    bob = make_user("bob", team="Team A", roles=("approver",))
    member_add(team_name="Team B", username="bob", role="auditor")
    carol = make_user("carol", team="Team A", roles=("reviewer", "approver"))
    olga = make_user("olga", team="Team B", roles=("reviewer", "approver"))
    return {"alice": alice, "bob": bob, "carol": carol, "olga": olga}


@pytest.fixture
def drafts_by_team(people):
    """A complete draft in each team; Team B's by olga."""
    return {
        "a": make_assessment(people["alice"], answers=SAFEST, name="Rotate staging secrets"),
        "b": make_assessment(people["olga"], answers=LOWER_TRUST, name="Payments provisioning"),
    }


def url(pk, tail=""):
    return f"/api/v1/assessments/{pk}/{tail}"


# --- list and read ----------------------------------------------------------------------------


def test_the_list_shows_the_records_of_every_team_where_the_user_reads(people, drafts_by_team):
    names = {
        who: {
            row["name"]
            for row in api_client(people[who]).get("/api/v1/assessments/").data["results"]
        }
        for who in people
    }
    assert names["alice"] == {"Rotate staging secrets", "Payments provisioning"}
    assert names["bob"] == {"Rotate staging secrets", "Payments provisioning"}
    assert names["carol"] == {"Rotate staging secrets"}
    assert names["olga"] == {"Payments provisioning"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("verdict=owner", {"Safe"}),
        ("verdict=copilot", {"Risky"}),
        ("verdict=incomplete", {"Half"}),
        ("status=submitted", {"Risky"}),
        ("q=saf", {"Safe"}),
    ],
)
def test_the_list_takes_the_dashboards_filters(people, query, expected):
    alice = people["alice"]
    make_assessment(alice, answers=SAFEST, name="Safe")
    risky = make_assessment(alice, answers=LOWER_TRUST, name="Risky")
    review.assessment_submit(assessment=risky, user=alice)
    make_assessment(alice, answers={"task_type": "provisioning"}, name="Half")
    response = api_client(alice).get(f"/api/v1/assessments/?{query}")
    assert {row["name"] for row in response.data["results"]} == expected


@pytest.mark.parametrize(
    ("query", "named", "allowed"),
    [
        ("verdict=bogus", "verdict", "copilot, supervised, owner, incomplete"),
        ("verdict=", None, None),
        ("status=nonsense", "status", "draft, submitted, approved, returned"),
        ("verdict=%ED%A0%80", "verdict", "copilot"),  # not UTF-8: read as U+FFFD
        ("q=a%00b", "q", "NUL character"),
    ],
)
def test_an_invalid_list_filter_is_a_400_naming_the_allowed_values(people, query, named, allowed):
    make_assessment(people["alice"], answers=SAFEST, name="Safe")
    response = api_client(people["alice"]).get(f"/api/v1/assessments/?{query}")
    if named is None:  # empty means any
        assert response.status_code == 200 and response.data["count"] == 1
        return
    assert response.status_code == 400
    assert list(response.json()) == [named]
    assert allowed in response.json()[named][0]


def test_the_list_leaves_the_seeded_examples_out_unless_asked(people, drafts_by_team):
    alice = people["alice"]
    examples_create(owner=alice, team=alice.memberships.get(team__name="Team A").team)
    client = api_client(alice)
    listed = client.get("/api/v1/assessments/").data["results"]
    assert {row["name"] for row in listed} == {"Rotate staging secrets", "Payments provisioning"}
    assert not any(row["is_example"] for row in listed)
    asked = client.get("/api/v1/assessments/?examples=1").data["results"]
    assert len(asked) == 5
    assert {row["name"] for row in asked if row["is_example"]} == {
        "Non-production secret rotation",
        "SaaS access approval",
        "Leaver deprovisioning",
    }


def test_the_list_is_paginated_with_a_page_size_of_at_most_100(people):
    alice = people["alice"]
    for number in range(5):
        make_assessment(alice, name=f"Workflow {number}")
    client = api_client(alice)
    first = client.get("/api/v1/assessments/?page_size=2").data
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = client.get("/api/v1/assessments/?page_size=2&page=3").data
    assert len(last["results"]) == 1 and last["next"] is None
    assert client.get("/api/v1/assessments/?page=9").status_code == 404


def _bulk_records(owner, team, questionnaire, count):
    Assessment.objects.bulk_create(
        Assessment(name=f"Bulk {n}", owner=owner, team=team, questionnaire=questionnaire)
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 100])
def test_listing_runs_a_fixed_number_of_queries_however_many_records_exist(
    people, questionnaire, django_assert_num_queries, count
):
    alice = people["alice"]
    team = alice.memberships.get(team__name="Team A").team
    _bulk_records(alice, team, questionnaire, count)
    client = api_client(alice)
    client.get("/api/v1/assessments/?page_size=100")  # the token's first use records it
    # the token with its user (1); the rate limit's row, locked, read and written in one
    # transaction (4: savepoint, select for update, update, release); the count and the page (2)
    with django_assert_num_queries(7):
        response = client.get("/api/v1/assessments/?page_size=100")
    assert response.data["count"] == count and len(response.data["results"]) == count


def test_a_record_reads_with_its_team_and_owner(people, drafts_by_team):
    data = api_client(people["bob"]).get(url(drafts_by_team["a"].pk)).data
    assert data["name"] == "Rotate staging secrets"
    assert data["team"]["name"] == "Team A" and data["owner"] == "alice"
    assert data["verdict"] == "owner" and data["status"] == "draft"


def test_a_record_gives_its_verdict_and_status_with_their_labels(people, drafts_by_team):
    alice = api_client(people["alice"])
    data = alice.get(url(drafts_by_team["a"].pk)).data
    assert data["verdict"] == "owner" and data["verdict_label"] == "Bounded ownership"
    assert data["status"] == "draft" and data["status_label"] == "Draft"
    listed = {row["name"]: row for row in alice.get("/api/v1/assessments/").data["results"]}
    assert listed["Payments provisioning"]["verdict_label"] == "Copilot"


def test_an_unfinished_record_is_labelled_incomplete(people):
    half = make_assessment(people["alice"], answers={"task_type": "provisioning"}, name="Half")
    data = api_client(people["alice"]).get(url(half.pk)).data
    assert data["verdict"] == "" and data["verdict_label"] == "Incomplete"


def test_an_approved_record_names_its_approver_the_approval_date_and_the_next_review(
    people, drafts_by_team, settings
):
    settings.ASSESSOR_REVIEW_INTERVAL_DAYS = 30
    record = drafts_by_team["a"]
    alice, bob = api_client(people["alice"]), api_client(people["bob"])
    draft = alice.get(url(record.pk)).data
    assert (draft["approved_by"], draft["approved_at"], draft["review_by"]) == (None, None, None)
    alice.post(url(record.pk, "submit/"), {}, format="json")
    approved = bob.post(url(record.pk, "approve/"), {"comment": "Fine."}, format="json").data
    decision = record.decisions.get(action="approved")
    review_by = (timezone.localdate(decision.created_at) + timedelta(days=30)).isoformat()
    for data in (
        approved,
        alice.get(url(record.pk)).data,
        alice.get("/api/v1/assessments/?status=approved").data["results"][0],
    ):
        assert data["approved_by"] == "bob"
        assert parse_datetime(data["approved_at"]) == decision.created_at
        assert data["review_by"] == review_by


# --- create -----------------------------------------------------------------------------------


def test_a_reviewer_creates_a_draft_in_their_team(people):
    team = people["alice"].memberships.get(team__name="Team A").team
    response = api_client(people["alice"]).post(
        "/api/v1/assessments/", {"name": "Leaver deprovisioning", "team": team.pk}, format="json"
    )
    assert response.status_code == 201
    created = Assessment.objects.get(pk=response.data["id"])
    assert (created.name, created.team, created.owner) == (
        "Leaver deprovisioning",
        team,
        people["alice"],
    )
    assert created.status == "draft"


def test_an_auditor_may_not_create_in_that_team_and_is_told_why(people):
    team_b = people["alice"].memberships.get(team__name="Team B").team
    response = api_client(people["alice"]).post(
        "/api/v1/assessments/", {"name": "Sneaky", "team": team_b.pk}, format="json"
    )
    assert response.status_code == 403
    assert "reviewer in team 'Team B'" in response.data["detail"]
    assert not Assessment.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team": "TEAM"}, "name"),
        ({"name": "x" * 201, "team": "TEAM"}, "name"),
        ({"name": "Ok"}, "team"),
        ({"name": "Ok", "team": "OTHER"}, "team"),  # a team where carol holds no role
        ({"name": "Ok", "team": "TEAM", "description": "d" * 5001}, "description"),
        ({"name": "Nul\x00", "team": "TEAM"}, "name"),
    ],
)
def test_a_body_that_does_not_fit_is_400_naming_the_field(people, body, field):
    carol = people["carol"]
    teams = {
        "TEAM": carol.memberships.get().team.pk,
        "OTHER": people["olga"].memberships.get().team.pk,
    }
    body = {key: teams.get(value, value) for key, value in body.items()}
    before = Assessment.objects.count()
    response = api_client(carol).post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 400
    assert list(response.data) == [field]
    assert Assessment.objects.count() == before


def test_malformed_json_is_400_and_creates_nothing(people):
    response = api_client(people["alice"]).post(
        "/api/v1/assessments/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and "JSON parse error" in response.data["detail"]


# --- answers ----------------------------------------------------------------------------------


def test_answers_read_with_the_version_to_send_back_and_the_steps(people, drafts_by_team):
    data = api_client(people["bob"]).get(url(drafts_by_team["a"].pk, "answers/")).data
    assert data["version"] == drafts_by_team["a"].version
    assert data["answers"]["kill_switch"] == {"choice": "yes", "note": "", "evidence": ""}
    assert data["steps"][0]["number"] == 1 and data["steps"][0]["complete"] is True


def _step(assessment, key):
    """The number of the step that asks `key`."""
    for number, section in enumerate(assessment.document["sections"], start=1):
        if key in {q["key"] for q in section["questions"]}:
            return number
    raise AssertionError(key)


def test_a_reviewer_saves_a_steps_answers_as_the_wizard_does(people, drafts_by_team):
    record = drafts_by_team["a"]
    step = _step(record, "privilege_scope")
    body = {
        "version": record.version,
        "answers": {
            "privilege_scope": {
                "choice": "broad",
                "note": "Whole directory.",
                "evidence": "https://wiki.example.com/scope",
            }
        },
    }
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), body, format="json"
    )
    assert response.status_code == 200
    assert response.data["version"] == record.version + 1
    record.refresh_from_db()
    answer = record.answers.get(question_key="privilege_scope")
    assert (answer.choice_key, answer.note, answer.evidence_url) == (
        "broad",
        "Whole directory.",
        "https://wiki.example.com/scope",
    )
    assert record.verdict == "supervised"  # the summary follows, as after a wizard save
    assert record.history.first().history_user == people["alice"]


@pytest.mark.parametrize(
    ("answer", "part"),
    [
        ({"choice": "enormous"}, "choice"),
        ({"choice": "narrow", "evidence": "javascript:alert(1)"}, "evidence"),
        ({"choice": "narrow", "note": "n" * 2001}, "note"),
    ],
)
def test_an_answer_the_wizard_would_refuse_is_400_naming_question_and_part(
    people, drafts_by_team, answer, part
):
    record = drafts_by_team["a"]
    step = _step(record, "privilege_scope")
    body = {"version": record.version, "answers": {"privilege_scope": answer}}
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), body, format="json"
    )
    assert response.status_code == 400
    assert list(response.data["answers"]["privilege_scope"]) == [part]
    assert Assessment.objects.get(pk=record.pk).version == record.version  # nothing saved


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"favourite_colour": {"choice": "blue"}}, "Not a question of step"),
        ({"input_sources": {"choice": "ephemeral_jit"}}, "ephemeral_jit"),
        # a refinement whose parent (input_sources: internal systems, stored) does not ask it
        ({"input_isolation": {"choice": "filtered"}}, "input_isolation"),
    ],
    ids=["unknown key", "choice of another question", "refinement without its parent"],
)
def test_each_kind_of_bad_answer_is_400_naming_the_key_and_saves_nothing(
    people, drafts_by_team, answers, message
):
    record = drafts_by_team["a"]
    step = _step(record, "input_sources")
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), {"version": record.version, "answers": answers}, "json"
    )
    assert response.status_code == 400
    (key,) = answers
    assert message in json.dumps(response.data["answers"][key])
    assert Assessment.objects.get(pk=record.pk).version == record.version
    assert not record.answers.filter(question_key=key).exclude(choice_key=SAFEST.get(key))


def test_a_follow_up_saved_with_the_parent_answer_that_asks_it_is_saved(people, drafts_by_team):
    record = drafts_by_team["a"]
    step = _step(record, "input_sources")
    answers = {"input_sources": {"choice": "mixed"}, "input_isolation": {"choice": "filtered"}}
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), {"version": record.version, "answers": answers}, "json"
    )
    assert response.status_code == 200, response.data
    assert record.answers.get(question_key="input_isolation").choice_key == "filtered"


def test_a_follow_up_kept_from_an_earlier_parent_answer_does_not_block_a_save(
    people, drafts_by_team
):
    record = drafts_by_team["a"]
    client, step = api_client(people["alice"]), _step(drafts_by_team["a"], "input_sources")
    both = {"input_sources": {"choice": "mixed"}, "input_isolation": {"choice": "filtered"}}
    client.put(
        url(record.pk, f"answers/{step}/"), {"version": record.version, "answers": both}, "json"
    )
    hide = {"input_sources": {"choice": "internal_systems"}}
    response = client.put(
        url(record.pk, f"answers/{step}/"), {"version": record.version + 1, "answers": hide}, "json"
    )
    assert response.status_code == 200, response.data
    assert response.data["answers"]["input_isolation"]["choice"] == "filtered"  # kept
    # The step sent back as read, hidden answer included: unchanged, so accepted.
    read_back = {key: response.data["answers"][key] for key in ("input_sources", "input_isolation")}
    response = client.put(
        url(record.pk, f"answers/{step}/"),
        {"version": record.version + 2, "answers": read_back},
        "json",
    )
    assert response.status_code == 200, response.data
    record.refresh_from_db()
    assert record.verdict == "owner"  # the hidden answer counts for nothing


def test_a_question_of_another_step_is_400_naming_it(people, drafts_by_team):
    record = drafts_by_team["a"]
    body = {"version": record.version, "answers": {"kill_switch": {"choice": "no"}}}
    step = _step(record, "privilege_scope")
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), body, format="json"
    )
    assert response.status_code == 400
    assert "kill_switch" in response.data["answers"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"answers": {"kill_switch": {"choice": "no"}}}, "version"), ({"version": 1}, "answers")],
)
def test_a_write_without_version_or_answers_is_400_naming_it(people, drafts_by_team, body, field):
    step = _step(drafts_by_team["a"], "kill_switch")
    response = api_client(people["alice"]).put(
        url(drafts_by_team["a"].pk, f"answers/{step}/"), body, format="json"
    )
    assert response.status_code == 400 and field in response.data


def test_a_stale_write_is_409_with_what_changed_and_who_changed_it(people, drafts_by_team):
    record = drafts_by_team["a"]
    step = _step(record, "kill_switch")
    carol = api_client(people["carol"])
    first = {"version": record.version, "answers": {"kill_switch": {"choice": "no"}}}
    assert carol.put(url(record.pk, f"answers/{step}/"), first, format="json").status_code == 200
    stale = {"version": record.version, "answers": {"kill_switch": {"choice": "yes"}}}
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{step}/"), stale, format="json"
    )
    assert response.status_code == 409
    assert response.data["current_version"] == record.version + 1
    assert response.data["changed_by"] == ["carol"]
    [change] = response.data["changes"]
    assert change["question"] == "kill_switch"
    assert (change["theirs"], change["yours"]) == (
        record.scoring_model().question_map["kill_switch"].choice_map["no"].label,
        record.scoring_model().question_map["kill_switch"].choice_map["yes"].label,
    )
    assert record.answers.get(question_key="kill_switch").choice_key == "no"


def test_an_auditor_reads_answers_but_may_not_write_them(people, drafts_by_team):
    record = drafts_by_team["b"]
    alice = api_client(people["alice"])  # auditor in Team B
    assert alice.get(url(record.pk, "answers/")).status_code == 200
    body = {"version": record.version, "answers": {"kill_switch": {"choice": "no"}}}
    response = alice.put(
        url(record.pk, f"answers/{_step(record, 'kill_switch')}/"), body, format="json"
    )
    assert response.status_code == 403
    assert "not a reviewer in team 'Team B'" in response.data["detail"]


def test_a_submitted_records_answers_are_locked_409(people, drafts_by_team):
    record = drafts_by_team["a"]
    review.assessment_submit(assessment=record, user=people["alice"])
    record.refresh_from_db()
    body = {"version": record.version, "answers": {"kill_switch": {"choice": "no"}}}
    response = api_client(people["alice"]).put(
        url(record.pk, f"answers/{_step(record, 'kill_switch')}/"), body, format="json"
    )
    assert response.status_code == 409 and "locked" in response.data["detail"]


def test_a_step_that_does_not_exist_is_404(people, drafts_by_team):
    body = {"version": drafts_by_team["a"].version, "answers": {"kill_switch": {"choice": "no"}}}
    response = api_client(people["alice"]).put(
        url(drafts_by_team["a"].pk, "answers/99/"), body, format="json"
    )
    assert response.status_code == 404 and "steps run from 1" in response.data["detail"]


# --- result, exports, questionnaire -------------------------------------------------------------


def test_the_result_is_the_json_of_the_assess_command(people, drafts_by_team):
    record = drafts_by_team["b"]
    api = api_client(people["bob"]).get(url(record.pk, "result/")).json()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as workflow:
        json.dump({"name": record.name, "answers": LOWER_TRUST}, workflow)
        workflow.flush()
        out = io.StringIO()
        call_command("assess", workflow.name, stdout=out)
    assert api == json.loads(out.getvalue())
    assert api["verdict"] == "copilot" and api["rules_fired"]


@pytest.mark.parametrize("verdict", sorted(AT_VERDICT))
def test_the_result_gives_the_verdicts_level_on_each_autonomy_scale(people, verdict):
    record = make_assessment(people["alice"], answers=AT_VERDICT[verdict], name=verdict)
    result = api_client(people["alice"]).get(url(record.pk, "result/")).json()
    assert result["verdict"] == verdict
    assert result["autonomy_scales"] == autonomy_scales.as_json(verdict)
    assert {s["scale"] for s in result["autonomy_scales"]} == {
        "knight_autonomy",
        "aws_agentic_scope",
        "hleg_oversight",
    }


def test_an_unfinished_result_places_no_verdict_on_the_scales(people):
    record = make_assessment(people["alice"], answers={"task_type": "provisioning"})
    result = api_client(people["alice"]).get(url(record.pk, "result/")).json()
    assert result["complete"] is False and result["autonomy_scales"] == []


def test_the_json_export_is_the_records_export_and_is_recorded(people, drafts_by_team):
    response = api_client(people["bob"]).get(url(drafts_by_team["a"].pk, "export/"))
    assert response.status_code == 200
    data = response.json()
    assert data["format"] == "autonomy-assessor/assessment" and data["answers"] == SAFEST
    export = ExportRecord.objects.get(assessment=drafts_by_team["a"])
    assert (export.user, export.kind) == (people["bob"], "json")
    assert export.sha256 == hashlib.sha256(response.content).hexdigest()


def test_the_pdf_is_served_and_recorded(people, drafts_by_team):
    response = api_client(people["alice"]).get(url(drafts_by_team["a"].pk, "pdf/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert ExportRecord.objects.filter(assessment=drafts_by_team["a"], kind="pdf").exists()


def test_the_published_questionnaire_reads_with_its_keys(people, questionnaire):
    data = api_client(people["olga"]).get("/api/v1/questionnaire/").data
    assert data["version"] == questionnaire.version
    keys = {q["key"] for section in data["document"]["sections"] for q in section["questions"]}
    assert {"task_type", "kill_switch", "self_approval"} <= keys


# --- review workflow --------------------------------------------------------------------------


def test_submit_approve_with_four_eyes_through_the_api(people, drafts_by_team):
    record = drafts_by_team["a"]
    alice, bob, carol = (api_client(people[who]) for who in ("alice", "bob", "carol"))
    assert bob.post(url(record.pk, "submit/"), {}, format="json").status_code == 403
    response = alice.post(url(record.pk, "submit/"), {"comment": "Ready."}, format="json")
    assert response.status_code == 200 and response.data["status"] == "submitted"
    assert alice.post(url(record.pk, "approve/"), {}, format="json").status_code == 403
    again = alice.post(url(record.pk, "submit/"), {}, format="json")
    assert again.status_code == 409 and "Already submitted by alice" in again.data["detail"]
    approved = bob.post(url(record.pk, "approve/"), {"comment": "Fine."}, format="json")
    assert approved.status_code == 200 and approved.data["status"] == "approved"
    assert ApprovedReport.objects.filter(assessment=record).exists()
    assert carol.post(url(record.pk, "approve/"), {}, format="json").status_code == 409


def test_the_submitter_may_not_approve_their_own_submission(people, drafts_by_team):
    record = drafts_by_team["a"]
    carol = api_client(people["carol"])  # reviewer and approver of Team A
    assert carol.post(url(record.pk, "submit/"), {}, format="json").status_code == 200
    response = carol.post(url(record.pk, "approve/"), {}, format="json")
    assert response.status_code == 409 and "Four eyes" in response.data["detail"]
    assert Assessment.objects.get(pk=record.pk).status == "submitted"


def test_return_needs_a_comment_and_sends_the_record_back_for_changes(people, drafts_by_team):
    record = drafts_by_team["a"]
    review.assessment_submit(assessment=record, user=people["alice"])
    bob = api_client(people["bob"])
    refused = bob.post(url(record.pk, "return/"), {"comment": " "}, format="json")
    assert refused.status_code == 409 and "comment is required" in refused.data["detail"]
    too_long = bob.post(url(record.pk, "return/"), {"comment": "c" * 2001}, format="json")
    assert too_long.status_code == 400 and "comment" in too_long.data
    response = bob.post(url(record.pk, "return/"), {"comment": "Evidence missing."}, format="json")
    assert response.status_code == 200 and response.data["status"] == "returned"


def test_an_auditor_in_a_team_may_not_approve_there(people, drafts_by_team):
    record = drafts_by_team["b"]
    review.assessment_submit(assessment=record, user=people["olga"])
    response = api_client(people["bob"]).post(url(record.pk, "approve/"), {}, format="json")
    assert response.status_code == 403
    assert "not an approver in team 'Team B'" in response.data["detail"]


def test_api_responses_are_not_kept_by_shared_caches(people, drafts_by_team):
    response = api_client(people["alice"]).get(url(drafts_by_team["a"].pk))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_without_a_published_questionnaire_the_api_says_so(db):
    carol = make_user("carol")
    client = api_client(carol)
    assert client.get("/api/v1/questionnaire/").json() == {
        "detail": "No questionnaire is published yet."
    }
    team = carol.memberships.get().team
    created = client.post("/api/v1/assessments/", {"name": "x", "team": team.pk}, format="json")
    assert created.status_code == 503 and not Assessment.objects.exists()


def test_an_unknown_address_under_the_api_is_a_json_404(people):
    response = api_client(people["alice"]).post("/api/v1/nothing/here/", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint."}
