"""The database, its -wal/-shm files, backups and the secret key are owner-only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from spinestep.errors import StorageError
from spinestep.settings import default_data_dir
from spinestep.store import open_store
from spinestep.store.backup import backup, restore
from spinestep.web.security import load_or_create_secret
from tests.services.history_builder import Store, build_history, open_test_store, store

__all__ = ["store"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual desktop umask (files 0644, folders 0755) unless spinestep says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_is_owner_only_with_its_wal_and_shm(tmp_path: Path) -> None:
    folder = tmp_path / "spinestep-data"
    database = folder / "spinestep.db"
    engine, _uow = open_store(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:  # WAL mode: -wal and -shm exist while open
            connection.execute(sa.text("SELECT count(*) FROM patients")).scalar_one()
            sidecars = [folder / "spinestep.db-wal", folder / "spinestep.db-shm"]
            assert all(path.exists() for path in sidecars)
            assert [mode(path) for path in sidecars] == [0o600, 0o600]
        assert mode(folder) == 0o700
        assert mode(database) == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_tightened_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    folder = default_data_dir()  # where a plain install keeps its database
    database = folder / "spinestep.db"
    engine, _uow = open_store(f"sqlite:///{database}")
    engine.dispose()
    folder.chmod(0o755)  # as earlier versions made them
    database.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="spinestep.store"):
        engine, _uow = open_store(f"sqlite:///{database}")
    engine.dispose()
    assert mode(folder) == 0o700
    assert mode(database) == 0o600
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2 and all("owner-only" in line for line in lines)
    assert not any("spinestep.db" in line for line in lines)


def test_a_chosen_folder_keeps_its_mode_but_the_database_in_it_is_tightened(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "chosen"
    folder.mkdir(mode=0o755)
    database = folder / "clinic.db"
    database.touch(mode=0o644)
    engine, _uow = open_store(f"sqlite:///{database}")
    engine.dispose()
    assert (mode(folder), mode(database)) == (0o755, 0o600)


def test_a_shared_sticky_folder_like_tmp_is_never_changed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    engine, _uow = open_store(f"sqlite:///{shared / 'spinestep.db'}")
    engine.dispose()
    load_or_create_secret("", shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert mode(shared / "spinestep.db") == 0o600
    assert mode(shared / "secret_key") == 0o600


def test_a_readable_database_of_another_account_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "data" / "spinestep.db"
    engine, _uow = open_store(f"sqlite:///{database}")
    engine.dispose()
    database.chmod(0o644)
    os.chown(database, 65534, 65534)  # nobody: not ours to change
    with pytest.raises(StorageError, match="belongs to another account"):
        open_store(f"sqlite:///{database}")
    assert mode(database) == 0o644


def test_backups_are_owner_only(store: Store, database_url: str, tmp_path: Path) -> None:
    build_history(store)
    file = tmp_path / "spinestep.backup"
    backup(database_url, file)
    assert mode(file) == 0o600


def test_a_restored_database_is_owner_only(tmp_path: Path) -> None:
    source = open_test_store(f"sqlite:///{tmp_path / 'source.db'}")
    try:
        build_history(source)
    finally:
        source.engine.dispose()
    file = tmp_path / "spinestep.backup"
    backup(f"sqlite:///{tmp_path / 'source.db'}", file)
    target = tmp_path / "restored" / "spinestep.db"
    restore(f"sqlite:///{target}", file)
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["spinestep.db"]


def test_the_secret_key_is_made_owner_only_in_an_owner_only_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = load_or_create_secret("", data_dir)
    assert len(key) >= 48
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert load_or_create_secret("", data_dir) == key


def test_an_existing_readable_secret_key_is_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    (data_dir / "secret_key").write_text("an-old-key-from-an-earlier-version")
    (data_dir / "secret_key").chmod(0o644)
    assert load_or_create_secret("", data_dir) == b"an-old-key-from-an-earlier-version"
    assert mode(data_dir / "secret_key") == 0o600
    assert mode(data_dir) == 0o700
