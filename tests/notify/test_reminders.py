"""Reminders and digests through the outbox, against a real SMTP server (aiosmtpd): who is
told, once, with retries and backoff when the mail server fails, and the queue's schedules.

Transactional database: deliveries are owed in the action's transaction and the worker's
claims commit, as in production.
"""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from assessor import events
from assessor.documents import pdf
from assessor.models import NotificationPreference
from assessor.notify import outbox, tasks
from assessor.notify.models import Delivery
from assessor.review import services as review
from tests.builders import SAFEST, SmtpInbox, free_port, make_assessment, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(questionnaire):
    return {
        "owner": make_user("rita", email="rita@example.org"),
        "approver": make_user("amir", roles=("approver",), email="amir@example.org"),
        "quiet": make_user("quinn", roles=("approver",), email="quinn@example.org"),
        "manager": make_user("mona", roles=("manager",), email="mona@example.org"),
        "elsewhere": make_user("olga", team="Team B", roles=("approver",), email="o@example.org"),
    }


@pytest.fixture
def record(people, stub_pdf):
    NotificationPreference.objects.create(user=people["quiet"], reminder_emails=False)
    assessment = make_assessment(people["owner"], answers=SAFEST, name="Leaver deprovisioning")
    return assessment


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF stub")


def announce(event_type, assessment, review_by="2027-03-01"):
    events.event_publish(
        event_type,
        team=assessment.team,
        payload={
            "assessment_id": assessment.pk,
            "name": assessment.name,
            "team": str(assessment.team),
            "state": event_type.split(".")[1],
            "review_by": review_by,
            "url": f"/assessments/{assessment.pk}/report/",
        },
    )


def test_a_due_reminder_reaches_the_owner_and_the_approvers_once(smtp_server, record):
    announce(events.REVIEW_DUE, record)
    announce(events.REVIEW_DUE, record)  # the sweep ran twice (two hosts): still owed once
    outbox.deliver_pending()
    outbox.deliver_pending()
    assert sorted(m["To"] for m in smtp_server.messages) == ["amir@example.org", "rita@example.org"]
    mail = smtp_server.to("rita@example.org")[0]
    assert mail["Subject"] == "Review due: Leaver deprovisioning"
    assert "2027-03-01" in mail.text
    assert f"/assessments/{record.pk}/report/" in mail.text
    assert not smtp_server.to("o@example.org")  # another team's approver
    assert not smtp_server.to("quinn@example.org")  # turned reminders off


def test_overdue_and_lapsed_are_each_their_own_reminder(smtp_server, record):
    announce(events.REVIEW_OVERDUE, record)
    announce(events.REVIEW_LAPSED, record)
    outbox.deliver_pending()
    subjects = sorted(m["Subject"] for m in smtp_server.to("rita@example.org"))
    assert subjects == [
        "Approval lapsed: Leaver deprovisioning",
        "Review overdue: Leaver deprovisioning",
    ]


def test_an_action_that_rolls_back_owes_nothing(record):
    with pytest.raises(RuntimeError), transaction.atomic():
        announce(events.REVIEW_DUE, record)
        raise RuntimeError("the sweep failed half-way")
    assert not Delivery.objects.exists()


def test_a_reminder_about_a_record_that_does_not_exist_owes_no_mail(record, caplog):
    events.event_publish(events.REVIEW_DUE, team=record.team, payload={"assessment_id": 987654})
    assert not Delivery.objects.exists()
    assert "names no assessment" in caplog.text


def owed_to_rita(event_type, people) -> Delivery:
    """One reminder, to the owner of a new record (the others owed are dropped)."""
    announce(event_type, make_assessment(people["owner"], answers=SAFEST))
    Delivery.objects.exclude(recipient="rita@example.org").delete()
    return Delivery.objects.get()


class FailingTwice(SmtpInbox):
    """A mail server that refuses the first two messages (451, try later), then accepts."""

    def __init__(self):
        super().__init__()
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refused < 2:
            self.refused += 1
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def flaky_smtp(settings):
    inbox = FailingTwice()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.ASSESSOR_DELIVERY_BACKOFF_SECONDS = 60
    try:
        yield inbox
    finally:
        controller.stop()


def test_a_failing_mail_server_is_retried_with_backoff_until_it_accepts(flaky_smtp, people):
    delivery = owed_to_rita(events.REVIEW_DUE, people)
    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        outbox.deliver_pending()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        assert "451" in delivery.last_error
        waits.append(delivery.next_attempt_at - before)
        outbox.deliver_pending()  # not due yet: nothing is tried
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        Delivery.objects.update(next_attempt_at=timezone.now())  # the clock moves on
    # doubling: about a minute after the first failure, two after the second
    assert timedelta(seconds=59) < waits[0] <= timedelta(seconds=61)
    assert timedelta(seconds=119) < waits[1] <= timedelta(seconds=121)
    outbox.deliver_pending()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert len(flaky_smtp.messages) == 1


