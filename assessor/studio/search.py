"""Search on a version's page: the `?q=` box that narrows the bank to the questions, choices,
rules, dimensions and conditions it names, by key or by words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
