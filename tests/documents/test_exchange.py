"""Export to JSON and import back (upload page and command): nothing lost, bad files refused."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessor.models import Answer, Assessment
from tests.builders import SAFEST, make_assessment

pytestmark = pytest.mark.django_db

NOTES = {"kill_switch": "Tested quarterly.\nLast: March.", "monitoring": "Ünïcödé — 監視 — مراقبة"}
LINKS = {"evidence_capture": "https://wiki.example.com/audit?x=1&y=2"}


@pytest.fixture
def exported(owner_client, owner, questionnaire):
    assessment = make_assessment(
        owner,
        answers={**SAFEST, "input_sources": "mixed", "input_isolation": "validated_parameters"},
        notes=NOTES,
        links=LINKS,
        name="Leaver deprovisioning",
    )
    Assessment.objects.filter(pk=assessment.pk).update(description="Line one\nline two")
    response = owner_client.get(reverse("export_json", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="assessment-leaver-deprovisioning.json"'
    )
    return json.loads(response.content)


def test_the_export_carries_answers_notes_links_result_and_version(exported):
    assert exported["format"] == "autonomy-assessor/assessment"
    assert exported["questionnaire_version"] == "2026.3"
    assert exported["answers"]["input_isolation"] == "validated_parameters"
    assert len(exported["answers"]) == 27  # 25 core and two follow-ups
    assert exported["notes"] == NOTES
    assert exported["evidence"] == LINKS
    assert exported["result"]["verdict"] == "owner"
    assert exported["description"] == "Line one\nline two"


def _comparable(data):
    return {k: v for k, v in data.items() if k != "exported_at"}


def test_upload_round_trips_with_nothing_lost(owner_client, exported):
    upload = SimpleUploadedFile("a.json", json.dumps(exported).encode(), "application/json")
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    imported = Assessment.objects.order_by("-pk").first()
    assert response["Location"] == reverse("report", args=[imported.pk])
    again = json.loads(owner_client.get(reverse("export_json", args=[imported.pk])).content)
    assert _comparable(again) == _comparable(exported)
    assert imported.verdict == "owner" and imported.is_complete


def test_the_command_round_trips_with_nothing_lost(owner, owner_client, exported, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("import_assessment", str(path), "--owner", owner.username, stdout=out)
    imported = Assessment.objects.order_by("-pk").first()
    assert "Imported 'Leaver deprovisioning'" in out.getvalue()
    again = json.loads(owner_client.get(reverse("export_json", args=[imported.pk])).content)
    assert _comparable(again) == _comparable(exported)


# What the refusal of a follow-up answered without its parent says (scoring.check_visibility).
WITHOUT_PARENT = "input_isolation is answered, but it is asked only for certain answers"

BAD = [
    (lambda d: d.update(format="something-else"), '"format" must be'),
    (
        lambda d: d.update(questionnaire_version="1999.9"),
        "questionnaire version '1999.9' is not loaded",
    ),
    (lambda d: d["answers"].update(favourite_colour="blue"), "unknown question: favourite_colour"),
    (lambda d: d["answers"].update(kill_switch="maybe"), "unknown choice for kill_switch: 'maybe'"),
    (
        lambda d: d["evidence"].update(kill_switch="javascript:alert(1)"),
        "evidence link for kill_switch",
    ),
    (lambda d: d["notes"].update(kill_switch="x" * 2001), "note for kill_switch is longer"),
    (lambda d: d.update(name=""), '"name" (the workflow name) is required'),
    (lambda d: d.update(answers=["task_type"]), '"answers" must be an object'),
    (lambda d: d["notes"].update(not_answered_key="x"), "note for unanswered question"),
    # a choice of another question
    (
        lambda d: d["answers"].update(kill_switch="ephemeral_jit"),
        "unknown choice for kill_switch: 'ephemeral_jit'",
    ),
    # a refinement answered without the parent answer that asks it
    (lambda d: d["answers"].update(input_sources="internal_systems"), WITHOUT_PARENT),
    (
        lambda d: d.update(hidden_answers={"input_isolation": "filtered"}),
        "hidden_answers: input_isolation is also in answers",
    ),
    (
        lambda d: d.update(hidden_answers={"chain_credentials": "nope"}),
        "hidden_answers: unknown choice for chain_credentials: 'nope'",
    ),
]


@pytest.mark.parametrize(("breakage", "message"), BAD, ids=[m for _, m in BAD])
def test_a_bad_upload_gets_a_clear_error_and_creates_nothing(
    owner_client, exported, breakage, message
):
    breakage(exported)
    before = (Assessment.objects.count(), Answer.objects.count())
    upload = SimpleUploadedFile("a.json", json.dumps(exported).encode(), "application/json")
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 200
    assert message.replace("'", "&#x27;").replace('"', "&quot;") in response.content.decode()
    assert (Assessment.objects.count(), Answer.objects.count()) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "not valid JSON"), (b"\xff\xfe\x00", "not valid JSON"), (b"[]", "JSON object")],
)
def test_an_upload_that_is_not_an_export_is_refused(owner_client, questionnaire, content, message):
    response = owner_client.post(
        reverse("import_upload"), {"file": SimpleUploadedFile("a.json", content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Assessment.objects.count() == 0


def test_an_oversized_upload_is_refused(owner_client, questionnaire):
    big = SimpleUploadedFile("a.json", b" " * 1_000_001)
    response = owner_client.post(reverse("import_upload"), {"file": big})
    assert "larger than" in response.content.decode()
    assert Assessment.objects.count() == 0


def test_the_command_exits_2_on_a_bad_file_and_creates_nothing(owner, exported, tmp_path):
    exported["answers"]["kill_switch"] = "maybe"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exported))
    before = Assessment.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("import_assessment", str(path), "--owner", owner.username)
    assert error.value.returncode == 2
    assert "unknown choice for kill_switch" in str(error.value)
    assert Assessment.objects.count() == before


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"favourite_colour": "blue"}, "unknown question: favourite_colour"),
        ({"kill_switch": "ephemeral_jit"}, "unknown choice for kill_switch: 'ephemeral_jit'"),
        ({"input_sources": "internal_systems"}, WITHOUT_PARENT),
    ],
    ids=["unknown key", "choice of another question", "refinement without its parent"],
)
def test_the_command_refuses_each_kind_of_bad_answer(owner, exported, tmp_path, answers, message):
    exported["answers"].update(answers)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exported))
    before = (Assessment.objects.count(), Answer.objects.count())
    with pytest.raises(CommandError) as error:
        call_command("import_assessment", str(path), "--owner", owner.username)
    assert error.value.returncode == 2
    assert message in str(error.value)
    assert (Assessment.objects.count(), Answer.objects.count()) == before


@pytest.fixture
def exported_with_a_stale_follow_up(owner_client, owner, questionnaire):
    """A record whose follow-up was answered, then hidden by a change of its parent answer."""
    assessment = make_assessment(
        owner,
        answers={**SAFEST, "input_isolation": "passed_through"},
        notes={"input_isolation": "Before the inputs were locked down."},
        name="Stale follow-up",
    )
    return json.loads(owner_client.get(reverse("export_json", args=[assessment.pk])).content)


def test_a_follow_up_its_parent_no_longer_asks_is_exported_apart_and_imported_back(
    owner_client, exported_with_a_stale_follow_up
):
    exported = exported_with_a_stale_follow_up
    assert "input_isolation" not in exported["answers"]
    assert exported["hidden_answers"] == {"input_isolation": "passed_through"}
    assert exported["result"]["verdict"] == "owner"  # it counts for nothing
    upload = SimpleUploadedFile("a.json", json.dumps(exported).encode(), "application/json")
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    imported = Assessment.objects.order_by("-pk").first()
    assert response["Location"] == reverse("report", args=[imported.pk])
    assert imported.answers.get(question_key="input_isolation").choice_key == "passed_through"
    again = json.loads(owner_client.get(reverse("export_json", args=[imported.pk])).content)
    assert _comparable(again) == _comparable(exported)


def test_an_export_without_stale_follow_ups_has_no_hidden_answers(exported):
    assert "hidden_answers" not in exported


def test_a_hidden_answer_the_answers_do_ask_is_refused(owner_client, exported):
    exported["answers"].pop("input_isolation")
    exported["hidden_answers"] = {"input_isolation": "passed_through"}
    upload = SimpleUploadedFile("a.json", json.dumps(exported).encode(), "application/json")
    before = Assessment.objects.count()
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert "hidden_answers: input_isolation is asked by the answers given" in (
        response.content.decode()
    )
    assert Assessment.objects.count() == before


def test_the_command_exits_2_for_an_unknown_owner(exported, tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(exported))
    with pytest.raises(CommandError) as error:
        call_command("import_assessment", str(path), "--owner", "nobody")
    assert error.value.returncode == 2
    assert "--owner" in str(error.value)


def test_an_import_is_owned_by_the_importer_and_starts_as_a_draft(owner_client, owner, exported):
    exported["status"] = "approved"
    upload = SimpleUploadedFile("a.json", json.dumps(exported).encode())
    owner_client.post(reverse("import_upload"), {"file": upload})
    imported = Assessment.objects.order_by("-pk").first()
    assert imported.owner == owner
    assert imported.status == Assessment.Status.DRAFT
