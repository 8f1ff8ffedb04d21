"""Made-up questionnaire wording packs for the tests ("Test item 1", ...), never real wording.

The checksum is computed here from the documented canonical form (docs/cli.md,
"Questionnaire wording packs"), not by spinestep's own function, so the tests also check
that the two agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

#: Items and options of each instrument's scoring, written out by hand (SPEC §5).
SHAPE = {"odi": (10, 6), "rmdq": (24, 2), "nprs": (1, 11), "psfs": (1, 11)}


def pack_document(instrument: str = "odi", version: int = 1, **changes: Any) -> dict[str, Any]:
    """A pack of invented wording fitting ``instrument``; ``changes`` replace fields (the
    checksum is computed after them unless ``checksum`` is among them)."""
    items, options = SHAPE[instrument]
    document: dict[str, Any] = {
        "format": 1,
        "instrument": instrument,
        "pack_version": version,
        "language": "en",
        "title": f"Test {instrument} pack",
        "instructions": "Test instructions.",
        "source": "Invented for the tests.",
        "licence": "Test wording; no licence needed.",
        "items": [
            {
                "text": f"Test item {n}",
                "options": [
                    {"score": s, "text": f"Test option {n}.{s} v{version}"} for s in range(options)
                ],
            }
            for n in range(1, items + 1)
        ],
    }
    checksum = changes.pop("checksum", None)
    document.update(changes)
    document["checksum"] = checksum if checksum is not None else checksum_of(document)
    return document


def checksum_of(document: dict[str, Any]) -> str:
    content = {key: value for key, value in document.items() if key != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_text(instrument: str = "odi", version: int = 1, **changes: Any) -> str:
    return yaml.safe_dump(
        pack_document(instrument, version, **changes), sort_keys=False, allow_unicode=True
    )


def resealed(document: dict[str, Any]) -> str:
    """``document`` as YAML with its checksum recomputed (after a test changed it)."""
    document = dict(document)
    document["checksum"] = checksum_of(document)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
