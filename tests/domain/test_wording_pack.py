"""Wording packs: parsed, checksummed, and checked against the instrument's scoring."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from spinestep.domain.scoring import Instrument, score_odi
from spinestep.domain.wording_pack import parse_pack
from spinestep.errors import InvalidInput
from spinestep.wording import SCHEMA_FILE, SHIPPED, shipped_file
from tests.support.wording import pack_document, pack_text, resealed


def _refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_pack(text)
    return caught.value


@pytest.mark.parametrize("instrument", ["odi", "rmdq", "nprs", "psfs"])
def test_a_pack_fitting_the_scoring_is_read_with_its_items_in_scoring_order(
    instrument: str,
) -> None:
    pack = parse_pack(pack_text(instrument, version=3))
    assert pack.instrument is Instrument(instrument)
    assert pack.pack_version == 3
    assert pack.items[0].text == "Test item 1"
    assert [o.score for o in pack.items[-1].options] == list(range(len(pack.items[-1].options)))


def test_an_odi_answer_chosen_from_the_pack_is_scored_by_the_odi_scoring() -> None:
    pack = parse_pack(pack_text("odi"))
    chosen = [item.options[-1].score for item in pack.items]  # the most severe of each
    assert score_odi(chosen).raw == 50


def test_a_changed_pack_is_refused_by_its_checksum() -> None:
    document = pack_document("odi")
    document["items"][3]["text"] = "Changed after it was made"
    error = _refused(yaml.safe_dump(document))
    assert error.path == "checksum"
    assert "does not match" in error.problem


def test_a_malformed_checksum_is_refused() -> None:
    assert _refused(pack_text("odi", checksum="abc")).path == "checksum"


def test_a_pack_with_too_few_items_for_the_odi_is_refused_naming_both_counts() -> None:
    document = pack_document("odi")
    document["items"] = document["items"][:9]
    error = _refused(resealed(document))
    assert error.path == "items"
    assert "9 items" in error.problem and "10" in error.problem


def test_an_rmdq_pack_with_odi_options_is_refused() -> None:
    document = pack_document("rmdq")
    document["items"][0]["options"] = pack_document("odi")["items"][0]["options"]
    error = _refused(resealed(document))
    assert error.path == "items[0].options"
    assert "6 options" in error.problem


def test_options_out_of_scoring_order_are_refused() -> None:
    document = pack_document("odi")
    options = document["items"][2]["options"]
    options[0], options[1] = options[1], options[0]
    error = _refused(resealed(document))
    assert error.path == "items[2].options[0].score"


@pytest.mark.parametrize("instrument", ["startback", "sf36", 7])
def test_an_instrument_without_packs_is_refused(instrument: object) -> None:
    document = copy.deepcopy(pack_document("odi"))
    document["instrument"] = instrument
    error = _refused(resealed(document))
    assert error.path == "instrument"
    assert "nprs, odi, rmdq" in error.problem


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("format", 2),
        ("pack_version", 0),
        ("pack_version", True),
        ("language", "English"),
        ("title", ""),
        ("title", "Bad\x1b[31m"),
        ("source", 12),
    ],
)
def test_a_bad_field_is_refused_naming_it(field: str, value: object) -> None:
    document = pack_document("odi")
    document[field] = value
    assert _refused(resealed(document)).path == field


def test_unknown_and_missing_fields_are_refused() -> None:
    document = pack_document("odi")
    document["extra"] = 1
    assert _refused(resealed(document)).path == "extra"
    document = pack_document("odi")
    del document["licence"]
    assert _refused(resealed(document)).path == "licence"


def test_a_key_given_twice_and_broken_yaml_are_refused() -> None:
    text = pack_text("odi")
    assert _refused(text + "title: again\n").path == "title"
    error = _refused("items: [\n")
    assert error.path == "pack" and "not valid YAML" in error.problem
    assert _refused("- a list\n").path == "pack"


def test_texts_are_stored_in_nfc() -> None:
    decomposed = "Cafe\u0301 test"
    pack = parse_pack(pack_text("odi", title=decomposed))
    assert pack.title == "Caf\u00e9 test"


def _schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(shipped_file(SCHEMA_FILE).read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_packs_load_and_follow_the_schema(name: str) -> None:
    text = shipped_file(name).read_text(encoding="utf-8")
    jsonschema.validate(yaml.safe_load(text), _schema())
    pack = parse_pack(text)
    assert pack.instrument in (Instrument.NPRS, Instrument.PSFS)
    assert "MIT" in pack.licence


def test_only_redistributable_wording_is_shipped() -> None:
    """ODI and RMDQ wording is licensed by its copyright holders: no pack of either."""
    folder = resources.files("spinestep.wording")
    instruments = {
        yaml.safe_load(entry.read_text(encoding="utf-8"))["instrument"]
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    assert instruments == {"nprs", "psfs"}


def test_the_schema_accepts_a_test_pack_and_refuses_a_wrong_one() -> None:
    schema = _schema()
    jsonschema.validate(pack_document("rmdq"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**pack_document("odi"), "instrument": "startback"}, schema)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(items="ten items"), "items"),
        (lambda d: d["items"].__setitem__(4, "Test item 5"), "items[4]"),
        (lambda d: d["items"][1].update(options="0-5"), "items[1].options"),
        (lambda d: d["items"][1]["options"].__setitem__(2, 2), "items[1].options[2]"),
        (lambda d: d["items"][0].update(note="x"), "items[0]"),
    ],
)
def test_items_and_options_of_the_wrong_shape_are_refused(
    change: Callable[[dict[str, Any]], None], path: str
) -> None:
    document = pack_document("odi")
    change(document)
    assert _refused(resealed(document)).path == path


def test_a_pack_larger_than_the_limit_is_refused_before_parsing() -> None:
    error = _refused("# padding\n" * 30_000)
    assert error.path == "pack" and "KiB" in error.problem


def test_the_stored_content_holds_every_item_and_option() -> None:
    content = parse_pack(pack_text("rmdq")).content_json()
    assert len(content["items"]) == 24
    assert content["items"][23] == {
        "text": "Test item 24",
        "options": [
            {"score": 0, "text": "Test option 24.0 v1"},
            {"score": 1, "text": "Test option 24.1 v1"},
        ],
    }
