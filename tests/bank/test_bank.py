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
        keys = [c["key"] for c in questions[key]["choices"]]
        # Every contract key, safest first; choices added beside them keep that order.
        assert [k for k in keys if k in choices] == list(choices)
    assert [d["key"] for d in document["dimensions"]] == list(bank.CONTRACT_DIMENSIONS)


def test_every_question_reads_plainly_and_says_why_it_matters(document):
    for section in document["sections"]:
        assert section["title"] and section["intro"]
        for q in section["questions"]:
            assert q["text"].endswith("?"), q["key"]
            assert len(q["help"]) > 80, f"{q['key']}: help should say what answers mean and why"
            assert q["control"], q["key"]
            for choice in q["choices"]:
                assert choice["label"] not in (choice["key"], choice["key"].capitalize())


def test_help_texts_explain_without_steering_toward_an_answer(document):
    # What good looks like belongs in the report's next-level section, not in the question.
    for section in document["sections"]:
        for q in section["questions"]:
            assert "Good:" not in q["help"], q["key"]


def test_scope_questions_are_those_that_describe_the_workflow(document, model):
    flagged = {q["key"] for s in document["sections"] for q in s["questions"] if q.get("scope")}
    # 2026.3 marks who takes the decision and a decision reserved by law as scope: facts of
    # the workflow, not controls. The chain's length and the identities reached count as scope
    # in every bank (bank.CONTRACT_SCOPE).
    assert flagged == {
        "task_type",
        "environment_tier",
        "task_pattern",
        "business_impact",
        "decision_source",
        "reserved_decision",
    }
    assert model.scope_keys == flagged | {"tool_chaining", "identities_affected"}


def test_every_condition_for_ownership_is_binding_with_its_own_reason(document, model):
    assert [c["id"] for c in document["ownership_conditions"]] == [
        "trigger-and-completion",
        "runtime-policy",
        "ephemeral-credentials",
        "evidence-capture",
    ]
    rules = {rule.id: rule for rule in model.binding_rules}
    for condition in model.ownership_conditions:
        rule = rules[f"condition-{condition.id}"]
        assert rule.cap == "supervised"
        assert rule.reason == condition.reason and "requires" in rule.reason
        assert rule.frameworks  # cites the references of the questions it rests on


def test_questionnaire_2026_1_stays_loadable_for_the_records_pinned_to_it():
    legacy = bank.load_bank_file(bank.BANK_DIR / "2026.1.yaml")
    assert legacy["version"] == "2026.1"
    keys = {q["key"] for s in legacy["sections"] for q in s["questions"]}
    assert "business_impact" not in keys and "self_approval" not in keys
    labels = {
        (q["key"], c["key"]): c["label"]
        for s in legacy["sections"]
        for q in s["questions"]
        for c in q["choices"]
    }
    assert labels[("kill_switch", "no")] == "No"  # once read by YAML as false, shown as "no"


def test_a_choice_label_that_yaml_reads_as_a_boolean_is_explained(tmp_path):
    raw = bank.read_yaml(bank.DEFAULT_BANK)
    question(raw, "kill_switch")["choices"][2]["label"] = "No"
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False).replace("label: 'No'", "label: No"))
    with pytest.raises(bank.BankError) as error:
        bank.load_bank_file(path)
    assert "put Yes or No in quotes" in str(error.value)


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


def _nested(depth):
    condition = {"question": "monitoring", "in": ["none"]}
    for _ in range(depth):
        condition = {"all": [condition]}
    return condition


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
    # questionnaire 2026.2: labels, scope and follow-ups that can be asked
    (
        lambda d: question(d, "monitoring")["choices"][1].pop("label"),
        "question 'monitoring' choice 'periodic_review': needs a label a reviewer can read",
    ),
    (
        lambda d: question(d, "monitoring")["choices"][1].update(label="periodic_review"),
        "question 'monitoring' choice 'periodic_review': label 'periodic_review' only repeats",
    ),
    (
        lambda d: question(d, "monitoring")["choices"][1].update(label="periodic review"),
        "question 'monitoring' choice 'periodic_review': label 'periodic review' only repeats",
    ),
    (
        lambda d: question(d, "kill_switch")["choices"][-1].update(label=False),
        "question 'kill_switch' choice 'no': label was read as true/false",
    ),
    (
        lambda d: d.update(scope=["task_type", "favourite_colour"]),
        "scope: names unknown question 'favourite_colour'",
    ),
    (
        lambda d: question(d, "kill_switch").update(scope="yes"),
        "question 'kill_switch': scope must be true or false",
    ),
    (
        lambda d: question(d, "input_isolation").update(
            show_if={
                "all": [
                    {"question": "input_sources", "in": ["mixed"]},
                    {"question": "input_sources", "in": ["internal_systems"]},
                ]
            }
        ),
        "question 'input_isolation'.show_if: can never hold for any combination of answers",
    ),
    (
        lambda d: question(d, "policy_evaluation").update(
            show_if={
                "question": "runtime_policy",
                "not_in": ["policy_as_code", "static_roles", "none"],
            }
        ),
        "question 'policy_evaluation'.show_if: can never hold",
    ),
    (
        lambda d: question(d, "self_approval")["choices"].pop(),
        "question 'self_approval': core choice(s) ['yes'] are missing",
    ),
    (
        lambda d: question(d, "kill_switch")["choices"][0]["weights"].update(policy=1e308),
        "question 'kill_switch' choice 'yes': weight on 'policy' must be from -1000 to 1000",
    ),
    (
        lambda d: d["dimensions"][0].update(weight=1e308),
        "dimension 'trigger': weight must be from 0 to 100",
    ),
    (
        lambda d: rule(d, "no-monitoring").update(when=[{"question": "monitoring"}]),
        "rule 'no-monitoring'.when: a condition must be an object",
    ),
    (
        lambda d: rule(d, "no-monitoring").update(when=_nested(990)),
        "rule 'no-monitoring'.when",
    ),
    (
        lambda d: d.update(framework_notes={"asi:ASI99": "cited because"}),
        "framework_notes: unknown framework reference 'asi:ASI99'",
    ),
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
