from django import template

register = template.Library()


@register.filter
def files_for(evidence: dict, key: str) -> list:
    """The evidence files of question `key` (from `evidence_by_question`), or none."""
    return (evidence or {}).get(key, [])
