"""Validators shared by forms, the studio, the API and the importers."""

import pytest

from assessor.records.validators import draft_label_problem


@pytest.mark.parametrize(
    "name",
    [
        "draft",
        "2026.2-draft1",
        "next-draft",
        "2026.3_DRAFT2",
        "DRAFT-2026.3",
        "2026.3-draft-final",
        "2026.3 (Draft)",
        "draft.2026.3",
    ],
)
def test_a_drafts_label_cannot_be_a_published_name(name):
    problem = draft_label_problem(name)
    assert problem is not None and name in problem


@pytest.mark.parametrize("name", ["2026.3", "2026.3-hospital", "2027.1 final", "drafting-2026"])
def test_a_real_name_passes(name):
    assert draft_label_problem(name) is None
