"""axe-core accessibility checks for the browser tests, run on the page as the patient sees it.

The engine is the npm package ``axe-core`` (MPL-2.0) at a pinned version. The first run
downloads its tarball from the npm registry, checks it against the SHA-512 integrity the
registry published for that version, takes ``axe.min.js`` out of it, checks that file's
SHA-256 and keeps it in the git-ignored ``.cache/axe-core/`` folder of the checkout;
later runs use the cached file (checked again) and need no network. Nothing comes from a
CDN, and the page under test never fetches anything: the script is evaluated in the page
through the browser's debugging protocol, which the app's content security policy does not
govern, so the page keeps its real policy while it is checked.

To move to another version: change ``AXE_VERSION``, ``AXE_INTEGRITY`` (``npm view
axe-core@VERSION dist.integrity``) and ``AXE_SHA256`` (``sha256sum package/axe.min.js``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import tarfile
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
CACHE = ROOT / ".cache" / "axe-core"
REGISTRY = "https://registry.npmjs.org"
#: The impacts that fail a page (axe's scale: minor, moderate, serious, critical).
BLOCKING = ("critical", "serious")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact || "unknown",
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def _pose_assets() -> ModuleType:
    """``scripts/pose_assets.py``: its pinned, checked npm download is reused here."""
    spec = importlib.util.spec_from_file_location("pose_assets", ROOT / "scripts/pose_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _checked(content: bytes) -> bytes:
    if hashlib.sha256(content).hexdigest() != AXE_SHA256:
        raise RuntimeError(f"axe-core {AXE_VERSION}: axe.min.js does not match its pinned SHA-256")
    return content


@cache
def axe_source() -> str:
    """The text of the pinned ``axe.min.js``, from the cache or fetched into it."""
    cached = CACHE / f"axe-{AXE_VERSION}.min.js"
    if cached.is_file():
        return _checked(cached.read_bytes()).decode()
    assets = _pose_assets()
    tarball = assets.download(f"{REGISTRY}/axe-core/-/axe-core-{AXE_VERSION}.tgz")
    assets.check_integrity(tarball, AXE_INTEGRITY, f"axe-core {AXE_VERSION}")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        handle = archive.extractfile("package/axe.min.js")
        assert handle is not None
        content = _checked(handle.read())
    CACHE.mkdir(parents=True, exist_ok=True)
    assets.write_atomically(CACHE, cached.name, content)
    return content.decode()


def violations(page: Page) -> dict[str, list[dict[str, Any]]]:
    """axe's violations on the page as it is now, grouped by impact."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for violation in found:
        grouped.setdefault(violation["impact"], []).append(violation)
    return grouped


def blocking(page: Page) -> list[dict[str, Any]]:
    """The critical and serious violations (an empty list when the page passes)."""
    grouped = violations(page)
    return [violation for impact in BLOCKING for violation in grouped.get(impact, [])]


def assert_no_blocking(page: Page, label: str) -> None:
    """Fail naming each critical or serious rule broken on ``label`` and where."""
    found = blocking(page)
    summary = "; ".join(f"{v['impact']} {v['id']} ({v['help']}) at {v['targets']}" for v in found)
    assert not found, f"axe on {label}: {summary}"
