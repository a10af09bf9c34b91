"""`manage.py load_questionnaire`: loads the bank in one transaction, idempotently."""

import copy
import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from assessor import bank
from assessor.models import (
    Choice,
    ChoiceWeight,
    FrameworkReference,
    Question,
    Questionnaire,
    Rule,
    Threshold,
)

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Questionnaire, Question, Choice, ChoiceWeight, Rule, Threshold)
    }


def test_loads_the_default_bank_as_the_published_version(document):
    call_command("load_questionnaire", stdout=io.StringIO())
    questionnaire = Questionnaire.current()
    assert questionnaire.version == document["version"]
    assert questionnaire.status == Questionnaire.Status.PUBLISHED
    assert Question.objects.filter(questionnaire=questionnaire).count() == sum(
        len(s["questions"]) for s in document["sections"]
    )
    assert Question.objects.filter(questionnaire=questionnaire, core=True).count() == 25
    scope = set(
        Question.objects.filter(questionnaire=questionnaire, scope=True).values_list(
            "key", flat=True
        )
    )
    assert scope == {
        q["key"] for s in document["sections"] for q in s["questions"] if q.get("scope")
    }
    assert {"task_type", "environment_tier", "task_pattern", "business_impact"} <= scope
    assert set(
        Question.objects.filter(questionnaire=questionnaire, optional=True).values_list(
            "key", flat=True
        )
    ) == {"reserved_decision", "approval_signal"}
    floor = Rule.objects.get(questionnaire=questionnaire, key="approval-chain-enforced")
    assert (floor.kind, floor.cap) == ("floor", "supervised")
    assert Rule.objects.filter(questionnaire=questionnaire).count() == len(document["rules"])
    thresholds = dict(Threshold.objects.values_list("verdict", "min_score"))
    assert thresholds == {"supervised": 60, "owner": 80}
    weight = ChoiceWeight.objects.get(
        choice__question__key="reversibility",
        choice__key="automatic_rollback",
        dimension__key="evidence",
    )
    assert weight.points == 2
    assert Rule.objects.get(key="no-kill-switch").frameworks.filter(ref="asi:ASI10").exists()
    assert questionnaire.document == document


def test_loading_the_same_bank_twice_changes_nothing(capsys):
    call_command("load_questionnaire")
    first = counts()
    first_pk = Questionnaire.current().pk
    refs = FrameworkReference.objects.count()
    call_command("load_questionnaire")
    assert counts() == first
    assert Questionnaire.current().pk == first_pk
    assert FrameworkReference.objects.count() == refs
    assert "already loaded" in capsys.readouterr().out


def test_a_changed_bank_under_a_used_version_label_is_refused(tmp_path):
    call_command("load_questionnaire")
    raw = bank.read_yaml(bank.DEFAULT_BANK)
    raw["thresholds"]["owner"] = 85
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(raw))
    before = counts()
    with pytest.raises(CommandError) as error:
        call_command("load_questionnaire", str(path))
    assert error.value.returncode == 2
    assert "already loaded with different content" in str(error.value)
    assert counts() == before


def test_a_new_version_from_a_file_loads_as_a_draft_beside_the_published_one(tmp_path):
    call_command("load_questionnaire")
    raw = copy.deepcopy(bank.read_yaml(bank.DEFAULT_BANK))
    raw["version"] = "2026.4-test"
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(raw))
    call_command("load_questionnaire", str(path))
    draft = Questionnaire.objects.get(version="2026.4-test")
    assert draft.status == Questionnaire.Status.DRAFT
    assert Questionnaire.current().version == "2026.3"


def test_a_broken_bank_file_exits_2_and_creates_nothing(tmp_path):
    raw = bank.read_yaml(bank.DEFAULT_BANK)
    raw["rules"][0]["when"]["question"] = "nonexistent"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CommandError) as error:
        call_command("load_questionnaire", str(path))
    assert error.value.returncode == 2
    assert "names unknown question 'nonexistent'" in str(error.value)
    assert Questionnaire.objects.count() == 0
    assert FrameworkReference.objects.count() == 0


def test_a_failure_midway_rolls_the_whole_load_back(document, monkeypatch):
    from assessor.bank import loading

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loading.OwnershipCondition.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        loading.questionnaire_load(document=document, publish=True)
    assert counts() == dict.fromkeys(counts(), 0)


