"""The built-in programmes, shipped as package data, and loading of protocol files.

``load_builtin("lumbar-flexion")`` returns the parsed protocol; results are cached.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from spinestep.domain.model import ProtocolDefinition
from spinestep.domain.protocol import parse_protocol
from spinestep.errors import ProtocolError

_SUFFIX = ".yaml"
SCHEMA_FILE = "protocol.schema.json"


@cache
def builtin_ids() -> tuple[str, ...]:
    """Ids of the shipped protocols, sorted."""
    folder = resources.files(__name__)
    return tuple(
        sorted(
            entry.name.removesuffix(_SUFFIX)
            for entry in folder.iterdir()
            if entry.name.endswith(_SUFFIX)
        )
    )


@cache
def load_builtin(protocol_id: str) -> ProtocolDefinition:
    """The shipped protocol with this id; an unknown id is a ProtocolError."""
    if protocol_id not in builtin_ids():
        known = ", ".join(builtin_ids())
        raise ProtocolError(f"unknown protocol '{protocol_id}' (built in: {known})")
    name = protocol_id + _SUFFIX
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    protocol = parse_protocol(text, name)
    if protocol.id != protocol_id:
        raise ProtocolError(f"{name}: id '{protocol.id}' does not match the file name")
    return protocol


@cache
def _builtin_mapping() -> MappingProxyType[str, ProtocolDefinition]:
    return MappingProxyType(
        {protocol_id: load_builtin(protocol_id) for protocol_id in builtin_ids()}
    )


def builtin_protocols() -> MappingProxyType[str, ProtocolDefinition]:
    """Every shipped protocol by id (read once, then cached; read-only)."""
    return _builtin_mapping()


def load_file(path: str | Path) -> ProtocolDefinition:
    """Read and check a protocol file; problems name the file, field and line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ProtocolError(f"{file.name}: cannot read the file: {reason}") from None
    return parse_protocol(text, file.name)


def schema_text() -> str:
    """The JSON Schema of the protocol file format."""
    return resources.files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
