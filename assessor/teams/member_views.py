"""The team members page, under /teams/: a team's managers see who holds which role there,
add a person with a role, change a member's roles or take them out of the team.

`_managed()` does the access check for every page: a team the person does not manage answers
404, exactly as a team that does not exist (it tells nobody which teams there are).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessor.teams import member_services as members
from assessor.teams import selectors
from assessor.teams.roles import ROLE_FIELDS, ROLE_LABELS
from assessor.web.decorators import private

from .member_forms import MemberAddForm, MemberRolesForm

T = "assessor/teams/"


def _managed(request, team_pk: int):
    team = selectors.team_managed(request.user, team_pk, superusers_allowed=True)
    if team is None:
        raise Http404("No such team among the teams you manage.")
    return team


# What each role allows, as the page says it (the model's help texts speak of the back office).
ROLE_HELP = {
    **selectors.ROLE_HELP,
    "questionnaire_admin": "Edits the question bank, which every team shares (a superuser "
    "grants it).",
    "team_manager": "Adds and removes the team's members and sets their roles, on this page.",
}
ACTIONS = {"+": "joined the team", "~": "roles changed", "-": "left the team"}


def _entry(row) -> dict:
    """One line of the page's recent changes: when, by whom, whose roles, what."""
    held = [label for role, label in ROLE_LABELS.items() if getattr(row, role)]
    what = row.history_change_reason or ACTIONS.get(row.history_type, "changed")
    if row.history_type != "-":
        what += f"; now {', '.join(held).lower() or 'no role'}"
    return {"at": row.history_date, "by": row.history_user, "whose": row.user, "what": what}


def _rows(team, by) -> list[dict]:
    grantable = members.grantable(by)
    rows = []
    for membership in members.team_members(team):
        rows.append(
            {
                "m": membership,
                "roles": [
                    {
                        "key": role,
                        "label": ROLE_LABELS[role],
                        "held": getattr(membership, role),
                        "sso": role in membership.sso_roles,
                    }
                    for role in grantable
                ],
                # held here, granted elsewhere (a questionnaire admin, by a superuser)
                "fixed": [
                    ROLE_LABELS[role]
                    for role in ROLE_FIELDS
                    if role not in grantable and getattr(membership, role)
                ],
            }
        )
    return rows


def _page(request, team, *, add_form=None, refused=None, status=200):
    context = {
        "team": team,
        "rows": _rows(team, request.user),
        "add_form": add_form or MemberAddForm(by=request.user),
        "refused": refused or {},
        "role_help": [(ROLE_LABELS[role], ROLE_HELP[role]) for role in ROLE_FIELDS],
        "recent": [_entry(row) for row in members.team_changes(team)[:10]],
        "teams": members.managed_teams(request.user),
    }
    return render(request, T + "members.html", context, status=status)


@require_GET
@private
def team_list(request):
    """The teams the person manages: straight to the one, or a list to pick from."""
    teams = list(members.managed_teams(request.user))
    if len(teams) == 1:
        return redirect("team_members", teams[0].pk)
    if not teams:
        raise Http404("You manage no team.")
    return render(request, T + "teams.html", {"teams": teams})


@require_http_methods(["GET", "POST"])
@private
def team_members(request, team):
    team = _managed(request, team)
    if request.method == "GET":
        return _page(request, team)
    form = MemberAddForm(request.POST, by=request.user)
    if form.is_valid():
        try:
            person = members.person_find(form.cleaned_data["person"])
            role = form.cleaned_data["role"]
            members.membership_role_grant(team=team, user=person, role=role, by=request.user)
        except members.MemberRefused as error:
            form.add_error("person", str(error))
        else:
            label = ROLE_LABELS[role].lower()
            messages.success(request, f"{person.get_username()} is now {label} in {team.name}.")
            return redirect("team_members", team.pk)
    return _page(request, team, add_form=form, status=400)


@require_POST
def member_change(request, team, user):
    team = _managed(request, team)
    membership = selectors.membership_get(team, user)
    person = membership.user
    name = person.get_username()
    try:
        if "remove" in request.POST:
            members.membership_remove(membership=membership, by=request.user)
            messages.success(request, f"{name} is no longer in {team.name}.")
        else:
            form = MemberRolesForm(request.POST, by=request.user)
            if not form.is_valid():
                raise members.MemberRefused("Pick roles from the list.")
            changes = members.membership_roles_set(
                membership=membership, roles=set(form.cleaned_data["roles"]), by=request.user
            )
            done = "; ".join(changes) if changes else "nothing changed"
            messages.success(request, f"{name} in {team.name}: {done}.")
    except members.MemberRefused as error:
        return _page(request, team, refused={person.pk: str(error)}, status=400)
    return redirect("team_members", team.pk)
