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
