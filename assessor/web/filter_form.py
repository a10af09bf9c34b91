"""The filter form above a list (the dashboard's assessments, the register's agents), as data
for templates/assessor/_filter_form.html: one markup for both pages, each naming its fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEARCH, SELECT, CHECKBOX = "search", "select", "checkbox"


@dataclass(frozen=True)
class FilterField:
    name: str  # the query parameter; the control's id is filter-<name>
    label: str
    value: str = ""  # the value now in the address ("" for none; "1" for a ticked box)
    kind: str = SELECT
    options: tuple[tuple[str, str], ...] = ()  # (value, label) after the "any" option
    any_label: str = ""  # the first option, which filters nothing
    width: int = 2  # Bootstrap columns from the md breakpoint on (a checkbox takes a row)


def select(
    name: str, label: str, value, options: Iterable[tuple[object, str]], *, any_label: str, width=2
) -> FilterField:
    """A select whose options and current value are compared as the text the address carries."""
    return FilterField(
        name=name,
        label=label,
        value="" if value is None else str(value),
        options=tuple((str(key), str(text)) for key, text in options),
        any_label=any_label,
        width=width,
    )
