"""The MediaPipe Pose web assets: fetched pinned and checked, served by the app, in the wheel."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import FastAPI

from tests.web.support import TestClient, make_app

ROOT = Path(__file__).parents[2]
STATIC = ROOT / "src" / "spinestep" / "web" / "static"
TEMPLATES = ROOT / "src" / "spinestep" / "web" / "templates"
RUNNER = STATIC / "motion" / "pose-runner.js"
VENDOR_URL = "/static/vendor/mediapipe-pose/"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pose_assets", ROOT / "scripts/pose_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


assets = load_script()


@pytest.fixture(scope="module")
def vendor() -> Path:
    stale = assets.stale_files(assets.DEST)
    if stale:
        pytest.fail(f"pose assets missing ({', '.join(stale)}): run make setup", pytrace=False)
    return Path(assets.DEST)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    built, _, engine = make_app(tmp_path, f"sqlite:///{tmp_path / 'spinestep.db'}")
    yield built
    engine.dispose()


# --- the fetch script ---------------------------------------------------------------


def tarball_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return out.getvalue()


def integrity_of(tarball: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()


@pytest.fixture
def registry() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A local stand-in for the npm registry: serves whatever bytes the test puts in."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_address[1]}", served
    http.shutdown()
    http.server_close()


def tarball_path() -> str:
    return str(assets.tarball_url("http://x")).removeprefix("http://x")


def closed_port_url() -> str:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_address[1]
    return f"http://127.0.0.1:{port}"


def test_files_that_match_their_pins_need_no_network(vendor: Path, tmp_path: Path) -> None:
    dest = tmp_path / "assets"
    shutil.copytree(vendor, dest)
    before = {path.name: path.stat().st_mtime_ns for path in dest.iterdir()}
    assert assets.main(["--dest", str(dest), "--registry", closed_port_url()]) == 0
    assert {path.name: path.stat().st_mtime_ns for path in dest.iterdir()} == before
    assert assets.main(["--dest", str(dest), "--check"]) == 0


def test_a_tarball_that_does_not_match_the_pinned_integrity_is_refused(
    registry: tuple[str, dict[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, served = registry
    served[tarball_path()] = tarball_of({"pose.js": b"console.log('not mediapipe')"})
    dest = tmp_path / "assets"
    dest.mkdir()
    assert assets.main(["--dest", str(dest), "--registry", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refused: ") and "integrity" in err and "nothing was written" in err
    assert list(dest.iterdir()) == []


def test_a_file_that_does_not_match_its_pinned_sha256_is_refused(
    registry: tuple[str, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, served = registry
    files = {name: b"x" for name in assets.FILES}
    files["pose.js"] = b"console.log('changed')"
    tarball = tarball_of(files)
    served[tarball_path()] = tarball
    monkeypatch.setattr(assets, "INTEGRITY", integrity_of(tarball))
    monkeypatch.setattr(
        assets, "FILES", {name: hashlib.sha256(b"x").hexdigest() for name in assets.FILES}
    )
    dest = tmp_path / "assets"
    dest.mkdir()
    assert assets.main(["--dest", str(dest), "--registry", url]) == 2
    err = capsys.readouterr().err
    assert "pose.js" in err and "SHA-256" in err
    assert list(dest.iterdir()) == []


def test_a_changed_or_missing_file_is_fetched_again_and_checked(
    vendor: Path,
    registry: tuple[str, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, served = registry
    tarball = tarball_of({name: (vendor / name).read_bytes() for name in assets.FILES})
    served[tarball_path()] = tarball
    monkeypatch.setattr(assets, "INTEGRITY", integrity_of(tarball))
    dest = tmp_path / "assets"
    shutil.copytree(vendor, dest)
    (dest / "pose.js").write_text("tampered")
    (dest / "pose_web.binarypb").unlink()
    assert assets.main(["--dest", str(dest), "--check"]) == 1
    assert assets.main(["--dest", str(dest), "--registry", url]) == 0
    assert assets.stale_files(dest) == []
    assert (dest / "pose.js").read_bytes() == (vendor / "pose.js").read_bytes()


def test_an_unreachable_registry_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert assets.main(["--dest", str(tmp_path), "--registry", closed_port_url()]) == 1
    assert capsys.readouterr().err.startswith("error: could not download ")


def test_the_runner_asks_for_the_pinned_version() -> None:
    match = re.search(r'export const POSE_VERSION = "([^"]+)";', RUNNER.read_text())
    assert match is not None and match.group(1) == assets.VERSION


def test_the_licence_stays_with_the_assets(vendor: Path) -> None:
    licence = (vendor / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence


def test_the_wheel_carries_the_pose_files(vendor: Path, tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV
    assert uv is not None, "uv builds the wheel"
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("spinestep-*.whl")
    inside = "spinestep/web/static/vendor/mediapipe-pose/"
    with zipfile.ZipFile(wheel) as archive:
        listed = archive.namelist()
        names = {name.removeprefix(inside) for name in listed if name.startswith(inside)}
        cpu = {f"{assets.CPU_SUBDIR}/{name}": pin for name, pin in assets.CPU_FILES.items()}
        assert names == {*assets.FILES, *cpu, "LICENSE"}
        for name, pinned in [*assets.FILES.items(), *cpu.items()]:
            assert hashlib.sha256(archive.read(inside + name)).hexdigest() == pinned


def cpu_registry(
    served: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, change: str | None = None
) -> None:
    """Serves each CPU-backend package as a tarball of its pinned files (from the checked
    folder), with ``change`` altered, and pins the integrities of these tarballs."""
    packages = []
    for package, version, _, files in assets.CPU_PACKAGES:
        contents = {
            inside: (assets.DEST / assets.CPU_SUBDIR / name).read_bytes()
            for inside, (name, _) in files.items()
        }
        for inside, (name, _) in files.items():
            if name == change:
                contents[inside] = b"changed"
        tarball = tarball_of(contents)
        served[assets.cpu_tarball_url("", package, version)] = tarball
        packages.append((package, version, integrity_of(tarball), files))
    monkeypatch.setattr(assets, "CPU_PACKAGES", tuple(packages))


def test_missing_cpu_backend_files_are_fetched_from_their_packages_and_checked(
    vendor: Path,
    registry: tuple[str, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, served = registry
    cpu_registry(served, monkeypatch)
    dest = tmp_path / "assets"
    shutil.copytree(vendor, dest)
    shutil.rmtree(dest / assets.CPU_SUBDIR)
    (dest / "pose.js").unlink()  # not served here: the MediaPipe tarball is not asked for
    monkeypatch.setattr(assets, "FILES", {})
    assert assets.main(["--dest", str(dest), "--check"]) == 1
    assert assets.main(["--dest", str(dest), "--registry", url]) == 0
    assert sorted(path.name for path in (dest / assets.CPU_SUBDIR).iterdir()) == sorted(
        assets.CPU_FILES
    )
    assert assets.stale_files(dest) == []


def test_a_cpu_backend_file_that_does_not_match_its_pin_is_refused(
    vendor: Path,
    registry: tuple[str, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, served = registry
    cpu_registry(served, monkeypatch, change="blazepose-lite.bin")
    monkeypatch.setattr(assets, "FILES", {})
    dest = tmp_path / "assets"
    assert assets.main(["--dest", str(dest), "--registry", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refused: ") and "blazepose-lite.bin" in err and "SHA-256" in err
    models = dest / assets.CPU_SUBDIR
    # The packages before the models' one were written; nothing of the models' package.
    assert not any(path.name.startswith("blazepose-") for path in models.iterdir())


def test_a_cpu_backend_tarball_that_does_not_match_its_integrity_is_refused(
    registry: tuple[str, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, served = registry
    package, version, _, _ = assets.CPU_PACKAGES[0]
    served[assets.cpu_tarball_url("", package, version)] = tarball_of({"dist/x.js": b"x"})
    monkeypatch.setattr(assets, "FILES", {})
    dest = tmp_path / "assets"
    assert assets.main(["--dest", str(dest), "--registry", url]) == 2
    err = capsys.readouterr().err
    assert f"{package} {version}" in err and "integrity" in err
    assert not (dest / assets.CPU_SUBDIR).exists()


def test_the_runner_names_every_pinned_cpu_package_version() -> None:
    match = re.search(r'export const CPU_ASSETS_TAG = "([^"]+)";', RUNNER.read_text())
    assert match is not None
    tag = match.group(1)
    versions = {version for _, version, _, _ in assets.CPU_PACKAGES}
    assert all(version in tag for version in versions), (tag, versions)


# --- serving and the content policy -------------------------------------------------


def policy_of(header: str) -> dict[str, set[str]]:
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def test_the_policy_allows_webassembly_and_nothing_more(app: FastAPI) -> None:
    with TestClient(app) as client:
        for url in ("/login", f"{VENDOR_URL}pose.js", "/api/v1/health"):
            policy = policy_of(client.get(url).headers["content-security-policy"])
            assert policy["script-src"] == {"'self'", "'wasm-unsafe-eval'"}
            assert policy["default-src"] == {"'self'"}
            everything = set().union(*policy.values())
            assert everything <= {"'self'", "'none'", "'wasm-unsafe-eval'", "data:"}


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("pose_solution_simd_wasm_bin.wasm", "application/wasm"),
        ("pose_solution_wasm_bin.wasm", "application/wasm"),
        ("pose.js", "text/javascript; charset=utf-8"),
        ("pose_solution_packed_assets_loader.js", "text/javascript; charset=utf-8"),
        ("pose_landmark_lite.tflite", "application/octet-stream"),
        ("pose_landmark_full.tflite", "application/octet-stream"),
        ("pose_web.binarypb", "application/octet-stream"),
        ("pose_solution_packed_assets.data", "application/octet-stream"),
        ("tfjs/tfjs-backend-wasm-simd.wasm", "application/wasm"),
        ("tfjs/tfjs-backend-wasm.wasm", "application/wasm"),
        ("tfjs/tf-core.min.js", "text/javascript; charset=utf-8"),
        ("tfjs/pose-detection.min.js", "text/javascript; charset=utf-8"),
    ],
)
def test_pose_files_are_served_with_their_content_type(
    app: FastAPI, vendor: Path, name: str, content_type: str
) -> None:
    with TestClient(app) as client:
        answer = client.get(f"{VENDOR_URL}{name}?v={assets.VERSION}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type
    pinned = assets.FILES.get(name) or assets.CPU_FILES[name.removeprefix("tfjs/")]
    assert hashlib.sha256(answer.content).hexdigest() == pinned


def test_versioned_pose_files_are_cached_and_unversioned_ones_revalidated(
    app: FastAPI, vendor: Path
) -> None:
    with TestClient(app) as client:
        versioned = client.get(f"{VENDOR_URL}pose.js?v={assets.VERSION}")
        plain = client.get(f"{VENDOR_URL}pose.js")
        again = client.get(f"{VENDOR_URL}pose.js", headers={"if-none-match": plain.headers["etag"]})
        page = client.get("/login")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["cache-control"] == "no-cache"
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"
    assert page.headers["cache-control"] == "no-store"


def test_a_missing_pose_file_is_not_found_and_not_typed_as_wasm(app: FastAPI) -> None:
    with TestClient(app) as client:
        answer = client.get(f"{VENDOR_URL}nothing.wasm?v={assets.VERSION}")
    assert answer.status_code == 404
    assert answer.headers.get("content-type") != "application/wasm"
    assert "immutable" not in answer.headers.get("cache-control", "")


def test_no_page_or_own_script_names_another_host() -> None:
    # The vendored files are checked by their pinned digests (their comments name the
    # Emscripten site) and, in the browser test, by every request staying on the app.
    host = re.compile(r"(https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}", re.I)
    vendored = STATIC / "vendor"
    ours = [
        path
        for path in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")]
        if path.is_file() and vendored not in path.parents
    ]
    assert RUNNER in ours
    # Bytes, so that the app's PNG icons are read too.
    named = [path.name for path in ours if host.search(path.read_bytes().decode("latin-1"))]
    assert named == []
