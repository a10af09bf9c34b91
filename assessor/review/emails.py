"""Review emails: who is told what when an assessment is submitted, returned or approved.

Mails go through Django's email framework (console backend under `make run`, SMTP from the
environment in production) and only once the action's transaction has committed, so an action
that rolls back tells nobody. A mail server that fails is logged and never fails the action:
the record is already saved, and the report shows the same facts.

Everyone may turn these emails off (`NotificationPreference`, on the account settings page);
people without an email address are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from assessor.models import Assessment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def record_url(assessment: Assessment) -> str:
    """The report's absolute address, from ASSESSOR_BASE_URL (mail has no request to ask)."""
    return settings.ASSESSOR_BASE_URL.rstrip("/") + reverse("report", args=[assessment.pk])


def _wanting_mail(users):
    """Those of `users` with an address who have not turned review emails off."""
    return (
        users.exclude(email="")
        .exclude(notification_preference__review_emails=False)
        .order_by("username")
    )


def _subject(prefix: str, assessment: Assessment) -> str:
    # A header is one line: a name posted with a line break must not break (or forge) it.
    return f"{prefix}: {' '.join(assessment.name.split())}"


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _quoted(comment: str) -> str:
    comment = comment.strip()
    return f"\nTheir comment:\n\n{comment}\n" if comment else "\nNo comment was given.\n"


def submitted(*, assessment: Assessment, user, comment: str) -> None:
    """Tell the team's approvers (not the submitter: four eyes) that a record awaits them."""
    approvers = _wanting_mail(
        get_user_model().objects.filter(
            memberships__team_id=assessment.team_id, memberships__approver=True
        )
    ).exclude(pk=user.pk)
    subject = _subject("Awaiting your approval", assessment)
    body = (
        f"{_name(user)} submitted “{assessment.name}” (team {assessment.team}, revision "
        f"{assessment.revision}) for approval.\n{_quoted(comment)}\n"
        f"Approve it or return it for changes: {record_url(assessment)}\n"
    )
    _send_after_commit([Mail(approver.email, subject, body) for approver in approvers])


def decided(*, assessment: Assessment, user, submitter, action: str, comment: str) -> None:
    """Tell the submitter that their record was returned or approved (`action`), by whom."""
    if (
        submitter is None
        or not _wanting_mail(get_user_model().objects.filter(pk=submitter.pk)).exists()
    ):
        return
    if action == "returned":
        subject = _subject("Returned for changes", assessment)
        ask = f"Make the changes asked for and submit it again: {record_url(assessment)}"
    else:
        subject = _subject("Approved", assessment)
        ask = f"The signed-off report and its PDF: {record_url(assessment)}"
    body = (
        f"{_name(user)} {action} “{assessment.name}” (team {assessment.team}, revision "
        f"{assessment.revision}).\n{_quoted(comment)}\n{ask}\n"
    )
    _send_after_commit([Mail(submitter.email, subject, body)])


def _send_after_commit(mails: list[Mail]) -> None:
    if mails:
        transaction.on_commit(lambda: send(mails))


def send(mails: list[Mail]) -> int:
    """Send each mail on its own (no recipient sees another's address); log, never raise."""
    messages = [EmailMessage(mail.subject, mail.body, to=[mail.to]) for mail in mails]
    try:
        return get_connection(fail_silently=False).send_messages(messages) or 0
    except Exception:
        # Any failure of the mail server (refused, timed out, bad credentials): the action is
        # committed already and its page must still answer.
        logger.exception("Review email not sent to %s", ", ".join(m.to for m in mails))
        return 0
