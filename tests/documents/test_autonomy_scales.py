"""The verdicts on the published autonomy scales: one level on every scale for every verdict,
levels the catalogue names, and a file that refuses to be left half-mapped."""

import copy

import pytest
import yaml

from assessor import bank, engine
from assessor.documents import autonomy_scales

SCALES = ("knight_autonomy", "aws_agentic_scope", "hleg_oversight")


@pytest.fixture(scope="module")
def scales_document():
    return autonomy_scales.read()


@pytest.mark.parametrize("verdict", engine.VERDICTS)
def test_every_verdict_has_one_level_on_each_scale_with_a_one_line_reason(verdict):
    placements = autonomy_scales.placements(verdict)
    assert [p.scale for p in placements] == list(SCALES)
    for placement in placements:
        assert placement.level and placement.level_name
        assert placement.reason and "\n" not in placement.reason
        assert len(placement.reason) <= autonomy_scales.REASON_MAX_LENGTH


def test_the_levels_follow_the_verdicts_order_on_every_scale(scales_document):
    for scale in scales_document["scales"]:
        order = [level["id"] for level in scale["levels"]]
        ranks = [
            order.index(scales_document["verdicts"][verdict][scale["prefix"]]["level"])
            for verdict in engine.VERDICTS
        ]
        assert ranks == sorted(ranks), scale["prefix"]


def test_the_mapping_is_as_checked_against_the_sources():
    levels = {
        verdict: [(p.scale, p.level) for p in autonomy_scales.placements(verdict)]
        for verdict in engine.VERDICTS
    }
    assert levels == {
        "copilot": [
            ("knight_autonomy", "L1"),
            ("aws_agentic_scope", "Scope 1"),
            ("hleg_oversight", "HITL"),
        ],
        "supervised": [
            ("knight_autonomy", "L4"),
            ("aws_agentic_scope", "Scope 2"),
            ("hleg_oversight", "HITL"),
        ],
        "owner": [
            ("knight_autonomy", "L5"),
            ("aws_agentic_scope", "Scope 3"),
            ("hleg_oversight", "HOTL"),
        ],
    }


def test_the_framework_catalogue_names_every_scale_and_level(scales_document):
    catalog = bank.load_catalog()
    for scale in scales_document["scales"]:
        for level in scale["levels"]:
            entry = catalog[f"{scale['prefix']}:{level['id']}"]
            assert entry == {"framework": scale["name"], "id": level["id"], "title": level["title"]}
    for verdict in engine.VERDICTS:
        for placement in autonomy_scales.placements(verdict):
            assert catalog[placement.ref]["title"] == placement.level_name


def test_the_catalogue_names_the_scales_the_design_asks_for():
    names = {entry["framework"] for entry in bank.load_catalog().values()}
    assert "Knight Institute Levels of Autonomy for AI Agents" in names
    assert "AWS Agentic AI Security Scoping Matrix" in names
    assert "AI HLEG human oversight (EU)" in names


def test_the_json_is_empty_without_a_verdict():
    assert autonomy_scales.as_json(None) == []
    assert autonomy_scales.as_json("supervised")[1] == {
        "scale": "aws_agentic_scope",
        "scale_name": "AWS Agentic AI Security Scoping Matrix",
        "level": "Scope 2",
        "level_name": "Prescribed agency",
        "reason": autonomy_scales.placements("supervised")[1].reason,
    }


def _broken(scales_document, change):
    broken = copy.deepcopy(scales_document)
    change(broken)
    return autonomy_scales.problems(broken)


def test_a_verdict_left_off_a_scale_is_refused(scales_document):
    found = _broken(scales_document, lambda d: d["verdicts"]["owner"].pop("hleg_oversight"))
    assert found == ["verdicts.owner.hleg_oversight: the verdict has no level on this scale"]


def test_an_unknown_level_scale_or_verdict_is_refused(scales_document):
    def change(d):
        d["verdicts"]["copilot"]["aws_agentic_scope"]["level"] = "Scope 9"
        d["verdicts"]["copilot"]["made_up"] = {"level": "X", "reason": "r"}
        d["verdicts"]["autopilot"] = {}

    assert _broken(scales_document, change) == [
        "verdicts.copilot.aws_agentic_scope: unknown level 'Scope 9'",
        "verdicts.copilot.made_up: unknown scale",
        "verdicts.autopilot: unknown verdict",
    ]


def test_a_reason_must_be_there_and_fit_one_line(scales_document):
    def change(d):
        d["verdicts"]["supervised"]["knight_autonomy"]["reason"] = " "
        d["verdicts"]["owner"]["knight_autonomy"]["reason"] = "first line\nsecond line"

    assert _broken(scales_document, change) == [
        "verdicts.supervised.knight_autonomy: needs a reason",
        "verdicts.owner.knight_autonomy: the reason must be one line of 130 or less",
    ]


def test_a_broken_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "scales.yaml"
    path.write_text(yaml.safe_dump({"scales": [], "verdicts": {"copilot": {}}}))
    assert autonomy_scales.read(path)["scales"] == []  # no scale: nothing to place
    path.write_text("verdicts: {}\n")
    with pytest.raises(autonomy_scales.ScalesError, match="scales: must be a list"):
        autonomy_scales.read(path)
