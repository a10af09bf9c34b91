import pytest

from assessor import bank


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
        if question.core or question.show_if.matches(answers):
            answers[question.key] = question.choices[0].key
    return answers


@pytest.fixture
def questionnaire(db, document):
    from assessor.loading import questionnaire_load

    return questionnaire_load(document=document, publish=True).questionnaire


@pytest.fixture
def owner(db):
    """A reviewer of Team A: creates and edits Team A's assessments."""
    from tests.builders import make_user

    return make_user("owner")


@pytest.fixture
def teammate(db):
    """Another reviewer of Team A."""
    from tests.builders import make_user

    return make_user("teammate")


@pytest.fixture
def approver(db):
    from tests.builders import make_user

    return make_user("approver", roles=("approver",))


@pytest.fixture
def auditor(db):
    from tests.builders import make_user

    return make_user("auditor", roles=("auditor",))


@pytest.fixture
def outsider(db):
    """A reviewer and approver of Team B: sees nothing of Team A."""
    from tests.builders import make_user

    return make_user("outsider", team="Team B", roles=("reviewer", "approver"))


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port (aiosmtpd, in its own thread), with Django's SMTP
    backend pointed at it; yields its inbox (tests.builders.SmtpInbox)."""
    from aiosmtpd.controller import Controller

    from tests.builders import SmtpInbox, free_port

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
