"""The verdicts' words in templates, from the one mapping the scoring engine uses."""

from django import template

from assessor.engine import VERDICT_LABELS

register = template.Library()


@register.filter
def verdict_label(key: str) -> str:
    """'owner' -> 'Bounded ownership': a verdict's or a rule cap's label (a key it does not
    know is shown as it is)."""
    return VERDICT_LABELS.get(key, key)
