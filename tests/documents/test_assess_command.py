"""`manage.py assess FILE|-`: JSON in, one JSON object out; bad input exits 2 naming each key."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assessor import engine
from assessor.documents import autonomy_scales
from tests.builders import AT_VERDICT

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BANK = ROOT / "assessor" / "bank" / "default.yaml"


def run_cli(text):
    """The real command line, as a user runs it (the shipped bank, no database needed)."""
    return subprocess.run(
        [sys.executable, "manage.py", "assess", "-", "--bank", str(DEFAULT_BANK)],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.test_settings", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


@pytest.fixture
def write(tmp_path):
    def _write(payload):
        path = tmp_path / "workflow.json"
        path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
        return str(path)

    return _write


@pytest.mark.django_db
def test_prints_the_verdict_for_the_safest_answers(questionnaire, safe_answers, write):
    out = io.StringIO()
    call_command(
        "assess", write({"name": "Rotate CI secrets", "answers": safe_answers}), stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["verdict"] == "owner"
    assert result["name"] == "Rotate CI secrets"
    assert result["questionnaire_version"] == "2026.3"
    assert result["decided_by"] == "score"
    assert result["score"] == 100.0
    assert set(result["dimensions"]) == {
        "trigger",
        "data_trust",
        "approval",
        "blast_radius",
        "credentials",
        "policy",
        "evidence",
        "environment",
    }
    assert result["rules_fired"] == []
    assert result["next_level"] == []
    assert result["next_level_blocked_by"] == []
    assert result["assumed"] == []
    assert all(c["met"] for c in result["conditions"]) and len(result["conditions"]) == 4
    assert all({"framework", "id", "title", "note"} == set(f) for f in result["frameworks"])


@pytest.mark.django_db
@pytest.mark.parametrize("verdict", sorted(AT_VERDICT))
def test_gives_the_verdicts_level_on_each_autonomy_scale(questionnaire, write, verdict):
    out = io.StringIO()
    call_command("assess", write({"name": "x", "answers": AT_VERDICT[verdict]}), stdout=out)
    result = json.loads(out.getvalue())
    assert result["verdict"] == verdict
    scales = result["autonomy_scales"]
    assert [s["scale"] for s in scales] == [
        "knight_autonomy",
        "aws_agentic_scope",
        "hleg_oversight",
    ]
    assert scales == autonomy_scales.as_json(verdict)
    assert all(s["level"] and s["level_name"] and s["reason"] for s in scales)


@pytest.mark.django_db
def test_lists_assumed_follow_ups_and_what_blocks_the_next_level(
    questionnaire, safe_answers, write
):
    answers = {
        **safe_answers,
        "input_sources": "mixed",  # shows the isolation follow-up, left unanswered
        "business_impact": "organisation_wide",
    }
    out = io.StringIO()
    call_command("assess", write({"name": "x", "answers": answers}), stdout=out)
    result = json.loads(out.getvalue())
    assert result["assumed"] == ["input_isolation"]
    assert result["verdict"] == "supervised"
    assert result["next_level"] == []
    assert result["next_level_blocked_by"] == ["business_impact"]


@pytest.mark.django_db
def test_prints_fired_rules_and_the_path_up(questionnaire, safe_answers, write):
    answers = {**safe_answers, "agent_identity": "human_credentials"}
    out = io.StringIO()
    call_command("assess", write({"name": "x", "answers": answers}), stdout=out)
    result = json.loads(out.getvalue())
    assert result["verdict"] == "copilot"
    assert result["decided_by"] == "rule"
    assert [(r["id"], r["cap"]) for r in result["rules_fired"]] == [
        ("human-credentials", "copilot")
    ]
    assert result["rules_fired"][0]["reason"]
    assert result["next_level_target"] == "supervised"
    assert [(c["question"], c["to"]) for c in result["next_level"]] == [
        ("agent_identity", "shared_service_account")
    ]
    ia9 = {"framework": "NIST SP 800-53 Rev. 5", "id": "IA-9"}
    assert ia9 in [{k: f[k] for k in ("framework", "id")} for f in result["frameworks"]]


def test_reads_standard_input_with_a_dash(safe_answers):
    completed = run_cli(json.dumps({"name": "stdin", "answers": safe_answers}))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["verdict"] == "owner"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"extra_question": "x"}, ["unknown question: extra_question"]),
        ({"kill_switch": "perhaps"}, ["unknown choice for kill_switch: 'perhaps'"]),
        ({"kill_switch": None}, ["unknown choice for kill_switch: None"]),
        # a choice of another question
        ({"kill_switch": "ephemeral_jit"}, ["unknown choice for kill_switch: 'ephemeral_jit'"]),
        # a refinement whose parent answer (input_sources: internal systems) does not ask it
        (
            {"input_isolation": "validated_parameters"},
            ["input_isolation is answered, but it is asked only for certain answers"],
        ),
        (
            {"extra_question": "x", "input_isolation": "filtered"},
            ["unknown question: extra_question", "input_isolation"],
        ),
    ],
)
def test_bad_keys_exit_2_naming_each_one(safe_answers, payload, named):
    completed = run_cli(json.dumps({"name": "x", "answers": {**safe_answers, **payload}}))
    assert completed.returncode == 2
    for message in named:
        assert message in completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""


def test_a_follow_up_its_parent_answer_asks_for_is_scored(safe_answers):
    answers = {**safe_answers, "input_sources": "mixed", "input_isolation": "validated_parameters"}
    completed = run_cli(json.dumps({"answers": answers}))
    assert completed.returncode == 0, completed.stderr


def test_missing_answers_exit_2_naming_each_missing_key(safe_answers):
    answers = {k: v for k, v in safe_answers.items() if k not in ("revocation", "legacy_iam")}
    completed = run_cli(json.dumps({"answers": answers}))
    assert completed.returncode == 2
    assert "missing answer: revocation" in completed.stderr
    assert "missing answer: legacy_iam" in completed.stderr
    assert completed.stdout == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"answers": {', "malformed JSON"),
        ("[1, 2]", "the top level must be a JSON object"),
        ('{"answers": ["task_type"]}', '"answers" must be an object'),
        ('{"name": 5, "answers": {}}', '"name" must be a string'),
        ("", "malformed JSON"),
    ],
)
def test_malformed_input_exits_2_without_a_traceback(text, message):
    completed = run_cli(text)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_an_unreadable_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("assess", str(tmp_path / "missing.json"), "--bank", str(DEFAULT_BANK))
    assert error.value.returncode == 2
    assert "cannot read" in str(error.value)


@pytest.mark.parametrize(
    ("risky", "cap"),
    [
        ({"approval_chain": "unclear"}, "copilot"),
        ({"data_quality": "uneven"}, "supervised"),
        ({"tool_chaining": "identity_ticketing_cloud"}, "supervised"),
    ],
)
def test_the_command_line_applies_the_caps(model, safe_answers, risky, cap):
    # without the follow-ups the risky answer no longer asks (sent, they would be refused)
    answers = engine.effective_answers(model, {**safe_answers, **risky})
    completed = run_cli(json.dumps({"answers": answers}))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["verdict"] == cap
