"""The question bank as data: parse, validate and compile it, with no database.

A bank is a YAML document (the shipped one is `assessor/bank/default.yaml`). `parse_bank()`
checks it and returns a normalised *document*: plain JSON-able data, self-contained (framework
titles resolved), which is what the database stores for each questionnaire version and what an
assessment is scored against. `build_model()` turns a document into the scoring engine's frozen
values.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import scoring
from .validators import DIMENSION_WEIGHT_RANGE, POINTS_RANGE, condition_problem

BANK_DIR = Path(__file__).resolve().parent / "bank"
DEFAULT_BANK = BANK_DIR / "default.yaml"
FRAMEWORK_CATALOG = BANK_DIR / "frameworks.yaml"

# The public contract of DESIGN.md: forms, the JSON export and the command line rely on these
# keys, so every bank must keep them (it may add questions and choices beside them).
CORE_CONTRACT: dict[str, tuple[str, ...]] = {
    "task_type": (
        "secret_rotation",
        "access_request_triage",
        "access_review",
        "provisioning",
        "deprovisioning",
        "access_approval",
        "privilege_escalation",
        "other",
    ),
    "environment_tier": ("non_production", "mixed", "production"),
    "task_pattern": ("repetitive", "mostly_routine", "exception_heavy"),
    "trigger_defined": ("explicit", "documented", "ad_hoc"),
    "completion_criteria": ("verifiable", "documented", "none"),
    "data_quality": ("authoritative", "mostly_reliable", "uneven"),
    "input_sources": ("internal_systems", "mixed", "untrusted_free_text"),
    "approval_chain": ("codified", "documented_manual", "unclear"),
    "informal_overrides": ("none", "rare_logged", "common"),
    "privilege_scope": ("narrow", "moderate", "broad"),
    "identities_affected": ("one", "tens", "hundreds_plus"),
    "reversibility": ("automatic_rollback", "manual_rollback", "irreversible"),
    "tool_chaining": ("single_system", "two_systems", "identity_ticketing_cloud"),
    "agent_identity": ("workload_identity", "shared_service_account", "human_credentials"),
    "credential_lifetime": ("ephemeral_jit", "short_lived", "standing"),
    "credential_scope": ("task_scoped", "role_scoped", "broad"),
    "revocation": ("automatic_at_task_end", "manual", "none"),
    "runtime_policy": ("policy_as_code", "static_roles", "none"),
    "evidence_capture": ("end_to_end", "partial", "none"),
    "monitoring": ("real_time_alerting", "periodic_review", "none"),
    "kill_switch": ("yes", "no"),
    "shared_accounts": ("none", "managed", "unmanaged"),
    "legacy_iam": ("modern_api", "some_legacy", "brittle_legacy"),
    "business_impact": (
        "contained",
        "internal_disruption",
        "customer_or_regulatory",
        "organisation_wide",
    ),
    "self_approval": ("no_enforced", "no_by_convention", "yes"),
}
# Questionnaire 2026.1 predates these two questions; records pinned to it must keep loading,
# so a bank may leave them out, but a bank that has them must keep their contract.
ADDED_IN_2026_2 = frozenset({"business_impact", "self_approval"})
# Questions that describe the workflow itself, not its controls (DESIGN.md). They count as
# scope in every bank, including documents stored before banks could mark scope themselves.
CONTRACT_SCOPE = frozenset({"task_type", "environment_tier", "task_pattern", "business_impact"})
CONTRACT_DIMENSIONS = (
    "trigger",
    "data_trust",
    "approval",
    "blast_radius",
    "credentials",
    "policy",
    "evidence",
    "environment",
)


class BankError(ValueError):
    """A bank that cannot be used; `problems` names every bad entry."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid question bank:\n  - " + "\n  - ".join(problems))
        self.problems = problems


# --- framework catalog ---------------------------------------------------------------------


