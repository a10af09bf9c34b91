"""Personal access tokens: stored hashed, shown once, expiring, revocable, rate limited per
token in a database row every worker shares; the page, the command, and the 401 reasons."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from assessor.models import ApiToken, RateWindow
from assessor.teams import tokens
from tests.builders import api_client, make_token, make_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/assessments/"


def test_only_a_digest_of_the_token_is_stored(owner):
    raw = make_token(owner, name="GRC sync")
    token = ApiToken.objects.get(user=owner)
    assert raw.startswith(token.prefix + "_") and len(raw) > 40
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert raw not in stored
    assert token.digest == tokens.digest(raw)


def test_a_valid_token_acts_as_its_user_and_records_its_last_use(owner, questionnaire):
    raw = make_token(owner)
    assert ApiToken.objects.get().last_used_at is None
    response = api_client(token=raw).get(LIST)
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def _refused(response, reason):
    assert response.status_code == 401
    assert response.json() == {"detail": reason}  # the reason and nothing else
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_401(client, owner, questionnaire):
    _refused(client.get(LIST), "Authentication credentials were not provided.")


def test_a_wrong_token_is_401_saying_it_is_invalid(owner, questionnaire):
    raw = make_token(owner)
    _refused(api_client(token=raw[:-2] + "xx").get(LIST), "Invalid token.")


def test_an_expired_token_is_401_saying_so(owner, questionnaire):
    raw = make_token(owner)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(api_client(token=raw).get(LIST), "This token has expired.")


def test_a_revoked_token_is_401_saying_so(owner, questionnaire):
    raw = make_token(owner)
    tokens.token_revoke(user=owner, pk=ApiToken.objects.get().pk)
    _refused(api_client(token=raw).get(LIST), "This token was revoked.")


def test_an_inactive_users_token_is_401(owner, questionnaire):
    raw = make_token(owner)
    owner.is_active = False
    owner.save()
    _refused(api_client(token=raw).get(LIST), "The token's user account is inactive.")


def test_a_malformed_authorization_header_is_401(client, owner, questionnaire):
    response = client.get(LIST, HTTP_AUTHORIZATION="Bearer two parts")
    _refused(response, "Malformed Authorization header: send 'Bearer <token>'.")


def test_a_signed_in_session_does_not_open_the_api(owner_client, questionnaire):
    assert owner_client.get(LIST).status_code == 401


# --- rate limits -------------------------------------------------------------------------------


def test_each_token_has_its_own_rate_limit_kept_in_the_database(owner, questionnaire, settings):
    settings.ASSESSOR_API_RATE = "3/min"
    first, second = api_client(owner), api_client(owner)
    assert [first.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get(LIST)
    assert limited.status_code == 429
    assert "throttled" in limited.json()["detail"] and int(limited["Retry-After"]) > 0
    assert second.get(LIST).status_code == 200  # another token, its own count
    # The count lives in a database row per token, which every worker and host reads.
    windows = {w.key: len(w.history) for w in RateWindow.objects.all()}
    assert sorted(windows.values()) == [1, 3]


CLIENTS = 10


@pytest.mark.django_db(transaction=True)
def test_parallel_clients_of_one_token_get_exactly_the_limit_through(settings):
    """Issue 23: 10 parallel clients got 35-37 requests through a 30/min limit on PostgreSQL.
    Each client is a thread with its own database connection, as gunicorn workers on several
    hosts would be; each request runs in its own real transaction."""
    settings.ASSESSOR_API_RATE = "30/min"
    raw = make_token(make_user("robot", roles=("reviewer",)))
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client_thread():
        client = api_client(token=raw)
        try:
            barrier.wait(timeout=30)
            for _ in range(6):
                status = client.get(LIST).status_code
                with lock:
                    statuses.append(status)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=client_thread) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == CLIENTS * 6
    assert statuses.count(200) == 30, connection.vendor
    assert statuses.count(429) == CLIENTS * 6 - 30


# --- the command -------------------------------------------------------------------------------


def test_create_token_prints_the_token_once_and_it_works(owner, questionnaire):
    out = io.StringIO()
    call_command("create_token", "owner", "--name", "CI", "--expires-days", "7", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.name == "CI" and token.user == owner
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert api_client(token=raw).get(LIST).status_code == 200


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["nobody", "--name", "CI"], "USER"),
        (["owner", "--name", "  "], "--name"),
        (["owner", "--name", "x" * 101], "--name"),
        (["owner", "--name", "CI", "--expires-days", "0"], "--expires-days"),
        (["owner", "--name", "CI", "--expires-days", "soon"], "--expires-days"),
        (["owner", "--name", "CI", "--expires-days", "99999"], "--expires-days"),
    ],
)
def test_create_token_refuses_bad_input_with_status_2_naming_the_field(owner, args, field):
    with pytest.raises(CommandError) as refused:
        call_command("create_token", *args, stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"{field}:")
    assert not ApiToken.objects.exists()


# --- the page ----------------------------------------------------------------------------------


def test_the_page_creates_a_token_shown_once_then_lists_it_with_its_last_use(
    owner_client, owner, questionnaire
):
    created = owner_client.post("/accounts/tokens/", {"name": "GRC sync", "expires_days": "30"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=owner)
    html = created.content.decode()
    raw = html.split('id="new-token" class="form-control font-monospace" readonly value="')[1]
    raw = raw.split('"')[0]
    assert tokens.digest(raw) == token.digest
    assert "no-store" in created["Cache-Control"]
    api_client(token=raw).get(LIST)
    listed = owner_client.get("/accounts/tokens/").content.decode()
    assert raw not in listed  # shown once only
    assert "GRC sync" in listed and token.prefix in listed and "Active" in listed
    row = listed.split(token.prefix)[1].split("</tr>")[0]
    assert "never" not in row and row.count("<time") == 3  # created, expires, last used


def test_the_page_refuses_a_bad_name_or_lifetime_and_creates_nothing(owner_client):
    response = owner_client.post("/accounts/tokens/", {"name": " ", "expires_days": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required." in html or "Give the token a name" in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_stops_the_token_at_once(owner_client, owner, questionnaire):
    raw = make_token(owner, name="old script")
    token = ApiToken.objects.get()
    response = owner_client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked" in response.content.decode()
    assert "Revoked" in response.content.decode()
    _refused(api_client(token=raw).get(LIST), "This token was revoked.")


def test_nobody_sees_or_revokes_another_users_token(client, owner, outsider):
    make_token(owner, name="owner's secret script")
    token = ApiToken.objects.get()
    client.force_login(outsider)
    assert "owner's secret script" not in client.get("/accounts/tokens/").content.decode()
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_the_tokens_page_needs_sign_in_and_is_linked_from_every_page(owner_client):
    assert Client().get("/accounts/tokens/").status_code == 302
    assert 'href="/accounts/tokens/"' in owner_client.get("/").content.decode()


def test_a_token_for_an_inactive_user_is_refused_at_creation(db):
    user = make_user("gone")
    user.is_active = False
    user.save()
    with pytest.raises(tokens.ValidationError):
        tokens.token_create(user=user, name="x")
