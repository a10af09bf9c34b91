"""The bank parser and validator, on the shipped bank and on deliberately broken copies."""

import copy

import pytest
import yaml

from assessor import bank


@pytest.fixture(scope="module")
def raw():
    return bank.read_yaml(bank.DEFAULT_BANK)


def question(data, key):
    return next(q for s in data["sections"] for q in s["questions"] if q["key"] == key)


def rule(data, rule_id):
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_shipped_bank_is_valid_and_keeps_every_contract_key(document):
    questions = {q["key"]: q for s in document["sections"] for q in s["questions"]}
    for key, choices in bank.CORE_CONTRACT.items():
        assert questions[key]["core"] is True
        assert [c["key"] for c in questions[key]["choices"]][: len(choices)] == list(choices)
    assert [d["key"] for d in document["dimensions"]] == list(bank.CONTRACT_DIMENSIONS)


def test_every_question_reads_plainly_and_says_why_it_matters(document):
    for section in document["sections"]:
        assert section["title"] and section["intro"]
        for q in section["questions"]:
            assert q["text"].endswith("?"), q["key"]
            assert len(q["help"]) > 80, f"{q['key']}: help should say why and what good is"
            assert q["control"], q["key"]
            assert all(c["label"] for c in q["choices"])


def test_shipped_bank_has_real_follow_up_questions(document):
    follow_ups = [q for s in document["sections"] for q in s["questions"] if q["show_if"]]
    assert len(follow_ups) >= 2
    assert all(not q["core"] for q in follow_ups)


def test_only_verified_framework_entries_can_be_cited():
    catalog = bank.load_catalog()
    assert "asi:ASI01" in catalog
    assert "csf:PR.AA-05" in catalog
    # Entries the reference file marks unverified are not in the catalog at all.
    assert "owasp_threats:T16" not in catalog
    assert "maestro:CL-PRIV-ESC" not in catalog
    assert not any(ref.startswith("iso42001:") for ref in catalog)


def test_document_embeds_titles_of_cited_references(document):
    assert document["frameworks"]["asi:ASI01"] == {
        "framework": "OWASP Top 10 for Agentic Applications 2026",
        "id": "ASI01",
        "title": "Agent Goal Hijack",
    }


def test_parsing_is_deterministic(raw):
    assert bank.document_hash(bank.parse_bank(raw)) == bank.document_hash(bank.parse_bank(raw))


def _dup_question(data):
    data["sections"][1]["questions"].append(copy.deepcopy(question(data, "task_type")))


def _dup_choice(data):
    q = question(data, "monitoring")
    q["choices"].append(copy.deepcopy(q["choices"][0]))


BROKEN = [
    (_dup_question, "question 'task_type': duplicate question key"),
    (_dup_choice, "question 'monitoring' choice 'real_time_alerting': duplicate choice key"),
    (
        lambda d: rule(d, "approval-chain-unclear")["when"].update(question="approval_chian"),
        "rule 'approval-chain-unclear'.when: names unknown question 'approval_chian'",
    ),
    (
        lambda d: rule(d, "data-quality-uneven")["when"].update({"in": ["patchy"]}),
        "rule 'data-quality-uneven'.when: names unknown choice(s) ['patchy']",
    ),
    (
        lambda d: question(d, "kill_switch")["choices"][0]["weights"].update(policy="high"),
        "question 'kill_switch' choice 'yes': weight on 'policy' must be a number, not 'high'",
    ),
    (
        lambda d: question(d, "kill_switch")["choices"][0]["weights"].update(policy=True),
        "question 'kill_switch' choice 'yes': weight on 'policy' must be a number",
    ),
    (
        lambda d: question(d, "kill_switch")["choices"][0]["weights"].update(speed=1),
        "question 'kill_switch' choice 'yes': weight names unknown dimension 'speed'",
    ),
    (
        lambda d: rule(d, "no-kill-switch")["frameworks"].append("asi:ASI99"),
        "rule 'no-kill-switch': unknown framework reference 'asi:ASI99'",
    ),
    (
        lambda d: rule(d, "no-kill-switch")["frameworks"].append("owasp_threats:T16"),
        "rule 'no-kill-switch': unknown framework reference 'owasp_threats:T16'",
    ),
    (
        lambda d: d["thresholds"].update(supervised=85),
        "thresholds: must be in order: 0 <= supervised < owner <= 100",
    ),
    (
        lambda d: d["thresholds"].update(owner="eighty"),
        "thresholds.owner: must be a number, not 'eighty'",
    ),
    (
        lambda d: d["thresholds"].update(owner=120),
        "thresholds: must be in order",
    ),
    (lambda d: rule(d, "no-monitoring").update(cap="owner"), "rule 'no-monitoring': cap must be"),
    (
        lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])),
        "rule 'approval-chain-unclear': duplicate rule id",
    ),
    (
        lambda d: question(d, "legacy_iam")["choices"].pop(),
        "question 'legacy_iam': core choice(s) ['brittle_legacy'] are missing",
    ),
    (
        lambda d: d["sections"][-1]["questions"].pop(),
        "sections: core question 'legacy_iam' is missing",
    ),
    (
        lambda d: question(d, "input_isolation").update(
            show_if={"question": "kill_switch", "in": ["no"]}
        ),
        "question 'input_isolation'.show_if: names a question not asked before it: 'kill_switch'",
    ),
    (
        lambda d: question(d, "monitoring").update(
            show_if={"question": "task_type", "in": ["other"]}
        ),
        "question 'monitoring': a core question is always asked and cannot have show_if",
    ),
    (
        lambda d: d["dimensions"][0].update(weight=-1),
        "dimension 'trigger': weight must be a number of 0 or more",
    ),
    (lambda d: d.update(version=""), "version: a non-empty version label is required"),
]


@pytest.mark.parametrize(("breakage", "message"), BROKEN, ids=[m for _, m in BROKEN])
def test_a_broken_bank_is_refused_with_a_message_naming_the_entry(raw, breakage, message):
    data = copy.deepcopy(raw)
    breakage(data)
    with pytest.raises(bank.BankError) as error:
        bank.parse_bank(data)
    assert any(problem.startswith(message) for problem in error.value.problems), (
        error.value.problems
    )


def test_every_problem_is_reported_at_once(raw):
    data = copy.deepcopy(raw)
    data["thresholds"]["owner"] = "high"
    rule(data, "no-monitoring")["cap"] = "never"
    with pytest.raises(bank.BankError) as error:
        bank.parse_bank(data)
    assert len(error.value.problems) == 2


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text("sections: [unclosed\n")
    with pytest.raises(bank.BankError) as error:
        bank.read_yaml(path)
    assert str(path) in error.value.problems[0]


def test_yaml_round_trip_of_the_shipped_bank_is_lossless(raw, tmp_path):
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    assert bank.load_bank_file(path) == bank.parse_bank(raw)
