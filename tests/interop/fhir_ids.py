"""Compare FHIR exports and the records read back from them apart from their ids.

An import gives every record a new UUID (a file's ids are never trusted), so a round
trip keeps the content but not the ids. ``renamed_ids`` replaces every UUID of a Bundle
by its rank of first appearance, so two Bundles compare equal exactly when they hold
the same content and their references tie the same entries together. ``without_ids``
blanks the ids and UUIDs of records read back.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields, is_dataclass, replace
from typing import Any

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def renamed_ids(bundle: str | dict[str, Any]) -> str:
    """The Bundle as JSON text with each UUID replaced by ``id-<rank of first sight>``."""
    text = bundle if isinstance(bundle, str) else json.dumps(bundle, sort_keys=True)
    seen: dict[str, str] = {}

    def rank(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"id-{len(seen)}")

    return _UUID.sub(rank, text)


def without_ids(value: Any) -> Any:
    """``value`` with every ``id``, ``uuid`` and ``installation`` field of its records blank."""
    if isinstance(value, tuple):
        return tuple(without_ids(item) for item in value)
    if not is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for field in fields(value):
        current = getattr(value, field.name)
        if field.name in ("id", "uuid", "installation") and isinstance(current, str):
            changes[field.name] = ""
        else:
            changes[field.name] = without_ids(current)
    return replace(value, **changes)
