"""The wizard: one step per section, answers saved on every move, bad input refused whole."""

import copy
import re

import pytest
from django.urls import reverse

from assessor import bank
from assessor.bank.loading import questionnaire_load
from assessor.models import Answer, Assessment
from tests.builders import SAFEST, make_assessment

pytestmark = pytest.mark.django_db

BLAST_RADIUS_STEP = 5
BLAST = {
    "privilege_scope": "narrow",
    "identities_affected": "one",
    "reversibility": "automatic_rollback",
    "tool_chaining": "single_system",
}


def step_url(assessment, step):
    return reverse("wizard", args=[assessment.pk, step])


@pytest.fixture
def assessment(questionnaire, owner):
    return make_assessment(owner)


def post_step(client, assessment, step, data):
    """Post a step as the browser would: with the version the form was opened at."""
    version = Assessment.objects.get(pk=assessment.pk).version
    return client.post(step_url(assessment, step), {"version": version, **data})


def saved(assessment):
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("question_key", "choice_key")
    )


def test_a_step_shows_its_place_and_radio_inputs_named_by_question_key(owner_client, assessment):
    response = owner_client.get(step_url(assessment, BLAST_RADIUS_STEP))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Step 5 of 9: Blast radius" in html
    assert "0 of 25 core questions answered and saved (0%)" in html
    assert re.search(r'<input type="radio"[^>]*name="privilege_scope" value="narrow"', html)
    assert 'name="privilege_scope-note"' in html and 'name="privilege_scope-evidence"' in html
    assert "Why this matters" in html
    # the side list jumps to every step
    assert html.count('name="goto"') == 9


def test_next_saves_the_step_and_moves_on(owner_client, assessment):
    data = {**BLAST, "privilege_scope-note": "Only one secret per run.", "next": "1"}
    response = post_step(owner_client, assessment, BLAST_RADIUS_STEP, data)
    assert response.status_code == 302
    assert response["Location"] == step_url(assessment, BLAST_RADIUS_STEP + 1)
    assert saved(assessment) == BLAST
    note = Answer.objects.get(assessment=assessment, question_key="privilege_scope").note
    assert note == "Only one secret per run."
    assessment.refresh_from_db()
    assert assessment.answered_core == 4
    assert assessment.verdict == ""  # incomplete: no verdict yet


def test_back_and_side_list_jumps_save_too(owner_client, assessment):
    response = post_step(owner_client, assessment, 5, {**BLAST, "back": "1"})
    assert response["Location"] == step_url(assessment, 4)
    assert saved(assessment) == BLAST
    response = post_step(owner_client, assessment, 4, {"approval_chain": "codified", "goto": "8"})
    assert response["Location"] == step_url(assessment, 8)
    assert saved(assessment)["approval_chain"] == "codified"


def test_saved_answers_are_shown_again_when_returning_to_a_step(owner_client, assessment):
    post_step(owner_client, assessment, 5, {**BLAST, "next": "1"})
    html = owner_client.get(step_url(assessment, 5)).content.decode()
    assert re.search(r'name="privilege_scope" value="narrow"[^>]*checked', html)


def test_changing_an_answer_updates_it_rather_than_adding_one(owner_client, assessment):
    post_step(owner_client, assessment, 5, {**BLAST, "next": "1"})
    post_step(owner_client, assessment, 5, {**BLAST, "privilege_scope": "broad", "next": "1"})
    assert Answer.objects.filter(assessment=assessment, question_key="privilege_scope").count() == 1
    assert saved(assessment)["privilege_scope"] == "broad"


def test_finishing_the_last_step_of_a_complete_assessment_opens_the_report(
    owner_client, owner, questionnaire
):
    answers = {k: v for k, v in SAFEST.items() if k not in ("shared_accounts", "legacy_iam")}
    assessment = make_assessment(owner, answers=answers)
    response = post_step(
        owner_client,
        assessment,
        9,
        {"shared_accounts": "none", "legacy_iam": "modern_api", "finish": "1"},
    )
    assert response["Location"] == reverse("report", args=[assessment.pk])
    assessment.refresh_from_db()
    assert assessment.verdict == "owner"
    assert assessment.is_complete


