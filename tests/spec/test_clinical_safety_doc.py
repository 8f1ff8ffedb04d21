"""docs/clinical-safety.md names the test behind each mitigation: each named test must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinical-safety.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_test_named_in_the_safety_case_exists() -> None:
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert len(references) >= 20
    missing = [
        f"{file}::{name}"
        for file, name in references
        if not (ROOT / file).is_file() or name not in functions_in(ROOT / file)
    ]
    assert missing == []


def test_every_hazard_row_names_a_mitigation_and_a_test_or_owner() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| H")]
    assert len(rows) >= 15
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 4, row
        assert cells[2], row
        assert "::test_" in cells[3] or "Owned by" in cells[3], row


def test_every_rule_and_red_flag_has_a_source_row() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in range(1, 10):
        assert f"| R{rule} " in text
    for code in (
        "new_bladder_dysfunction",
        "new_bowel_dysfunction",
        "saddle_anaesthesia",
        "new_sexual_dysfunction",
        "progressive_or_severe_motor_deficit",
        "bilateral_leg_symptoms",
        "infection_features",
        "history_of_cancer",
        "major_trauma",
        "weaker_cancer_risk",
        "night_pain_unremitting",
        "fragility_fracture_risk",
        "inflammatory_features",
    ):
        assert f"`{code}`" in text
