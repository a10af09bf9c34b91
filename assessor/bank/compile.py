"""From a document to the scoring engine's frozen model, cached per content hash."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from assessor import engine

from .contract import CONTRACT_SCOPE


def document_hash(document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def condition(data: dict) -> engine.Condition:
    """A checked condition of a document as the engine's Condition."""
    for op in ("all", "any"):
        if op in data:
            return engine.Condition(op=op, children=tuple(condition(c) for c in data[op]))
    op = "in" if "in" in data else "not_in"
    return engine.Condition(op=op, question=data["question"], choices=frozenset(data[op]))


def build_model(document: dict, *, frozen: bool = False) -> engine.ScoringModel:
    """The engine's frozen model for a document (cached: documents are compiled often).

    Conditions for ownership are binding and shown follow-ups left unanswered count at their
    riskiest for every version a draft is scored against, 2026.1 included: no verdict may
    contradict the reference article. A `frozen` document is the snapshot of a submitted or
    approved record: one taken before 2026.2 lacks those flags and is read as it was signed.
    """
    return _build_model_cached(json.dumps(document, sort_keys=True), frozen)


@lru_cache(maxsize=64)
def _build_model_cached(canonical: str, frozen: bool) -> engine.ScoringModel:
    document = json.loads(canonical)
    questions = tuple(
        _question(q) for section in document["sections"] for q in section["questions"]
    )
    return engine.ScoringModel(
        version=document["version"],
        dimensions=tuple(
            engine.Dimension(d["key"], d["label"], d["weight"]) for d in document["dimensions"]
        ),
        questions=questions,
        rules=tuple(
            engine.Rule(
                r["id"], r["cap"], r["reason"], condition(r["when"]), tuple(r["frameworks"])
            )
            for r in document["rules"]
            if "cap" in r
        ),
        floors=tuple(
            engine.Floor(
                r["id"], r["floor"], r["reason"], condition(r["when"]), tuple(r["frameworks"])
            )
            for r in document["rules"]
            if "floor" in r
        ),
        thresholds=document["thresholds"],
        frameworks={
            ref: engine.FrameworkRef(ref, e["framework"], e["id"], e["title"], e.get("note", ""))
            for ref, e in document["frameworks"].items()
        },
        baseline_frameworks=tuple(document["baseline_frameworks"]),
        ownership_conditions=tuple(
            _ownership_condition(c, questions) for c in document["ownership_conditions"]
        ),
        binding_conditions=document.get("binding_conditions", not frozen),
        follow_ups_assumed_riskiest=document.get("follow_ups_assumed_riskiest", not frozen),
    )


def _question(q: dict) -> engine.Question:
    return engine.Question(
        key=q["key"],
        text=q["text"],
        choices=tuple(engine.Choice(c["key"], c["label"], c["weights"]) for c in q["choices"]),
        core=q["core"],
        show_if=condition(q["show_if"]) if q["show_if"] else None,
        control=q["control"],
        frameworks=tuple(q["frameworks"]),
        scope=q.get("scope", False) or q["key"] in CONTRACT_SCOPE,
        optional=q.get("optional", False),
    )


def _ownership_condition(data: dict, questions) -> engine.OwnershipCondition:
    """A condition for ownership; its binding rule cites the references of its questions."""
    when = condition(data["when"])
    involved = when.questions()
    refs = dict.fromkeys(ref for q in questions if q.key in involved for ref in q.frameworks)
    return engine.OwnershipCondition(
        data["id"], data["title"], when, data.get("reason", ""), tuple(refs)
    )


# Compiled versions, by content hash: a version's document never changes without its hash, so
# a request that already knows the hash needs neither the document's JSON nor a recompile.
_COMPILED: OrderedDict[str, tuple[dict, engine.ScoringModel]] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
_COMPILED_MAX = 32


def compiled(content_hash: str, load: Callable[[], dict]) -> tuple[dict, engine.ScoringModel]:
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
