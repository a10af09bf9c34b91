"""Roles per team: Django groups (user-wide) become a Membership row per team and person.

Each member of a team gets, in that team, every role their groups gave them (a user in the
Reviewer and Auditor groups and in teams A and B is a reviewer and auditor in both), so nobody
loses access; the four role groups are then deleted, so no role is left user-wide. A
questionnaire admin in no team keeps the bank through the same permissions granted directly
(there is no team to hold the role in). Reversible: the groups come back from the flags.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Frozen copies: the app's roles module may change, this migration must not.
GROUP_ROLES = {
    "Reviewer": "reviewer",
    "Approver": "approver",
    "Auditor": "auditor",
    "Questionnaire admin": "questionnaire_admin",
}
ROLE_FIELDS = ("reviewer", "approver", "auditor", "questionnaire_admin")
BANK_CODENAMES = [
    f"{action}_{model}"
    for model in (
        "questionnaire", "dimension", "section", "question", "choice", "choiceweight", "rule",
        "threshold", "ownershipcondition", "frameworkreference",
    )
    for action in ("add", "change", "delete", "view")
]  # fmt: skip
GROUP_PERMISSIONS = {
    "Reviewer": ["add_assessment", "change_assessment", "view_assessment"],
    "Approver": ["approve_assessment", "view_assessment"],
    "Auditor": ["view_assessment"],
    "Questionnaire admin": BANK_CODENAMES,
}


def roles_per_team(team_members, user_groups) -> dict[tuple[int, int], dict[str, bool]]:
    """(team_id, user_id) -> role flags, from team membership and user-wide role groups.

    team_members: (team_id, user_id) pairs; user_groups: (user_id, group name) pairs. Every
    member gets, in each of their teams, the roles their groups give; groups that are not
    role groups are ignored.
    """
    held: dict[int, set[str]] = {}
    for user_id, group in user_groups:
        if group in GROUP_ROLES:
            held.setdefault(user_id, set()).add(GROUP_ROLES[group])
    return {
        (team_id, user_id): {field: field in held.get(user_id, ()) for field in ROLE_FIELDS}
        for team_id, user_id in team_members
    }


def groups_to_memberships(apps, schema_editor):
    Team = apps.get_model("assessor", "Team")
    Membership = apps.get_model("assessor", "Membership")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    db = schema_editor.connection.alias
    pairs = list(Team.members.through.objects.using(db).values_list("team_id", "user_id"))
    in_groups = list(
        User.groups.through.objects.using(db)
        .filter(group__name__in=GROUP_ROLES)
        .values_list("user_id", "group__name")
    )
    Membership.objects.using(db).bulk_create(
        Membership(team_id=team_id, user_id=user_id, **flags)
        for (team_id, user_id), flags in roles_per_team(pairs, in_groups).items()
    )
    members = {user_id for _, user_id in pairs}
    teamless_admins = {
        user_id
        for user_id, group in in_groups
        if group == "Questionnaire admin" and user_id not in members
    }
    if teamless_admins:
        bank = list(
            Permission.objects.using(db).filter(
                content_type__app_label="assessor", codename__in=BANK_CODENAMES
            )
        )
        for user in User.objects.using(db).filter(pk__in=teamless_admins):
            user.user_permissions.add(*bank)
    Group.objects.using(db).filter(name__in=GROUP_ROLES).delete()


def memberships_to_groups(apps, schema_editor):
    Team = apps.get_model("assessor", "Team")
    Membership = apps.get_model("assessor", "Membership")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    db = schema_editor.connection.alias
    rows = list(Membership.objects.using(db).values("team_id", "user_id", *ROLE_FIELDS))
    Team.members.through.objects.using(db).bulk_create(
        Team.members.through(team_id=row["team_id"], user_id=row["user_id"]) for row in rows
    )
    for name, field in GROUP_ROLES.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        group.permissions.set(
            Permission.objects.using(db).filter(
                content_type__app_label="assessor", codename__in=GROUP_PERMISSIONS[name]
            )
        )
        users = {row["user_id"] for row in rows if row[field]}
        User.groups.through.objects.using(db).bulk_create(
            User.groups.through(user_id=user_id, group_id=group.pk) for user_id in sorted(users)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessor", "0002_bank_scope_condition_reason_notes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "reviewer",
                    models.BooleanField(
                        default=False, help_text="Creates, edits, submits, reassesses and imports."
                    ),
                ),
                (
                    "approver",
                    models.BooleanField(
                        default=False, help_text="Approves or returns submitted assessments."
                    ),
                ),
                (
                    "auditor",
                    models.BooleanField(
                        default=False, help_text="Reads records, history and exports."
                    ),
                ),
                (
                    "questionnaire_admin",
                    models.BooleanField(
                        default=False,
                        help_text="Edits the question bank (global: held in any team).",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="assessor.team",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["team", "user"],
                "constraints": [
                    models.UniqueConstraint(fields=("team", "user"), name="one_membership_per_team")
                ],
            },
        ),
        migrations.RunPython(groups_to_memberships, memberships_to_groups),
        # A plain many-to-many cannot gain a `through` model in place: drop the old link table
        # (its rows now live in Membership) and declare the field again, through Membership.
        migrations.RemoveField(model_name="team", name="members"),
        migrations.AddField(
            model_name="team",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                related_name="teams",
                through="assessor.Membership",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