def test_resume_opens_the_first_unanswered_question(owner_client, owner, questionnaire):
    answers = {k: v for k, v in SAFEST.items() if k != "approval_chain"}
    assessment = make_assessment(owner, answers=answers)
    response = owner_client.get(reverse("resume", args=[assessment.pk]))
    assert response["Location"] == step_url(assessment, 4) + "#q-approval_chain"


def test_resume_of_a_complete_assessment_opens_the_report(owner_client, owner, questionnaire):
    assessment = make_assessment(owner, answers=SAFEST)
    response = owner_client.get(reverse("resume", args=[assessment.pk]))
    assert response["Location"] == reverse("report", args=[assessment.pk])


def test_a_step_number_out_of_range_goes_to_the_first_step(owner_client, assessment):
    response = owner_client.get(step_url(assessment, 99))
    assert response["Location"] == step_url(assessment, 1)


# --- bad input: a form error or a 400, and nothing saved ---------------------------------


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"privilege_scope": "galactic"}, "Select a valid choice"),
        ({"privilege_scope-note": "x" * 2001}, "at most 2000 characters"),
        ({"privilege_scope-evidence": "javascript:alert(1)"}, "Enter an http:// or https:// link."),
        (
            {"privilege_scope-evidence": "data:text/html,<b>x</b>"},
            "Enter an http:// or https:// link.",
        ),
        ({"privilege_scope-evidence": "file:///etc/passwd"}, "Enter an http:// or https:// link."),
        ({"privilege_scope-evidence": "https://"}, "Enter an http:// or https:// link."),
        ({"privilege_scope-evidence": "ftp://example.com/x"}, "Enter an http:// or https:// link."),
        (
            {"identities_affected": "", "identities_affected-note": "orphan note"},
            "Choose an answer to attach a note",
        ),
    ],
)
def test_invalid_input_is_a_form_error_and_saves_nothing(owner_client, assessment, extra, error):
    response = post_step(owner_client, assessment, 5, {**BLAST, **extra, "next": "1"})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert saved(assessment) == {}
    assessment.refresh_from_db()
    assert assessment.answered_core == 0


def test_a_question_key_from_another_step_is_refused_with_400(owner_client, assessment):
    response = post_step(owner_client, assessment, 5, {**BLAST, "approval_chain": "codified"})
    assert response.status_code == 400
    assert "approval_chain" in response.content.decode()
    assert saved(assessment) == {}


def test_a_note_for_a_question_of_another_step_is_refused_with_400(owner_client, assessment):
    response = post_step(owner_client, assessment, 5, {**BLAST, "kill_switch-note": "sneaky"})
    assert response.status_code == 400
    assert saved(assessment) == {}


def test_posted_fields_that_are_not_questions_are_ignored(owner_client, assessment, outsider):
    data = {**BLAST, "owner": outsider.pk, "verdict": "owner", "status": "approved", "next": "1"}
    response = post_step(owner_client, assessment, 5, data)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.owner != outsider
    assert assessment.verdict == ""
    assert assessment.status == Assessment.Status.DRAFT


def test_a_malformed_post_body_never_causes_a_500(owner_client, assessment):
    response = owner_client.generic(
        "POST",
        step_url(assessment, 5),
        b"\xff\xfe%%%=&&privilege_scope=%ZZ",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 400)
    assert saved(assessment) == {}


def test_a_repeated_radio_value_keeps_only_a_valid_single_answer(owner_client, assessment):
    response = post_step(
        owner_client, assessment, 5, {**BLAST, "privilege_scope": ["narrow", "galactic"]}
    )
    assert response.status_code == 200  # the last value wins and is refused
    assert saved(assessment) == {}


# --- follow-up questions -------------------------------------------------------------------


