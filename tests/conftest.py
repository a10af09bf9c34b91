import importlib

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from assessor import bank
from assessor.bank.loading import questionnaire_load
from assessor.documents import pdf
from tests.builders import S3_BUCKET, Canary, SmtpInbox, free_port, make_user


@pytest.fixture(scope="session")
def document():
    """The shipped bank, parsed and validated."""
    return bank.load_bank_file()


@pytest.fixture(scope="session")
def model(document):
    return bank.build_model(document)


@pytest.fixture(scope="session")
def safe_answers(model):
    """Every question that is asked, at its safest choice: the reference ownership case.

    Follow-ups that the safest answers show are answered too: left unanswered, a shown
    follow-up counts as its riskiest choice.
    """
    answers = {}
    for question in model.questions:
        if question.show_if is None or question.show_if.matches(answers):
            answers[question.key] = question.choices[0].key
    return answers


# Fixtures that stand for the shipped bank, published: a test that requests one (directly or
# through another fixture) finds the bank in the database; any other test finds no bank at all.
BANK_FIXTURES = {"questionnaire", "published_questionnaire"}
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the shipped bank loaded and published once per worker (0.5 s
    each time a test loaded it). Each test's rollback returns to it; the tables the load filled
    are remembered, so that a test that asks for no bank gets none."""
    with django_db_blocker.unblock():
        before = table_counts()
        # the file read here, not the `document` fixture: a module may give that name another
        # meaning, and a session fixture cannot take a module's
        questionnaire_load(document=bank.load_bank_file(), publish=True)
        after = table_counts()
    assert not any(before[table] for table in after if after[table] != before[table]), (
        "the bank's tables held rows before the load: hiding the bank would delete them"
    )
    return sorted(table for table in after if after[table] != before[table])


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.fixture(autouse=True)
def _question_bank(request):
    """Per test: the bank loaded once per worker is there for tests that want it, and gone for
    the others, as if each test had started from an empty database.

    Hiding deletes the rows inside the test's transaction (rolled back after it). A transactional
    test (live server, browser) ends with the database emptied: a later test that wants the bank
    loads it again (pytest-django runs those tests last, so this is rare).
    """
    if DATABASE_FIXTURES.isdisjoint(request.fixturenames) and not request.node.get_closest_marker(
        "django_db"
    ):
        return
    bank_tables = request.getfixturevalue("django_db_setup")
    request.getfixturevalue("_django_db_helper")  # the test's transaction, before any change
    if BANK_FIXTURES.isdisjoint(request.fixturenames):
        with transaction.atomic(), connection.cursor() as cursor:
            for table in bank_tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


@pytest.fixture
def questionnaire(db, document):
    """The shipped bank, published: loaded once per worker (see django_db_setup), so this is
    a look-up, or a load when a transactional test emptied the database."""
    return questionnaire_load(document=document, publish=True).questionnaire


@pytest.fixture
def owner(db):
    """A reviewer of Team A: creates and edits Team A's assessments."""
    return make_user("owner")


@pytest.fixture
def teammate(db):
    """Another reviewer of Team A."""
    return make_user("teammate")


@pytest.fixture
def approver(db):
    return make_user("approver", roles=("approver",))


@pytest.fixture
def auditor(db):
    return make_user("auditor", roles=("auditor",))


@pytest.fixture
def outsider(db):
    """A reviewer and approver of Team B: sees nothing of Team A."""
    return make_user("outsider", team="Team B", roles=("reviewer", "approver"))


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port (aiosmtpd, in its own thread), with Django's SMTP
    backend pointed at it; yields its inbox (tests.builders.SmtpInbox)."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def stub_pdf(monkeypatch):
    """For tests of the review loop, not of rendering: approving stores a few fixed bytes as
    the PDF instead of rendering one (about half a second each); tests/documents/test_pdf.py
    renders real ones."""
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF-1.4 stub")


@pytest.fixture
def canary():
    """An HTTP server that records every request (tests.builders.Canary): a PDF renderer that
    fetched anything would show up in its list."""
    with Canary() as server:
        yield server


@pytest.fixture
def evidence_store(settings, tmp_path):
    """The "evidence" storage in a directory of this test alone: what it holds is what the
    test stored (assessor/evidence)."""
    location = tmp_path / "evidence"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture(scope="session")
def s3_options():
    """A running S3 API server on loopback (moto's server mode) with an empty private bucket,
    started once per worker: the S3 storage's options, and a boto3 client of the bucket.
    moto and boto3 are imported here, not at the top: 0.7 s per worker, for the S3 tests only."""
    boto3 = importlib.import_module("boto3")
    moto_server = importlib.import_module("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": f"http://127.0.0.1:{port}",
        "region_name": "us-east-1",
        "access_key": "evidence-test",
        "secret_key": "evidence-test-secret",
        "location": "evidence",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
    )
    client.create_bucket(Bucket=S3_BUCKET)
    yield options, client
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_options):
    """The "evidence" storage pointed at the S3 server; the boto3 client of its bucket."""
    options, client = s3_options
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client
