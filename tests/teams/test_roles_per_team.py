"""Roles per team: people who hold different roles in different teams, on every URL.

Extends the resolver-driven sweeps of test_security.py (same route list, same URL filling,
from tests/builders/):
each person below is checked against every record URL of both teams, with GET and POST, and
a role held in one team must give nothing in the other.

| person | Team A                  | Team B                |
|--------|-------------------------|-----------------------|
| alice  | reviewer                | auditor               |
| bob    | approver                | auditor               |
| carol  | auditor                 | reviewer and approver |
| dave   | questionnaire admin     | auditor               |
| erin   | (none)                  | questionnaire admin   |
"""

import importlib
import io
import json
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

import assessor.urls
from assessor.documents import exchange, pdf
from assessor.models import Assessment, Decision, ExportRecord, Membership, Team
from assessor.records import services
from assessor.review import services as review
from assessor.teams import access
from assessor.teams.roles import APPROVE, EDIT, VIEW
from tests.builders import (
    MISSING,
    RECORD_ROUTES,
    SAFEST,
    assessor_routes,
    export_upload,
    make_assessment,
    make_user,
    record_state,
    route_url,
    sweep_post_data,
    without_csrf_token,
)

pytestmark = pytest.mark.django_db

REREVIEW = "request a re-review"  # a reviewer or an approver of the record's team
PEOPLE = {
    "alice": {"Team A": ("reviewer",), "Team B": ("auditor",)},
    "bob": {"Team A": ("approver",), "Team B": ("auditor",)},
    "carol": {"Team A": ("auditor",), "Team B": ("reviewer", "approver")},
    "dave": {"Team A": ("admin",), "Team B": ("auditor",)},
    "erin": {"Team B": ("admin",)},
}
# What each record URL asks of the user in the record's team, by HTTP method.
NEEDS = {
    "resume": {"get": VIEW, "post": VIEW},
    "wizard": {"get": VIEW, "post": EDIT},
    "preview": {"post": VIEW},
    "report": {"get": VIEW, "post": VIEW},
    "report_pdf": {"get": VIEW, "post": VIEW},
    "export_json": {"get": VIEW, "post": VIEW},
    "history": {"get": VIEW, "post": VIEW},
    "compare": {"get": VIEW, "post": VIEW},
    "submit": {"post": EDIT},
    "approve": {"post": APPROVE},
    "return": {"post": APPROVE},
    "reassess": {"post": EDIT},
    "review_request": {"post": REREVIEW},
    "grant": {"get": VIEW},
    "grant_issue": {"post": APPROVE},
    "grant_revoke": {"post": APPROVE},
}
GRANTS = {
    VIEW: {"reviewer", "approver", "auditor"},
    EDIT: {"reviewer"},
    APPROVE: {"approver"},
    REREVIEW: {"reviewer", "approver"},
}


def holds(person: str, team: str, action: str) -> bool:
    return bool(GRANTS[action] & set(PEOPLE[person].get(team, ())))


@pytest.fixture
def stub_pdf(monkeypatch):
    """The sweeps test access, not rendering: a PDF is a few fixed bytes here."""
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF-1.4 stub")


@pytest.fixture
def people(db):
    users = {}
    for name, teams in PEOPLE.items():
        user = make_user(name, roles=())
        for team, roles in teams.items():
            for role in roles:
                call_command("add_member", team, name, "--role", role, stdout=io.StringIO())
        user.refresh_from_db()  # the admin role made them staff
        users[name] = user
    return SimpleNamespace(**users)


@pytest.fixture
def records_by_team(stub_pdf, questionnaire, owner, approver, outsider, people):
    """A draft, a submitted and an approved record in each team, signed off by their own team."""
    made = {}
    for team, author, signer in (("Team A", owner, approver), ("Team B", outsider, people.carol)):
        for status in ("draft", "submitted", "approved"):
            record = make_assessment(author, answers=SAFEST, name=f"{team} {status}")
            assert record.team.name == team
            if status != "draft":
                review.assessment_submit(assessment=record, user=author)
            if status == "approved":
                review.assessment_approve(assessment=record, user=signer)
            made[(team, status)] = record
    return made