def test_a_hidden_follow_up_is_not_scored_and_not_required(owner_client, owner, questionnaire):
    assessment = make_assessment(owner, answers=SAFEST)
    # input_isolation is only asked when input_sources is mixed or free text
    post_step(
        owner_client,
        assessment,
        3,
        {
            "data_quality": "authoritative",
            "input_sources": "internal_systems",
            "input_isolation": "passed_through",
            "next": "1",
        },
    )
    assessment.refresh_from_db()
    assert assessment.verdict == "owner"
    assert assessment.score == 100
    assert assessment.is_complete


def test_a_shown_follow_up_counts_in_the_score(owner_client, owner, questionnaire):
    # Left unanswered, a shown follow-up counts as its riskiest answer; answering it well
    # raises the score, answering it badly changes nothing, so skipping it never pays.
    assessment = make_assessment(owner, answers={**SAFEST, "input_sources": "mixed"})
    skipped = Assessment.objects.get(pk=assessment.pk).score
    html = owner_client.get(step_url(assessment, 3)).content.decode()
    assert "Left unanswered, it counts as its riskiest answer." in html
    scores = {}
    for choice in ("passed_through", "validated_parameters"):
        assessment.refresh_from_db()
        post_step(
            owner_client,
            assessment,
            3,
            {
                "data_quality": "authoritative",
                "input_sources": "mixed",
                "input_isolation": choice,
                "next": "1",
            },
        )
        scores[choice] = Assessment.objects.get(pk=assessment.pk).score
    assert scores["passed_through"] == skipped < scores["validated_parameters"]


def test_follow_ups_say_when_they_are_asked(owner_client, assessment):
    html = owner_client.get(step_url(assessment, 3)).content.decode()
    assert 'data-show-if="' in html
    assert "Follow-up: asked only when the answer to" in html


# --- live verdict ---------------------------------------------------------------------------


def test_the_live_verdict_reflects_unsaved_answers_and_saves_nothing(
    owner_client, owner, questionnaire
):
    assessment = make_assessment(owner, answers=SAFEST)
    preview = reverse("preview", args=[assessment.pk, 4])
    html = owner_client.post(preview, {"approval_chain": "unclear"}).content.decode()
    assert 'data-live-verdict="copilot"' in html
    assert "Nobody can say who approves what" in html
    assert saved(assessment)["approval_chain"] == "codified"
    html = owner_client.post(preview, {"approval_chain": "codified"}).content.decode()
    assert 'data-live-verdict="owner"' in html


def test_the_step_page_shows_the_provisional_verdict_without_javascript(
    owner_client, owner, questionnaire
):
    assessment = make_assessment(owner, answers={**SAFEST, "data_quality": "uneven"})
    html = owner_client.get(step_url(assessment, 1)).content.decode()
    assert 'data-live-verdict="supervised"' in html
    assert "The identity data is uneven" in html


def test_while_core_answers_are_missing_the_panel_shows_the_range_still_possible(
    owner_client, owner, questionnaire
):
    two = {"task_type": "secret_rotation", "environment_tier": "non_production"}
    assessment = make_assessment(owner, answers=two)
    html = owner_client.get(step_url(assessment, 1)).content.decode()
    assert 'data-live-verdict="range"' in html
    assert "Copilot to Bounded ownership so far" in html
    assert "score 0.0" not in html and 'data-live-verdict="copilot"' not in html
    assert "23 core questions still to answer" in html
    capped = make_assessment(owner, answers={**two, "data_quality": "uneven"}, name="Capped")
    html = owner_client.get(step_url(capped, 1)).content.decode()
    assert "Copilot to Supervised so far" in html
    assert "The identity data is uneven" in html  # the rule already capping it


def test_resume_asks_for_a_shown_follow_up_left_unanswered(owner_client, owner, questionnaire):
    assessment = make_assessment(owner, answers={**SAFEST, "input_sources": "mixed"})
    response = owner_client.get(reverse("resume", args=[assessment.pk]))
    assert response["Location"] == step_url(assessment, 3) + "#q-input_isolation"
    html = owner_client.get(step_url(assessment, 3)).content.decode()
    assert "1 follow-up left unanswered counts as the riskiest answer" in html


# --- who may see it -------------------------------------------------------------------------


