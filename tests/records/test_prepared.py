"""records.prepared: a query compiled once returns, for any values, the rows the ORM would."""

import pytest

from assessor.models import Assessment
from assessor.records.prepared import PreparedQuery
from tests.builders import SAFEST, make_assessment

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "name", "is_example", "created_at", "snapshot_result", "team__name")


def by_pk(pk):
    return Assessment.objects.filter(pk=pk).order_by().values_list(*COLUMNS)


def test_each_call_returns_the_rows_the_orm_returns_for_its_values(owner, questionnaire):
    query = PreparedQuery(by_pk, "pk")
    first = make_assessment(owner, answers=SAFEST, name="First")
    second = make_assessment(owner, name="Second")
    for record in (first, second, first):
        # booleans, dates and JSON come back converted, as values_list gives them
        assert query.rows(pk=record.pk) == list(by_pk(record.pk))
    assert query.rows(pk=second.pk + 1000) == []
    # an id beyond what the database stores matches nothing, as the ORM says: no error
    assert query.rows(pk=2**80) == [] == list(by_pk(2**80))


def test_a_value_the_query_does_not_take_as_one_parameter_is_refused(db):
    unused = PreparedQuery(lambda pk: Assessment.objects.values_list("id"), "pk")
    with pytest.raises(ValueError, match="'pk' is not one parameter"):
        unused.rows(pk=1)
