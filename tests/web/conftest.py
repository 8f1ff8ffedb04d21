"""Fixtures of the web tests: a populated clinic on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.support import Clinic, build_clinic


@pytest.fixture
def clinic(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url)
    yield built
    built.close()
