"""Issue 25's "Done when", end to end through the pages of one team: a reviewer attaches a real
PDF and a screenshot to two answers from the wizard and submits; a different approver approves
at bounded ownership with conditions; the stored board PDF lists both files with the SHA-256 of
the bytes uploaded and their dates; the grant issued with it verifies with PyJWT against the
served JWKS; the Rego policy, evaluated by regopy against the bundle the app serves, allows the
agent now, refuses it after the review-by date and after the approver withdraws the grant.
The evidence part again with the files in a real S3 API server (moto); and the refusals (HTML
renamed .pdf, 200 MB declared, a path in the name, another team's download) change nothing."""

import datetime as dt
import hashlib
import html
import io
import json
import re
from pathlib import Path

import jwt as pyjwt
import pytest
import regopy
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw
from weasyprint import HTML

from assessor.evidence.models import EvidenceFile
from assessor.models import ApprovedReport, Assessment
from tests.builders import (
    HTML_BYTES,
    S3_BUCKET,
    SAFEST,
    UnreadableBody,
    api_client,
    make_agent,
    make_assessment,
    make_user,
    read,
    s3_keys,
    snapshot,
    text_of,
    upload,
)

pytestmark = pytest.mark.django_db

POLICY = (Path(settings.BASE_DIR) / "policy" / "autonomy.rego").read_text()
CONDITIONS = "Only the payments vault; rotations on weekdays."
STEPS = 9  # the shipped bank's wizard steps


@pytest.fixture(scope="module")
def kill_switch_pdf() -> bytes:
    """A real (small) PDF: the kill switch test report, rendered by WeasyPrint."""
    return HTML(string="<h1>Kill switch test</h1><p>Token revoked in 4 s.</p>").write_pdf()


