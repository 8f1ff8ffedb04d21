"""Runtime settings, read from the environment (``SPINESTEP_*``) by a function, never at import."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class Settings(BaseSettings):
    """Installation settings. ``SPINESTEP_DATABASE_URL`` selects the database.

    ``public_url`` is the address people use to reach spinestep (links in invitations
    and e-mails; https also turns on HSTS and the ``Secure`` cookie flag).
    ``trusted_proxies`` names the reverse proxies whose ``X-Forwarded-For`` is believed.
    """

    model_config = SettingsConfigDict(env_prefix="SPINESTEP_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "spinestep@localhost"
    public_url: str = ""
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = ()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return check_public_url(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, value: object) -> tuple[Network, ...]:
        return parse_networks(value)

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
    except ValidationError as error:
        first = error.errors()[0]
        name = "_".join(str(part) for part in first["loc"]).upper()
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"SPINESTEP_{name}", problem) from None
