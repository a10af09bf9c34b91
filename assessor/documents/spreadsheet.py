"""The dashboard as a spreadsheet (CSV or XLSX): one row per record, its result spelled out.

Text from users (a workflow named "=HYPERLINK(...)") must never run in the reader's
spreadsheet: a cell that starts like a formula (=, +, -, @, tab, carriage return, or the
full-width ＝ ＋ － ＠ that spreadsheets in East Asian locales read as formula signs too) gets
a leading single quote, and XLSX cells are written as strings, never as formulas.

The XLSX is built to be worked in: each record's id and a link to its report, dates as real
date cells (sortable, filterable), an autofilter on the header row, which stays in view, and
columns as wide as their content (up to a cap).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from assessor.models import Assessment, Decision
from assessor.oversight.selectors import review_status
from assessor.records import selectors
from assessor.records.validators import without_forbidden_characters

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
# Column widths in characters: fitted to the longest value, within these bounds.
MIN_WIDTH, MAX_WIDTH = 6, 60
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralised(value):
    """A cell value that no spreadsheet will evaluate; numbers and empty cells pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _records(assessments: QuerySet[Assessment]) -> list[Assessment]:
    """The records with everything a row needs, in a fixed number of queries."""
    decisions = Decision.objects.select_related("actor").order_by("created_at", "id")
    related = ("team", "owner", "questionnaire", "review_cycle", "agent", "agent__owner")
    return list(
        assessments.select_related(*related).prefetch_related(
            "answers", Prefetch("decisions", queryset=decisions)
        )
    )


def _result(assessment: Assessment) -> dict:
    """The frozen result once submitted, else the result of the answers as they stand."""
    if assessment.snapshot_result:
        return assessment.snapshot_result
    choices = {a.question_key: a.choice_key for a in assessment.answers.all()}
    return selectors.evaluate(assessment, choices, plan=False).to_dict()


def _last(assessment: Assessment, action: str) -> Decision | None:
    found = [d for d in assessment.decisions.all() if d.action == action]
    return found[-1] if found else None


def _local(value: datetime | None) -> datetime | None:
    """The time as the reader's clock shows it, without a zone (spreadsheets keep none)."""
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value else None


def _dimensions(records: list[Assessment]) -> list[tuple[str, str]]:
    """(key, label) of every dimension the records are scored on, in the bank's order."""
    seen: dict[str, str] = {}
    for assessment in records:
        for dimension in assessment.document["dimensions"]:
            seen.setdefault(dimension["key"], dimension["label"])
    return list(seen.items())


def table(assessments: QuerySet[Assessment], link: Callable[[str], str] = str) -> list[list]:
    """A header row, then one row per record (values not yet neutralised). `link` turns the
    report's path into the address the reader opens (absolute, from the request)."""
    records = _records(assessments)
    dimensions = _dimensions(records)
    header = ["workflow", "revision", "team", "system", "status", "verdict", "score"]
    header += [f"{label} (0-100)" for _, label in dimensions]
    header += ["rules fired", "conditions met", "conditions not met", "reviewer", "approver"]
    header += ["created", "updated", "submitted", "approved", "review by", "id", "link"]
    # the review cycle's and the agent register's columns come after the ones readers'
    # sheets already rely on, so no existing column moves
    header += ["review state"]
    header += ["agent", "agent id", "agent status", "agent platform", "agent owner"]
    rows = [header]
    for assessment in records:
        result = _result(assessment)
        complete = result["complete"]
        submitted = _last(assessment, Decision.Action.SUBMITTED)
        approved = (
            _last(assessment, Decision.Action.APPROVED) if assessment.status == "approved" else None
        )
        conditions = result["conditions"] if complete else []
        review = review_status(assessment, approved.created_at if approved else None)
        rows.append(
            [
                assessment.name,
                assessment.revision,
                assessment.team.name,
                assessment.system,
                assessment.get_status_display(),
                result["label"] if complete else "Incomplete",
                result["score"] if complete else None,
                *(result["dimensions"].get(key) if complete else None for key, _ in dimensions),
                "; ".join(rule["id"] for rule in result["rules_fired"]),
                "; ".join(c["title"] for c in conditions if c["met"]),
                "; ".join(c["title"] for c in conditions if not c["met"]),
                str(submitted.actor if submitted else assessment.owner),
                str(approved.actor) if approved else "",
                _local(assessment.created_at),
                _local(assessment.updated_at),
                _local(submitted.created_at) if submitted else None,
                _local(approved.created_at) if approved else None,
                review.review_by if review else None,
                assessment.pk,
                link(assessment.get_absolute_url()),
                review.state if review else "",
                *_agent_cells(assessment.agent),
            ]
        )
    return rows


def _agent_cells(agent) -> list:
    if agent is None:
        return ["", None, "", "", ""]
    owner = agent.owner.get_full_name() or agent.owner.get_username()
    return [agent.name, agent.pk, agent.get_status_display(), agent.platform, owner]


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else neutralised(value)


def to_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def _width(value) -> int:
    if isinstance(value, datetime):
        return len("2026-01-01 00:00")
    if isinstance(value, date):
        return len("2026-01-01")
    return max((len(line) for line in str(value).splitlines()), default=0)


def to_xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Assessments"
    link_column = rows[0].index("link") + 1 if rows and "link" in rows[0] else None
    widths: dict[int, int] = {}
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                # XML cannot hold some characters: openpyxl refuses the controls and writes
                # U+FFFE into a file Excel rejects. The fields refuse them now (`xml_text`);
                # text stored before, or around the app, shows U+FFFD in their place.
                value = without_forbidden_characters(value)
            cell.value = neutralised(value)
            if isinstance(value, str):
                cell.data_type = "s"  # a string, even if openpyxl took it for a formula
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            if column == link_column and number > 1 and value:
                cell.hyperlink = value  # the app's own address, never text from a user
                cell.style = "Hyperlink"
            if value is not None:
                widths[column] = max(widths.get(column, 0), _width(value))
    for column, width in widths.items():
        # a little room for the filter button of the header cell
        fitted = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(column)].width = fitted
    if rows and rows[0]:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(rows[0]))}{len(rows)}"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def response(
    assessments: QuerySet[Assessment], fmt: str, link: Callable[[str], str] = str
) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404("Export as csv or xlsx.")
    rows = table(assessments, link)
    content = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
    answer = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    answer["Content-Disposition"] = f'attachment; filename="assessments-{stamp}.{fmt}"'
    return answer