def states(records_by_team) -> dict:
    return {
        "records": {key: record_state(record) for key, record in records_by_team.items()},
        "assessments": Assessment.objects.count(),
        "decisions": Decision.objects.count(),
        "exports": ExportRecord.objects.count(),
    }


def test_the_role_table_covers_every_record_url():
    assert set(NEEDS) == RECORD_ROUTES == set(assessor_routes()) & RECORD_ROUTES
    assert {pattern.name for pattern in assessor.urls.urlpatterns} > RECORD_ROUTES


@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_each_role_works_in_its_own_team_only_on_every_record_url(person, people, records_by_team):
    """Allowed where the person's role in the record's team allows it; 403 where they read
    the team but lack the role, 404 where they hold no reading role there; a refused request
    changes nothing."""
    client = Client()
    client.force_login(getattr(people, person))
    routes = assessor_routes()
    checked = set()
    before = states(records_by_team)
    for (team, status), record in sorted(records_by_team.items()):
        for name in sorted(RECORD_ROUTES):
            url = route_url(name, routes[name], record.pk)
            for method in ("get", "post"):
                data = sweep_post_data(record) if method == "post" else None
                response = getattr(client, method)(url, data)
                code = response.status_code
                where = (person, team, status, name, method, code)
                action = NEEDS[name].get(method)
                if action is None:  # a POST-only view answers GET before any lookup
                    assert code == 405, where
                elif not holds(person, team, VIEW):
                    assert code == 404, where
                    blind = getattr(client, method)(route_url(name, routes[name], MISSING), data)
                    # existence not revealed (the CSRF token is masked afresh on every page)
                    assert without_csrf_token(response.content) == without_csrf_token(
                        blind.content
                    ), where
                elif not holds(person, team, action):
                    assert code == 403, where
                else:
                    assert code in (200, 302, 400), where  # 400: the record is locked
                    checked.add((team, name, method))
                    before = states(records_by_team)  # what it changed is the baseline from now on
                    continue
                assert states(records_by_team) == before, where
    for team in PEOPLE[person]:
        if holds(person, team, VIEW):
            assert {n for t, n, _ in checked if t == team} >= {
                n for n in NEEDS if any(holds(person, team, a) for a in NEEDS[n].values())
            }


def test_a_reviewer_in_a_who_is_an_auditor_in_b_edits_submits_and_creates_only_in_a(
    client, people, records_by_team
):
    alice = people.alice
    client.force_login(alice)
    b_draft, a_draft = records_by_team[("Team B", "draft")], records_by_team[("Team A", "draft")]
    # the report offers editing and submitting in A only
    a_html = client.get(reverse("report", args=[a_draft.pk])).content.decode()
    b_html = client.get(reverse("report", args=[b_draft.pk])).content.decode()
    assert "Edit answers" in a_html and "Submit for approval" in a_html
    assert "Edit answers" not in b_html and "Submit for approval" not in b_html
    assert (
        "Reassess as a new revision"
        not in client.get(
            reverse("report", args=[records_by_team[("Team B", "approved")].pk])
        ).content.decode()
    )
    # the wizard opens its form in A; in B it sends her to the report, saying why
    assert client.get(reverse("wizard", args=[a_draft.pk, 1])).status_code == 200
    response = client.get(reverse("wizard", args=[b_draft.pk, 1]), follow=True)
    assert response.redirect_chain == [(reverse("report", args=[b_draft.pk]), 302)]
    assert "Only reviewers of team Team B change" in response.content.decode()
    # "Continue" on the dashboard only for A's unfinished draft
    unfinished_a = make_assessment(people.alice, answers={"task_type": "other"}, name="A open")
    unfinished_b = make_assessment(people.carol, answers={"task_type": "other"}, name="B open")
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("resume", args=[unfinished_a.pk])}"' in dashboard
    assert f'href="{reverse("resume", args=[unfinished_b.pk])}"' not in dashboard
    assert "B open" in dashboard  # but B's records are listed: she audits them
    # the new assessment and import forms offer team A only, and refuse team B
    team_b = Team.objects.get(name="Team B")
    form = client.get(reverse("assessment_new")).content.decode()
    assert "Team B" not in form
    before = Assessment.objects.filter(team=team_b).count()
    client.post(reverse("assessment_new"), {"name": "Sneaked in", "team": team_b.pk})
    client.post(reverse("import_upload"), {"file": export_upload(b_draft), "team": team_b.pk})
    assert Assessment.objects.filter(team=team_b).count() == before
    assert not Assessment.objects.filter(name="Sneaked in", team=team_b).exists()
    # the domain refuses too, whatever screen forgot to ask
    with pytest.raises(access.RoleRequired, match="alice is not a reviewer in team 'Team B'"):
        services.assessment_create(owner=alice, team=team_b, name="Direct")
    with pytest.raises(access.RoleRequired):
        services.answers_save(
            assessment=b_draft, existing={}, submitted={"kill_switch": ("no", "", "")}, user=alice
        )
    with pytest.raises(access.RoleRequired):
        review.assessment_submit(assessment=b_draft, user=alice)
    with pytest.raises(access.RoleRequired):
        exchange.import_assessment(exchange.assessment_export(b_draft), owner=alice, team=team_b)
    assert Assessment.objects.filter(team=team_b).count() == before


