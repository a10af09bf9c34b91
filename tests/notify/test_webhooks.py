"""Webhooks: a team manager's endpoints, signed Standard Webhooks payloads checked by an
independent implementation (the `standardwebhooks` package), Slack and Teams presets, the
outbound address check at save and at send time, and the pages' team boundary.

A local receiver (http.server in a thread, on 127.0.0.1) stands in for the far end; it is
reached only because each test allows it through the operator's allow-list.
"""

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from assessor import events
from assessor.documents import pdf
from assessor.notify import addresses, formats, outbox
from assessor.notify.addresses import UnsafeTarget, target_check
from assessor.notify.models import Delivery, WebhookEndpoint
from assessor.oversight import cycle
from assessor.review import services as review
from tests.builders import SAFEST, make_assessment, make_user

pytestmark = pytest.mark.django_db


class Receiver:
    """Records every POST; answers `status` (and a Location header for a redirect)."""

    def __init__(self):
        self.requests = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append((self.path, headers, body))
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/assessor?source=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS = ["127.0.0.1/32"]
    server = Receiver()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def stub_pdf(monkeypatch):
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF stub")


@pytest.fixture
def manager(db):
    return make_user("mona", roles=("manager",))


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def add_endpoint(client, team_id, url, *, format="standard", event_types=None, name="SIEM"):
    return client.post(
        reverse("webhook_list", args=[team_id]),
        {
            "name": name,
            "url": url,
            "format": format,
            "event_types": event_types or list(events.EVENT_TYPES),
            "active": "on",
        },
    )


def team_a(manager):
    return manager.memberships.get().team


def approved_record(questionnaire):
    reviewer = make_user("rita")
    signer = make_user("amir", roles=("approver",))
    record = make_assessment(reviewer, answers=SAFEST, name="Leaver deprovisioning")
    review.assessment_submit(assessment=record, user=reviewer)
    review.assessment_approve(assessment=record, user=signer)
    return record


def test_an_approval_reaches_the_endpoint_signed_as_standard_webhooks_says(
    manager_client, manager, receiver, questionnaire
):
    response = add_endpoint(manager_client, team_a(manager).pk, receiver.url)
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()  # shown once, at creation
    record = approved_record(questionnaire)
    outbox.deliver_pending()

    kinds = [json.loads(body)["type"] for _, _, body in receiver.requests]
    assert kinds == ["assessment.submitted", "assessment.approved"]
    path, headers, body = receiver.requests[1]
    assert path == "/hooks/assessor?source=test"
    # an independent implementation of the spec accepts the signature
    verified = Webhook(endpoint.secret).verify(body, headers)
    assert verified["data"]["name"] == "Leaver deprovisioning"
    assert verified["data"]["url"].endswith(f"/assessments/{record.pk}/report/")
    assert verified["id"] == headers["webhook-id"]
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(endpoint.secret).verify(body.replace(b"Leaver", b"Joiner"), headers)
    log = manager_client.get(reverse("webhook_edit", args=[endpoint.team_id, endpoint.pk]))
    assert endpoint.secret not in log.content.decode()  # never shown again
    assert log.content.decode().count("Sent") == 2


def test_only_the_events_an_endpoint_chose_are_sent(
    manager_client, manager, receiver, questionnaire
):
    add_endpoint(
        manager_client, team_a(manager).pk, receiver.url, event_types=["assessment.returned"]
    )
    approved_record(questionnaire)
    outbox.deliver_pending()
    assert receiver.requests == []


def test_another_teams_events_are_not_sent(manager_client, manager, receiver, questionnaire):
    other = make_user("otto", team="Team B", roles=("manager",))
    manager_client.force_login(other)
    add_endpoint(manager_client, other.memberships.get().team_id, receiver.url)
    approved_record(questionnaire)  # Team A's
    outbox.deliver_pending()
    assert receiver.requests == []


def test_a_published_questionnaire_is_told_to_every_subscribed_team(
    manager_client, manager, receiver, document
):
    from assessor.bank.loading import questionnaire_load

    add_endpoint(manager_client, team_a(manager).pk, receiver.url, format="slack")
    questionnaire_load(document=document, publish=True)
    outbox.deliver_pending()
    ((_, headers, body),) = receiver.requests
    assert json.loads(body) == {"text": f"Questionnaire published: version {document['version']}"}
    assert headers["webhook-signature"].startswith("v1,")


