"""The portfolio page (`/portfolio/`): thin. The teams come from `selectors.portfolio_teams`
(403 for a person who reads no team's portfolio), the filters from one form shared with the
API (a bad one: 400 with the form's errors), the figures from `selectors.portfolio_figures`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import charts, selectors
from .filters import PortfolioFilters

ROWS_SHOWN = 50  # per list on the page; the API and the board pack carry every row
NOT_A_READER = "The portfolio is for a team's approvers, auditors and team managers."


def filters_for(user, params) -> PortfolioFilters:
    teams = selectors.portfolio_teams(user)
    if not teams:
        raise PermissionDenied(NOT_A_READER)
    return PortfolioFilters(params, teams=teams, scope_choices=selectors.scope_choices())


@require_GET
def portfolio(request):
    form = filters_for(request.user, request.GET)
    if not form.is_valid():
        context = {"form": form, "figures": None}
        return render(request, "assessor/portfolio/portfolio.html", context, status=400)
    figures = selectors.portfolio_figures(**form.figures_arguments(), rows_limit=ROWS_SHOWN)
    context = {
        "form": form,
        "figures": figures,
        "rows_shown": ROWS_SHOWN,
        "charts": {
            "mix": charts.verdict_bar_svg(figures.verdict_mix.counts),
            "team": charts.stacked_bars_svg(
                figures.by_team, chart_id="by-team", title="Workflows by team and verdict"
            ),
            "task": charts.stacked_bars_svg(
                figures.by_task_type, chart_id="by-task", title="Workflows by task type and verdict"
            ),
            "env": charts.stacked_bars_svg(
                figures.by_environment,
                chart_id="by-environment",
                title="Workflows by environment and verdict",
            ),
            "trend": charts.trend_svg(figures.trend),
            "missing": charts.missing_controls_svg(figures.missing_controls),
        },
    }
    return render(request, "assessor/portfolio/portfolio.html", context)
