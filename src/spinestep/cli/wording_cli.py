"""``spinestep questionnaire wording load|checksum``: questionnaire wording packs.

``load`` checks a pack (format, checksum, fit with the instrument's scoring) and stores
it; the patient's questionnaire pages then show its items. ``checksum`` prints the
SHA-256 of a pack's canonical content, for whoever writes or edits a pack.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import typer

from spinestep.domain.wording_pack import MAX_PACK_BYTES, checksum_of, read_document
from spinestep.errors import InvalidInput
from spinestep.services.context import Actor, ServiceContext

LOCAL = Actor.local_person()
ContextFactory = Callable[[], AbstractContextManager[ServiceContext]]


def read_pack_text(path: Path) -> str:
    """The pack file's text: at most the pack size limit, UTF-8 (InvalidInput otherwise)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_PACK_BYTES + 1)
    if len(data) > MAX_PACK_BYTES:
        raise InvalidInput("FILE", f"is larger than {MAX_PACK_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("FILE", "is not UTF-8 text") from None


def build(open_context: ContextFactory) -> typer.Typer:
    app = typer.Typer(
        help="Questionnaire wording packs: the item texts the patient's pages show.",
        no_args_is_help=True,
    )

    @app.command("load")
    def load_command(
        file: Path = typer.Argument(..., help="A wording pack (YAML; see docs/cli.md)."),
    ) -> None:
        """Check a wording pack and load it; its instrument's pages then show its items."""
        from spinestep.services.wording_packs import load_pack

        text = read_pack_text(file)
        with open_context() as ctx:
            loaded = load_pack(ctx, LOCAL, text)
        pack = loaded.pack
        state = "already loaded" if loaded.already_loaded else "loaded"
        typer.echo(
            f"{state}: {pack.instrument} wording pack version {pack.pack_version} "
            f"({pack.language}), checksum {pack.checksum[:12]}"
        )

    @app.command("checksum")
    def checksum_command(
        file: Path = typer.Argument(..., help="A wording pack (YAML)."),
    ) -> None:
        """Print the SHA-256 of a pack's canonical content (its 'checksum' field)."""
        typer.echo(checksum_of(read_document(read_pack_text(file))))

    return app
