"""Single sign-on against a real OpenID Connect provider.

The provider is django-oauth-toolkit in a process of its own (tests/oidc_provider/) on a
loopback port, with an RSA key generated at its start. The app is served by pytest-django's
live server, and a `requests` session plays the browser: the app sends it to the provider, it
signs in there with a password, the provider sends it back to the app's callback with a code,
and the app exchanges the code, checks the ID token and signs it in (or says why not).

Tampered tokens are the provider's real tokens with claims changed (and signed again with its
key) or signed with another key: see tests/oidc_provider/validators.py.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from assessor.models import Membership, SsoIdentity
from assessor.teams.sso import SsoBackend, grants_from_groups, profile_of
from tests.builders import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "autonomy-assessor"
CLIENT_SECRET = secrets.token_urlsafe(24)
PROVIDER_PASSWORD = secrets.token_urlsafe(12)
GROUP_ROLES = {
    "iam-reviewers": [("Identity team", "reviewer")],
    "iam-approvers": [("Identity team", "approver"), ("Cloud team", "approver")],
    "grc-auditors": [("Cloud team", "auditor")],
    "bank-admins": [("Identity team", "admin")],
}


@contextmanager
def running_provider(folder: Path, redirect_uri: str):
    """The OpenID Connect provider process, registered with `redirect_uri`; always stopped."""
    control = folder / "control.json"
    control.write_text("{}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PROVIDER_DATABASE=str(folder / "provider.sqlite3"),
        PROVIDER_CONTROL=str(control),
        PROVIDER_REDIRECT_URI=redirect_uri,
        PROVIDER_CLIENT_ID=CLIENT_ID,
        PROVIDER_CLIENT_SECRET=CLIENT_SECRET,
        PROVIDER_PASSWORD=PROVIDER_PASSWORD,
    )
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()  # printed once it is ready
        assert port, (folder / "provider.log").read_text()
        yield {"issuer": f"http://127.0.0.1:{port}/o", "control": control}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc-provider")
    with running_provider(folder, f"{live_server.url}/oidc/callback/") as running:
        yield running


@pytest.fixture
def idp(provider, settings):
    """The app configured for the provider (endpoints by discovery); the provider reset."""
    settings.ASSESSOR_OIDC_ENABLED = True
    settings.ASSESSOR_OIDC_ISSUER = provider["issuer"]
    settings.ASSESSOR_OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.ASSESSOR_OIDC_GROUP_ROLES = GROUP_ROLES
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "assessor.teams.sso.SsoBackend",
    ]
    cache.clear()  # the discovery document
    state = {"groups": {"alice": ["iam-reviewers"]}}

    class Provider:
        def set(self, **changes):
            state.update(changes)
            provider["control"].write_text(json.dumps(state))

    controls = Provider()
    controls.set()
    return controls


def to_callback(app_url: str, username: str) -> tuple[requests.Session, str]:
    """A browser that started SSO at the app and signed in at the provider: the session and
    the callback URL the provider sent it back to (not yet visited)."""
    browser = requests.Session()
    page = browser.get(f"{app_url}/oidc/authenticate/", timeout=30)  # app -> provider sign-in
    assert page.status_code == 200 and "/login/" in page.url, page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "username": username,
        "password": PROVIDER_PASSWORD,
        "next": next_url.replace("&amp;", "&"),
    }
    signed_in = browser.post(page.url, data=form, allow_redirects=False, timeout=30)
    assert signed_in.status_code == 302, signed_in.text
    authorize = (
        urlsplit(page.url)._replace(path="", query="").geturl() + signed_in.headers["Location"]
    )
    answer = browser.get(authorize, allow_redirects=False, timeout=30)
    callback = answer.headers["Location"]
    assert callback.startswith(f"{app_url}/oidc/callback/?"), callback
    return browser, callback


def sso_sign_in(app_url: str, username: str) -> tuple[requests.Session, requests.Response]:
    browser, callback = to_callback(app_url, username)
    return browser, browser.get(callback, allow_redirects=False, timeout=30)


def is_signed_in(app_url: str, browser: requests.Session) -> bool:
    """The dashboard answers a signed-in browser; anyone else is sent to sign in."""
    return browser.get(f"{app_url}/", allow_redirects=False, timeout=30).status_code == 200


def roles_of(user) -> dict[str, tuple[set[str], set[str]]]:
    """Team -> (roles held, roles of those granted by SSO)."""
    return {
        m.team.name: (
            {f for f in ("reviewer", "approver", "auditor") if getattr(m, f)},
            set(m.sso_roles),
        )
        for m in Membership.objects.filter(user=user).select_related("team")
    }


def sso_user(username="alice"):
    return SsoIdentity.objects.select_related("user").get(user__username=username).user


# --- the sign-in page -------------------------------------------------------------------


def test_without_sso_configured_the_sign_in_page_has_only_the_password_form(db, client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_the_sign_in_page_offers_the_provider_and_keeps_local_accounts(idp, live_server):
    make_user("breakglass", roles=("reviewer",))
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/accounts/login/?next=/", timeout=30)
    assert "Sign in with Test IdP" in page.text
    assert 'href="/oidc/authenticate/?next=/"' in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    local = browser.post(
        f"{live_server.url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "breakglass", "password": PASSWORD},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=30,
    )
    assert local.status_code == 302  # the local (break-glass) account still signs in
    assert is_signed_in(live_server.url, browser)


# --- signing in, and roles that follow the claims ---------------------------------------


def test_a_mapped_group_signs_in_with_its_role_and_profile(idp, live_server):
    browser, answer = sso_sign_in(live_server.url, "alice")

    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert is_signed_in(live_server.url, browser)
    user = sso_user()
    assert (user.email, user.first_name, user.last_name) == (
        "alice@example.org",
        "Alice",
        "Example",
    )
    assert not user.has_usable_password()  # SSO users have no password here
    assert roles_of(user) == {"Identity team": ({"reviewer"}, {"reviewer"})}
    dashboard = browser.get(f"{live_server.url}/", timeout=30)
    assert "Sign out (alice)" in dashboard.text and "Change password" not in dashboard.text


def test_roles_follow_the_claims_at_each_sign_in_and_hand_granted_ones_stay(idp, live_server):
    idp.set(groups={"alice": ["iam-reviewers", "iam-approvers"]})
    sso_sign_in(live_server.url, "alice")
    user = sso_user()
    assert roles_of(user) == {
        "Identity team": ({"reviewer", "approver"}, {"reviewer", "approver"}),
        "Cloud team": ({"approver"}, {"approver"}),
    }
    from assessor.teams.membership import member_add

    member_add(team_name="Cloud team", username="alice", role="auditor")  # by hand

    idp.set(groups={"alice": ["iam-reviewers"]})  # approvers claim gone
    browser, answer = sso_sign_in(live_server.url, "alice")
    assert answer.status_code == 302 and is_signed_in(live_server.url, browser)
    assert roles_of(user) == {
        "Identity team": ({"reviewer"}, {"reviewer"}),
        "Cloud team": ({"auditor"}, set()),
    }

    idp.set(groups={"alice": []})  # no mapped group left: refused, SSO roles removed
    browser, answer = sso_sign_in(live_server.url, "alice")
    assert answer.status_code == 403 and "no role here" in answer.text
    assert not is_signed_in(live_server.url, browser)
    assert roles_of(user) == {"Cloud team": ({"auditor"}, set())}


def test_a_user_with_no_mapped_group_gets_a_clear_page_and_no_account(idp, live_server):
    idp.set(groups={"carol": ["unrelated-group"]})
    browser, answer = sso_sign_in(live_server.url, "carol")

    assert answer.status_code == 403
    assert "Your account has no role here" in answer.text
    assert "Back to sign in" in answer.text and "/static/css/app.css" in answer.text
    assert not is_signed_in(live_server.url, browser)
    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()


def test_a_changed_email_keeps_the_same_account(idp, live_server):
    sso_sign_in(live_server.url, "alice")
    idp.set(emails={"alice": "alice.example@example.org"})
    browser, answer = sso_sign_in(live_server.url, "alice")

    assert answer.status_code == 302 and is_signed_in(live_server.url, browser)
    assert get_user_model().objects.count() == 1
    assert sso_user().email == "alice.example@example.org"


def test_a_local_account_with_the_same_name_and_email_is_not_taken_over(idp, live_server):
    local = make_user("alice", team="Team B", roles=("approver",))
    local.email = "alice@example.org"
    local.save()

    browser, answer = sso_sign_in(live_server.url, "alice")

    assert answer.status_code == 302
    user = sso_user("alice-2")
    assert user != local and user.email == "alice@example.org"
    assert roles_of(user) == {"Identity team": ({"reviewer"}, {"reviewer"})}
    assert roles_of(local) == {"Team B": ({"approver"}, set())}
    assert not SsoIdentity.objects.filter(user=local).exists()


def test_the_questionnaire_admin_role_opens_the_back_office_while_claimed(idp, live_server):
    idp.set(groups={"alice": ["iam-reviewers", "bank-admins"]})
    sso_sign_in(live_server.url, "alice")
    user = sso_user()
    assert user.is_staff and user.has_perm("assessor.change_question")

    idp.set(groups={"alice": ["iam-reviewers"]})
    sso_sign_in(live_server.url, "alice")
    user = get_user_model().objects.get(pk=user.pk)
    assert not user.is_staff and not user.has_perm("assessor.change_question")


# --- refusals: each a clear page, nobody signed in, no account --------------------------


def test_a_deactivated_sso_user_is_refused(idp, live_server):
    sso_sign_in(live_server.url, "alice")
    get_user_model().objects.filter(username="alice").update(is_active=False)

    browser, answer = sso_sign_in(live_server.url, "alice")
    assert answer.status_code == 403 and "This account is disabled" in answer.text
    assert not is_signed_in(live_server.url, browser)


def test_a_sign_in_cancelled_at_the_provider_is_refused(idp, live_server):
    browser, callback = to_callback(live_server.url, "alice")
    state = dict(parse_qsl(urlsplit(callback).query))["state"]
    query = urlencode({"error": "access_denied", "state": state})
    answer = browser.get(f"{live_server.url}/oidc/callback/?{query}", timeout=30)

    assert answer.status_code == 403 and "Sign-in was cancelled" in answer.text
    assert not is_signed_in(live_server.url, browser)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        {"claims": {"aud": "another-client"}},
        {"claims": {"iss": "http://127.0.0.1:9/evil"}},
        {"rogue_key": True},
        {"claims": {"nonce": "forged"}},
        {"claims": {"exp": 1_000_000_000}},
    ],
    ids=["wrong-audience", "wrong-issuer", "wrong-signature", "wrong-nonce", "expired"],
)
def test_a_tampered_id_token_is_refused(idp, live_server, tamper):
    idp.set(tamper=tamper)
    browser, answer = sso_sign_in(live_server.url, "alice")

    assert answer.status_code == 400
    assert "The sign-in could not be verified" in answer.text
    assert not is_signed_in(live_server.url, browser)
    assert not get_user_model().objects.exists()


def test_a_replayed_callback_is_refused(idp, live_server):
    browser, callback = to_callback(live_server.url, "alice")
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 302

    again = browser.get(callback, allow_redirects=False, timeout=30)
    assert again.status_code == 400 and "no longer valid" in again.text

    elsewhere = requests.Session()  # someone else replaying the URL
    stolen = elsewhere.get(callback, allow_redirects=False, timeout=30)
    assert stolen.status_code == 400 and "no longer valid" in stolen.text
    assert not is_signed_in(live_server.url, elsewhere)


@pytest.mark.parametrize("state", ["", None, "not-the-state-we-sent"])
def test_a_callback_with_a_missing_or_wrong_state_is_refused(idp, live_server, state):
    browser, callback = to_callback(live_server.url, "alice")
    parts = urlsplit(callback)
    query = {k: v for k, v in parse_qsl(parts.query) if k != "state"}
    if state is not None:
        query["state"] = state
    answer = browser.get(urlunsplit(parts._replace(query=urlencode(query))), timeout=30)

    assert answer.status_code == 400 and "no longer valid" in answer.text
    assert not is_signed_in(live_server.url, browser)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"error": "x"},
        {"error": "access_denied", "state": ""},
        {"error": "access_denied", "state": "not-a-state-of-this-browser"},
        {"error": "login_required", "error_description": "Sign in again", "code": "c"},
    ],
)
@pytest.mark.parametrize("who", ["reviewer", "break-glass superuser"])
def test_an_error_callback_that_no_sign_in_here_started_signs_nobody_out(
    db, settings, client, query, who
):
    """Issue 23: a link to /oidc/callback/?error=x (in an email, an image) signed out whoever
    opened it, the local break-glass administrator included."""
    settings.ASSESSOR_OIDC_ENABLED = True
    if who == "reviewer":
        user = make_user("local-reviewer")
    else:
        user = get_user_model().objects.create_superuser("breakglass", password=PASSWORD)
    client.force_login(user)
    session_key = client.session.session_key

    answer = client.get(f"/oidc/callback/?{urlencode(query)}")

    assert answer.status_code == 400 and b"no longer valid" in answer.content
    assert client.get("/").status_code == 200  # still signed in
    assert client.session.session_key == session_key


def test_a_cancelled_sign_in_started_by_a_signed_in_user_keeps_them_signed_in(db, settings, client):
    settings.ASSESSOR_OIDC_ENABLED = True
    client.force_login(make_user("local-reviewer"))
    session = client.session
    session["oidc_states"] = {"s1": {"nonce": "n", "code_verifier": "v"}}
    session.save()

    answer = client.get("/oidc/callback/?error=access_denied&state=s1")

    assert answer.status_code == 403 and b"Sign-in was cancelled" in answer.content
    assert client.get("/").status_code == 200
    assert "s1" not in client.session["oidc_states"]  # used up: the link cannot be replayed


def test_a_provider_that_cannot_be_reached_gets_a_clear_page(db, settings, client):
    settings.ASSESSOR_OIDC_ENABLED = True
    settings.ASSESSOR_OIDC_ISSUER = "http://127.0.0.1:9/nobody"  # discard port: refused
    cache.clear()
    answer = client.get("/oidc/authenticate/")
    assert answer.status_code == 502
    assert b"could not be reached" in answer.content


# --- the mapping and the claims, without a provider -------------------------------------


def test_groups_grant_the_union_of_their_roles_per_team():
    assert grants_from_groups(["iam-reviewers", "iam-approvers", "other"], GROUP_ROLES) == {
        "Identity team": {"reviewer", "approver"},
        "Cloud team": {"approver"},
    }
    assert grants_from_groups([], GROUP_ROLES) == {}


@pytest.mark.parametrize(
    ("claims", "profile"),
    [
        (
            {"email": "a@x.org", "given_name": "Ada", "family_name": "Lovelace", "name": "X Y"},
            {"email": "a@x.org", "first_name": "Ada", "last_name": "Lovelace"},
        ),
        (
            {"preferred_username": "ada@x.org", "name": "Ada King Lovelace"},
            {"email": "ada@x.org", "first_name": "Ada", "last_name": "King Lovelace"},
        ),
        ({"preferred_username": "ada"}, {"email": "", "first_name": "", "last_name": ""}),
    ],
)
def test_email_and_names_come_from_the_usual_claims_with_fallbacks(claims, profile):
    assert profile_of(claims) == profile


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "must be a JSON object"),
        ('{"g": "Team A"}', "list of [team, role]"),
        ('{"g": [["Team A", "boss"]]}', "roles are reviewer, approver, auditor, admin, manager"),
    ],
)
def test_a_bad_group_mapping_stops_the_app_with_a_reason(monkeypatch, value, message):
    from config.settings import env_group_roles

    monkeypatch.setenv("ASSESSOR_OIDC_GROUP_ROLES", value)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        env_group_roles("ASSESSOR_OIDC_GROUP_ROLES")


def test_a_group_mapping_from_the_environment(monkeypatch):
    from config.settings import env_group_roles

    monkeypatch.setenv("ASSESSOR_OIDC_GROUP_ROLES", '{"g": [["Team A", "admin"]]}')
    assert env_group_roles("ASSESSOR_OIDC_GROUP_ROLES") == {"g": [("Team A", "admin")]}


# --- several gunicorn workers, configured from the environment --------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_app(tmp_path):
    """The app under gunicorn with two workers, SSO set only by environment variables, and a
    provider registered with its callback. Its own SQLite database; always stopped."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with running_provider(tmp_path, f"{app_url}/oidc/callback/") as provider:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ASSESSOR_"))}
        env.update(
            # the test settings: static files from the finders (nobody ran collectstatic)
            DJANGO_SETTINGS_MODULE="config.test_settings",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_HSTS_SECONDS="0",
            DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}",
            PYTHONPATH=str(ROOT),
            ASSESSOR_OIDC_ISSUER=provider["issuer"],
            ASSESSOR_OIDC_CLIENT_ID=CLIENT_ID,
            ASSESSOR_OIDC_CLIENT_SECRET=CLIENT_SECRET,
            ASSESSOR_OIDC_PROVIDER_NAME="Test IdP",
            ASSESSOR_OIDC_GROUP_ROLES=json.dumps(GROUP_ROLES),
        )
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
        subprocess.run(migrate, env=env, cwd=ROOT, check=True, timeout=300)
        log = (tmp_path / "gunicorn.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers=2"]
            + [f"--bind=127.0.0.1:{port}", "--log-level=warning"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(120):
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                try:
                    requests.get(f"{app_url}/accounts/login/", timeout=5).raise_for_status()
                    break
                except requests.RequestException:
                    time.sleep(0.5)
            yield app_url, provider
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def test_sso_works_across_gunicorn_workers_configured_from_the_environment(gunicorn_app):
    app_url, provider = gunicorn_app
    provider["control"].write_text(json.dumps({"groups": {"alice": ["iam-reviewers"]}}))
    assert "Sign in with Test IdP" in requests.get(f"{app_url}/accounts/login/", timeout=30).text

    for _ in range(3):  # state, nonce and the session are in the database: any worker serves
        browser, callback = to_callback(app_url, "alice")
        answer = browser.get(callback, allow_redirects=False, timeout=30)
        assert answer.status_code == 302
        assert all(is_signed_in(app_url, browser) for _ in range(4))
        replayed = browser.get(callback, allow_redirects=False, timeout=30)
        assert replayed.status_code == 400 and "no longer valid" in replayed.text


def test_two_first_sign_ins_at_once_end_in_one_account(db, settings, monkeypatch, rf):
    settings.ASSESSOR_OIDC_GROUP_ROLES = GROUP_ROLES
    payload = {"iss": "https://idp.example", "sub": "42", "preferred_username": "alice"}
    userinfo = {"sub": "42", "groups": ["iam-reviewers"]}
    backend = SsoBackend()
    backend.request = rf.get("/oidc/callback/")
    monkeypatch.setattr(backend, "get_userinfo", lambda *args: userinfo)
    first = backend.get_or_create_user("access", "id", payload)

    looked = []  # the second request looks before the first one's account exists

    def late_lookup(claims):
        looked.append(claims)
        return None if len(looked) == 1 else SsoBackend.identity_of(claims)

    monkeypatch.setattr(backend, "identity_of", late_lookup)
    second = backend.get_or_create_user("access", "id", payload)

    assert second == first and len(looked) == 2
    assert get_user_model().objects.count() == 1
    assert roles_of(first) == {"Identity team": ({"reviewer"}, {"reviewer"})}