def load_catalog(path: Path = FRAMEWORK_CATALOG) -> dict[str, dict[str, str]]:
    """Citable references: "prefix:id" -> {framework, id, title}, in catalog order."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    catalog: dict[str, dict[str, str]] = {}
    for framework in data["frameworks"]:
        for entry in framework["entries"]:
            catalog[f"{framework['prefix']}:{entry['id']}"] = {
                "framework": framework["name"],
                "id": entry["id"],
                "title": entry["title"],
            }
    return catalog


# --- parsing and validation ----------------------------------------------------------------


def read_yaml(path: Path | str) -> Any:
    """Read a bank file; a YAML syntax error becomes a BankError naming the file and line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise BankError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise BankError([f"{path}: not valid YAML ({exc})"]) from exc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class _Checker:
    def __init__(self, catalog: dict[str, dict[str, str]]):
        self.catalog = catalog
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def refs(self, where: str, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "frameworks must be a list of references such as 'csf:PR.AA-05'")
            return []
        for ref in value:
            if ref not in self.catalog:
                self.fail(where, f"unknown framework reference {ref!r}")
        # A set in meaning: kept in catalog order, so a bank read back from the database
        # (where references have no order) compiles to the same document.
        order = {ref: position for position, ref in enumerate(self.catalog)}
        return sorted(set(value), key=lambda ref: order.get(ref, len(order)))

    def condition(
        self, where: str, value: Any, choices: dict[str, list[str]], unknown="unknown question"
    ) -> dict | None:
        """Check a condition against the questions in `choices` (key -> its choice keys)."""
        # Shape and depth first, without recursion: a condition nested hundreds deep must get
        # a clear refusal, not exhaust the stack.
        problem = condition_problem(value, where)
        if problem is not None:
            self.problems.append(problem)
            return None
        return self._condition(where, value, choices, unknown)

    def _condition(self, where, value, choices, unknown) -> dict | None:
        if not isinstance(value, dict):
            self.fail(where, "a condition must be a mapping")
            return None
        for op in ("all", "any"):
            if op in value:
                children = value[op]
                if set(value) != {op} or not isinstance(children, list) or not children:
                    self.fail(where, f"'{op}' must be the only key and hold a non-empty list")
                    return None
                parsed = [
                    self._condition(f"{where}.{op}[{i}]", child, choices, unknown)
                    for i, child in enumerate(children)
                ]
                return None if None in parsed else {op: parsed}
        ops = [op for op in ("in", "not_in") if op in value]
        if set(value) - {"question", "in", "not_in"} or len(ops) != 1 or "question" not in value:
            self.fail(where, "a condition needs 'question' and one of 'in' or 'not_in'")
            return None
        op, key = ops[0], value["question"]
        if key not in choices:
            self.fail(where, f"names {unknown} {key!r}")
            return None
        listed = value[op]
        if not isinstance(listed, list) or not listed:
            self.fail(where, f"'{op}' must be a non-empty list of choice keys")
            return None
        unknown = [c for c in listed if c not in choices[key]]
        if unknown:
            self.fail(where, f"names unknown choice(s) {unknown} of question {key!r}")
            return None
        return {"question": key, op: list(listed)}


