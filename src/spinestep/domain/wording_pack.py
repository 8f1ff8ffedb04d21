"""Questionnaire wording packs: the item and option texts of one instrument in one language.

A wording pack is a YAML document (format 1, described field by field in ``docs/cli.md``,
"Questionnaire wording packs", and by ``spinestep/wording/wording-pack.schema.json``)::

    format: 1
    instrument: odi             # nprs, odi, rmdq or psfs
    pack_version: 1             # a whole number, raised with every change of wording
    language: en                # a BCP 47 language tag
    title: ...
    instructions: ...           # optional: shown above the items
    source: ...                 # where the wording comes from
    licence: ...                # why it may be shown and passed on
    items:
      - text: ...
        options:                # in scoring order: the first option scores the lowest
          - {score: 0, text: ...}
    checksum: <SHA-256 hex of the canonical content>

The canonical content is every field but ``checksum``, as parsed from the YAML, written as
JSON with the keys sorted, no whitespace between tokens and non-ASCII characters as they
are, in UTF-8 (``canonical_bytes``). A pack whose checksum does not match was changed
after it was made, and is refused.

A pack must fit the instrument's scoring (``spinestep.domain.scoring``): the number of
items, the number of options of each item and each option's score, so that an answer
chosen from the pack's options is scored by the same functions as any other answer.
Pure: the caller reads the file; this module only parses and checks its text.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

import yaml

from spinestep.domain.scoring import (
    NPRS_MAX,
    ODI_ANSWER_MAX,
    ODI_SECTIONS,
    PSFS_RATING_MAX,
    RMDQ_ITEMS,
    Instrument,
)
from spinestep.errors import InvalidInput

FORMAT = 1
MAX_PACK_BYTES: Final = 256 * 1024
MAX_ITEM_TEXT_CHARS: Final = 1000
MAX_OPTION_TEXT_CHARS: Final = 500
MAX_TITLE_CHARS: Final = 200
MAX_NOTE_CHARS: Final = 4000
MAX_PACK_VERSION: Final = 1_000_000
LANGUAGE_PATTERN: Final = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_CHECKSUM = re.compile(r"^[0-9a-f]{64}$")
FIELDS: Final = (
    "format",
    "instrument",
    "pack_version",
    "language",
    "title",
    "instructions",
    "source",
    "licence",
    "items",
    "checksum",
)
_OPTIONAL = frozenset({"instructions"})
#: Control and formatting characters (categories) refused in a pack's texts.
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class Shape:
    """What the scoring of an instrument expects of a pack: ``items`` items, each with
    options scoring ``scores`` in this order."""

    items: int
    scores: tuple[int, ...]


#: The instruments that take a wording pack, and the shape their scoring expects.
SHAPES: Final = {
    Instrument.NPRS: Shape(1, tuple(range(NPRS_MAX + 1))),
    Instrument.ODI: Shape(ODI_SECTIONS, tuple(range(ODI_ANSWER_MAX + 1))),
    # A Roland-Morris statement is ticked (1) or not (0).
    Instrument.RMDQ: Shape(RMDQ_ITEMS, (0, 1)),
    # One rating question, asked of each activity the patient names.
    Instrument.PSFS: Shape(1, tuple(range(PSFS_RATING_MAX + 1))),
}


@dataclass(frozen=True, slots=True)
class WordingOption:
    score: int
    text: str


@dataclass(frozen=True, slots=True)
class WordingItem:
    text: str
    options: tuple[WordingOption, ...]


@dataclass(frozen=True, slots=True)
class WordingPack:
    instrument: Instrument
    pack_version: int
    language: str
    title: str
    instructions: str | None
    source: str
    licence: str
    items: tuple[WordingItem, ...]
    checksum: str

    def content_json(self) -> dict[str, Any]:
        """The items as stored: ``[{"text": ..., "options": [{"score", "text"}]}]``."""
        return {
            "items": [
                {
                    "text": item.text,
                    "options": [{"score": o.score, "text": o.text} for o in item.options],
                }
                for item in self.items
            ]
        }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The canonical content of a parsed pack: every field but ``checksum``, as JSON."""
    content = {key: value for key, value in document.items() if key != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def checksum_of(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe YAML loader, refusing a key given twice in one mapping."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise InvalidInput(str(key), f"given twice (line {line})")
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_document(text: str) -> dict[str, Any]:
    """The YAML text as a mapping (not yet checked), or InvalidInput."""
    if len(text.encode("utf-8")) > MAX_PACK_BYTES:
        raise InvalidInput("pack", f"is larger than {MAX_PACK_BYTES // 1024} KiB")
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}"
        raise InvalidInput("pack", f"is not valid YAML{where}") from None
    if not isinstance(document, dict):
        raise InvalidInput("pack", "must be a YAML mapping of " + ", ".join(FIELDS))
    return document


def parse_pack(text: str) -> WordingPack:
    """Parse and check a wording pack: its fields, its checksum, and that it fits the
    instrument's scoring. Every problem is an InvalidInput naming the field."""
    document = read_document(text)
    for key in document:
        if key not in FIELDS:
            raise InvalidInput(str(key), "is not a field of a wording pack")
    for key in FIELDS:
        if key not in document and key not in _OPTIONAL:
            raise InvalidInput(key, "is required")
    if _whole(document["format"], "format") != FORMAT:
        raise InvalidInput("format", f"must be {FORMAT} (the only wording-pack format)")
    instrument = _instrument(document["instrument"])
    pack_version = _whole(document["pack_version"], "pack_version")
    if not 1 <= pack_version <= MAX_PACK_VERSION:
        raise InvalidInput("pack_version", f"must be a whole number 1-{MAX_PACK_VERSION}")
    language = document["language"]
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise InvalidInput("language", "must be a language tag such as en or en-GB")
    checksum = document["checksum"]
    if not isinstance(checksum, str) or not _CHECKSUM.match(checksum):
        raise InvalidInput("checksum", "must be 64 lower-case hexadecimal digits (SHA-256)")
    if checksum != checksum_of(document):
        raise InvalidInput(
            "checksum",
            "does not match the pack's content (the pack was changed after it was made; "
            "'spinestep questionnaire wording checksum' prints the checksum of a file)",
        )
    instructions = document.get("instructions")
    return WordingPack(
        instrument=instrument,
        pack_version=pack_version,
        language=language,
        title=_text(document["title"], "title", MAX_TITLE_CHARS),
        instructions=None
        if instructions is None
        else _text(instructions, "instructions", MAX_NOTE_CHARS),
        source=_text(document["source"], "source", MAX_NOTE_CHARS),
        licence=_text(document["licence"], "licence", MAX_NOTE_CHARS),
        items=_items(document["items"], SHAPES[instrument], instrument),
        checksum=checksum,
    )


def _instrument(value: object) -> Instrument:
    known = ", ".join(i.value for i in SHAPES)
    try:
        instrument = Instrument(value) if isinstance(value, str) else None
    except ValueError:
        instrument = None
    if instrument is None or instrument not in SHAPES:
        raise InvalidInput("instrument", f"must be one of {known}")
    return instrument


def _items(value: object, shape: Shape, instrument: Instrument) -> tuple[WordingItem, ...]:
    if not isinstance(value, list):
        raise InvalidInput("items", "must be a list")
    if len(value) != shape.items:
        raise InvalidInput(
            "items",
            f"has {len(value)} items; the {instrument.value} scoring has {shape.items}",
        )
    items = []
    for index, raw in enumerate(value):
        path = f"items[{index}]"
        if not isinstance(raw, dict) or set(raw) != {"text", "options"}:
            raise InvalidInput(path, "must be a mapping of text and options")
        text = _text(raw["text"], f"{path}.text", MAX_ITEM_TEXT_CHARS)
        items.append(WordingItem(text, _options(raw["options"], shape, path, instrument)))
    return tuple(items)


def _options(
    value: object, shape: Shape, path: str, instrument: Instrument
) -> tuple[WordingOption, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"{path}.options", "must be a list")
    if len(value) != len(shape.scores):
        raise InvalidInput(
            f"{path}.options",
            f"has {len(value)} options; the {instrument.value} scoring has "
            f"{len(shape.scores)} (scores {_scores(shape.scores)})",
        )
    options = []
    for index, (raw, expected) in enumerate(zip(value, shape.scores, strict=True)):
        where = f"{path}.options[{index}]"
        if not isinstance(raw, dict) or set(raw) != {"score", "text"}:
            raise InvalidInput(where, "must be a mapping of score and text")
        score = _whole(raw["score"], f"{where}.score")
        if score != expected:
            raise InvalidInput(
                f"{where}.score",
                f"must be {expected}: options are listed in scoring order "
                f"({_scores(shape.scores)})",
            )
        options.append(
            WordingOption(score, _text(raw["text"], f"{where}.text", MAX_OPTION_TEXT_CHARS))
        )
    return tuple(options)


def _scores(scores: tuple[int, ...]) -> str:
    return f"{scores[0]}-{scores[-1]}"


def _whole(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(path, "must be a whole number")
    return value


def _text(value: object, path: str, max_chars: int) -> str:
    """A text of the pack: a string, in NFC, without control or formatting characters
    other than line breaks, 1-``max_chars`` characters."""
    if not isinstance(value, str):
        raise InvalidInput(path, "must be text (quote it if YAML reads it as something else)")
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in _REFUSED and c != "\n" for c in text):
        raise InvalidInput(path, "must not contain control or formatting characters")
    if not text or len(text) > max_chars:
        raise InvalidInput(path, f"must be 1-{max_chars} characters")
    return text
