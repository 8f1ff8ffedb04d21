"""Signed session cookies and session-bound CSRF tokens.

The session cookie is ``base64(json) . hmac``. It carries the account id (``None``
before sign-in), a random nonce and an expiry. A signed-in cookie counts only while the
database holds its browser session, found by ``session_key`` (the SHA-256 of the nonce;
the nonce itself is never stored): signing out, a password change, a reset or a
deactivation delete that row, and every copy of the cookie stops working. A cookie from
before sign-in has no row: it only carries the nonce its forms' CSRF tokens are bound to.
The CSRF token of a form is an HMAC of that nonce, so it changes at every sign-in.

Session lifetimes follow the wall clock (``wall_now``), which is what browsers expire
cookies by.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spinestep.services.passwords import token_hash

SESSION_COOKIE = "spinestep_session"
SESSION_LIFETIME_S = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def load_or_create_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, else one kept in ``data_dir/secret_key`` (made on first use).

    The data folder is made (or kept) 0700 and the key file 0600: the key is created with
    those permissions, never written first and restricted afterwards.
    """
    from spinestep.errors import StorageError
    from spinestep.store.files import create_private_file, private_file, private_folder

    if configured:
        if data_dir.exists():
            private_folder(data_dir)
        return configured.encode()
    private_folder(data_dir)
    path = data_dir / "secret_key"
    if not path.exists():
        try:
            create_private_file(path)
            path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        except FileExistsError:
            pass  # another process made it at the same moment; read theirs
    private_file(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise StorageError(
            f"the secret key file in {data_dir} is empty; delete it to make a new one"
        )
    return key.encode()


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """What the session cookie says: who (``None`` before login), a nonce, when it ends."""

    account_id: str | None
    nonce: str
    expires_at: int

    @property
    def key(self) -> str:
        """What the database keeps of this session: the SHA-256 of its nonce."""
        return session_key(self.nonce)

    @property
    def ends_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)


def session_key(nonce: str) -> str:
    """What the database keeps of a signed-in cookie: the SHA-256 of its nonce."""
    return token_hash(nonce)


def wall_now() -> datetime:
    """Now by the wall clock, the time session cookies and their rows expire by."""
    return datetime.fromtimestamp(time.time(), UTC)


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"spinestep-session|" + secret).digest()
        self._csrf_key = hashlib.sha256(b"spinestep-csrf|" + secret).digest()
        self._offline_key = hashlib.sha256(b"spinestep-offline|" + secret).digest()

    def new_session(self, account_id: str | None, now_s: float | None = None) -> BrowserSession:
        now = time.time() if now_s is None else now_s
        return BrowserSession(account_id, secrets.token_urlsafe(18), int(now) + SESSION_LIFETIME_S)

    def dump(self, session: BrowserSession) -> str:
        body = _b64(
            json.dumps(
                {"a": session.account_id, "n": session.nonce, "e": session.expires_at},
                separators=(",", ":"),
            ).encode()
        )
        return f"{body}.{self._sign(body)}"

    def load(self, cookie: str | None, now_s: float | None = None) -> BrowserSession | None:
        """The session in a cookie, or ``None`` when it is missing, forged or expired."""
        if not cookie or "." not in cookie or len(cookie) > 512:
            return None
        body, _, signature = cookie.partition(".")
        if not _same(signature, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        account, nonce, expires = data.get("a"), data.get("n"), data.get("e")
        if not isinstance(nonce, str) or not isinstance(expires, int):
            return None
        if account is not None and not isinstance(account, str):
            return None
        now = time.time() if now_s is None else now_s
        if expires < now:
            return None
        return BrowserSession(account, nonce, expires)

    def csrf_token(self, session: BrowserSession) -> str:
        return _b64(hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).digest())

    def csrf_ok(self, session: BrowserSession | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return _same(token, self.csrf_token(session))

    def account_tag(self, user_id: int) -> str:
        """An opaque, stable name of one account: the phone's offline caches and queue of
        unsent sessions carry it, so nothing kept for one account reaches another."""
        mac = hmac.new(self._offline_key, str(user_id).encode(), hashlib.sha256)
        return mac.hexdigest()[:22]

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
