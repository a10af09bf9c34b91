"""Template helpers for the portfolio."""

from django import template

from assessor.portfolio.selectors import portfolio_teams

register = template.Library()


@register.filter
def portfolio_reader(user) -> bool:
    """Whether to show the portfolio's link: an approver, auditor or team manager somewhere.
    The session's user carries the answer (teams.auth annotates it); others ask."""
    if user.is_superuser:
        return True
    known = getattr(user, "reads_portfolio", None)
    return known if known is not None else portfolio_teams(user).exists()
