import pytest
from aiosmtpd.controller import Controller

from assessor import bank
from assessor.bank.loading import questionnaire_load
from tests.builders import Canary, SmtpInbox, free_port, make_user


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


@pytest.fixture
def questionnaire(db, document):
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
def canary():
    """An HTTP server that records every request (tests.builders.Canary): a PDF renderer that
    fetched anything would show up in its list."""
    with Canary() as server:
        yield server
