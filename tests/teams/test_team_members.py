"""The team members page: a team's managers grant and take away roles there, and nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessor.models import Membership, Team
from assessor.teams import selectors
from tests.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return make_user("mara", team="Team A", roles=("manager", "reviewer"), email="mara@example.com")


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def team(manager):
    return Team.objects.get(name="Team A")


@pytest.fixture
def alan(db):
    return make_user("alan", team="Team A", roles=("approver",), email="alan@example.com")


def members_url(team):
    return reverse("team_members", args=[team.pk])


def member_url(team, user):
    return reverse("team_member", args=[team.pk, user.pk])


def roles_of(team, user) -> set[str]:
    m = Membership.objects.filter(team=team, user=user).first()
    if m is None:
        return set()
    fields = ("reviewer", "approver", "auditor", "questionnaire_admin", "team_manager")
    return {f for f in fields if getattr(m, f)}


def test_a_team_manager_sees_the_members_and_their_roles(web, team, alan):
    page = web.get(members_url(team)).content.decode()
    assert 'Members of <span class="user-text">Team A</span>' in page
    assert "alan@example.com" in page
    assert f'id="m{alan.pk}-approver" checked' in page
    assert f'id="m{alan.pk}-reviewer">' in page  # not held: unticked


def test_the_settings_page_links_team_managers_to_their_team(web, client, team, alan):
    settings_page = web.get(reverse("account_settings")).content.decode()
    assert f'href="{members_url(team)}">Team members</a>' in settings_page
    response = web.get(reverse("team_list"))
    assert response.status_code == 302 and response["Location"] == members_url(team)
    client.force_login(alan)
    assert "Team members</a>" not in client.get(reverse("account_settings")).content.decode()
    assert client.get(reverse("team_list")).status_code == 404


def test_a_manager_of_another_team_or_a_member_gets_404_and_nothing_changes(
    client, team, manager, alan
):
    other = make_user("bea", team="Team B", roles=("manager", "reviewer", "approver", "auditor"))
    before = list(Membership.objects.order_by("pk").values())
    for person in (other, alan):
        client.force_login(person)
        assert client.get(members_url(team)).status_code == 404
        added = client.post(members_url(team), {"person": person.username, "role": "reviewer"})
        assert added.status_code == 404
        changed = client.post(member_url(team, manager), {"roles": []})
        assert changed.status_code == 404
        assert client.post(member_url(team, manager), {"remove": "1"}).status_code == 404
    assert client.get(reverse("team_members", args=[999_999])).status_code == 404
    assert list(Membership.objects.order_by("pk").values()) == before


def test_a_superuser_in_no_team_manages_its_members(client, team, alan):
    root = make_user("root", roles=())
    root.is_superuser = root.is_staff = True
    root.save()
    client.force_login(root)
    assert "alan@example.com" in client.get(members_url(team)).content.decode()
    client.post(member_url(team, alan), {"roles": ["reviewer"]})
    assert roles_of(team, alan) == {"reviewer"}


@pytest.mark.parametrize("superusers_allowed", [True, False])
def test_team_managed_lets_a_superuser_through_only_when_asked(team, manager, superusers_allowed):
    """One selector serves the members page (superusers allowed) and the webhook pages (not)."""
    root = make_user("root", roles=())
    root.is_superuser = True
    root.save()
    reviewer = make_user("rita", roles=("reviewer",))

    def managed(user, pk=team.pk):
        return selectors.team_managed(user, pk, superusers_allowed=superusers_allowed)

    assert managed(manager) == team
    assert managed(root) == (team if superusers_allowed else None)
    assert managed(reviewer) is None
    assert managed(manager, 999_999) is None and managed(root, 999_999) is None


def test_anonymous_visitors_are_sent_to_sign_in(client, team):
    response = client.get(members_url(team))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["carol", "CAROL", "carol@example.com"])
def test_a_person_is_added_by_username_or_email_and_the_audit_trail_says_who(
    web, team, manager, who
):
    carol = make_user("carol", roles=(), email="carol@example.com")
    response = web.post(members_url(team), {"person": who, "role": "auditor"}, follow=True)
    assert "carol is now auditor in Team A." in response.content.decode()
    assert roles_of(team, carol) == {"auditor"}
    entry = Membership.history.filter(user=carol).latest("history_date")
    assert entry.history_user == manager
    assert "granted Auditor" in entry.history_change_reason


@pytest.mark.parametrize(
    ("person", "role", "message"),
    [
        ("nobody", "reviewer", "Nobody with the username or email “nobody” can sign in here"),
        ("alan", "approver", "alan is already approver in Team A."),
        ("", "reviewer", "Give the person&#x27;s username or email."),
        ("alan", "", "Pick a role."),
        ("alan", "questionnaire_admin", "Select a valid choice"),  # only a superuser grants it
        ("al\x00an", "reviewer", "Null characters are not allowed"),
        ("a" * 300, "reviewer", "at most 254 characters"),
    ],
)
def test_a_bad_addition_is_refused_with_a_reason_and_nothing_is_saved(
    web, team, alan, person, role, message
):
    before = list(Membership.objects.order_by("pk").values())
    response = web.post(members_url(team), {"person": person, "role": role})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Membership.objects.order_by("pk").values()) == before


def test_a_manager_changes_a_members_roles(web, team, manager, alan):
    response = web.post(member_url(team, alan), {"roles": ["reviewer", "auditor"]}, follow=True)
    assert "granted Reviewer; took away Approver; granted Auditor" in response.content.decode()
    assert roles_of(team, alan) == {"reviewer", "auditor"}
    assert Membership.history.filter(user=alan).latest("history_date").history_user == manager
    recent = response.content.decode().split('id="recent-title"')[1]
    assert (
        '<span class="user-text">alan</span>: granted Reviewer; took away Approver; granted '
        "Auditor (team members page); now reviewer, auditor"
    ) in recent
    assert "(by mara)" in recent


def test_unticking_every_role_or_removing_takes_the_person_out_of_the_team(web, team, alan):
    web.post(member_url(team, alan), {"roles": []})
    assert roles_of(team, alan) == set()
    entry = Membership.history.filter(user=alan).latest("history_date")
    assert entry.history_type == "-"
    web.post(members_url(team), {"person": "alan", "role": "approver"})
    web.post(member_url(team, alan), {"remove": "1"})
    assert roles_of(team, alan) == set()


def test_the_last_team_manager_cannot_remove_themselves(web, team, manager, alan):
    for data in ({"remove": "1"}, {"roles": ["reviewer"]}):
        response = web.post(member_url(team, manager), data)
        assert response.status_code == 400
        assert "mara is the last team manager of Team A" in response.content.decode()
        assert roles_of(team, manager) == {"team_manager", "reviewer"}
    # with a second manager, the first may step down
    web.post(member_url(team, alan), {"roles": ["approver", "team_manager"]})
    web.post(member_url(team, manager), {"roles": ["reviewer"]})
    assert roles_of(team, manager) == {"reviewer"}


def test_a_questionnaire_admin_role_stays_when_a_manager_changes_other_roles(web, team):
    qa = make_user("quinn", team="Team A", roles=("admin", "reviewer"))
    web.post(member_url(team, qa), {"roles": []})
    assert roles_of(team, qa) == {"questionnaire_admin"}
    response = web.post(member_url(team, qa), {"remove": "1"})
    assert response.status_code == 400
    assert "only a superuser removes that role" in response.content.decode()
    assert roles_of(team, qa) == {"questionnaire_admin"}