def test_the_shipped_bank_replaces_2026_1_and_retires_it(capsys):
    call_command("load_questionnaire", str(bank.BANK_DIR / "2026.1.yaml"))
    assert Questionnaire.current().version == "2026.1"
    call_command("load_questionnaire")
    assert Questionnaire.current().version == "2026.3"
    statuses = dict(Questionnaire.objects.values_list("version", "status"))
    assert statuses == {"2026.1": "retired", "2026.3": "published"}
    assert Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).count() == 1


def test_a_bank_with_several_faults_exits_2_naming_each_and_loads_nothing(tmp_path):
    raw = bank.read_yaml(bank.DEFAULT_BANK)
    raw["rules"][0]["when"] = {"question": "approval_chain", "in": ["vague"]}
    raw["scope"] = ["blast_radius_size"]
    follow_up = next(
        q for s in raw["sections"] for q in s["questions"] if q["key"] == "input_isolation"
    )
    follow_up["show_if"] = {
        "question": "input_sources",
        "not_in": ["internal_systems", "mixed", "untrusted_free_text"],
    }
    follow_up["choices"][0].pop("label")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CommandError) as error:
        call_command("load_questionnaire", str(path))
    assert error.value.returncode == 2
    message = str(error.value)
    assert "names unknown choice(s) ['vague']" in message
    assert "scope: names unknown question 'blast_radius_size'" in message
    assert "can never hold" in message
    assert "choice 'validated_parameters': needs a label" in message
    assert Questionnaire.objects.count() == 0


def test_a_stored_document_keeps_scope_reasons_and_notes_through_the_rows(document):
    from assessor.bank.loading import bank_from_rows, questionnaire_load

    stored = questionnaire_load(document=document, publish=True).questionnaire
    assert bank.parse_bank(bank_from_rows(stored)) == document


def with_optional_and_floor(document: dict) -> dict:
    """The document under another label, with its first follow-up optional and a floor rule."""
    changed = copy.deepcopy(document)
    changed["version"] = "optional-floor"
    follow_up = next(q for s in changed["sections"] for q in s["questions"] if not q["core"])
    follow_up["optional"] = True
    changed["rules"].append(
        {
            "id": "enforced-chain-floor",
            "floor": "supervised",
            "reason": "A clear, enforced approval chain.",
            "when": {"question": "approval_chain", "in": ["codified"]},
            "frameworks": [],
        }
    )
    return changed


def test_optional_questions_and_floor_rules_are_stored_as_rows_and_dumped_back(document):
    from assessor.bank.loading import bank_from_rows, questionnaire_load

    changed = with_optional_and_floor(document)
    stored = questionnaire_load(document=changed, publish=False).questionnaire
    optional = [q.key for q in Question.objects.filter(questionnaire=stored, optional=True)]
    follow_up = next(q for s in changed["sections"] for q in s["questions"] if q.get("optional"))
    assert follow_up["key"] in optional
    floor = Rule.objects.get(questionnaire=stored, key="enforced-chain-floor")
    assert (floor.kind, floor.cap, floor.is_floor) == ("floor", "supervised", True)
    floors = {r["id"] for r in changed["rules"] if "floor" in r}
    assert (
        set(Rule.objects.filter(questionnaire=stored, kind="floor").values_list("key", flat=True))
        == floors
    )

    raw = bank_from_rows(stored)
    dumped = next(q for s in raw["sections"] for q in s["questions"] if q["key"] in optional)
    assert dumped["optional"] is True
    dumped_rule = next(r for r in raw["rules"] if r["id"] == "enforced-chain-floor")
    assert dumped_rule["floor"] == "supervised" and "cap" not in dumped_rule
    others = [q for s in raw["sections"] for q in s["questions"] if q["key"] not in optional]
    assert not any("optional" in q for q in others)  # written only when set, as in the bank


@pytest.mark.django_db
def test_the_shipped_bank_loaded_by_the_command_names_who_published_it(monkeypatch):
    """The versions page says who published each version: for the shipped bank, the command
    and the operator who ran it (not a blank)."""
    monkeypatch.setattr("getpass.getuser", lambda: "deploy")
    call_command("load_questionnaire", stdout=io.StringIO())
    published = Questionnaire.current()
    assert published.published_by_command == "load_questionnaire by deploy"