def test_the_teams_preset_posts_an_adaptive_card(manager_client, manager, receiver, questionnaire):
    add_endpoint(manager_client, team_a(manager).pk, receiver.url, format="teams")
    record = approved_record(questionnaire)
    outbox.deliver_pending()
    message = json.loads(receiver.requests[-1][2])
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["body"][0]["text"] == "Approved: Leaver deprovisioning (team Team A)"
    assert card["actions"][0]["url"].endswith(f"/assessments/{record.pk}/report/")


def test_a_failing_endpoint_is_retried_and_logged(manager_client, manager, receiver, questionnaire):
    receiver.status = 503
    add_endpoint(
        manager_client, team_a(manager).pk, receiver.url, event_types=["assessment.approved"]
    )
    approved_record(questionnaire)
    outbox.deliver_pending()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at > delivery.created_at
    page = manager_client.get(
        reverse("webhook_edit", args=[delivery.team_id, delivery.endpoint_id])
    )
    assert "HTTP 503: not a 2xx answer" in page.content.decode()


def test_a_redirect_is_not_followed(manager_client, manager, receiver, questionnaire):
    receiver.status = 302
    add_endpoint(
        manager_client, team_a(manager).pk, receiver.url, event_types=["assessment.approved"]
    )
    approved_record(questionnaire)
    outbox.deliver_pending()
    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1
    assert delivery.status == "pending" and "redirects are not followed" in delivery.last_error


def test_the_address_is_checked_again_at_send_time(
    manager_client, manager, receiver, questionnaire, settings
):
    add_endpoint(
        manager_client, team_a(manager).pk, receiver.url, event_types=["assessment.approved"]
    )
    settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS = []  # the operator withdrew the permission
    approved_record(questionnaire)
    outbox.deliver_pending()
    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == "failed"  # no retry: the address will not become allowed by waiting
    assert "127.0.0.1 is a loopback address" in delivery.last_error


def test_it_connects_to_the_address_it_checked(receiver, monkeypatch):
    # a name that resolves to the allowed address at the check; the post goes to that address
    # (not to a second lookup, which DNS rebinding could answer differently), with its Host
    calls = []

    def resolve(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(addresses, "_resolve", resolve)
    url = f"http://hooks.example.test:{receiver.port}/in"
    status = outbox.webhook_post(url, b"{}", {"content-type": "application/json"})
    assert status == 204 and calls == ["hooks.example.test"]
    assert receiver.requests[0][1]["host"] == f"hooks.example.test:{receiver.port}"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8000/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is a loopback address"),
        ("http://localhost/", "localhost resolves to 127.0.0.1, which is a loopback address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/", "192.168.0.10 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("ftp://93.184.215.14/", "Only http and https"),
        ("https://user:pw@93.184.215.14/", "no user name or password"),
    ],
)
def test_the_address_check_refuses_internal_targets(url, said, settings):
    settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS = []
    with pytest.raises(UnsafeTarget, match=said.replace("[", r"\[").replace(".", r"\.")):
        target_check(url)


def test_the_address_check_lets_public_and_allowed_targets_through(settings):
    settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS = ["10.20.0.0/16", "localhost"]
    assert target_check("https://93.184.215.14/hook").address == "93.184.215.14"
    assert target_check("http://10.20.3.4:8080/x?y=1").path == "/x?y=1"
    assert target_check("http://localhost/").address in ("127.0.0.1", "::1")
    with pytest.raises(UnsafeTarget):
        target_check("http://10.21.0.1/")


# --- the pages ----------------------------------------------------------------------------


