"""Owner-only files: the data folder is 0700; the database, its sidecars, backups are 0600.

Health records must not be readable by other local users. New files are created with
``os.open(..., 0o600)`` (SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the
mode of the database file, so they follow); new folders with mode 0700. Existing files
are checked whenever the store opens: one of ours that group or others may read is
tightened (``chmod``) and one line is logged naming only its folder; one that belongs to
another account cannot be fixed by us and is refused with a ``StorageError``. An
existing data folder is tightened the same way unless it is not spinestep's alone (see
``private_folder``), which is only logged.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from spinestep.errors import StorageError

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

_log = logging.getLogger("spinestep.store")


def private_folder(folder: Path, *, tighten_existing: bool = True) -> None:
    """Create ``folder`` (and its parents) 0700 if missing; else make it owner-only.

    A folder that is not spinestep's alone is never changed, only reported: one of another
    account, a shared folder with the sticky bit (``/tmp``), the home folder or a root.
    """
    if not folder.exists():
        try:
            folder.mkdir(parents=True, mode=FOLDER_MODE)
        except FileExistsError:
            pass
        except OSError as error:
            raise StorageError(f"cannot create the data folder: {error.strerror}") from None
        else:
            return
    if not tighten_existing:
        return
    try:
        info = folder.stat()
    except OSError as error:
        raise StorageError(f"cannot check the permissions of {folder}: {error}") from None
    if not info.st_mode & 0o077:
        return
    resolved = folder.resolve()
    shared = (
        info.st_mode & stat.S_ISVTX
        or (hasattr(os, "getuid") and info.st_uid != os.getuid())
        or resolved == Path.home().resolve()
        or resolved == Path(resolved.anchor)
    )
    if shared:
        _log.warning(
            "the data folder %s is readable by other users and is not spinestep's alone; "
            "it is left as it is (the files spinestep keeps there are owner-only)",
            folder,
        )
        return
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
