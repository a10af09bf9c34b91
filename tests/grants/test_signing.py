"""Grants verify with an independent JOSE library (PyJWT) against the JWKS the app serves;
a tampered token does not; after a key rotation old grants still verify and new ones carry
the new kid. The app's own check (API and command) names why a token fails."""

import base64
import io
import json
import threading
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from assessor.grants import signing
from assessor.grants.models import AutonomyGrant, SigningKey
from assessor.grants.services import grant_revoke
from assessor.models import Assessment
from assessor.records.services import WorkflowError
from tests.builders import api_client, make_agent, make_granted

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(stub_pdf, questionnaire, owner, approver):
    make_granted(owner, approver)
    return AutonomyGrant.objects.get()


def _pyjwt_verify(client, token: str) -> dict:
    """PyJWT alone, with the key the served JWKS names by the token's kid."""
    keys = client.get("/.well-known/jwks.json").json()
    kid = pyjwt.get_unverified_header(token)["kid"]
    jwk = next(key for key in keys["keys"] if key["kid"] == kid)
    key = pyjwt.PyJWK(jwk)
    return pyjwt.decode(token, key, algorithms=["EdDSA"], options={"verify_aud": False})


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["grant"]["verdict"] = "owner" if claims["grant"]["verdict"] != "owner" else "x"
    claims["exp"] += 10**8
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_pyjwt_verifies_a_grant_against_the_served_jwks(grant, client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    assert all("d" not in key for key in response.json()["keys"])  # public halves only
    claims = _pyjwt_verify(client, grant.token)
    assert claims["jti"] == str(grant.jti)
    assert claims["grant"]["verdict"] == "owner"
    assert pyjwt.get_unverified_header(grant.token)["typ"] == "autonomy-grant+jwt"


def test_a_tampered_grant_fails_with_pyjwt_and_the_app(grant, client):
    forged = _tampered(grant.token)
    with pytest.raises(pyjwt.InvalidSignatureError):
        _pyjwt_verify(client, forged)
    assert signing.token_verify(forged).reason == "bad signature"


def test_after_rotation_old_grants_verify_and_new_ones_use_the_new_kid(
    grant, client, owner, approver
):
    old_kid = grant.kid
    call_command("rotate_grant_key")
    make_granted(owner, approver, agent=make_agent(owner, name="Second agent"))
    newer = AutonomyGrant.objects.exclude(pk=grant.pk).get()
    assert newer.kid != old_kid
    kids = {key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, newer.kid} <= kids
    assert _pyjwt_verify(client, grant.token)["jti"] == str(grant.jti)
    assert _pyjwt_verify(client, newer.token)["jti"] == str(newer.jti)
    # the old key stays while its grant lives, and goes once it has expired
    call_command("rotate_grant_key", "--retire")
    assert SigningKey.objects.filter(kid=old_kid).exists()
    assert signing.keys_retire(now=grant.valid_until + timedelta(days=1)) == [old_kid]
    assert signing.token_verify(grant.token).reason.startswith("unknown kid")


def test_ensure_makes_the_first_key_once_and_the_jwks_publishes_it(client, db):
    assert client.get("/.well-known/jwks.json").json()["keys"] == []
    call_command("rotate_grant_key", "--ensure")
    call_command("rotate_grant_key", "--ensure")
    (key,) = SigningKey.objects.all()
    (published,) = client.get("/.well-known/jwks.json").json()["keys"]
    assert published["kid"] == key.kid and published["crv"] == "Ed25519"


def test_ensure_and_retire_together_exit_2_naming_both(db):
    with pytest.raises(CommandError, match="--retire and --ensure") as caught:
        call_command("rotate_grant_key", "--retire", "--ensure")
    assert caught.value.returncode == 2
    assert not SigningKey.objects.exists()


def test_the_private_key_can_be_stored_encrypted(settings, db):
    settings.ASSESSOR_GRANT_KEY_PASSWORD = "correct horse battery staple"
    key = signing.key_active()
    assert key.private_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    token, kid = signing.token_sign({"sub": "agent:1", "nbf": 0, "exp": 2**40, "jti": "x"})
    assert kid == key.kid and signing.token_verify(token).valid


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads race on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_processes_making_the_first_key_at_once_share_one():
    kids, barrier = [], threading.Barrier(2)

    def first_use():
        barrier.wait()
        try:
            kids.append(signing.key_active().kid)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 2 and kids[0] == kids[1]
    assert SigningKey.objects.count() == 1


# --- the app's own check: the API and the command ----------------------------------------


def test_the_verify_endpoint_names_each_reason(grant, owner, approver):
    api = api_client(owner)
    url = reverse("api-grant-verify")
    ok = api.post(url, {"token": grant.token}, format="json").json()
    assert ok["valid"] is True and ok["claims"]["jti"] == str(grant.jti)
    assert api.post(url, {"token": _tampered(grant.token)}, format="json").json() == {
        "valid": False,
        "reason": "bad signature",
        "kid": grant.kid,
        "claims": {},
    }
    header, payload, signature = grant.token.split(".")
    head = json.loads(base64.urlsafe_b64decode(header + "=="))
    head["kid"] = "nobody"
    other = base64.urlsafe_b64encode(json.dumps(head).encode()).rstrip(b"=").decode()
    unknown = api.post(url, {"token": f"{other}.{payload}.{signature}"}, format="json").json()
    assert unknown["reason"].startswith("unknown kid")
    for bad in ("", "not-a-token", "a.b.c", "x" * 5000, ["list"]):
        response = api.post(url, {"token": bad}, format="json")
        assert response.status_code == 400, bad
        assert response.json()["token"]
    expired = signing.token_verify(grant.token, now=grant.valid_until + timedelta(seconds=1))
    assert expired.reason.startswith("expired")
    early = signing.token_verify(grant.token, now=grant.valid_from - timedelta(hours=1))
    assert early.reason.startswith("not yet valid")
    grant_revoke(assessment=grant.assessment, user=approver, reason="Withdrawn for the test.")
    revoked = api.post(url, {"token": grant.token}, format="json").json()
    assert revoked["valid"] is False and revoked["reason"].startswith("revoked")


def verify_grant(path) -> tuple[int, str, str]:
    """(exit status, stdout, stderr and message) of `manage.py verify_grant path`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_grant", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def test_verify_grant_exits_0_valid_1_invalid_2_bad_input(grant, tmp_path):
    good = tmp_path / "grant.jwt"
    good.write_text(grant.token + "\n")
    status, out, _ = verify_grant(good)
    assert status == 0 and '"valid": true' in out
    forged = tmp_path / "forged.jwt"
    forged.write_text(_tampered(grant.token))
    status, _, err = verify_grant(forged)
    assert status == 1 and "bad signature" in err
    html = tmp_path / "page.jwt"
    html.write_text("<html>hi</html>")
    for path in (tmp_path / "missing.jwt", html):
        status, _, err = verify_grant(path)
        assert status == 2 and err.startswith("file:"), err


def test_an_unreadable_key_refuses_the_approval_and_changes_nothing(
    stub_pdf, questionnaire, owner, approver, settings
):
    settings.ASSESSOR_GRANT_KEY_PASSWORD = "first"
    signing.key_active()
    settings.ASSESSOR_GRANT_KEY_PASSWORD = "changed by mistake"
    with pytest.raises(WorkflowError, match="ASSESSOR_GRANT_KEY_PASSWORD"):
        make_granted(owner, approver)
    assert not AutonomyGrant.objects.exists()
    assert not Assessment.objects.filter(status="approved").exists()
