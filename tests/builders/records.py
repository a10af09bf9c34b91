"""Records: assessments built through the services (a draft, the whole review loop), one
record as stored, and what a post that would change it sends."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from assessor.documents import exchange
from assessor.evidence.models import EvidenceFile
from assessor.models import (
    Answer,
    ApiToken,
    ApprovedReport,
    Assessment,
    BoardPack,
    ChoiceWeight,
    Decision,
    ExportRecord,
    Membership,
    Questionnaire,
)
from assessor.records import services
from assessor.register import services as register_services
from assessor.register.models import Agent, AgentIdentity
from assessor.review import services as review
from assessor.teams import access

from .answers import AT_VERDICT, SAFEST


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
        services.answers_save(assessment=assessment, existing={}, submitted=submitted, user=owner)
    assessment.refresh_from_db()
    return assessment


def make_agent(owner, *, name="Access triage agent", team=None, identities=1, **fields):
    """An agent of the owner's first team (or `team`), with `identities` workload identities."""
    team = team or access.teams_for(owner, access.VIEW).order_by("pk").first()
    fields = {"platform": "In-house", **fields}
    agent = register_services.agent_create(user=owner, team=team, name=name, owner=owner, **fields)
    for number in range(identities):
        register_services.identity_create(
            user=owner,
            agent=agent,
            kind="workload_identity",
            system=f"Cloud {number}",
            credential_type="short_lived_token",
            credential_lifetime="ephemeral",
        )
    return agent


def make_granted(owner, approver, *, verdict="owner", agent=None, conditions=""):
    """A record at `verdict`, run by `agent` (a new one with one identity by default),
    submitted by `owner` and approved by `approver`: an autonomy grant is issued with it
    above copilot. The record, refreshed."""
    agent = agent or make_agent(owner)
    record = make_assessment(owner, answers=AT_VERDICT[verdict], name=f"{verdict} workflow")
    register_services.assessment_agent_set(user=owner, assessment=record, agent=agent)
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver, conditions=conditions)
    record.refresh_from_db()
    return record


def make_boardpack(user, teams, *, title="Q3 board", content=b"%PDF-1.4 pack", **fields):
    """A generated draft board pack of `teams` (its file in storage), requested by `user`."""
    values = {
        "period_start": date(2026, 7, 1),
        "period_end": date(2026, 9, 30),
        "generation": BoardPack.Generation.DONE,
        "progress": 100,
        **fields,
    }
    pack = BoardPack(
        title=title,
        requested_by=user,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        **values,
    )
    pack.pdf.save("pack.pdf", ContentFile(content), save=False)
    pack.save()
    pack.teams.set(teams)
    return pack


def make_reviewed(owner, approver, *, name="Leaver deprovisioning"):
    """A record taken through the whole review loop by the services: submitted, returned,
    one answer changed, resubmitted and approved (its PDF stored)."""
    record = make_assessment(owner, answers=SAFEST, name=name)
    review.assessment_submit(assessment=record, user=owner, comment="Ready.")
    review.assessment_return(assessment=record, user=approver, comment="Check monitoring.")
    record.refresh_from_db()
    services.answers_save(
        assessment=record,
        existing={a.question_key: a for a in Answer.objects.filter(assessment=record)},
        submitted={"monitoring": ("periodic_review", "Weekly", "")},
        user=owner,
    )
    review.assessment_submit(assessment=record, user=owner, comment="Fixed.")
    review.assessment_approve(assessment=record, user=approver, comment="Signed off.")
    record.refresh_from_db()
    return record


def snapshot() -> dict:
    """Every row a state-changing request could touch, audit trail and sessions included."""
    return {
        "assessments": list(Assessment.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "decisions": list(Decision.objects.order_by("pk").values()),
        "approved": list(ApprovedReport.objects.order_by("pk").values_list("pk", "sha256")),
        "exports": list(ExportRecord.objects.order_by("pk").values_list("pk", "sha256")),
        "weights": list(ChoiceWeight.objects.order_by("pk").values_list("pk", "points")),
        "questionnaires": list(
            Questionnaire.objects.order_by("pk").values_list("pk", "status", "content_hash")
        ),
        "users": list(
            get_user_model().objects.order_by("pk").values_list("pk", "password", "last_login")
        ),
        "sessions": list(
            Session.objects.order_by("session_key").values_list("session_key", "session_data")
        ),
        "history": (Assessment.history.count(), Answer.history.count()),
        "evidence": list(EvidenceFile.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        "agents": list(Agent.objects.order_by("pk").values()),
        "identities": list(AgentIdentity.objects.order_by("pk").values()),
        "boardpacks": list(BoardPack.objects.order_by("pk").values()),
        "memberships": (
            list(Membership.objects.order_by("pk").values()),
            Membership.history.count(),
        ),
    }


def record_state(assessment) -> dict:
    """One record as stored: its row, its answers (notes and links too), decisions and PDF."""
    return {
        "row": Assessment.objects.filter(pk=assessment.pk).values().get(),
        "answers": list(Answer.objects.filter(assessment=assessment).order_by("pk").values()),
        "decisions": list(Decision.objects.filter(assessment=assessment).order_by("pk").values()),
        "pdf": list(
            ApprovedReport.objects.filter(assessment=assessment).values_list("sha256", flat=True)
        ),
    }


def export_upload(assessment, **changes) -> SimpleUploadedFile:
    data = exchange.assessment_export(assessment)
    data.update(changes)
    return SimpleUploadedFile("export.json", json.dumps(data).encode(), "application/json")


def sweep_post_data(record) -> dict:
    return {
        "version": Assessment.objects.get(pk=record.pk).version,
        "task_type": "other",
        "comment": "outsider was here",
        "name": "outsider",
    }
