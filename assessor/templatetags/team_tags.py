"""Template helpers for the team members pages."""

from django import template

from assessor.teams import access

register = template.Library()


@register.filter
def team_manager(user) -> bool:
    """Whether to show the team members link: the user manages some team's members."""
    return access.manages(user)
