"""The studio's words for a bank document: conditions as sentences, and what two versions differ in.

Plain functions over compiled documents (see `bank.parse_bank`), no ORM, so the version page,
the changes page and the tests read the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .scoring import VERDICT_LABELS


def subject(question: dict) -> str:
    """A short name for a question in a sentence: its key in words ("approval chain")."""
    return question["key"].replace("_", " ")


def questions_of(document: dict) -> dict[str, dict]:
    return {q["key"]: q for s in document["sections"] for q in s["questions"]}


def condition_words(condition: dict | None, document: dict) -> str:
    """A condition as words: 'approval chain is “Unclear”', joined by 'and' / 'or'."""
    if not condition:
        return "always"
    questions = questions_of(document)
    for op, joiner in (("all", " and "), ("any", " or ")):
        if op in condition:
            parts = [condition_words(child, document) for child in condition[op]]
            if any(("all" in c or "any" in c) for c in condition[op]):
                parts = [f"({part})" for part in parts]
            return joiner.join(parts)
    question = questions.get(condition["question"])
    op = "in" if "in" in condition else "not_in"
    if question is None:
        return f"{condition['question']} {'is' if op == 'in' else 'is not'} {condition[op]}"
    labels = {c["key"]: c["label"] for c in question["choices"]}
    named = " or ".join(f"“{labels.get(key, key)}”" for key in condition[op])
    return f"{subject(question)} {'is' if op == 'in' else 'is not'} {named}"


def rule_kind(rule: dict) -> tuple[str, str]:
    """('cap' or 'floor', the level's key) of a rule of a document."""
    kind = "floor" if "floor" in rule else "cap"
    return kind, rule.get(kind)


def rule_effect(rule: dict) -> str:
    """'cap at Copilot' or 'lifts the verdict to at least Supervised'."""
    kind, level = rule_kind(rule)
    label = VERDICT_LABELS.get(level, level)
    return f"lifts the verdict to at least {label}" if kind == "floor" else f"cap at {label}"


def rule_sentence(rule: dict, document: dict) -> str:
    """'When approval chain is “Unclear”, cap at Copilot.', or for a floor 'Lifts the verdict
    to at least Supervised when approval chain is “Codified”.'"""
    when = condition_words(rule["when"], document)
    if rule_kind(rule)[0] == "floor":
        effect = rule_effect(rule)
        return f"{effect[0].upper()}{effect[1:]} when {when}."
    return f"When {when}, {rule_effect(rule)}."


@dataclass(frozen=True)
class Difference:
    area: str  # Thresholds, Dimension weights, Questions, Choices, Rules, Conditions
    item: str  # what it is, in words
    field: str
    before: str
    after: str


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value) or "(empty)"


class _Differ:
    def __init__(self, before: dict, after: dict):
        self.before, self.after = before, after
        self.found: list[Difference] = []

    def field(self, area, item, name, old, new, words=_text):
        if old != new:
            self.found.append(Difference(area, item, name, words(old), words(new)))

    def condition(self, area, item, name, old, new):
        """A changed condition, in words read against each version's own questions."""
        if old != new:
            self.found.append(
                Difference(
                    area,
                    item,
                    name,
                    condition_words(old, self.before),
                    condition_words(new, self.after),
                )
            )

    def presence(self, area, item, old, new) -> bool:
        """Records an item added or removed; True when both versions have it."""
        if old is None or new is None:
            self.found.append(
                Difference(
                    area,
                    item,
                    "",
                    "(absent)" if old is None else "present",
                    "(removed)" if new is None else "added",
                )
            )
            return False
        return True


def differences(published: dict, draft: dict) -> list[Difference]:
    """Every text, weight, rule, threshold and condition in which `draft` differs."""
    d = _Differ(published, draft)
    for verdict in ("supervised", "owner"):
        d.field(
            "Thresholds",
            VERDICT_LABELS[verdict],
            "starts at score",
            published["thresholds"].get(verdict),
            draft["thresholds"].get(verdict),
        )
    _dimensions(d, published, draft)
    _questions(d, published, draft)
    _rules(d, published, draft)
    _conditions(d, published, draft)
    return d.found


def _by_key(items: list[dict], key: str = "key") -> dict[str, dict]:
    return {item[key]: item for item in items}


def _keys(old: dict, new: dict) -> list:
    """The keys of both versions: the published order, then what the draft adds."""
    return [*old, *(k for k in new if k not in old)]


def _dimensions(d: _Differ, published: dict, draft: dict) -> None:
    old, new = _by_key(published["dimensions"]), _by_key(draft["dimensions"])
    for key in _keys(old, new):
        item = (new.get(key) or old[key])["label"]
        if d.presence("Dimension weights", item, old.get(key), new.get(key)):
            d.field("Dimension weights", item, "weight", old[key]["weight"], new[key]["weight"])
            d.field("Dimension weights", item, "label", old[key]["label"], new[key]["label"])


def _questions(d: _Differ, published: dict, draft: dict) -> None:
    old, new = questions_of(published), questions_of(draft)
    for key in _keys(old, new):
        if not d.presence("Questions", key, old.get(key), new.get(key)):
            continue
        o, n = old[key], new[key]
        for name, label in (("text", "text"), ("help", "help"), ("control", "control")):
            d.field("Questions", key, label, o[name], n[name])
        d.field("Questions", key, "scope", o.get("scope", False), n.get("scope", False))
        d.field("Questions", key, "optional", o.get("optional", False), n.get("optional", False))
        d.condition("Questions", key, "asked when", o["show_if"], n["show_if"])
        _choices(d, key, o, n)


