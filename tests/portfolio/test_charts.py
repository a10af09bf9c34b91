from datetime import date
from xml.etree import ElementTree

from assessor.portfolio import charts
from assessor.portfolio.figures import Breakdown, MissingControl, TrendPoint

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup) -> ElementTree.Element:
    # the app's own markup, not input: well-formed XML, or this raises
    return ElementTree.fromstring(str(markup))  # noqa: S314


def texts(svg) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def test_the_verdict_bar_names_and_counts_each_verdict_in_words():
    svg = parsed(charts.verdict_bar_svg({"copilot": 3, "supervised": 1, "owner": 0}))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Workflows by verdict"
    assert "Copilot 3, Supervised 1, Bounded ownership 0" in svg.find(f"{SVG}desc").text
    assert {"Copilot", "Supervised", "Bounded ownership", "3 (75%)", "0 (0%)"} <= set(texts(svg))


def test_a_stacked_bar_per_row_escapes_labels_and_shows_totals():
    rows = [
        Breakdown("1", "<script>alert(1)</script>", {"copilot": 2, "supervised": 5, "owner": 1}),
        Breakdown("2", "Team B", {"copilot": 0, "supervised": 0, "owner": 4}),
    ]
    markup = charts.stacked_bars_svg(rows, chart_id="by-team", title="By team")
    assert "<script>" not in markup
    svg = parsed(markup)
    assert svg.get("aria-labelledby") == "by-team-title by-team-desc"
    assert "8" in texts(svg) and "4" in texts(svg)  # the rows' totals
    assert "Team B: Copilot 0, Supervised 0, Bounded ownership 4" in svg.find(f"{SVG}desc").text


def test_the_trend_has_a_column_per_month_with_its_total():
    trend = [
        TrendPoint("2026-04", date(2026, 4, 30), {"copilot": 2, "supervised": 0, "owner": 1}),
        TrendPoint("2026-05", date(2026, 5, 31), {"copilot": 1, "supervised": 1, "owner": 2}),
    ]
    svg = parsed(charts.trend_svg(trend))
    assert {"Apr 2026", "May 2026", "3", "4"} <= set(texts(svg))


def test_missing_controls_say_how_many_each_would_lift():
    controls = [MissingControl("rule", "data-uneven", "Uneven data", 5, 2)]
    svg = parsed(charts.missing_controls_svg(controls))
    assert "5 (2 up)" in texts(svg)
    assert "Uneven data: holds back 5, fixing it alone lifts 2" in svg.find(f"{SVG}desc").text


def test_empty_charts_say_so():
    assert "No workflows." in texts(parsed(charts.stacked_bars_svg([])))
    assert parsed(charts.missing_controls_svg([])).find(f"{SVG}desc").text == (
        "No control holds a workflow back."
    )