def parse_bank(raw: Any, catalog: dict[str, dict[str, str]] | None = None) -> dict:
    """Validate a bank and return its normalised document, or raise BankError naming each fault."""
    catalog = load_catalog() if catalog is None else catalog
    check = _Checker(catalog)
    if not isinstance(raw, dict):
        raise BankError(["the bank must be a mapping at the top level"])

    version = raw.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        check.fail("version", "a non-empty version label is required")
    title = _text(raw.get("title")) or "IAM workflow autonomy assessment"

    dimensions = []
    raw_dimensions = raw.get("dimensions")
    if not isinstance(raw_dimensions, list) or not raw_dimensions:
        check.fail("dimensions", "a non-empty list is required")
        raw_dimensions = []
    for i, dim in enumerate(raw_dimensions):
        where = f"dimensions[{i}]"
        if not isinstance(dim, dict) or not _text(dim.get("key")):
            check.fail(where, "needs a key")
            continue
        where = f"dimension {dim['key']!r}"
        weight = dim.get("weight", 1)
        lowest, highest = DIMENSION_WEIGHT_RANGE
        if not _is_number(weight) or weight < 0:
            check.fail(where, f"weight must be a number of 0 or more, not {weight!r}")
            weight = 0
        elif not lowest <= weight <= highest:
            check.fail(where, f"weight must be from {lowest} to {highest}, not {weight!r}")
            weight = 0
        if any(d["key"] == dim["key"] for d in dimensions):
            check.fail(where, "duplicate dimension key")
        dimensions.append(
            {
                "key": dim["key"],
                "label": _text(dim.get("label")) or dim["key"],
                "description": _text(dim.get("description")),
                "weight": float(weight),
                "frameworks": check.refs(where, dim.get("frameworks")),
            }
        )
    dimension_keys = {d["key"] for d in dimensions}
    for key in CONTRACT_DIMENSIONS:
        if dimensions and key not in dimension_keys:
            check.fail("dimensions", f"contract dimension {key!r} is missing")
    if dimensions and not any(d["weight"] > 0 for d in dimensions):
        check.fail("dimensions", "at least one dimension needs a weight above 0")

    thresholds = raw.get("thresholds")
    if not isinstance(thresholds, dict):
        check.fail("thresholds", "a mapping with 'supervised' and 'owner' is required")
        thresholds = {}
    else:
        for key in ("supervised", "owner"):
            if not _is_number(thresholds.get(key)):
                check.fail(f"thresholds.{key}", f"must be a number, not {thresholds.get(key)!r}")
        extra = set(thresholds) - {"supervised", "owner"}
        if extra:
            check.fail("thresholds", f"unknown verdict(s) {sorted(extra)}")
        numbers = _is_number(thresholds.get("supervised")) and _is_number(thresholds.get("owner"))
        if numbers and not 0 <= thresholds["supervised"] < thresholds["owner"] <= 100:
            check.fail(
                "thresholds",
                "must be in order: 0 <= supervised < owner <= 100 "
                f"(got supervised={thresholds['supervised']}, owner={thresholds['owner']})",
            )

    sections = []
    choices_so_far: dict[str, list[str]] = {}
    raw_sections = raw.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        check.fail("sections", "a non-empty list is required")
        raw_sections = []
    for s, section in enumerate(raw_sections):
        where = f"sections[{s}]"
        if not isinstance(section, dict) or not _text(section.get("key")):
            check.fail(where, "needs a key")
            continue
        where = f"section {section['key']!r}"
        if any(x["key"] == section["key"] for x in sections):
            check.fail(where, "duplicate section key")
        questions = []
        raw_questions = section.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            check.fail(where, "needs a non-empty list of questions")
            raw_questions = []
        for q, question in enumerate(raw_questions):
            parsed = _parse_question(
                check, f"{where}.questions[{q}]", question, dimension_keys, choices_so_far
            )
            if parsed is not None:
                questions.append(parsed)
                choices_so_far[parsed["key"]] = [c["key"] for c in parsed["choices"]]
        sections.append(
            {
                "key": section["key"],
                "title": _text(section.get("title")) or section["key"],
                "intro": _text(section.get("intro")),
                "questions": questions,
            }
        )

    all_questions = {q["key"]: q for s in sections for q in s["questions"]}
    for key, contract_choices in CORE_CONTRACT.items():
        question = all_questions.get(key)
        if question is None:
            if key not in ADDED_IN_2026_2:
                check.fail("sections", f"core question {key!r} is missing")
            continue
        if not question["core"]:
            check.fail(f"question {key!r}", "is a core question and must have core: true")
        missing = [c for c in contract_choices if c not in choices_so_far[key]]
        if missing:
            check.fail(f"question {key!r}", f"core choice(s) {missing} are missing")

    rules = []
    raw_rules = raw.get("rules") or []
    if not isinstance(raw_rules, list):
        check.fail("rules", "must be a list")
        raw_rules = []
    for r, rule in enumerate(raw_rules):
        where = f"rules[{r}]"
        if not isinstance(rule, dict) or not _text(rule.get("id")):
            check.fail(where, "needs an id")
            continue
        where = f"rule {rule['id']!r}"
        if any(x["id"] == rule["id"] for x in rules):
            check.fail(where, "duplicate rule id")
        if rule.get("cap") not in scoring.VERDICTS[:-1]:
            check.fail(
                where, f"cap must be one of {list(scoring.VERDICTS[:-1])}, not {rule.get('cap')!r}"
            )
        if not _text(rule.get("reason")):
            check.fail(where, "needs a reason a reviewer can read")
        when = check.condition(f"{where}.when", rule.get("when"), choices_so_far)
        rules.append(
            {
                "id": rule["id"],
                "cap": rule.get("cap"),
                "reason": _text(rule.get("reason")),
                "when": when,
                "frameworks": check.refs(where, rule.get("frameworks")),
            }
        )

    conditions = []
    for c, condition in enumerate(raw.get("ownership_conditions") or []):
        where = f"ownership_conditions[{c}]"
        if not isinstance(condition, dict) or not _text(condition.get("id")):
            check.fail(where, "needs an id")
            continue
        parsed = {
            "id": condition["id"],
            "title": _text(condition.get("title")) or condition["id"],
            "when": check.condition(f"{where}.when", condition.get("when"), choices_so_far),
        }
        if _text(condition.get("reason")):
            parsed["reason"] = _text(condition["reason"])
        conditions.append(parsed)

    _mark_scope(check, raw.get("scope"), all_questions)
    for question in all_questions.values():
        _check_reachable(check, question, all_questions)

    baseline = check.refs("baseline_frameworks", raw.get("baseline_frameworks"))
    notes = _framework_notes(check, raw.get("framework_notes"))

    if check.problems:
        raise BankError(check.problems)

    used = set(baseline)
    used.update(ref for d in dimensions for ref in d["frameworks"])
    used.update(ref for q in all_questions.values() for ref in q["frameworks"])
    used.update(ref for rule in rules for ref in rule["frameworks"])
    return {
        "version": str(version).strip(),
        "title": title,
        "description": _text(raw.get("description")),
        "dimensions": dimensions,
        "thresholds": {
            "supervised": float(thresholds["supervised"]),
            "owner": float(thresholds["owner"]),
        },
        "sections": sections,
        "rules": rules,
        "ownership_conditions": conditions,
        # How the engine reads this bank (see build_model): snapshots of records signed off
        # before these existed lack them and are read as they were signed.
        "binding_conditions": True,
        "follow_ups_assumed_riskiest": True,
        "baseline_frameworks": baseline,
        # Resolved titles, in catalog order, so a stored document needs no catalog to render.
        "frameworks": {
            ref: {**entry, "note": notes[ref]} if ref in notes else entry
            for ref, entry in catalog.items()
            if ref in used
        },
    }


