"""What two versions of a bank document differ in, item by item, for the studio's changes page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessor.engine import VERDICT_LABELS
from assessor.studio.wording import condition_words, questions_of, rule_effect


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