def test_a_loopback_url_gets_a_clear_form_error_and_nothing_is_saved(
    manager_client, manager, settings
):
    settings.ASSESSOR_WEBHOOK_ALLOWED_TARGETS = []
    response = add_endpoint(manager_client, team_a(manager).pk, "http://127.0.0.1:8000/hook")
    assert response.status_code == 400
    assert "127.0.0.1 is a loopback address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_needs_an_event(manager_client, manager):
    response = manager_client.post(
        reverse("webhook_list", args=[team_a(manager).pk]),
        {"name": "x", "url": "https://93.184.215.14/", "format": "standard"},
    )
    assert response.status_code == 400
    assert "Choose at least one event to send." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_test_button_queues_a_message_that_shows_in_the_log(manager_client, manager, receiver):
    add_endpoint(manager_client, team_a(manager).pk, receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    response = manager_client.post(reverse("webhook_test", args=[endpoint.team_id, endpoint.pk]))
    assert response.status_code == 302
    outbox.deliver_pending()
    ((_, headers, body),) = receiver.requests
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "webhook.test"
    page = manager_client.get(reverse("webhook_edit", args=[endpoint.team_id, endpoint.pk]))
    assert "webhook.test" in page.content.decode() and "204" in page.content.decode()


def test_a_manager_edits_and_deletes_an_endpoint(manager_client, manager, receiver):
    add_endpoint(manager_client, team_a(manager).pk, receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    edit = reverse("webhook_edit", args=[endpoint.team_id, endpoint.pk])
    response = manager_client.post(
        edit,
        {"name": "Chat", "url": receiver.url, "format": "slack", "event_types": ["review.lapsed"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.format, endpoint.event_types, endpoint.active) == (
        "Chat",
        "slack",
        ["review.lapsed"],
        False,
    )
    manager_client.post(reverse("webhook_delete", args=[endpoint.team_id, endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["reviewer of the team", "manager of another team", "superuser"])
def test_only_the_teams_managers_reach_its_webhooks(client, manager, receiver, who):
    manager_client = client
    manager_client.force_login(manager)
    add_endpoint(manager_client, team_a(manager).pk, receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    if who == "reviewer of the team":
        person = make_user("rita")
    elif who == "manager of another team":
        person = make_user("otto", team="Team B", roles=("manager", "reviewer", "approver"))
    else:
        person = make_user("root", roles=())
        person.is_superuser = person.is_staff = True
        person.save()
    client.force_login(person)
    args = [endpoint.team_id, endpoint.pk]
    for name, method in (
        ("webhook_edit", "get"),
        ("webhook_edit", "post"),
        ("webhook_test", "post"),
        ("webhook_delete", "post"),
    ):
        response = getattr(client, method)(reverse(name, args=args), {"name": "taken"})
        assert response.status_code == 404, (name, method)
    assert client.get(reverse("webhook_list", args=[endpoint.team_id])).status_code == 404
    assert client.post(reverse("webhook_list", args=[endpoint.team_id]), {}).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.name == "SIEM" and WebhookEndpoint.objects.count() == 1
    assert not Delivery.objects.exists()


def test_the_settings_page_links_a_manager_to_the_teams_webhooks(manager_client, manager):
    page = manager_client.get(reverse("account_settings")).content.decode()
    assert reverse("webhook_list", args=[team_a(manager).pk]) in page


def test_events_of_the_review_workflow_name_the_record(questionnaire):
    seen = []

    def listen(sender, *, event_type, team, payload, **kwargs):
        seen.append((event_type, team.name, payload["assessment_id"], payload["actor"]))

    events.event_recorded.connect(listen)
    try:
        reviewer, signer = make_user("rita"), make_user("amir", roles=("approver",))
        record = make_assessment(reviewer, answers=SAFEST)
        review.assessment_submit(assessment=record, user=reviewer)
        review.assessment_return(assessment=record, user=signer, comment="Add evidence.")
        review.assessment_submit(assessment=record, user=reviewer)
        review.assessment_approve(assessment=record, user=signer)
    finally:
        events.event_recorded.disconnect(listen)
    assert seen == [
        ("assessment.submitted", "Team A", record.pk, "rita"),
        ("assessment.returned", "Team A", record.pk, "amir"),
        ("assessment.submitted", "Team A", record.pk, "rita"),
        ("assessment.approved", "Team A", record.pk, "amir"),
    ]


def test_a_review_reminder_posted_to_slack_links_the_record():
    """The sweep's events name the record like every other event, so the message links it."""
    payload = cycle.event_payload(
        assessment_id=41, name="Leaver", team="Team A", state="due", review_by=date(2027, 3, 1)
    )
    message = json.loads(
        formats.body(
            WebhookEndpoint.Format.SLACK,
            event_type=events.REVIEW_DUE,
            event_id="evt_1",
            created_at=timezone.now(),
            payload=payload,
        )
    )
    assert message["text"].endswith("/assessments/41/report/|Open>")
    assert "review by 2027-03-01" in message["text"]