def _mark_scope(check: _Checker, listed: Any, questions: dict[str, dict]) -> None:
    """A top-level `scope: [keys]` marks questions as scope, like `scope: true` on each."""
    if listed is None:
        return
    if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
        check.fail("scope", "must be a list of question keys")
        return
    for key in listed:
        if key not in questions:
            check.fail("scope", f"names unknown question {key!r}")
        else:
            questions[key]["scope"] = True


def _framework_notes(check: _Checker, raw: Any) -> dict[str, str]:
    """Why a reference is cited, where its title alone would mislead (ref -> note)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.fail("framework_notes", "must map references to notes")
        return {}
    notes = {}
    for ref, note in raw.items():
        if ref not in check.catalog:
            check.fail("framework_notes", f"unknown framework reference {ref!r}")
        elif not _text(note):
            check.fail(f"framework_notes.{ref}", "needs a note")
        else:
            notes[ref] = _text(note)
    return notes


# A show-if condition touches a handful of questions; checking every combination of their
# choices is exact and cheap up to this many combinations.
_REACHABLE_LIMIT = 100_000


def _check_reachable(check: _Checker, question: dict, questions: dict[str, dict]) -> None:
    """A follow-up whose show-if can never hold would never be asked: refuse it."""
    if not question["show_if"]:
        return
    condition = _condition(question["show_if"])
    keys = sorted(condition.questions())
    options = [[c["key"] for c in questions[k]["choices"]] for k in keys]
    if math.prod(len(o) for o in options) > _REACHABLE_LIMIT:
        return
    for combination in itertools.product(*options):
        if condition.matches(dict(zip(keys, combination, strict=True))):
            return
    check.fail(
        f"question {question['key']!r}.show_if",
        "can never hold for any combination of answers, so the question would never be asked",
    )


def _parse_question(check, where, question, dimension_keys, earlier) -> dict | None:
    if not isinstance(question, dict) or not _text(question.get("key")):
        check.fail(where, "needs a key")
        return None
    key = question["key"]
    where = f"question {key!r}"
    if key in earlier:
        check.fail(where, "duplicate question key")
    if not _text(question.get("text")):
        check.fail(where, "needs text")
    core = question.get("core", False)
    if not isinstance(core, bool):
        check.fail(where, "core must be true or false")
        core = False
    scope = question.get("scope", False)
    if not isinstance(scope, bool):
        check.fail(where, "scope must be true or false")
        scope = False
    show_if = None
    if question.get("show_if") is not None:
        if core:
            check.fail(where, "a core question is always asked and cannot have show_if")
        # Only earlier questions: a follow-up is asked after the answer it depends on.
        show_if = check.condition(
            f"{where}.show_if", question["show_if"], earlier, "a question not asked before it:"
        )
    choices = []
    raw_choices = question.get("choices")
    if not isinstance(raw_choices, list) or len(raw_choices) < 2:
        check.fail(where, "needs at least two choices")
        raw_choices = []
    for c, choice in enumerate(raw_choices):
        if not isinstance(choice, dict) or not _text(choice.get("key")):
            check.fail(f"{where}.choices[{c}]", "needs a key")
            continue
        cwhere = f"{where} choice {choice['key']!r}"
        if any(x["key"] == choice["key"] for x in choices):
            check.fail(cwhere, "duplicate choice key")
        weights = choice.get("weights") or {}
        if not isinstance(weights, dict):
            check.fail(cwhere, "weights must map dimension keys to numbers")
            weights = {}
        clean = {}
        for dim, points in weights.items():
            if dim not in dimension_keys:
                check.fail(cwhere, f"weight names unknown dimension {dim!r}")
            elif not _is_number(points):
                check.fail(cwhere, f"weight on {dim!r} must be a number, not {points!r}")
            elif not POINTS_RANGE[0] <= points <= POINTS_RANGE[1]:
                check.fail(
                    cwhere,
                    f"weight on {dim!r} must be from {POINTS_RANGE[0]} to {POINTS_RANGE[1]}, "
                    f"not {points!r}",
                )
            else:
                clean[dim] = float(points)
        label = _text(choice.get("label"))
        if isinstance(choice.get("label"), bool):
            check.fail(cwhere, "label was read as true/false: put Yes or No in quotes")
        elif not label:
            check.fail(cwhere, "needs a label a reviewer can read")
        elif label in (str(choice["key"]), str(choice["key"]).replace("_", " ")):
            check.fail(cwhere, f"label {label!r} only repeats the key; write what it means")
        choices.append({"key": choice["key"], "label": label or choice["key"], "weights": clean})
    parsed = {
        "key": key,
        "text": _text(question.get("text")),
        "help": _text(question.get("help")),
        "control": _text(question.get("control")),
        "core": core,
        "show_if": show_if,
        "frameworks": check.refs(where, question.get("frameworks")),
        "choices": choices,
    }
    if scope:  # only when set, so documents stored before scope existed keep their hash
        parsed["scope"] = True
    return parsed


def load_bank_file(path: Path | str = DEFAULT_BANK) -> dict:
    return parse_bank(read_yaml(path))


# --- compiling a document for the engine ---------------------------------------------------


def document_hash(document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _condition(data: dict) -> scoring.Condition:
    for op in ("all", "any"):
        if op in data:
            return scoring.Condition(op=op, children=tuple(_condition(c) for c in data[op]))
    op = "in" if "in" in data else "not_in"
    return scoring.Condition(op=op, question=data["question"], choices=frozenset(data[op]))


def build_model(document: dict, *, frozen: bool = False) -> scoring.ScoringModel:
    """The engine's frozen model for a document (cached: documents are compiled often).

    Conditions for ownership are binding and shown follow-ups left unanswered count at their
    riskiest for every version a draft is scored against, 2026.1 included: no verdict may
    contradict the reference article. A `frozen` document is the snapshot of a submitted or
    approved record: one taken before 2026.2 lacks those flags and is read as it was signed.
    """
    return _build_model_cached(json.dumps(document, sort_keys=True), frozen)


@lru_cache(maxsize=64)
def _build_model_cached(canonical: str, frozen: bool) -> scoring.ScoringModel:
    document = json.loads(canonical)
    questions = tuple(
        scoring.Question(
            key=q["key"],
            text=q["text"],
            choices=tuple(scoring.Choice(c["key"], c["label"], c["weights"]) for c in q["choices"]),
            core=q["core"],
            show_if=_condition(q["show_if"]) if q["show_if"] else None,
            control=q["control"],
            frameworks=tuple(q["frameworks"]),
            scope=q.get("scope", False) or q["key"] in CONTRACT_SCOPE,
        )
        for section in document["sections"]
        for q in section["questions"]
    )
    return scoring.ScoringModel(
        version=document["version"],
        dimensions=tuple(
            scoring.Dimension(d["key"], d["label"], d["weight"]) for d in document["dimensions"]
        ),
        questions=questions,
        rules=tuple(
            scoring.Rule(
                r["id"], r["cap"], r["reason"], _condition(r["when"]), tuple(r["frameworks"])
            )
            for r in document["rules"]
        ),
        thresholds=document["thresholds"],
        frameworks={
            ref: scoring.FrameworkRef(ref, e["framework"], e["id"], e["title"], e.get("note", ""))
            for ref, e in document["frameworks"].items()
        },
        baseline_frameworks=tuple(document["baseline_frameworks"]),
        ownership_conditions=tuple(
            _ownership_condition(c, questions) for c in document["ownership_conditions"]
        ),
        binding_conditions=document.get("binding_conditions", not frozen),
        follow_ups_assumed_riskiest=document.get("follow_ups_assumed_riskiest", not frozen),
    )


def _ownership_condition(data: dict, questions) -> scoring.OwnershipCondition:
    """A condition for ownership; its binding rule cites the references of its questions."""
    when = _condition(data["when"])
    involved = when.questions()
    refs = dict.fromkeys(ref for q in questions if q.key in involved for ref in q.frameworks)
    return scoring.OwnershipCondition(
        data["id"], data["title"], when, data.get("reason", ""), tuple(refs)
    )


# Compiled versions, by content hash: a version's document never changes without its hash, so
# a request that already knows the hash needs neither the document's JSON nor a recompile.
_COMPILED: OrderedDict[str, tuple[dict, scoring.ScoringModel]] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
_COMPILED_MAX = 32


def compiled(content_hash: str, load: Callable[[], dict]) -> tuple[dict, scoring.ScoringModel]:
    """(document, model) for a stored version; `load` fetches the document on a cache miss."""
    with _COMPILED_LOCK:
        if content_hash in _COMPILED:
            _COMPILED.move_to_end(content_hash)
            return _COMPILED[content_hash]
    document = load()
    entry = (document, build_model(document))
    with _COMPILED_LOCK:
        _COMPILED[content_hash] = entry
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    return entry
