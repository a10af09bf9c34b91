"""Production settings: `check --deploy` passes with the documented environment, and every
page carries the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "assessor.example.com",
    "DJANGO_BEHIND_PROXY": "1",
}


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_environment():
    completed = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_check_deploy_fails_when_the_hardening_is_switched_off():
    weakened = {**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": "0", "DJANGO_HSTS_SECONDS": "0"}
    completed = run_manage("check", "--deploy", "--fail-level", "WARNING", env=weakened)
    assert completed.returncode != 0
    assert "SECURE_SSL_REDIRECT" in completed.stderr + completed.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    completed = run_manage("check", env=env)
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in completed.stderr


@pytest.mark.django_db
def test_pages_carry_csp_frame_and_referrer_headers(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_page_has_an_inline_script_or_style_attribute(owner_client, owner, questionnaire):
    from tests.builders import SAFEST, make_assessment

    assessment = make_assessment(owner, answers=SAFEST)
    pages = [
        "/",
        reverse("wizard", args=[assessment.pk, 1]),
        reverse("report", args=[assessment.pk]),
        reverse("assessment_new"),
        reverse("history", args=[assessment.pk]),
    ]
    for url in pages:
        html = owner_client.get(url).content.decode()
        scripts = [tag for tag in html.split("<script")[1:] if "src=" not in tag.split(">")[0]]
        assert scripts == [], url
        assert ' style="' not in html, url


@pytest.mark.django_db
def test_hsts_and_secure_cookies_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"] is True
    assert response.cookies["csrftoken"]["httponly"] is True
