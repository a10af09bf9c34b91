"""The portfolio's charts, as SVG markup strings marked safe: inline in the HTML page and in
WeasyPrint PDFs alike (no script, no external file, sharp in print).

- `verdict_bar_svg(counts, chart_id=...)`: one bar per verdict (Copilot, Supervised, Bounded
  ownership), each named and counted in text.
- `stacked_bars_svg(rows, chart_id=..., title=...)`: one stacked bar per row (a team, a task type,
  an environment: anything with `label` and `counts`), verdicts in the same order left to right,
  each segment's count written in it when it fits, the row's total at its end.
- `trend_svg(trend, chart_id=...)`: one stacked column per month (`TrendPoint`s), total on top.
- `missing_controls_svg(controls, chart_id=..., limit=10)`: the controls missing most often,
  a bar of the workflows each holds back and, inside it, those it alone would lift.

Every chart has a <title> and a <desc> that says its figures in words (role="img", labelled by
both), a legend in words, and colours the app uses for verdicts everywhere (app.css); nothing is
told by colour alone. The page shows a table of every chart beside it as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .figures import VERDICT_LABELS, VERDICTS, MissingControl, TrendPoint

COLOURS = {"copilot": "#842029", "supervised": "#664d03", "owner": "#0f5132"}
TEXT = "currentColor"  # the page's text colour: readable in the dark theme and in print
MUTED = "#6c757d"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
WIDTH = 640


def _counts_words(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{VERDICT_LABELS[v]} {counts.get(v, 0)}" for v in VERDICTS)


def _join(parts: Iterable[SafeString]) -> SafeString:
    """Pieces built with format_html (every text escaped), joined and still safe."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(chart_id: str, title: str, desc: str, height: int, body: SafeString) -> SafeString:
    # Presentation attributes, not a style attribute: the site's CSP refuses inline styles.
    # app.css makes it shrink with its column (.portfolio-chart); a PDF takes the width given.
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="portfolio-chart" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" '
        'aria-labelledby="{id}-title {id}-desc" id="{id}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=height,
        font=FONT,
        id=chart_id,
        title=title,
        desc=desc,
        body=body,
    )


def _legend(y: int) -> SafeString:
    parts, x = [], 0
    for verdict in VERDICTS:
        label = VERDICT_LABELS[verdict]
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                x,
                y,
                COLOURS[verdict],
                x + 16,
                y + 11,
                TEXT,
                label,
            )
        )
        x += 16 + 8 * len(label) + 24
    return _join(parts)


def verdict_bar_svg(counts: Mapping[str, int], *, chart_id: str = "verdict-mix") -> SafeString:
    """Workflows at each verdict: a labelled bar per verdict."""
    total = sum(counts.get(v, 0) for v in VERDICTS)
    top = max([counts.get(v, 0) for v in VERDICTS] + [1])
    label_w, bar_w, row_h = 150, WIDTH - 150 - 90, 30
    parts = []
    for i, verdict in enumerate(VERDICTS):
        n = counts.get(verdict, 0)
        y = i * row_h + 4
        width = round(bar_w * n / top)
        share = f" ({round(100 * n / total)}%)" if total else ""
        parts.append(
            format_html(
                '<text x="0" y="{ty}" font-size="13" fill="{text}">{label}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="20" fill="{fill}"/>'
                '<text x="{nx}" y="{ty}" font-size="13" fill="{text}">{n}{share}</text>',
                ty=y + 15,
                text=TEXT,
                label=VERDICT_LABELS[verdict],
                x=label_w,
                y=y,
                w=max(width, 1 if n else 0),
                fill=COLOURS[verdict],
                nx=label_w + width + 6,
                n=n,
                share=share,
            )
        )
    desc = f"{total} workflows in force: {_counts_words(counts)}."
    return _svg(chart_id, "Workflows by verdict", desc, len(VERDICTS) * row_h + 8, _join(parts))