def test_another_users_wizard_and_preview_answer_404_and_save_nothing(client, outsider, assessment):
    client.force_login(outsider)
    assert client.get(step_url(assessment, 1)).status_code == 404
    assert post_step(client, assessment, 5, BLAST).status_code == 404
    assert client.post(reverse("preview", args=[assessment.pk, 5]), BLAST).status_code == 404
    assert saved(assessment) == {}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/assessments/new/",
        "/assessments/import/",
        "/assessments/1/",
        "/assessments/1/step/1/",
        "/assessments/1/report/",
        "/assessments/1/export.json",
        "/accounts/password_change/",
    ],
)
def test_every_page_but_the_login_page_requires_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_is_open(client):
    assert client.get("/accounts/login/").status_code == 200


def test_a_submitted_assessment_refuses_new_answers(owner_client, assessment):
    # Set below the models' guard, which moves a status only through the review workflow.
    Assessment._base_manager.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
    response = post_step(owner_client, assessment, 5, {**BLAST, "next": "1"})
    assert response.status_code == 400
    assert saved(assessment) == {}


# --- query counts ---------------------------------------------------------------------------


@pytest.fixture
def bigger_questionnaire(db):
    """The shipped bank plus 30 more questions in the blast-radius step."""
    raw = copy.deepcopy(bank.read_yaml(bank.DEFAULT_BANK))
    raw["version"] = "big"
    section = next(s for s in raw["sections"] if s["key"] == "blast_radius")
    for n in range(30):
        section["questions"].append(
            {
                "key": f"extra_{n}",
                "text": f"Extra question {n}?",
                "help": "Extra.",
                "choices": [
                    {"key": "yes", "label": "Yes", "weights": {"blast_radius": 1}},
                    {"key": "no", "label": "No", "weights": {"blast_radius": 0}},
                ],
            }
        )
    return questionnaire_load(document=bank.parse_bank(raw), publish=False).questionnaire


def _statements(queries) -> int:
    """Data statements only: BEGIN, COMMIT and savepoints are not queries of the view."""
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
    )


