"""Time zones a person or a file may name: the canonical zones of the IANA database.

Read from the ``tzdata`` package: the zones of ``tzdata.zi`` (its ``Z`` lines) and
every name of ``zone.tab``, the per-country list. The second matters: since 2022 the
database merges zones that agree since 1970, so ``Europe/Oslo`` is a link to
``Europe/Berlin`` in ``tzdata.zi``, yet it stays Norway's zone in ``zone.tab`` and a
Norwegian patient must be able to choose it. ``Factory`` and the system's own names
(``localtime``, ``posixrules``) are not zones a person lives in; folders such as
``Europe`` are not zones at all. Any other link (``US/Eastern``, ``Asia/Calcutta``) is
refused with the canonical name it stands for. ``UTC`` is accepted as the name
everyone uses for ``Etc/UTC``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from spinestep.errors import InvalidInput

_NOT_A_HOME = frozenset({"Factory"})
_ALSO_ACCEPTED = frozenset({"UTC"})


@cache
def _tzdata() -> tuple[frozenset[str], dict[str, str]]:
    text = resources.files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text("utf-8")
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "Z":
            zones.add(parts[1])
        elif len(parts) >= 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    by_country = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text("utf-8")
    for line in by_country.splitlines():
        columns = line.split("\t")
        if not line.startswith("#") and len(columns) >= 3:
            zones.add(columns[2])
    return frozenset(zones - _NOT_A_HOME), links


def canonical_zones() -> frozenset[str]:
    """Every canonical IANA zone name a person may live in."""
    return _tzdata()[0] | _ALSO_ACCEPTED


def check_zone(name: str, path: str = "time_zone") -> str:
    """``name`` itself if it is a canonical IANA zone, else InvalidInput naming ``path``."""
    if name in canonical_zones():
        return name
    target = _tzdata()[1].get(name)
    shown = name if len(name) <= 64 and name.isprintable() else "this name"
    if target is not None and target in canonical_zones():
        raise InvalidInput(path, f"'{shown}' is an old name; use '{target}'")
    raise InvalidInput(path, f"'{shown}' is not an IANA time zone such as 'Europe/London'")
