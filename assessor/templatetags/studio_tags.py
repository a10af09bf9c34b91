"""Template helpers for the questionnaire studio."""

from django import template

from assessor.teams import access

register = template.Library()


@register.filter
def questionnaire_admin(user) -> bool:
    """Whether to show the studio's link: the user holds the questionnaire admin role."""
    return access.bank_editor(user)
