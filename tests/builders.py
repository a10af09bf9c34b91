"""Small builders for tests: users, assessments and answers in a known state."""

from django.contrib.auth import get_user_model

from assessor import access, services
from assessor.examples import SAFEST as EXAMPLE_SAFEST
from assessor.membership import member_add

# Every core question at its safest choice (the shipped examples' answers, follow-ups left out).
SAFEST = {key: choice for key, choice in EXAMPLE_SAFEST.items() if key != "policy_evaluation"}


PASSWORD = "correct horse battery staple"


def make_user(username="reviewer", *, team="Team A", roles=("reviewer",), password=PASSWORD):
    """A user with a known password, in `team` with `roles` (none: a user in no team)."""
    user = get_user_model().objects.create_user(username=username, password=password)
    for role in roles:
        member_add(team_name=team, username=username, role=role)
    return user


def make_assessment(owner, *, answers=None, notes=None, links=None, name="Secret rotation"):
    assessment = services.assessment_create(
        owner=owner,
        team=access.teams_for(owner, access.CREATE).order_by("pk").first(),  # a team they review
        name=name,
        system="Vault",
    )
    if answers:
        notes, links = notes or {}, links or {}
        submitted = {k: (v, notes.get(k, ""), links.get(k, "")) for k, v in answers.items()}
        services.answers_save(assessment=assessment, existing={}, submitted=submitted)
    assessment.refresh_from_db()
    return assessment