def _choices(d: _Differ, question: str, old: dict, new: dict) -> None:
    olds, news = _by_key(old["choices"]), _by_key(new["choices"])
    for key in _keys(olds, news):
        item = f"{question} = {key}"
        if not d.presence("Choices", item, olds.get(key), news.get(key)):
            continue
        d.field("Choices", item, "label", olds[key]["label"], news[key]["label"])
        for dim in _keys(olds[key]["weights"], news[key]["weights"]):
            d.field(
                "Choices",
                item,
                f"points on {dim}",
                olds[key]["weights"].get(dim),
                news[key]["weights"].get(dim),
            )


def _rules(d: _Differ, published: dict, draft: dict) -> None:
    old, new = _by_key(published["rules"], "id"), _by_key(draft["rules"], "id")
    for key in _keys(old, new):
        if not d.presence("Rules", key, old.get(key), new.get(key)):
            continue
        o, n = old[key], new[key]
        d.field("Rules", key, "effect", rule_effect(o), rule_effect(n))
        d.field("Rules", key, "reason", o["reason"], n["reason"])
        d.condition("Rules", key, "when", o["when"], n["when"])
        d.field("Rules", key, "frameworks", o["frameworks"], n["frameworks"])


def _conditions(d: _Differ, published: dict, draft: dict) -> None:
    old = _by_key(published["ownership_conditions"], "id")
    new = _by_key(draft["ownership_conditions"], "id")
    for key in _keys(old, new):
        if not d.presence("Conditions for ownership", key, old.get(key), new.get(key)):
            continue
        o, n = old[key], new[key]
        d.field("Conditions for ownership", key, "title", o["title"], n["title"])
        d.field("Conditions for ownership", key, "reason", o.get("reason", ""), n.get("reason", ""))
        d.condition("Conditions for ownership", key, "met when", o["when"], n["when"])


# --- search on the version page ---------------------------------------------------------------

QUERY_MAX = 100  # a search longer than any key or label finds nothing anyway


def search_query(raw: str | None) -> str:
    """The `?q=` of the version page, tidied: control characters dropped (a NUL or a newline is
    nothing anyone means to look for), spaces collapsed, cut to QUERY_MAX characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(text.split())[:QUERY_MAX]


def _hit(query: str, *texts: Any) -> bool:
    """Whether every word of `query` is in `texts` (case-insensitive; underscores and hyphens
    read as spaces, so "kill switch" finds `kill_switch` and `no-kill-switch`)."""
    haystack = _words(" ".join(str(t) for t in texts if t))
    return all(word in haystack for word in _words(query).split())


def _words(text: str) -> str:
    return text.casefold().replace("_", " ").replace("-", " ")


@dataclass
class SearchResult:
    """What the version page shows for a search, and how many items matched on their own."""

    dimensions: list[dict]
    sections: list[dict]
    rules: list[dict]
    conditions: list[dict]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def parts(self) -> str:
        """'3 questions, 7 choices, 1 rule': what matched, by kind."""
        return ", ".join(f"{n} {_NOUNS[kind][n != 1]}" for kind, n in self.counts.items() if n)


_NOUNS = {
    "dimensions": ("dimension", "dimensions"),
    "questions": ("question", "questions"),
    "choices": ("choice", "choices"),
    "rules": ("rule", "rules"),
    "conditions": ("condition for ownership", "conditions for ownership"),
}


def bank_search(
    query: str, *, dimensions: list, sections: list, rules: list, conditions: list
) -> SearchResult:
    """Filter the version page's items (dicts with the bank's `data`, as the page draws them) by
    `query`: dimensions, sections, questions (their text, help, control and when a follow-up is
    asked), choices, rules and the conditions for ownership, each by key or words.

    A question shows when it or one of its choices matches; a matching question keeps all its
    choices, otherwise only the matching choices are kept. A matching section keeps all its
    questions."""
    counts = dict.fromkeys(("dimensions", "questions", "choices", "rules", "conditions"), 0)
    dims = [d for d in dimensions if _hit(query, d["data"]["key"], d["data"]["label"])]
    counts["dimensions"] = len(dims)
    kept_sections = []
    for s in sections:
        section_hit = _hit(query, s["data"]["key"], s["data"]["title"], s["data"]["intro"])
        questions = []
        for qu in s["questions"]:
            data = qu["data"]
            question_hit = _hit(
                query, data["key"], data["text"], data["help"], data["control"], qu["show_if"]
            )
            choices = [
                c for c in qu["choices"] if _hit(query, c["data"]["key"], c["data"]["label"])
            ]
            counts["choices"] += len(choices)
            counts["questions"] += question_hit
            if question_hit or section_hit:
                questions.append({**qu, "choices_hidden": 0})
            elif choices:
                hidden = len(qu["choices"]) - len(choices)
                questions.append({**qu, "choices": choices, "choices_hidden": hidden})
        if questions:
            kept_sections.append({**s, "questions": questions})
    kept_rules = [
        r
        for r in rules
        if _hit(
            query, r["data"]["id"], r["sentence"], r["data"]["reason"], *r["data"]["frameworks"]
        )
    ]
    counts["rules"] = len(kept_rules)
    kept_conditions = [
        c
        for c in conditions
        if _hit(query, c["data"]["id"], c["data"]["title"], c["words"], c["data"].get("reason"))
    ]
    counts["conditions"] = len(kept_conditions)
    return SearchResult(dims, kept_sections, kept_rules, kept_conditions, counts)