@pytest.fixture(scope="module")
def screenshot_png() -> bytes:
    """A real PNG: a screenshot of the vault's configuration, drawn by Pillow."""
    image = Image.new("RGB", (320, 120), "white")
    ImageDraw.Draw(image).text((10, 10), "vault policy: rotate-only", fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def people(questionnaire):
    """A reviewer and a different approver of Team A, signed in; the team's registered agent
    (one workload identity); and the reviewer's draft record."""
    reviewer = make_user("rita")
    approver = make_user("amir", roles=("approver",))
    agent = make_agent(reviewer, name="Secret rotation agent")
    clients = {}
    for user in (reviewer, approver):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    return reviewer, approver, agent, clients["rita"], clients["amir"]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def fill_wizard(client, record) -> None:
    """Every step at its safest answers, posted as the browser does (the radios each step
    shows, the version the form was opened at); a follow-up a save reveals is answered on
    the next pass."""
    for _ in range(2):
        for step in range(1, STEPS + 1):
            page = client.get(reverse("wizard", args=[record.pk, step])).content.decode()
            shown = set(re.findall(r'type="radio"[^>]*name="([a-z_]+)"', page))
            version = Assessment.objects.get(pk=record.pk).version
            data = {key: SAFEST[key] for key in shown if key in SAFEST}
            response = client.post(
                reverse("wizard", args=[record.pk, step]), {"version": version, **data, "next": 1}
            )
            assert response.status_code == 302, response.content.decode()[:500]
        if client.get(reverse("resume", args=[record.pk]))["Location"].endswith("/report/"):
            return
    raise AssertionError("the wizard still asks a question")


def attach(client, record, question, name, content, **dates):
    """The step's "Attach evidence" link, then the upload form on the page it opens."""
    step = next(
        number
        for number in range(1, STEPS + 1)
        if f'id="q-{question}"'
        in client.get(reverse("wizard", args=[record.pk, number])).content.decode()
    )
    page = client.get(reverse("wizard", args=[record.pk, step])).content.decode()
    (link,) = re.findall(rf'href="([^"]*\?question={question}[^"]*)">Attach evidence', page)
    link = html.unescape(link)
    assert client.get(link).status_code == 200
    response = client.post(
        link.split("?")[0],
        {
            "file": upload(name, content, "application/octet-stream"),
            "question": question,
            "step": str(step),
            "effective_on": "2026-03-01",
            "expires_on": "",
            "note": "",
            **dates,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].endswith(f"/step/{step}/#q-{question}")
    return EvidenceFile.objects.get(assessment=record, original_name=name)


def evidence_story(reviewer, approver, agent, reviewer_client, approver_client, pdf, png):
    """Parts 1-3: attach, download, submit, approve; the stored PDF's appendix. The record."""
    record = make_assessment(reviewer, name="Vault secret rotation")
    fill_wizard(reviewer_client, record)
    response = reviewer_client.post(
        reverse("assessment_agent", args=[record.pk]), {"agent": agent.pk}
    )
    assert response.status_code == 302
    report = attach(
        reviewer_client, record, "kill_switch", "kill-switch-test.pdf", pdf, expires_on="2027-06-30"
    )
    shot = attach(reviewer_client, record, "runtime_policy", "vault-config.png", png)
    assert (report.content_type, shot.content_type) == ("application/pdf", "image/png")
    assert (report.sha256, shot.sha256) == (sha256(pdf), sha256(png))
    for evidence, content in ((report, pdf), (shot, png)):
        url = reverse("evidence_download", args=[record.pk, evidence.pk])
        download = approver_client.get(url)
        assert download["Content-Disposition"].startswith("attachment")
        assert b"".join(download.streaming_content) == content

    submitted = reviewer_client.post(reverse("submit", args=[record.pk]), {"comment": "Ready."})
    assert submitted.status_code == 302
    approved = approver_client.post(
        reverse("approve", args=[record.pk]),
        {"comment": "Signed off.", "confirm": "on", "conditions": CONDITIONS},
        follow=True,
    )
    assert "Approved." in approved.content.decode()
    record.refresh_from_db()
    assert (record.status, record.verdict) == ("approved", "owner")

    # the board PDF, as the page serves it: the stored one, WeasyPrint's, with the appendix
    served = approver_client.get(reverse("report_pdf", args=[record.pk])).content
    assert sha256(served) == ApprovedReport.objects.get(assessment=record).sha256
    squeezed = "".join(text_of(read(served)).split())  # a hash may wrap across lines
    assert "AppendixC:evidencefiles" in squeezed
    for name, content in (("kill-switch-test.pdf", pdf), ("vault-config.png", png)):
        assert f"{name}." in squeezed and f"SHA-256{sha256(content)}" in squeezed
    today = timezone.localdate()
    assert squeezed.count(f"Uploadedbyritaon{today.day}{today:%B%Y}") == 2  # who and when
    assert squeezed.count("Effective1March2026") == 2
    assert "expires30June2027" in squeezed and "noexpirydate" in squeezed
    assert png[16:48] not in served  # listed, not embedded
    return record


def decide(bundle: dict, **query) -> dict:
    """policy/autonomy.rego's decision, by a real Rego engine, on the bundle served."""
    interpreter = regopy.Interpreter()
    interpreter.add_module("autonomy", POLICY)
    interpreter.add_data_json(json.dumps(bundle))
    interpreter.set_input_term(json.dumps(query))
    output = interpreter.query("data.autonomy.decision")
    assert output.ok(), str(output)
    return json.loads(str(output))["expressions"][0]


def test_evidence_to_an_enforced_grant_and_its_withdrawal(
    people, evidence_store, kill_switch_pdf, screenshot_png, outsider, tmp_path
):
    reviewer, approver, agent, reviewer_client, approver_client = people
    record = evidence_story(*people, kill_switch_pdf, screenshot_png)

    # 4. the grant: its token from the grant page, verified by PyJWT against the served JWKS
    page = approver_client.get(reverse("grant", args=[record.pk]))
    assert 'data-grant-state="active"' in page.content.decode()
    assert html.escape(CONDITIONS) in page.content.decode()
    token = approver_client.get(reverse("grant", args=[record.pk]), {"download": "jwt"})
    assert token["Content-Disposition"].startswith("attachment")
    token = token.content.decode()
    jwks = Client().get("/.well-known/jwks.json").json()  # public: no account needed
    kid = pyjwt.get_unverified_header(token)["kid"]
    key = pyjwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = pyjwt.decode(token, key, algorithms=["EdDSA"], options={"verify_aud": False})
    grant = claims["grant"]
    identity = agent.identities.get()
    assert grant["verdict"] == "owner" and grant["conditions"] == CONDITIONS
    assert grant["agent"]["id"] == agent.pk
    assert [i["id"] for i in grant["identities"]] == [identity.pk]
    assert grant["report_sha256"] == ApprovedReport.objects.get(assessment=record).sha256

    # 5. the policy on the bundle served: allowed now; refused once the review-by date passed
    bundle_url = reverse("api-grant-bundle")
    runtime = api_client(reviewer)
    ask = {
        "agent": str(agent.pk),
        "identity": str(identity.pk),
        "workflow": str(grant["workflow"]["key"]),
    }
    now = int(timezone.now().timestamp())
    bundle = runtime.get(bundle_url).json()
    assert decide(bundle, **ask, now=now) == {
        "result": "allow",
        "reason": "a current bounded-ownership grant",
    }
    lapsed = decide(bundle, **ask, now=claims["exp"] + 1)
    assert lapsed == {"result": "deny", "reason": "the grant expired: its review-by date passed"}
    last_second = dt.datetime.fromtimestamp(claims["exp"] - 1, tz=dt.UTC)
    review_by = Assessment.objects.get(pk=record.pk).review_cycle.review_by
    assert timezone.localdate(last_second) == review_by > timezone.localdate()

    # the approver withdraws it on the grant page: refused, listed, and the command says so
    withdrawn = approver_client.post(
        reverse("grant_revoke", args=[record.pk]), {"reason": "Vault moved."}, follow=True
    )
    assert "Grant withdrawn" in withdrawn.content.decode()
    assert 'data-grant-state="revoked"' in withdrawn.content.decode()
    after = runtime.get(bundle_url).json()
    assert decide(after, **ask, now=now)["result"] == "deny"
    assert claims["jti"] in after["revoked"]
    # a runtime still holding the earlier grants but today's revocation list refuses too
    stale = {**bundle, "revoked": after["revoked"]}
    assert decide(stale, **ask, now=now) == {"result": "deny", "reason": "the grant was revoked"}
    revoked = Client().get(reverse("grants_revoked")).json()["revoked"]
    assert claims["jti"] in [entry["jti"] for entry in revoked]
    saved = tmp_path / "grant.jwt"
    saved.write_text(token)
    with pytest.raises(CommandError) as refused:
        call_command("verify_grant", str(saved), stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 1 and "revoked" in str(refused.value)

    # another team's user gets 404 for the files, the evidence page and the grant
    stranger = Client()
    stranger.force_login(outsider)
    for evidence in EvidenceFile.objects.filter(assessment=record):
        url = reverse("evidence_download", args=[record.pk, evidence.pk])
        assert stranger.get(url).status_code == 404
    assert stranger.get(reverse("evidence", args=[record.pk])).status_code == 404
    assert stranger.get(reverse("grant", args=[record.pk]), {"download": "jwt"}).status_code == 404


def test_the_evidence_part_with_files_in_a_local_s3_server(
    people, s3_storage, kill_switch_pdf, screenshot_png, settings
):
    reviewer, _, _, client, _ = people
    before = set(s3_keys(s3_storage))
    # refused files put nothing in the bucket either: HTML named .pdf, a body past the limit
    draft = make_assessment(reviewer, name="Draft")
    url = reverse("evidence", args=[draft.pk])
    form = {"question": "kill_switch", "effective_on": "2026-03-01"}
    response = client.post(url, {**form, "file": upload("board-pack.pdf", HTML_BYTES)})
    assert response.status_code == 400
    limit, settings.ASSESSOR_EVIDENCE_MAX_BYTES = settings.ASSESSOR_EVIDENCE_MAX_BYTES, 1000
    response = client.post(url, {**form, "file": upload("report.pdf", kill_switch_pdf)})
    assert response.status_code == 413
    settings.ASSESSOR_EVIDENCE_MAX_BYTES = limit
    assert set(s3_keys(s3_storage)) == before and not EvidenceFile.objects.exists()

    record = evidence_story(*people, kill_switch_pdf, screenshot_png)
    stored = set(s3_keys(s3_storage)) - before
    files = EvidenceFile.objects.filter(assessment=record)
    assert stored == {f"evidence/{evidence.file.name}" for evidence in files}
    for evidence in files:  # the bucket holds the very bytes hashed
        body = s3_storage.get_object(Bucket=S3_BUCKET, Key=f"evidence/{evidence.file.name}")
        assert sha256(body["Body"].read()) == evidence.sha256


def files_under(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256(p.read_bytes()) for p in root.rglob("*") if p.is_file()
    }


def test_each_refusal_is_clear_and_changes_nothing(
    people, evidence_store, kill_switch_pdf, outsider, tmp_path
):
    reviewer, _, _, client, _ = people
    record = make_assessment(reviewer, answers=SAFEST)
    url = reverse("evidence", args=[record.pk])
    form = {"question": "kill_switch", "effective_on": "2026-03-01"}
    kept = attach(client, record, "kill_switch", "kill-switch-test.pdf", kill_switch_pdf)
    stranger = Client()
    stranger.force_login(outsider)  # signed in before the snapshot: a sign-in is a change
    rows, files = snapshot(), files_under(tmp_path)

    # an HTML page renamed .pdf: refused by its content
    response = client.post(url, {**form, "file": upload("board-pack.pdf", HTML_BYTES)})
    assert response.status_code == 400
    said = html.unescape(response.content.decode())
    assert "Refused: the file is HTML" in said and "Nothing was stored." in said
    assert snapshot() == rows and files_under(tmp_path) == files

    # 200 MB declared, to the form the step's link opens: refused before the body is read,
    # with the form again (and the way back to the step) for a smaller file
    opened = client.get(url, {"question": "kill_switch", "step": "6"}).content.decode()
    (action,) = re.findall(
        r'<form method="post" enctype="multipart/form-data" action="([^"]+)"', opened
    )
    response = client.generic(
        "POST",
        html.unescape(action),
        b"",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than the limit of 20 MB" in page and "Nothing was stored." in page
    assert 'enctype="multipart/form-data"' in page and "Back to step 6" in page
    assert snapshot() == rows and files_under(tmp_path) == files

    # another team's user: 404 for the download, no bytes
    download = stranger.get(reverse("evidence_download", args=[record.pk, kept.pk]))
    assert download.status_code == 404 and b"%PDF" not in download.content
    assert snapshot() == rows and files_under(tmp_path) == files

    # a path in the name: only its last plain name is kept, the bytes stored under the app's key
    response = client.post(
        url, {**form, "file": upload("../../escaped.pdf", kill_switch_pdf), "step": "6"}
    )
    assert response.status_code == 302
    added = EvidenceFile.objects.exclude(pk=kept.pk).get(assessment=record)
    assert added.original_name == "escaped.pdf"
    (new,) = set(files_under(tmp_path)) - set(files)
    assert new.startswith("evidence/") and "escaped" not in new and ".." not in new
    # where the path pointed (two levels above the store) nothing was written
    assert not (tmp_path.parent / "escaped.pdf").exists()
    assert (evidence_store / added.file.name).read_bytes() == kill_switch_pdf
