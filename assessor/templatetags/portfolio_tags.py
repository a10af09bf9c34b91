"""Template helpers for the portfolio."""

from django import template

from assessor.portfolio.selectors import portfolio_teams

register = template.Library()


@register.filter
def portfolio_reader(user) -> bool:
    """Whether to show the portfolio's link: an approver, auditor or team manager somewhere."""
    return portfolio_teams(user).exists()
