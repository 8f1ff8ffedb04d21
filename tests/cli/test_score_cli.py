"""``spinestep score``: JSON in, JSON out; bad input exits 2 with one line on stderr."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from spinestep.cli.main import main


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    """Run the real entry point; return (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = 0
    try:
        main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


SPEC_EXAMPLES = [
    (
        '{"instrument": "nprs", "score": 5}',
        '{"instrument": "nprs", "score": 5, "band": "moderate"}',
    ),
    (
        '{"instrument": "odi", "answers": [2,1,2,1,2,1,2,null,2,3]}',
        '{"instrument": "odi", "score": 35.56, "raw": 16, "answered": 9, "band": "moderate"}',
    ),
    ('{"instrument": "rmdq", "ticked": [1, 4, 9]}', '{"instrument": "rmdq", "score": 3}'),
    ('{"instrument": "psfs", "ratings": [3, 5, 4]}', '{"instrument": "psfs", "score": 4.0}'),
    (
        '{"instrument": "startback", "items": [1,1,1,1,0,0,0,0], "bothersomeness": "moderately"}',
        '{"instrument": "startback", "total": 4, "psychosocial": 0, "risk": "medium"}',
    ),
    (
        '{"instrument": "change", "measure": "nprs", "baseline": 6, "followup": 3}',
        '{"instrument": "change", "measure": "nprs", "improvement": 3, '
        '"improvement_percent": 50.0, "important": true, "worsened": false}',
    ),
]


@pytest.mark.parametrize(("request_text", "expected"), SPEC_EXAMPLES)
def test_spec_examples_from_stdin(
    request_text: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, err = run(["score"], capsys, monkeypatch, stdin=request_text)
    assert (status, err) == (0, "")
    assert out == expected + "\n"


def test_reads_a_file_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = tmp_path / "odi.json"
    request.write_text('{"instrument": "odi", "answers": [5,5,5,5,5,5,5,5,5,5]}', encoding="utf-8")
    status, out, err = run(["score", str(request)], capsys, monkeypatch)
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "instrument": "odi",
        "score": 100.0,
        "raw": 50,
        "answered": 10,
        "band": "bed_bound",
    }


def test_dash_means_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(
        ["score", "-"], capsys, monkeypatch, stdin='{"instrument": "psfs", "ratings": [3, 4, 4]}'
    )
    assert status == 0
    assert json.loads(out) == {"instrument": "psfs", "score": 3.67}


@pytest.mark.parametrize(
    ("request_text", "named"),
    [
        (
            '{"instrument": "odi", "answers": [1,1,1,7,1,1,1,1,1,1]}',
            "answers[3]: must be an integer 0-5 or null",
        ),
        (
            '{"instrument": "odi", "answers": [1,1,1,1,1,1,1,null,null,null]}',
            "answers: 3 of 10 sections",
        ),
        ('{"instrument": "nprs", "score": true}', "score: must be an integer 0-10"),
        ('{"instrument": "nprs", "score": 4, "extra": 1}', "extra: unknown key"),
        ('{"instrument": "vas", "score": 4}', "instrument: must be one of"),
        ('{"instrument": "rmdq", "ticked": [2, 2]}', "ticked[1]: statement 2 is ticked twice"),
        (
            '{"instrument": "change", "measure": "psfs", "baseline": false, "followup": 3}',
            "baseline:",
        ),
        ("not json", "input: not valid JSON"),
        ("", "input: not valid JSON"),
        (
            '{"instrument": "nprs", "score": 4}\n{"instrument": "nprs", "score": 5}',
            "input: not valid JSON",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(
    request_text: str,
    named: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, err = run(["score"], capsys, monkeypatch, stdin=request_text)
    assert status == 2
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert err.startswith(named.split(":")[0] + ":")  # the path of the offending value first
    assert named in err


def test_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = run(["score", str(tmp_path / "absent.json")], capsys, monkeypatch)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "absent.json" in err


def test_non_utf8_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = tmp_path / "latin1.json"
    request.write_bytes(b'{"instrument": "nprs", "score": 5, "\xe9": 1}')
    status, out, err = run(["score", str(request)], capsys, monkeypatch)
    assert (status, out) == (2, "")
    assert "not UTF-8" in err


def test_help_describes_the_command_and_its_argument(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    status, out, _ = run(["score", "--help"], capsys, monkeypatch)
    assert status == 0
    assert "Score an outcome questionnaire" in out
    assert "standard input when absent or '-'" in out
    status, out, _ = run(["--help"], capsys, monkeypatch)
    assert "Score a questionnaire or a change (JSON)." in out


def test_installed_entry_point_end_to_end(tmp_path: Path) -> None:
    request = tmp_path / "startback.json"
    request.write_text(
        json.dumps(
            {
                "instrument": "startback",
                "items": [0, 0, 0, 0, 1, 1, 1, 0],
                "bothersomeness": "extremely",
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "spinestep", "score", str(request)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    # items 5, 6, 7 + item 9 ('extremely') → psychosocial 4 → high; total 4
    assert json.loads(done.stdout) == {
        "instrument": "startback",
        "total": 4,
        "psychosocial": 4,
        "risk": "high",
    }

    bad = subprocess.run(
        [sys.executable, "-m", "spinestep", "score"],
        input='{"instrument": "psfs", "ratings": [11]}',
        capture_output=True,
        text=True,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "ratings[0]: must be an integer 0-10\n"


def test_stdin_that_is_not_utf8_exits_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spinestep", "score"],
        input=b'{"instrument": "nprs", "score": 5, "\xff": 1}',
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == b"input: standard input is not UTF-8 text\n"


def test_stdin_with_a_byte_order_mark_is_read() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spinestep", "score", "-"],
        input='\ufeff{"instrument": "rmdq", "ticked": []}'.encode(),
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert json.loads(done.stdout) == {"instrument": "rmdq", "score": 0}