def test_an_approver_in_a_who_is_an_auditor_in_b_cannot_sign_off_bs_record(
    client, people, records_by_team
):
    bob = people.bob
    client.force_login(bob)
    b_submitted, a_submitted = (
        records_by_team[("Team B", "submitted")],
        records_by_team[("Team A", "submitted")],
    )
    b_html = client.get(reverse("report", args=[b_submitted.pk])).content.decode()
    assert 'action="' + reverse("approve", args=[b_submitted.pk]) not in b_html
    before = record_state(b_submitted)
    for action in ("approve", "return"):
        response = client.post(reverse(action, args=[b_submitted.pk]), {"comment": "Fine by me"})
        assert response.status_code == 403
    with pytest.raises(access.RoleRequired, match="bob is not an approver in team 'Team B'"):
        review.assessment_approve(assessment=b_submitted, user=bob)
    with pytest.raises(access.RoleRequired):
        review.assessment_return(assessment=b_submitted, user=bob, comment="No")
    assert record_state(b_submitted) == before
    # in team A, where bob is an approver, the same sign-off goes through
    a_html = client.get(reverse("report", args=[a_submitted.pk])).content.decode()
    assert 'action="' + reverse("approve", args=[a_submitted.pk]) in a_html
    client.post(reverse("approve", args=[a_submitted.pk]), {"comment": "Agreed", "confirm": "yes"})
    a_submitted.refresh_from_db()
    assert a_submitted.status == Assessment.Status.APPROVED


def test_the_dashboard_lists_the_teams_where_one_reads_and_create_only_where_one_reviews(
    client, people, records_by_team
):
    expected = {
        "alice": ({"Team A", "Team B"}, True),
        "bob": ({"Team A", "Team B"}, False),
        "carol": ({"Team A", "Team B"}, True),
        "dave": ({"Team B"}, False),  # a questionnaire admin in A reads none of A's records
        "erin": (set(), False),
    }
    for person, (teams, creates) in expected.items():
        client.force_login(getattr(people, person))
        html = client.get(reverse("dashboard")).content.decode()
        for team, status in records_by_team:
            assert (f"{team} {status}" in html) == (team in teams), (person, team)
        assert (reverse("assessment_new") in html) == creates, person
        assert client.get(reverse("assessment_new")).status_code == (200 if creates else 403)
        assert client.get(reverse("import_upload")).status_code == (200 if creates else 403)


# --- the back office -----------------------------------------------------------------------


def test_staff_read_only_the_records_of_teams_where_they_read_in_the_back_office(
    client, people, records_by_team
):
    dave = people.dave  # questionnaire admin in A (so staff), auditor in B
    assert dave.is_staff
    client.force_login(dave)
    listing = client.get(reverse("admin:assessor_assessment_changelist"))
    assert listing.status_code == 200
    names = {a.name for a in listing.context["cl"].result_list}
    assert names == {"Team B draft", "Team B submitted", "Team B approved"}
    for status in ("draft", "approved"):
        a_record = records_by_team[("Team A", status)]
        for view in ("change", "history"):
            response = client.get(reverse(f"admin:assessor_assessment_{view}", args=[a_record.pk]))
            assert response.status_code in (302, 403, 404), (view, status)
            assert f"Team A {status}" not in response.content.decode()
        b_record = records_by_team[("Team B", status)]
        response = client.get(reverse("admin:assessor_assessment_change", args=[b_record.pk]))
        assert response.status_code == 200
    for model in ("decision", "approvedreport", "exportrecord"):
        response = client.get(reverse(f"admin:assessor_{model}_changelist"))
        assert response.status_code == 200, model
        shown = {row.assessment.team.name for row in response.context["cl"].result_list}
        assert shown <= {"Team B"}, model
    # the team filter names only the teams whose records are listed
    assert "Team A" not in listing.content.decode()


