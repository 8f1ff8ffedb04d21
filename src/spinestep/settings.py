"""Runtime settings, read from the environment (``SPINESTEP_*``) by a function, never at import."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_data_dir

from spinestep.errors import InvalidInput

#: Bind addresses that only this machine can reach.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

Network = IPv4Network | IPv6Network


def default_data_dir() -> Path:
    return Path(user_data_dir("spinestep", appauthor=False))


def check_public_url(value: str) -> str:
    """``scheme://host[:port]`` with scheme http or https, without a trailing slash.

    No path, query, fragment or user name: spinestep serves its pages from the root of
    the address, so a link under a path would not reach it.
    """
    text = value.strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("names no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError("only scheme, host and port (spinestep is served from the root)")
    netloc = parts.netloc.lower()
    default_port = {"http": 80, "https": 443}[parts.scheme]
    if port == default_port:
        netloc = netloc.rsplit(":", 1)[0]
    return f"{parts.scheme}://{netloc}"


def parse_networks(value: object) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks (``10.0.0.1, 172.16.0.0/12``)."""
    if isinstance(value, str):
        items: list[object] = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        raise ValueError("must be a comma-separated list of IP addresses or networks")
    networks: list[Network] = []
    for item in items:
        if isinstance(item, IPv4Network | IPv6Network):
            networks.append(item)
            continue
        try:
            networks.append(ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{str(item)[:60]!r} is not an IP address or network") from None
    return tuple(networks)


class SettingsError(ValueError):
    """A setting that cannot be used; the message starts with the setting's field name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _text(value: object) -> str:
    return str(value)


def _whole(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("must be a whole number") from None


def _port(value: object) -> int:
    number = _whole(value)
    if not 0 <= number <= 65535:
        raise ValueError("must be a port number, 0-65535")
    return number


#: Worker threads per server process. Python runs one thread at a time: past a few threads,
#: the threads waiting for that turn make every request slower (``notes/perf.md``).
DEFAULT_THREADS = 4


def _threads(value: object) -> int:
    number = _whole(value)
    if not 1 <= number <= 64:
        raise ValueError("must be a number of threads, 1-64")
    return number


def _path(value: object) -> Path:
    return value if isinstance(value, Path) else Path(str(value))


#: Each setting: how a value given in code or in ``SPINESTEP_<NAME>`` is checked.
_FIELDS: dict[str, Callable[[object], object]] = {
    "data_dir": _path,
    "database_url": _text,
    "host": _text,
    "port": _port,
    "secret_key": _text,
    "smtp_host": _text,
    "smtp_port": _port,
    "smtp_from": _text,
    "public_url": lambda value: check_public_url(str(value)),
    "trusted_proxies": parse_networks,
    "threads": _threads,
}


@dataclass(frozen=True, slots=True, init=False)
class Settings:
    """Installation settings. ``SPINESTEP_DATABASE_URL`` selects the database.

    ``Settings(**values)`` takes each setting from ``values``, else from the environment
    variable ``SPINESTEP_<NAME>``, else its default; a wrong one raises
    :class:`SettingsError` naming it. Read with the standard library alone: the command
    line starts without a settings framework.

    ``public_url`` is the address people use to reach spinestep (links in invitations
    and e-mails; https also turns on HSTS and the ``Secure`` cookie flag).
    ``trusted_proxies`` names the reverse proxies whose ``X-Forwarded-For`` is believed.
    ``threads`` is how many worker threads a server process runs its database work and
    page rendering in (``DEFAULT_THREADS``; see ``docs/web.md``, "Threads").
    """

    data_dir: Path
    database_url: str
    host: str
    port: int
    secret_key: str
    smtp_host: str
    smtp_port: int
    smtp_from: str
    public_url: str
    trusted_proxies: tuple[Network, ...]
    threads: int

    def __init__(self, **values: object) -> None:
        unknown = sorted(set(values) - set(_FIELDS))
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(unknown)}")
        defaults: dict[str, object] = {
            "database_url": "",
            "host": "127.0.0.1",
            "port": 8000,
            "secret_key": "",
            "smtp_host": "",
            "smtp_port": 25,
            "smtp_from": "spinestep@localhost",
            "public_url": "",
            "trusted_proxies": (),
            "threads": DEFAULT_THREADS,
        }
        for name, check in _FIELDS.items():
            if name in values:
                raw = values[name]
            elif (env := os.environ.get(f"SPINESTEP_{name.upper()}")) is not None:
                raw = env
            elif name == "data_dir":
                raw = default_data_dir()
            else:
                raw = defaults[name]
            try:
                value = check(raw)
            except ValueError as error:
                raise SettingsError(name, str(error)) from None
            object.__setattr__(self, name, value)

    def replace(self, **changes: object) -> Settings:
        """These settings with ``changes`` (checked as in the constructor)."""
        current = {name: getattr(self, name) for name in _FIELDS}
        return Settings(**{**current, **changes})

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the user data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'spinestep.db'}"

    def serves_https(self) -> bool:
        """People reach spinestep over https (it may itself listen on plain HTTP behind a proxy)."""
        return self.public_url.startswith("https://")

    def listens_on_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


def load_settings() -> Settings:
    """The settings of the environment; ``InvalidInput`` naming the variable when one is wrong."""
    try:
        return Settings()
    except SettingsError as error:
        raise InvalidInput(f"SPINESTEP_{error.field.upper()}", error.problem) from None
