"""What a backup promises about itself: schema revision, row counts and a SHA-256 per table.

A table's digest is the SHA-256 of its rows, in primary-key order, each written as one
canonical JSON array (no spaces, UTF-8, ``ensure_ascii=False``) and a newline. Restore
recomputes every digest from the rows it actually loaded and refuses on any difference,
so a truncated, damaged or edited backup is never swapped in.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from spinestep.errors import InvalidInput
from spinestep.store.engine import known_revisions

MANIFEST_VERSION = 2
_SAFE_REVISION = re.compile(r"[0-9A-Za-z_]{1,40}")


def refused(problem: str) -> InvalidInput:
    """The one-line refusal of a backup; the message never carries row data."""
    return InvalidInput("FILE", f"{problem}; nothing was restored")


def canonical_row(values: list[Any]) -> bytes:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(slots=True)
class TableDigest:
    """Row count and running SHA-256 of one table."""

    rows: int = 0
    _hash: Any = field(default_factory=hashlib.sha256)

    def add(self, values: list[Any]) -> None:
        self._hash.update(canonical_row(values) + b"\n")
        self.rows += 1

    def hexdigest(self) -> str:
        return str(self._hash.hexdigest())


def manifest_tables(digests: dict[str, TableDigest]) -> dict[str, dict[str, Any]]:
    return {
        name: {"rows": digest.rows, "sha256": digest.hexdigest()}
        for name, digest in sorted(digests.items())
    }


def check_revision(revision: object) -> str:
    """The backup's schema revision, if this version's migrations know it; else refuse."""
    if not isinstance(revision, str) or not revision:
        raise refused("the backup does not say which schema revision it holds")
    if revision not in known_revisions():
        shown = revision if _SAFE_REVISION.fullmatch(revision) else "?"
        raise refused(
            f"the backup's schema revision {shown} is unknown to this version of spinestep "
            "(made by a newer one?)"
        )
    return revision


def check_tables(promised: object, found: dict[str, TableDigest]) -> None:
    """The counts and digests the backup promised equal the ones computed while loading."""
    if not isinstance(promised, dict) or set(promised) != set(found):
        raise refused("the backup's manifest does not list the tables it holds")
    for name in sorted(found):
        entry = promised[name]
        digest = found[name]
        if not isinstance(entry, dict) or entry.get("rows") != digest.rows:
            raise refused(f"table {name} holds another number of rows than its manifest says")
        if entry.get("sha256") != digest.hexdigest():
            raise refused(f"the rows of table {name} do not match their SHA-256 in the manifest")
