"""A file read with a cap on its size: imports refuse a file larger than their limit
as soon as the limit is passed, before reading the rest."""

from __future__ import annotations

import io
from typing import IO

from spinestep.errors import InvalidInput


class LimitedReader(io.RawIOBase):
    """The bytes of ``stream``; ``InvalidInput(path, ...)`` once more than ``limit`` are read."""

    def __init__(self, stream: IO[bytes], limit: int, path: str) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self.path = path
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.stream.read(len(buffer))
        self.seen += len(chunk)
        if self.seen > self.limit:
            raise InvalidInput(self.path, f"is larger than {_size(self.limit)}")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit} bytes"