def stacked_bars_svg(
    rows: Iterable, *, chart_id: str = "breakdown", title: str = "Workflows by verdict"
) -> SafeString:
    """A stacked bar per row (`row.label`, `row.counts`), verdicts in the legend's order."""
    rows = list(rows)
    label_w, row_h, top_pad = 170, 28, 26
    bar_w = WIDTH - label_w - 50
    biggest = max([sum(r.counts.get(v, 0) for v in VERDICTS) for r in rows] + [1])
    parts = [_legend(0)]
    words = []
    for i, row in enumerate(rows):
        y = top_pad + i * row_h
        label = row.label if len(row.label) <= 24 else row.label[:23] + "…"
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12" fill="{}"><title>{}</title>{}</text>',
                y + 14,
                TEXT,
                row.label,
                label,
            )
        )
        x = label_w
        total = 0
        for verdict in VERDICTS:
            n = row.counts.get(verdict, 0)
            total += n
            width = round(bar_w * n / biggest)
            if not n:
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="20" fill="{}"/>',
                    x,
                    y,
                    max(width, 1),
                    COLOURS[verdict],
                )
            )
            if width >= 8 * len(str(n)) + 6:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="11" fill="#fff" text-anchor="middle">'
                        "{}</text>",
                        x + width // 2,
                        y + 14,
                        n,
                    )
                )
            x += width
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>', x + 6, y + 14, TEXT, total
            )
        )
        words.append(f"{row.label}: {_counts_words(row.counts)}")
    if not rows:
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12" fill="{}">No workflows.</text>',
                top_pad + 14,
                MUTED,
            )
        )
    desc = "; ".join(words) + "." if words else "No workflows."
    height = top_pad + max(len(rows), 1) * row_h
    return _svg(chart_id, title, desc, height, _join(parts))


def trend_svg(trend: Sequence[TrendPoint], *, chart_id: str = "trend") -> SafeString:
    """Workflows in force at each month end, a stacked column per month."""
    points = list(trend)
    top_pad, bottom, plot_h = 40, 24, 160
    biggest = max([p.total for p in points] + [1])
    slot = (WIDTH - 10) / max(len(points), 1)
    col_w = min(48, slot * 0.7)
    parts = [_legend(0)]
    for i, point in enumerate(points):
        cx = 10 + slot * i + slot / 2
        y = top_pad + plot_h
        for verdict in VERDICTS:
            n = point.counts.get(verdict, 0)
            if not n:
                continue
            h = plot_h * n / biggest
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    round(cx - col_w / 2, 1),
                    round(y, 1),
                    round(col_w, 1),
                    round(max(h, 1), 1),
                    COLOURS[verdict],
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text>',
                round(cx, 1),
                round(y - 4, 1),
                TEXT,
                point.total,
                round(cx, 1),
                top_pad + plot_h + 16,
                TEXT,
                point.on.strftime("%b %Y"),
            )
        )
    desc = "; ".join(f"{p.on.isoformat()}: {_counts_words(p.counts)}" for p in points) + "."
    return _svg(
        chart_id,
        "Workflows in force at each month end",
        desc,
        top_pad + plot_h + bottom,
        _join(parts),
    )


def missing_controls_svg(
    controls: Sequence[MissingControl], *, chart_id: str = "missing-controls", limit: int = 10
) -> SafeString:
    """The controls missing most often: workflows held back, and those it alone would lift."""
    shown = list(controls)[:limit]
    label_w, row_h, top_pad = 260, 28, 26
    bar_w = WIDTH - label_w - 90
    biggest = max([c.held_back for c in shown] + [1])
    parts = [
        format_html(
            '<rect x="0" y="0" width="12" height="12" fill="{}"/>'
            '<text x="16" y="11" font-size="12" fill="{}">held back</text>'
            '<rect x="110" y="0" width="12" height="12" fill="{}"/>'
            '<text x="126" y="11" font-size="12" fill="{}">would move up if fixed alone</text>',
            MUTED,
            TEXT,
            COLOURS["owner"],
            TEXT,
        )
    ]
    for i, control in enumerate(shown):
        y = top_pad + i * row_h
        label = control.label if len(control.label) <= 40 else control.label[:39] + "…"
        held = round(bar_w * control.held_back / biggest)
        up = round(bar_w * control.would_move_up / biggest)
        parts.append(
            format_html(
                '<text x="0" y="{ty}" font-size="12" fill="{text}">'
                "<title>{full}</title>{label}</text>"
                '<rect x="{x}" y="{y}" width="{held}" height="20" fill="{muted}"/>'
                '<rect x="{x}" y="{uy}" width="{up}" height="12" fill="{green}"/>'
                '<text x="{nx}" y="{ty}" font-size="12" fill="{text}">{n} ({m} up)</text>',
                ty=y + 14,
                text=TEXT,
                full=control.label,
                label=label,
                x=label_w,
                y=y,
                held=max(held, 1),
                muted=MUTED,
                uy=y + 4,
                up=up,
                green=COLOURS["owner"],
                nx=label_w + held + 6,
                n=control.held_back,
                m=control.would_move_up,
            )
        )
    words = [
        f"{c.label}: holds back {c.held_back}, fixing it alone lifts {c.would_move_up}"
        for c in shown
    ]
    desc = "; ".join(words) + "." if words else "No control holds a workflow back."
    height = top_pad + max(len(shown), 1) * row_h
    return _svg(chart_id, "Controls missing most often", desc, height, _join(parts))


__all__ = ["missing_controls_svg", "stacked_bars_svg", "trend_svg", "verdict_bar_svg"]
