"""`spinestep questionnaire wording load|checksum`: exit 0 when loaded, 2 with one line
naming the problem for an invalid pack, 6 for another pack of the same version."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinestep.domain.scoring import Instrument
from spinestep.services import wording_packs
from spinestep.wording import shipped_file
from tests.cli.coach_support import run, services
from tests.support.wording import checksum_of, pack_document, pack_text, resealed


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wording.db'}"


def _file(tmp_path: Path, text: str, name: str = "pack.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_pack_is_loaded_and_then_shown(url: str, tmp_path: Path) -> None:
    done = run(url, "questionnaire", "wording", "load", _file(tmp_path, pack_text("odi", 2)))
    assert done.returncode == 0, done.stderr
    assert "loaded: odi wording pack version 2 (en)" in done.stdout
    again = run(url, "questionnaire", "wording", "load", _file(tmp_path, pack_text("odi", 2)))
    assert again.returncode == 0 and "already loaded" in again.stdout
    with services(url) as ctx:
        pack = wording_packs.current_pack(ctx, Instrument.ODI)
    assert pack is not None and pack.pack_version == 2


def test_the_shipped_psfs_pack_loads(url: str, tmp_path: Path) -> None:
    text = shipped_file("psfs.en.yaml").read_text(encoding="utf-8")
    done = run(url, "questionnaire", "wording", "load", _file(tmp_path, text))
    assert done.returncode == 0, done.stderr


def _short(document: dict[str, object]) -> str:
    items = document["items"]
    assert isinstance(items, list)
    return resealed({**document, "items": items[:5]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (pack_text("odi", checksum="f" * 64), "checksum: does not match"),
        (_short(pack_document("odi")), "items: has 5 items; the odi scoring has 10"),
        (
            resealed({**pack_document("rmdq"), "items": pack_document("odi")["items"] * 3}),
            "items: has 30 items",
        ),
        (resealed({**pack_document("odi"), "instrument": "hads"}), "instrument: must be one of"),
        ("title: [unclosed\n", "pack: is not valid YAML"),
    ],
)
def test_an_invalid_pack_exits_2_with_one_line(
    url: str, tmp_path: Path, text: str, expected: str
) -> None:
    done = run(url, "questionnaire", "wording", "load", _file(tmp_path, text))
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_a_file_that_is_not_utf8_exits_2(url: str, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    done = run(url, "questionnaire", "wording", "load", str(path))
    assert done.returncode == 2 and "not UTF-8" in done.stderr


def test_other_wording_under_a_loaded_version_exits_6(url: str, tmp_path: Path) -> None:
    assert (
        run(url, "questionnaire", "wording", "load", _file(tmp_path, pack_text("rmdq"))).returncode
        == 0
    )
    changed = pack_document("rmdq")
    changed["title"] = "Another title"
    done = run(url, "questionnaire", "wording", "load", _file(tmp_path, resealed(changed)))
    assert done.returncode == 6
    assert "raise pack_version" in done.stderr


def test_checksum_prints_the_documented_sha256(url: str, tmp_path: Path) -> None:
    document = pack_document("nprs", checksum="0" * 64)
    done = run(
        url,
        "questionnaire",
        "wording",
        "checksum",
        _file(tmp_path, pack_text("nprs", checksum="0" * 64)),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == checksum_of(document)
