"""The board pack's PDF: the portfolio's figures and charts, a summary in plain words, the
comparison with the previous pack, and each changed workflow's one-page brief, rendered by the
record PDF's own WeasyPrint set-up (documents/pdf.py: static files only, fonts shared).

`build(pack, progress=...)` reports its progress through `progress(percent, step)` as it goes
and returns (PDF bytes, the figures as JSON), which the task stores together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from assessor import engine
from assessor.documents import pdf
from assessor.portfolio import charts
from assessor.portfolio.selectors import portfolio_figures

from . import selectors
from .models import BoardPack

Progress = Callable[[int, str], None]
LABELS = engine.VERDICT_LABELS
TOP_CONTROLS = 10
NAMED = 3  # workflows named in a sentence of the summary before "and N more"


def _day(value) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def period_words(start, end) -> str:
    return f"{_day(start)} to {_day(end)}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _names(rows: list[dict]) -> str:
    names = [f"{row['workflow']} ({row['team']})" for row in rows[:NAMED]]
    more = len(rows) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def summary(data: dict, comparison: dict) -> dict:
    """Page 2: what the board is asked to note and to decide, in plain words."""
    counts = data["verdict_mix"]["counts"]
    total = data["verdict_mix"]["total"]
    changes, review = data["changes"], data["review"]
    headline = (
        f"{_plural(total, 'workflow')} of {', '.join(data['teams'])} "
        f"{'has' if total == 1 else 'have'} an approval in force: "
        f"{counts['owner']} under bounded ownership (the agent acts on its own, within bounds), "
        f"{counts['supervised']} supervised (a person approves each change) and "
        f"{counts['copilot']} as copilot (the agent only assists)."
    )
    note = []
    moves = [
        (len(changes["new"]), "approved for the first time"),
        (len(changes["raised"]), "raised to more autonomy"),
        (len(changes["lowered"]), "lowered to less autonomy"),
    ]
    said = [f"{_plural(n, 'workflow')} {what}" for n, what in moves if n]
    note.append(
        f"In the period: {'; '.join(said)}."
        if said
        else "No workflow's verdict changed in the period."
    )
    if not comparison["first"]:
        owner = next(row for row in comparison["mix"] if row["key"] == "owner")
        note.append(
            f"Since the previous pack, workflows under bounded ownership went from "
            f"{owner['before']} to {owner['now']}."
        )
    controls = data["missing_controls"]
    if controls:
        top = controls[0]
        lifts = (
            f"putting it in place would move {top['would_move_up']} of them up a level on its own"
            if top["would_move_up"]
            else "none of them moves up on this fix alone: each also needs other controls"
        )
        note.append(
            f"The control missing most often is “{top['label']}”: it holds back "
            f"{_plural(top['held_back'], 'workflow')}; {lifts}."
        )
    mix = data["verdict_mix"]
    if mix.get("awaiting_approval") or mix.get("in_progress"):
        note.append(
            f"{_plural(mix.get('awaiting_approval', 0), 'assessment')} await approval and "
            f"{mix.get('in_progress', 0)} are being drafted or changed: they count once approved."
        )
    if review["due"]:
        note.append(f"{_plural(len(review['due']), 'approval')} fall due for review soon.")
    decide = []
    if review["lapsed"]:
        decide.append(
            f"{_plural(len(review['lapsed']), 'approval')} lapsed and must be re-reviewed or "
            f"withdrawn: {_names(review['lapsed'])}. Until then the agent has no standing "
            "approval for these workflows."
        )
    if review["overdue"]:
        overdue = len(review["overdue"])
        decide.append(
            f"{_plural(overdue, 'approval')} {'is' if overdue == 1 else 'are'} "
            f"overdue for review: {_names(review['overdue'])}. Ask their owners to re-review "
            "them, or withdraw them."
        )
    if changes["lowered"]:
        decide.append(
            f"{_plural(len(changes['lowered']), 'workflow')} lost autonomy in the period: "
            f"{_names(changes['lowered'])}. Confirm the agents now work within the lower level."
        )
    lifting = [row for row in controls if row["would_move_up"]]
    if lifting:
        best = max(lifting, key=lambda row: row["would_move_up"])
        decide.append(
            f"Whether to put “{best['label']}” in place: on its own it would move "
            f"{_plural(best['would_move_up'], 'workflow')} up a level."
        )
    return {"headline": headline, "note": note, "decide": decide}


def _delta(before: int, now: int) -> str:
    if now == before:
        return "no change"
    return f"+{now - before}" if now > before else f"−{before - now}"


def _comparable(data: dict) -> dict[str, tuple[str, int]]:
    counts, review, mix = data["verdict_mix"]["counts"], data["review"], data["verdict_mix"]
    return {
        **{key: (f"Workflows at {LABELS[key]}", counts.get(key, 0)) for key in engine.VERDICTS},
        "total": ("Workflows with an approval in force", mix.get("total", 0)),
        "due": ("Approvals due for review", len(review.get("due", ()))),
        "overdue": ("Approvals overdue", len(review.get("overdue", ()))),
        "lapsed": ("Approvals lapsed", len(review.get("lapsed", ()))),
        "awaiting": ("Assessments awaiting approval", mix.get("awaiting_approval", 0)),
    }


def comparison(data: dict, previous: BoardPack | None) -> dict:
    """What changed since the previous pack of the same teams, from its stored figures."""
    counts = data["verdict_mix"]["counts"]
    if previous is None:
        return {
            "first": True,
            "mix": [
                {"key": key, "label": LABELS[key], "now": counts.get(key, 0), "before": None}
                for key in engine.VERDICTS
            ],
            "rows": [],
        }
    then, now = _comparable(previous.figures), _comparable(data)
    rows = [
        {"label": label, "before": then[key][1], "now": value, "delta": _delta(then[key][1], value)}
        for key, (label, value) in now.items()
    ]
    before_counts = previous.figures["verdict_mix"]["counts"]
    top_then = {row["key"]: row["label"] for row in previous.figures["missing_controls"][:5]}
    top_now = {row["key"]: row["label"] for row in data["missing_controls"][:5]}
    return {
        "first": False,
        "previous_title": previous.title,
        "previous_period": period_words(previous.period_start, previous.period_end),
        "previous_issued": previous.is_issued,
        "mix": [
            {
                "key": key,
                "label": LABELS[key],
                "now": counts.get(key, 0),
                "before": before_counts.get(key, 0),
            }
            for key in engine.VERDICTS
        ],
        "rows": rows,
        "controls_new": [label for key, label in top_now.items() if key not in top_then],
        "controls_gone": [label for key, label in top_then.items() if key not in top_now],
    }


def _change_rows(rows: list[dict], lapsed: bool = False) -> list[dict]:
    def verdicts(row):
        new = LABELS.get(row["new_verdict"], row["new_verdict"])
        if lapsed:
            return f"{new}, lapsed"
        old = LABELS.get(row["old_verdict"], "")
        return f"{old} → {new}" if old else new

    return [
        {"name": r["workflow"], "team": r["team"], "verdicts": verdicts(r), "date": _day(r["on"])}
        for r in rows
    ]


def _review_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            "name": r["workflow"],
            "team": r["team"],
            "date": _day(r["review_by"]),
            "owner": r.get("business_owner") or r["owner"],
        }
        for r in rows
    ]


def appendix_ids(data: dict) -> list[int]:
    """The records whose brief the appendix gives: every workflow new, raised, lowered or
    lapsed in the period, once each."""
    changes = data["changes"]
    rows = [row for kind in ("new", "raised", "lowered", "lapsed") for row in changes[kind]]
    return list(dict.fromkeys(row["assessment_id"] for row in rows))


def _charts(figures) -> list[dict]:
    found = [
        {
            "title": "Workflows by verdict",
            "svg": charts.verdict_bar_svg(figures.verdict_mix.counts, chart_id="pack-mix"),
        }
    ]
    if figures.trend:
        found.append(
            {
                "title": "Over the period",
                "svg": charts.trend_svg(figures.trend, chart_id="pack-trend"),
                "note": "Workflows by verdict in force at the end of each month.",
            }
        )
    if len(figures.by_team) > 1:
        found.append(
            {
                "title": "By team",
                "svg": charts.stacked_bars_svg(
                    figures.by_team, chart_id="pack-teams", title="Workflows by team and verdict"
                ),
            }
        )
    if figures.missing_controls:
        found.append(
            {
                "title": "The controls missing most often",
                "svg": charts.missing_controls_svg(
                    figures.missing_controls, chart_id="pack-controls", limit=TOP_CONTROLS
                ),
            }
        )
    return found


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def build(pack: BoardPack, *, progress: Progress) -> tuple[bytes, dict]:
    progress(2, "Reading the portfolio's figures")
    teams = list(pack.teams.order_by("name"))
    today = timezone.localdate()
    figures = portfolio_figures(
        teams=teams, start=pack.period_start, end=pack.period_end, today=today
    )
    data = figures.as_json()
    progress(10, "Drawing the charts")
    drawn = _charts(figures)
    progress(15, "Comparing with the previous pack")
    compared = comparison(data, selectors.boardpack_previous(pack))
    ids = appendix_ids(data)
    records = selectors.appendix_records(ids)
    briefs = []
    for number, record in enumerate(records, start=1):
        progress(
            20 + 55 * (number - 1) // max(len(records), 1),
            f"Brief {number} of {len(records)}: {record.name}",
        )
        context = pdf.pdf_context(record, generated_by=pack.requested_by)
        # rendered (and escaped) by the template engine: a SafeString the pack includes as is
        briefs.append(render_to_string("assessor/boardpacks/_appendix_brief.html", context))
    progress(80, "Laying out the PDF")
    issued = pack.issued_at is not None
    mark = (
        f"ISSUED by {_who(pack.issued_by)} on {_day(timezone.localdate(pack.issued_at))}"
        if issued
        else "DRAFT: not issued"
    )
    html = render_to_string(
        "assessor/boardpacks/pack_pdf.html",
        {
            "pack": pack,
            "issued": issued,
            "issuer": _who(pack.issued_by),
            "mark": mark,
            "author": _who(pack.requested_by),
            "teams": [team.name for team in teams],
            "period": period_words(pack.period_start, pack.period_end),
            "today": today,
            "figures": figures,
            "generated_at": timezone.now(),
            "page_size": pdf.page_size(),
            "summary": summary(data, compared),
            "comparison": compared,
            "charts": drawn,
            "changes": [
                {"title": "New workflows", "rows": _change_rows(data["changes"]["new"])},
                {"title": "Raised", "rows": _change_rows(data["changes"]["raised"])},
                {"title": "Lowered", "rows": _change_rows(data["changes"]["lowered"])},
                {"title": "Lapsed", "rows": _change_rows(data["changes"]["lapsed"], lapsed=True)},
            ],
            "review": [
                {"title": "Lapsed", "rows": _review_rows(data["review"]["lapsed"])},
                {"title": "Overdue", "rows": _review_rows(data["review"]["overdue"])},
                {"title": "Due", "rows": _review_rows(data["review"]["due"])},
            ],
            "controls": [
                {"label": row["label"], "held": row["held_back"], "lift": row["would_move_up"]}
                for row in data["missing_controls"][:TOP_CONTROLS]
            ],
            "briefs": briefs,
            "appendix": [
                {"name": r.name, "team": r.team.name, "verdict": LABELS.get(r.verdict, "")}
                for r in records
            ],
        },
    )
    content = pdf.render_pdf(html)
    progress(97, "Storing the PDF")
    return content, data