def test_a_superuser_is_held_to_teams_in_the_back_office_too(client, records_by_team):
    root = get_user_model().objects.create_superuser("root", "", "x-long-password-1")
    client.force_login(root)
    listing = client.get(reverse("admin:assessor_assessment_changelist"))
    assert listing.status_code == 403
    call_command("add_member", "Team A", "root", "--role", "auditor", stdout=io.StringIO())
    listing = client.get(reverse("admin:assessor_assessment_changelist"))
    assert {a.team.name for a in listing.context["cl"].result_list} == {"Team A"}


@pytest.mark.parametrize("person", ["dave", "erin"])
def test_the_questionnaire_admin_role_in_any_team_reaches_the_bank_editor(
    client, people, questionnaire, person
):
    client.force_login(getattr(people, person))
    for url in (
        reverse("admin:index"),
        reverse("admin:assessor_questionnaire_changelist"),
        reverse("admin:assessor_choiceweight_changelist"),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_record_roles_in_any_team_give_no_bank_permission(people, person):
    user = get_user_model().objects.get(username=person)
    assert not user.has_perm("assessor.change_choiceweight")
    assert not user.has_module_perms("assessor")


# --- commands ---------------------------------------------------------------------------------


def test_add_member_grants_the_role_in_that_team_only():
    out = io.StringIO()
    call_command("add_member", "IAM security", "alice", "--role", "reviewer", stdout=out)
    call_command("add_member", "Payments", "alice", "--role", "auditor", stdout=out)
    alice = get_user_model().objects.get(username="alice")
    iam, payments = Team.objects.get(name="IAM security"), Team.objects.get(name="Payments")
    assert access.may(alice, iam, EDIT) and not access.may(alice, payments, EDIT)
    assert access.may(alice, payments, VIEW)
    assert "granted the Auditor role in 'Payments'" in out.getvalue()
    # a second role in the same team is a change of that one membership
    call_command("add_member", "Payments", "alice", "--role", "approver", stdout=out)
    row = Membership.objects.get(user=alice, team=payments)
    assert (row.reviewer, row.approver, row.auditor) == (False, True, True)
    assert Membership.objects.filter(user=alice).count() == 2
    again = io.StringIO()
    call_command("add_member", "Payments", "alice", "--role", "approver", stdout=again)
    assert again.getvalue() == "alice is already an approver in Payments; nothing changed.\n"


def test_import_refuses_an_owner_who_is_not_a_reviewer_of_the_target_team(
    people, records_by_team, tmp_path
):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exchange.assessment_export(records_by_team[("Team A", "draft")])))
    count = Assessment.objects.count()
    for owner, team in (("alice", "Team B"), ("bob", "Team A"), ("dave", "Team A")):
        with pytest.raises(CommandError, match="--owner") as error:
            call_command("import_assessment", str(path), "--owner", owner, "--team", team)
        assert error.value.returncode == 2
        assert "not a reviewer in team" in str(error.value)
    # without --team, the owner's only reviewer team is used: alice reviews A only
    call_command("import_assessment", str(path), "--owner", "alice", stdout=io.StringIO())
    assert Assessment.objects.count() == count + 1
    assert Assessment.objects.latest("pk").team.name == "Team A"
    with pytest.raises(CommandError, match="--owner: 'bob' is a reviewer in no team"):
        call_command("import_assessment", str(path), "--owner", "bob")


