"""Fetch the MediaPipe Pose web assets the camera coach runs on: pinned, checked, offline after.

The guided session's camera mode estimates the pose in the patient's browser with the npm
package ``@mediapipe/pose`` (Apache-2.0). The app serves its files itself, under
``/static/vendor/mediapipe-pose/``, so no page ever loads anything from a third-party
server and the coach works offline.

How the files get into the installed package
--------------------------------------------
* They are not in git (about 60 MB of WebAssembly and models). ``make setup`` (and so
  ``make run`` and ``make test``) runs this script, which downloads the package's tarball
  from the npm registry, checks it against the SHA-512 integrity the registry published
  for this version (pinned below), extracts only the files listed in ``FILES``, checks
  each against its pinned SHA-256, and writes them into
  ``src/spinestep/web/static/vendor/mediapipe-pose/`` next to the package's licence (the
  one file of that folder kept in git).
* When every file is already there with its pinned digest, the script does nothing and
  needs no network. A file that is missing or differs is fetched again; a download that
  does not match its pin is refused (exit status 2) and nothing is written.
* The wheel includes the files: ``pyproject.toml`` lists the folder as hatch
  ``artifacts`` (git-ignored files that are still packaged), so ``uv build --wheel`` after
  ``make setup`` carries them and ``pip install`` puts them in the installed package's
  static folder. A wheel built without them still runs; the camera mode then reports that
  the pose model could not be loaded and the manual counter stays.

Which files ``pose.js`` requests (seen in Chromium): the solution's loader
``pose_solution_packed_assets_loader.js`` and ``pose_solution_packed_assets.data``, the
WebAssembly runtime (``pose_solution_simd_wasm_bin.{js,wasm}``, or the ``pose_solution_
wasm_bin`` pair on browsers without WebAssembly SIMD), ``pose_web.binarypb`` and the
landmark model of the chosen complexity (``pose_landmark_lite.tflite`` for 0,
``_full`` for 1, ``_heavy`` for 2). The runner points ``locateFile`` at the app for all.

To move to another version: change ``VERSION``, ``INTEGRITY`` (``npm view
@mediapipe/pose@VERSION dist.integrity``) and ``FILES`` (``sha256sum`` of the checked
files), and ``POSE_VERSION`` in ``static/motion/pose-runner.js`` (a test compares them).

Usage: ``python scripts/pose_assets.py [--dest DIR] [--registry URL] [--check]``.
Exit status: 0 files in place, 1 the download failed (or ``--check`` found files missing
or different), 2 a download did not match its pin (refused).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import TextIO

PACKAGE = "@mediapipe/pose"
VERSION = "0.5.1675469404"
# The registry's ``dist.integrity`` of this version's tarball.
INTEGRITY = (
    "sha512-"
    "DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ=="
)
FILES = {
    "pose.js": "fcb703afcce65d0a1c540f6a70c3bb45fc84521498c21a9d4160265dde648ab4",
    "pose_solution_packed_assets_loader.js": (
        "d7aa29b7d8e11b5c97a58d719e982dd15c2de72995d95112d60492b854840a36"
    ),
    "pose_solution_packed_assets.data": (
        "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
    ),
    "pose_solution_simd_wasm_bin.js": (
        "3983d1dca31d945d81abb70b18dd61f28ef4736e112463d7cfb1cbadef588127"
    ),
    "pose_solution_simd_wasm_bin.wasm": (
        "195a929430e2ce130b3efb82e64ba27c8e68cb0f6bad870b715688060ea6f7e2"
    ),
    "pose_solution_wasm_bin.js": "3fcfd9574a04fcf4a0b9271b9b4429c6b9a70278300a5e54c45ddf2001e41422",
    "pose_solution_wasm_bin.wasm": (
        "a5589369289e1f1e007c106e8ffb26e85a5be762c6db9551ed36213f8f58378d"
    ),
    "pose_web.binarypb": "dc8efd1c2d62007b34278467407fda5f70847f41310e0e39f0f59fc17b1d01f7",
    "pose_landmark_lite.tflite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "pose_landmark_heavy.tflite": (
        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
    ),
}
REGISTRY = "https://registry.npmjs.org"
DEST = Path(__file__).resolve().parents[1] / "src/spinestep/web/static/vendor/mediapipe-pose"
MAX_TARBALL_BYTES = 100 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 60


class Refused(Exception):
    """A download that does not match its pin (exit status 2)."""


class DownloadFailed(Exception):
    """The registry could not be reached or answered with an error (exit status 1)."""


def tarball_url(registry: str) -> str:
    return f"{registry.rstrip('/')}/{PACKAGE}/-/pose-{VERSION}.tgz"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stale_files(dest: Path) -> list[str]:
    """The pinned files that are missing from ``dest`` or differ from their pin."""
    return [
        name
        for name, pinned in FILES.items()
        if not (dest / name).is_file() or sha256_of(dest / name) != pinned
    ]


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer:
            body: bytes = answer.read(MAX_TARBALL_BYTES + 1)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadFailed(f"could not download {url}: {error}") from None
    if len(body) > MAX_TARBALL_BYTES:
        raise Refused(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
    return body


def check_integrity(tarball: bytes) -> None:
    algorithm, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        raise Refused(
            f"the downloaded {PACKAGE} {VERSION} tarball does not match the pinned "
            f"{algorithm} integrity (got {algorithm}-{actual}); nothing was written"
        )


def checked_members(tarball: bytes, names: list[str]) -> dict[str, bytes]:
    """The named files of the tarball, each checked against its pinned SHA-256."""
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("package/")
            if name in names and member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    found[name] = handle.read()
    missing = sorted(set(names) - set(found))
    if missing:
        raise Refused(f"the {PACKAGE} {VERSION} tarball lacks {', '.join(missing)}")
    for name, content in found.items():
        if hashlib.sha256(content).hexdigest() != FILES[name]:
            raise Refused(
                f"{name} in the {PACKAGE} {VERSION} tarball does not match its pinned "
                "SHA-256; nothing was written"
            )
    return found


def write_atomically(dest: Path, name: str, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=dest, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, dest / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch(dest: Path, registry: str) -> list[str]:
    """Bring ``dest`` up to date; return the names written (none when all matched)."""
    stale = stale_files(dest)
    if not stale:
        return []
    tarball = download(tarball_url(registry))
    check_integrity(tarball)
    contents = checked_members(tarball, stale)
    dest.mkdir(parents=True, exist_ok=True)
    for name in stale:
        write_atomically(dest, name, contents[name])
    return stale


def say(line: str, stream: TextIO = sys.stdout) -> None:
    stream.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dest", type=Path, default=DEST, help="folder of the assets")
    parser.add_argument("--registry", default=REGISTRY, help="npm registry base URL")
    parser.add_argument("--check", action="store_true", help="only check, never download")
    args = parser.parse_args(argv)
    dest: Path = args.dest
    if args.check:
        stale = stale_files(dest)
        if stale:
            say(f"{PACKAGE} {VERSION}: missing or different: {', '.join(stale)}")
            return 1
        say(f"{PACKAGE} {VERSION}: all {len(FILES)} files match their pins")
        return 0
    try:
        written = fetch(dest, args.registry)
    except Refused as error:
        say(f"refused: {error}", sys.stderr)
        return 2
    except DownloadFailed as error:
        say(f"error: {error}", sys.stderr)
        return 1
    if written:
        say(f"{PACKAGE} {VERSION}: wrote {len(written)} checked files into {dest}")
    else:
        say(f"{PACKAGE} {VERSION}: all {len(FILES)} files in place and matching their pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
