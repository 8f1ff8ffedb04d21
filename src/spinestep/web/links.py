"""Absolute links for people to open (invitations, password resets, alert e-mails).

A link is built from ``SPINESTEP_PUBLIC_URL``, never from the request's ``Host`` header,
which anyone can set. Without a public URL a link is only made when the server listens
on loopback, where ``http://{host}:{port}`` is the one address that can work.
"""

from __future__ import annotations

from spinestep.errors import Conflict
from spinestep.settings import Settings


class PublicUrlMissing(Conflict):
    """No public URL is configured and the server listens on a network address."""

    def __init__(self) -> None:
        super().__init__(
            "links cannot be made: set SPINESTEP_PUBLIC_URL to the address people use "
            "to reach spinestep (e.g. https://spine.example-clinic.org)"
        )


def public_base(settings: Settings) -> str:
    """``scheme://host[:port]`` that people use to reach this server (no trailing slash)."""
    if settings.public_url:
        return settings.public_url
    if not settings.listens_on_loopback():
        raise PublicUrlMissing()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


def absolute_url(settings: Settings, path: str) -> str:
    """The link to ``path`` (which starts with ``/``); raises ``PublicUrlMissing``."""
    if not path.startswith("/"):
        raise ValueError("path must start with '/'")
    return public_base(settings) + path
