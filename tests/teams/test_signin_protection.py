"""Sign-in protection: django-axes locks out repeated failures; forged headers don't help."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from assessor.teams.auth import client_ip
from tests.builders import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def attempt(client, password, **headers):
    return client.post(reverse("login"), {"username": "owner", "password": password}, **headers)


def test_the_fifth_failure_locks_the_account_even_for_the_right_password(client):
    make_user("owner")
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    assert attempt(client, "wrong").status_code == 429
    locked = attempt(client, PASSWORD)
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forged_x_forwarded_for_cannot_reset_or_dodge_the_count(client):
    make_user("owner")
    for n in range(5):
        attempt(client, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert response.status_code == 429


def test_a_successful_sign_in_before_the_limit_resets_the_count(client):
    make_user("owner")
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302


def test_the_client_address_ignores_client_written_forwarded_entries(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    settings.ASSESSOR_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.5"
    settings.ASSESSOR_TRUSTED_PROXIES = 1
    request.META["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 192.0.2.10"  # forged, then the proxy's
    assert client_ip(request) == "192.0.2.10"


def test_the_session_key_rotates_at_sign_in(client):
    make_user("owner")
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = session.session_key
    attempt(client, PASSWORD)
    assert client.session.session_key != before
    assert client.session["_auth_user_id"]
