"""Questionnaire wording packs: the admin's page and API to load and list them, and the
current pack of an instrument for anyone signed in (the wording holds no patient data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints
from starlette.datastructures import FormData

from spinestep.domain.scoring import Instrument
from spinestep.domain.wording_pack import LANGUAGE_PATTERN, MAX_PACK_BYTES, SHAPES
from spinestep.errors import Conflict, InvalidInput, NotFound
from spinestep.services import wording_packs
from spinestep.services.clinic_port import StoredWordingPack
from spinestep.web import forms
from spinestep.web.access import AdminOnly, Ctx, SignedIn
from spinestep.web.errors import status_for
from spinestep.web.pages import PagesDep, read_checked_form, redirect
from spinestep.web.schemas import Strict, error_responses
from spinestep.web.views_history import local_when

router = APIRouter()
_PACK_CODES = "|".join(i.value for i in SHAPES)


async def pack_form(request: Request) -> FormData:
    """The admin's form: its one large field, the pack, may be as large as a pack may."""
    return await read_checked_form(request, MAX_PACK_BYTES + 1024)


pack_form.csrf_protected = True  # type: ignore[attr-defined]
PackForm = Annotated[FormData, Depends(pack_form)]


class WordingPackIn(Strict):
    pack: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PACK_BYTES)]


class WordingOptionOut(BaseModel):
    score: int
    text: str


class WordingItemOut(BaseModel):
    text: str
    options: list[WordingOptionOut]


class WordingPackOut(BaseModel):
    id: int
    instrument: str
    language: str
    pack_version: int
    title: str
    instructions: str | None
    source: str
    licence: str
    checksum: str
    loaded_at: datetime
    items: list[WordingItemOut]


class WordingPackLoadedOut(BaseModel):
    pack: WordingPackOut
    already_loaded: bool


def pack_out(pack: StoredWordingPack) -> WordingPackOut:
    assert pack.id is not None
    return WordingPackOut(
        id=pack.id,
        instrument=pack.instrument,
        language=pack.language,
        pack_version=pack.pack_version,
        title=pack.title,
        instructions=pack.instructions,
        source=pack.source,
        licence=pack.licence,
        checksum=pack.checksum,
        loaded_at=pack.loaded_at,
        items=pack.content["items"],
    )


@router.get(
    "/api/v1/admin/wording-packs",
    response_model=list[WordingPackOut],
    responses=error_responses(401, 403),
    tags=["admin"],
)
def list_packs(principal: AdminOnly, ctx: Ctx) -> list[WordingPackOut]:
    return [pack_out(p) for p in wording_packs.list_packs(ctx.services, principal.actor)]


@router.post(
    "/api/v1/admin/wording-packs",
    status_code=201,
    response_model=WordingPackLoadedOut,
    responses=error_responses(401, 403, 409, 422),
    tags=["admin"],
)
def load_pack(body: WordingPackIn, principal: AdminOnly, ctx: Ctx) -> WordingPackLoadedOut:
    """Load a wording pack (its YAML text in `pack`). 422 names the field that is wrong
    (checksum, item count, options, instrument...); 409 when this version is already
    loaded with other wording. Loading the very same pack again answers
    `already_loaded: true` and stores nothing."""
    loaded = wording_packs.load_pack(ctx.services, principal.actor, body.pack)
    return WordingPackLoadedOut(pack=pack_out(loaded.pack), already_loaded=loaded.already_loaded)


@router.get(
    "/api/v1/wording-packs/{instrument}",
    response_model=WordingPackOut,
    responses=error_responses(401, 404, 422),
    tags=["questionnaires"],
)
def current_pack(
    instrument: Annotated[str, Path(pattern=f"^({_PACK_CODES})$")],
    principal: SignedIn,
    ctx: Ctx,
    language: Annotated[str, Query(pattern=LANGUAGE_PATTERN, max_length=35)] = "en",
) -> WordingPackOut:
    """The wording a questionnaire is shown with: the newest loaded pack of the
    instrument in `language`; 404 when none is loaded (the paper form is used)."""
    pack = wording_packs.current_pack(ctx.services, Instrument(instrument), language)
    if pack is None:
        raise NotFound(f"no wording pack of {instrument} in '{language}' is loaded")
    return pack_out(pack)


def _page(
    request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep, **values: Any
) -> Response:
    packs = wording_packs.list_packs(ctx.services, principal.actor)
    rows = [
        {
            "instrument": p.instrument,
            "language": p.language,
            "version": p.pack_version,
            "title": p.title,
            "items": len(p.content["items"]),
            "checksum": p.checksum[:12],
            "when": local_when(p.loaded_at, "UTC"),
            "source": p.source,
            "licence": p.licence,
        }
        for p in packs
    ]
    values.setdefault("notice", None)
    values.setdefault("error", None)
    values.setdefault("pack_text", "")
    return pages.render(request, "admin/wording.html", packs=rows, **values)


@router.get("/admin/wording", include_in_schema=False)
def wording_page(request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep) -> Response:
    done = request.query_params.get("done")
    notice = {
        "loaded": "The wording pack was loaded: the questionnaire pages now show it.",
        "same": "This wording pack was already loaded: nothing changed.",
    }.get(done or "")
    return _page(request, principal, ctx, pages, notice=notice)


@router.post("/admin/wording", include_in_schema=False)
def load_pack_page(
    request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep, form: PackForm
) -> Response:
    text = ""
    try:
        text = forms.text(form, "pack", max_chars=MAX_PACK_BYTES)
        if not text:
            raise InvalidInput("pack", "paste the text of a wording pack (YAML)")
        loaded = wording_packs.load_pack(ctx.services, principal.actor, text)
    except (InvalidInput, Conflict) as error:
        return _page(
            request,
            principal,
            ctx,
            pages,
            status_code=status_for(error)[0],
            error=str(error),
            pack_text=text,
        )
    return redirect("/admin/wording?done=" + ("same" if loaded.already_loaded else "loaded"))
