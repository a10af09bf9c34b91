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
    """Every core question at its safest choice: the reference ownership case."""
    return {q.key: q.choices[0].key for q in model.questions if q.core}


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
