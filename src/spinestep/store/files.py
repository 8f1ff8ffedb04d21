"""Owner-only files: the data folder is 0700; the database, its sidecars, backups are 0600.

Health records must not be readable by other local users. New files are created with
``os.open(..., 0o600)`` (SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the
mode of the database file, so they follow). Existing files and folders are checked when
the store opens: a file or folder of ours that group or others may read is tightened
(``chmod``) and one line is logged naming only the folder; one that belongs to another
account cannot be fixed by us and is refused with a ``StorageError``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from spinestep.errors import StorageError

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

_log = logging.getLogger("spinestep.store")


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing; make it owner-only (0700)."""
    if not folder.exists():
        try:
            folder.mkdir(parents=True, mode=FOLDER_MODE)
        except FileExistsError:
            pass
        except OSError as error:
            raise StorageError(f"cannot create the data folder: {error.strerror}") from None
    _tighten(folder, FOLDER_MODE, "data folder")


def private_file(path: Path) -> None:
    """Make an existing ``path`` owner-only (0600); a missing one is left alone."""
    _tighten(path, FILE_MODE, "file")


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600, whatever the umask; refuse if it already exists."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        raise
    except OSError as error:
        raise StorageError(f"cannot create a file in {path.parent}: {error.strerror}") from None
    os.close(descriptor)


def sqlite_files(database: Path) -> list[Path]:
    """The database file and the sidecar files SQLite may keep next to it."""
    return [database, *(database.with_name(database.name + end) for end in SQLITE_SIDECARS)]


def private_sqlite_files(database: Path) -> None:
    """Check the database and each of its sidecars that exists (0600)."""
    for path in sqlite_files(database):
        private_file(path)


def _tighten(path: Path, mode: int, what: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise StorageError(f"cannot check the permissions in {path.parent}: {error}") from None
    if not info.st_mode & 0o077:
        return
    folder = path if what == "data folder" else path.parent
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StorageError(
            f"a {what} in {folder} is readable by other users and belongs to another "
            "account; make it owner-only (chmod go-rwx) and try again"
        )
    try:
        path.chmod(mode)
    except OSError as error:
        raise StorageError(f"cannot make a {what} in {folder} owner-only: {error}") from None
    _log.warning("made a %s in %s owner-only (it was readable by other users)", what, folder)
