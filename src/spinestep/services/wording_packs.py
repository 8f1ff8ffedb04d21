"""Questionnaire wording packs: load one (admins, or the local person at the CLI), list
them, and find the one a patient is shown.

Packs are kept for good: loading a new ``pack_version`` adds a pack, and the patient's
pages show the highest version of the instrument in their language. Loading the same
version again with the same checksum changes nothing; with another checksum it is
refused (raise ``pack_version`` instead), so a stored response's pack never changes
under it.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.domain.scoring import Instrument
from spinestep.domain.wording_pack import SHAPES, parse_pack
from spinestep.errors import Conflict, InvalidInput
from spinestep.services.access import audit, require_role
from spinestep.services.clinic_port import StoredWordingPack
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import Role

#: The language of the patient's pages (their wording packs are looked up in it).
PAGE_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class LoadedPack:
    pack: StoredWordingPack
    #: True when this very pack (same version and checksum) was loaded before.
    already_loaded: bool


def load_pack(ctx: ServiceContext, actor: Actor, text: str) -> LoadedPack:
    """Check a wording pack's text (InvalidInput naming the field) and store it."""
    require_role(actor, Role.ADMIN)
    parsed = parse_pack(text)
    instrument = parsed.instrument.value
    with ctx.uow() as uow:
        existing = uow.clinic.find_pack(instrument, parsed.language, parsed.pack_version)
        if existing is not None:
            if existing.checksum == parsed.checksum:
                return LoadedPack(existing, already_loaded=True)
            raise Conflict(
                f"version {parsed.pack_version} of the {instrument} pack in "
                f"'{parsed.language}' is already loaded with other wording; "
                "raise pack_version for a changed pack"
            )
        stored = uow.clinic.add_pack(
            StoredWordingPack(
                instrument=instrument,
                language=parsed.language,
                pack_version=parsed.pack_version,
                title=parsed.title,
                instructions=parsed.instructions,
                source=parsed.source,
                licence=parsed.licence,
                content=parsed.content_json(),
                checksum=parsed.checksum,
                loaded_at=ctx.clock.now(),
                loaded_by=actor.user_id,
            )
        )
        audit(uow, ctx.clock, actor, "wording_pack.load", None)
        uow.commit()
    return LoadedPack(stored, already_loaded=False)


def list_packs(ctx: ServiceContext, actor: Actor) -> list[StoredWordingPack]:
    """Every loaded pack (admins)."""
    require_role(actor, Role.ADMIN)
    with ctx.uow() as uow:
        return uow.clinic.packs()


def current_pack(
    ctx: ServiceContext, instrument: Instrument, language: str = PAGE_LANGUAGE
) -> StoredWordingPack | None:
    """The pack a questionnaire page shows: the newest loaded version, or None.

    The wording is the same for everyone (no patient data), so any signed-in person
    may read it.
    """
    if instrument not in SHAPES:
        return None
    with ctx.uow() as uow:
        return uow.clinic.newest_pack(instrument.value, language)


def check_shown_pack(pack: StoredWordingPack | None, instrument: Instrument) -> StoredWordingPack:
    """The pack a response says it was answered from must be one of its instrument."""
    if pack is None or pack.instrument != instrument.value:
        raise InvalidInput("wording_pack", f"is not a loaded wording pack of {instrument.value}")
    return pack