def _queries_for_step(client, assessment, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = step_url(assessment, 5)
    counts = []
    # Warm the per-process compiled-version cache: a cold one costs one more query, once.
    client.get(step_url(assessment, 1))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    counts.append(_statements(queries))
    version = Assessment.objects.get(pk=assessment.pk).version
    with CaptureQueriesContext(connection) as queries:  # every answer new
        response = client.post(url, {**data, "version": version, "next": "1"})
    assert response.status_code == 302
    counts.append(_statements(queries))
    changed = {**data, "privilege_scope": "moderate", "privilege_scope-note": "changed"}
    Answer.objects.filter(assessment=assessment, question_key="tool_chaining").delete()
    version = Assessment.objects.get(pk=assessment.pk).version
    with CaptureQueriesContext(connection) as queries:  # some new, some changed
        response = client.post(url, {**changed, "version": version, "next": "1"})
    assert response.status_code == 302
    counts.append(_statements(queries))
    return counts


# transaction=True: the request's transaction is the outermost, as in production, so the
# counts include no test-only savepoints.
@pytest.mark.django_db(transaction=True)
def test_a_step_runs_a_fixed_number_of_queries_however_big_the_bank(
    owner_client, owner, questionnaire, bigger_questionnaire
):
    small = make_assessment(owner)
    big = make_assessment(owner)
    Assessment.objects.filter(pk=big.pk).update(questionnaire=bigger_questionnaire)
    big_data = {**BLAST, **{f"extra_{n}": "yes" for n in range(30)}}
    small_counts = _queries_for_step(owner_client, small, BLAST)
    big_counts = _queries_for_step(owner_client, big, big_data)
    assert small_counts == big_counts
    # GET: the session row (database sessions, shared by every worker), the user, the record
    # with the user's roles, its answers, its evidence files. A POST: the first four, then the
    # save's writes (the claimed version and its history row; new answers and theirs; changed
    # answers, their record checked, and theirs).
    assert small_counts == [5, 8, 11], small_counts
    assert Answer.objects.filter(assessment=big).count() == 34


@pytest.mark.django_db(transaction=True)
def test_a_step_reads_the_record_and_the_users_roles_in_its_team_in_one_query(
    owner_client, owner, questionnaire
):
    """Roles are per team: the access check joins the user's membership of the record's team
    into the query that fetches the record, so neither a GET nor a POST asks separately."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assessment = make_assessment(owner)
    url = step_url(assessment, 5)
    owner_client.get(url)  # warm the compiled-version cache
    with CaptureQueriesContext(connection) as get:
        assert owner_client.get(url).status_code == 200
    version = Assessment.objects.get(pk=assessment.pk).version
    with CaptureQueriesContext(connection) as post:
        response = owner_client.post(url, {**BLAST, "version": version, "next": "1"})
    assert response.status_code == 302
    for queries in (get, post):
        # (the session's user is loaded with whether the menu shows the portfolio: not access)
        access = [
            q["sql"]
            for q in queries.captured_queries
            if any(t in q["sql"] for t in ("assessor_membership", "auth_permission", "auth_group"))
            and not q["sql"].startswith('SELECT "auth_user"')
        ]
        assert len(access) == 1, access
        assert access[0].startswith('SELECT "assessor_assessment"."id"')
        assert '"assessor_membership"' in access[0]
        # The step shows neither the record's team nor its owner: neither is selected.
        assert '"assessor_team"."name"' not in access[0] and '"auth_user"' not in access[0]
        # Its answers are read by record, without joining the record again.
        answers = [
            q["sql"] for q in queries.captured_queries if 'FROM "assessor_answer"' in q["sql"]
        ]
        assert answers and all("JOIN" not in sql for sql in answers), answers


# --- questionnaire 2026.3: refinements across steps, optional questions ----------------------


def test_a_chain_with_strong_links_is_answered_across_steps_and_reaches_ownership(
    owner_client, owner, questionnaire
):
    assessment = make_assessment(
        owner,
        answers={
            **SAFEST,
            "tool_chaining": "identity_ticketing_cloud",
            "chain_credentials": "separate_per_system",
        },
    )
    # Asked on the policy step because the chain (step 5) and the policy (step 7) call for it;
    # left unanswered, it counts as a step without a check.
    assert assessment.verdict == "supervised"
    html = owner_client.get(step_url(assessment, 7)).content.decode()
    assert 'name="chain_policy_coverage" value="every_step"' in html
    response = post_step(
        owner_client,
        assessment,
        7,
        {
            "runtime_policy": "policy_as_code",
            "policy_evaluation": "per_action",
            "chain_policy_coverage": "every_step",
            "kill_switch": "yes",
            "next": "1",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert saved(assessment)["chain_policy_coverage"] == "every_step"
    assert assessment.verdict == "owner"


def test_an_optional_question_left_open_changes_nothing_and_answered_it_counts(
    owner_client, owner, questionnaire
):
    answers = {k: v for k, v in SAFEST.items() if k != "reserved_decision"}
    assessment = make_assessment(owner, answers=answers)
    assert assessment.verdict == "owner" and assessment.is_complete
    html = owner_client.get(step_url(assessment, 4)).content.decode()
    assert 'name="reserved_decision" value="reserved"' in html
    post_step(
        owner_client,
        assessment,
        4,
        {
            "approval_chain": "codified",
            "self_approval": "no_enforced",
            "informal_overrides": "none",
            "reserved_decision": "reserved",
            "next": "1",
        },
    )
    assessment.refresh_from_db()
    assert assessment.verdict == "supervised"


def step_of(assessment, key):
    for number, section in enumerate(assessment.document["sections"], start=1):
        if key in {q["key"] for q in section["questions"]}:
            return number
    raise AssertionError(key)


def test_optional_questions_are_marked_optional_and_count_for_nothing(owner_client, assessment):
    for key in ("reserved_decision", "approval_signal"):
        html = owner_client.get(step_url(assessment, step_of(assessment, key))).content.decode()
        block = html.split(f'<div id="q-{key}"')[1].split('<div id="q-')[0]
        assert f'data-optional="{key}"' in block
        assert "Optional" in block and "Left unanswered, it counts for nothing" in block
        assert "counts as its riskiest answer" not in block


def test_the_live_panel_shows_a_floor_lifting_the_verdict(owner_client, owner, questionnaire):
    from tests.builders import LOWER_TRUST

    answers = {**LOWER_TRUST, "approval_chain": "codified", "informal_overrides": "none"}
    assessment = make_assessment(owner, answers=answers)
    html = owner_client.get(step_url(assessment, 1)).content.decode()
    assert 'data-floors="1"' in html
    assert "At least Supervised:</span> Approvals are codified" in html


def test_the_live_verdict_follows_an_edit_of_the_draft_version_it_is_scored_on(
    owner_client, owner, questionnaire, bigger_questionnaire
):
    """Results and the step's side are kept per process under the version's content hash, so
    editing a draft version (as the studio does) shows at once, in every process."""
    from assessor.bank.loading import questionnaire_refresh
    from assessor.models import Threshold

    assessment = make_assessment(owner, answers=SAFEST)
    Assessment.objects.filter(pk=assessment.pk).update(questionnaire=bigger_questionnaire)
    url = step_url(assessment, BLAST_RADIUS_STEP)
    verdict = re.compile(r'data-live-verdict="([^"]+)"')
    before = verdict.search(owner_client.get(url).content.decode())[1]
    assert owner_client.get(url).status_code == 200  # the second time from what was kept
    thresholds = Threshold.objects.filter(questionnaire=bigger_questionnaire)
    thresholds.filter(verdict="supervised").update(min_score=99.8)
    thresholds.filter(verdict="owner").update(min_score=99.9)
    questionnaire_refresh(bigger_questionnaire)
    after = verdict.search(owner_client.get(url).content.decode())[1]
    assert before == "owner" and after != "owner", (before, after)


def _block_tag(page: str, key: str) -> str:
    """The opening tag of a question's card on a step page."""
    start = page.index(f'id="q-{key}"')
    return page[start : page.index(">", start)]


@pytest.mark.parametrize(("task", "hidden"), [("provisioning", True), ("access_approval", False)])
def test_a_follow_up_that_hangs_on_another_step_is_hidden_when_its_answer_leaves_it_unasked(
    owner, owner_client, questionnaire, task, hidden
):
    """ "Who takes the decision" is asked only for access approvals and privilege escalations;
    the task is answered on step 1, so the step that holds the follow-up hides it for any other
    task (it counts for nothing then), and shows it for those two."""
    record = make_assessment(owner, answers={"task_type": task})
    sections = record.document["sections"]
    step = next(
        number
        for number, section in enumerate(sections, start=1)
        if any(q["key"] == "decision_source" for q in section["questions"])
    )
    assert step != 1  # the condition's question is on another step
    page = owner_client.get(step_url(record, step)).content.decode()
    assert (" hidden" in _block_tag(page, "decision_source")) is hidden


def test_a_follow_up_that_hangs_on_a_question_of_its_own_step_stays_in_the_page(
    owner, owner_client, questionnaire
):
    """Without JavaScript the reviewer must still reach it after changing that question; the
    script hides it as soon as the page loads."""
    record = make_assessment(owner, answers={"task_type": "provisioning"})
    for number, section in enumerate(record.document["sections"], start=1):
        keys = {q["key"] for q in section["questions"]}
        same_step = [
            q["key"]
            for q in section["questions"]
            if q["show_if"] and q["show_if"].get("question") in keys
        ]
        if same_step:
            page = owner_client.get(step_url(record, number)).content.decode()
            assert " hidden" not in _block_tag(page, same_step[0])
            return
    pytest.skip("no follow-up in this bank hangs on a question of its own step")


def test_a_record_id_beyond_what_the_database_stores_is_a_404_not_a_500(owner_client):
    # schemathesis found it on the API: the access check's SQL is built once (records.prepared)
    huge = 96474698969663250890752
    for name, args in (("wizard", [huge, 1]), ("report", [huge]), ("resume", [huge])):
        assert owner_client.get(reverse(name, args=args)).status_code == 404, name