def test_it_gives_up_after_the_last_attempt(flaky_smtp, people, settings):
    settings.ASSESSOR_DELIVERY_MAX_ATTEMPTS = 2
    owed_to_rita(events.REVIEW_LAPSED, people)
    for _ in range(2):
        Delivery.objects.update(next_attempt_at=timezone.now())
        outbox.deliver_pending()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    Delivery.objects.update(next_attempt_at=timezone.now())
    outbox.deliver_pending()
    assert not flaky_smtp.messages  # no third try


def test_a_claim_held_by_a_dead_worker_is_taken_over_after_its_lease(smtp_server, record):
    announce(events.REVIEW_DUE, record)
    _, held = outbox.deliveries_claim()  # a worker claims, then dies without sending
    assert len(held) == 2
    assert outbox.deliver_pending() == 0  # its lease is live: nobody else may send them
    assert not smtp_server.messages
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert outbox.deliver_pending() == 2
    assert len(smtp_server.messages) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_two_claims_never_share_a_row(record):
    announce(events.REVIEW_DUE, record)
    _, first = outbox.deliveries_claim(limit=1)
    _, second = outbox.deliveries_claim(limit=5)
    _, third = outbox.deliveries_claim(limit=5)
    assert len(first) == len(second) == 1 and first != second and third == []


def test_emails_keep_one_message_id_across_attempts(flaky_smtp, people):
    # a mail system can drop a repeat sent after a worker died between accept and marking
    delivery = owed_to_rita(events.REVIEW_DUE, people)
    assert outbox._message_id(delivery) == outbox._message_id(Delivery.objects.get(pk=delivery.pk))
    for _ in range(3):
        Delivery.objects.update(next_attempt_at=timezone.now())
        outbox.deliver_pending()
    assert flaky_smtp.messages[0]["Message-ID"] == outbox._message_id(delivery)


def test_the_weekly_digest_goes_to_approvers_and_managers_once_a_week(smtp_server, record, people):
    review.assessment_submit(assessment=record, user=people["owner"])
    announce(events.REVIEW_OVERDUE, make_assessment(people["owner"], name="Access review"))
    smtp_server.messages.clear()
    Delivery.objects.all().delete()
    assert tasks.weekly_digests() == 2
    assert tasks.weekly_digests() == 0  # run again the same week: nothing more owed
    assert sorted(m["To"] for m in smtp_server.messages) == ["amir@example.org", "mona@example.org"]
    digest = smtp_server.to("mona@example.org")[0]
    digest.text = digest.text.replace("\r\n", "\n")  # SMTP's line ends
    assert digest["Subject"] == "Weekly digest: team Team A"
    assert "Review overdue (1):\n- Access review (review by 2027-03-01)" in digest.text
    assert "Awaiting approval (1):\n- Leaver deprovisioning" in digest.text
    assert not smtp_server.to("o@example.org")  # Team B had nothing to tell


def test_the_outbox_forgets_what_is_older_than_ninety_days(record):
    announce(events.REVIEW_DUE, record)
    Delivery.objects.update(status="sent")
    assert outbox.outbox_prune(now=timezone.now() + timedelta(days=89)) == 0
    assert outbox.outbox_prune(now=timezone.now() + timedelta(days=91)) > 0
    assert not Delivery.objects.exists()


def test_a_quiet_week_sends_no_digest(smtp_server, people):
    assert tasks.weekly_digests() == 0
    assert not smtp_server.messages


def test_the_review_sweep_job_logs_a_clear_error_when_the_sweep_is_missing(monkeypatch, caplog, db):
    monkeypatch.setattr(tasks, "REVIEW_SWEEP", "assessor.no_such_module.review_cycle_sweep")
    assert tasks.review_sweep() is None
    assert "The review sweep assessor.no_such_module.review_cycle_sweep does not exist" in (
        caplog.text
    )


def test_the_schedules_command_is_idempotent_and_keeps_each_next_run(db):
    call_command("ensure_schedules")
    first = dict(Schedule.objects.values_list("name", "next_run"))
    call_command("ensure_schedules")
    assert dict(Schedule.objects.values_list("name", "next_run")) == first
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert schedules["Daily review sweep"].func == "assessor.notify.tasks.review_sweep"
    assert schedules["Deliver pending notifications"].schedule_type == Schedule.MINUTES
    assert schedules["Weekly digest"].schedule_type == Schedule.WEEKLY
    assert timezone.localtime(schedules["Weekly digest"].next_run).weekday() == 0


def test_the_settings_page_turns_reminders_off(client, people):
    client.force_login(people["owner"])
    response = client.post("/accounts/settings/", {"review_emails": "on"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=people["owner"]).reminder_emails is False
    page = client.get("/accounts/settings/").content.decode()
    assert "Reminders and digests are off." in page