def test_ensure_admin_holds_every_role_in_its_own_team():
    call_command("ensure_admin", stdout=io.StringIO())
    row = Membership.objects.get(user__username="admin", team__name="Security review")
    assert all((row.reviewer, row.approver, row.auditor, row.questionnaire_admin))
    assert Membership.objects.filter(user__username="admin").count() == 1


# --- the data migration --------------------------------------------------------------------

MIGRATION = importlib.import_module("assessor.migrations.0003_roles_per_team")
BEFORE = [("assessor", "0002_bank_scope_condition_reason_notes")]
AFTER = [("assessor", "0003_roles_per_team")]


def test_the_conversion_gives_each_member_their_groups_roles_in_each_of_their_teams():
    converted = MIGRATION.roles_per_team(
        team_members=[(1, 10), (2, 10), (1, 11), (3, 12)],
        user_groups=[(10, "Reviewer"), (10, "Auditor"), (11, "Approver"), (12, "Custom")],
    )
    none = dict.fromkeys(("reviewer", "approver", "auditor", "questionnaire_admin"), False)
    assert converted == {
        (1, 10): {**none, "reviewer": True, "auditor": True},
        (2, 10): {**none, "reviewer": True, "auditor": True},
        (1, 11): {**none, "approver": True},
        (3, 12): none,  # a member with no role group keeps the membership, with no role
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_groups_to_memberships_and_back_without_losing_access():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        User, Group = old.get_model("auth", "User"), old.get_model("auth", "Group")
        Team = old.get_model("assessor", "Team")
        # migrating back created the role groups, as they were before this migration
        groups = {name: Group.objects.get(name=name) for name in MIGRATION.GROUP_ROLES}
        custom = Group.objects.create(name="Custom")
        alice, bob, quinn, nina = (
            User.objects.create(username=name) for name in ("alice", "bob", "quinn", "nina")
        )
        iam, payments = Team.objects.create(name="IAM security"), Team.objects.create(name="Pay")
        iam.members.add(alice, bob, nina)
        payments.members.add(alice)
        alice.groups.add(groups["Reviewer"], groups["Auditor"], custom)
        bob.groups.add(groups["Approver"], groups["Questionnaire admin"])
        quinn.groups.add(groups["Questionnaire admin"])  # in no team

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        rows = {
            (m.user.username, m.team.name): (
                m.reviewer,
                m.approver,
                m.auditor,
                m.questionnaire_admin,
            )
            for m in new.get_model("assessor", "Membership").objects.select_related("user", "team")
        }
        assert rows == {
            ("alice", "IAM security"): (True, False, True, False),
            ("alice", "Pay"): (True, False, True, False),
            ("bob", "IAM security"): (False, True, False, True),
            ("nina", "IAM security"): (False, False, False, False),
        }
        Group = new.get_model("auth", "Group")
        assert list(Group.objects.values_list("name", flat=True)) == ["Custom"]
        assert new.get_model("auth", "User").objects.get(username="alice").groups.count() == 1
        quinn = new.get_model("auth", "User").objects.get(username="quinn")
        assert quinn.user_permissions.filter(codename="change_choiceweight").exists()

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)  # and back: the groups and plain team members return
        old = executor.loader.project_state(BEFORE).apps
        User = old.get_model("auth", "User")
        alice = User.objects.get(username="alice")
        assert set(alice.groups.values_list("name", flat=True)) == {"Reviewer", "Auditor", "Custom"}
        assert set(alice.teams.values_list("name", flat=True)) == {"IAM security", "Pay"}
        assert (
            old.get_model("auth", "Group")
            .objects.get(name="Reviewer")
            .permissions.filter(codename="change_assessment")
            .exists()
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_team_page_of_the_back_office_lists_each_member_with_their_roles(client, people):
    root = get_user_model().objects.create_superuser("root", "", "x-long-password-1")
    client.force_login(root)
    team_b = Team.objects.get(name="Team B")
    response = client.get(reverse("admin:assessor_team_change", args=[team_b.pk]))
    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"])
    shown = {
        form.instance.user.username: (form.instance.reviewer, form.instance.auditor)
        for form in formset.formset.forms
        if form.instance.pk
    }
    assert shown == {
        "alice": (False, True),
        "bob": (False, True),
        "carol": (True, False),
        "dave": (False, True),
        "erin": (False, False),
    }
