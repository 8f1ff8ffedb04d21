"""Names and short texts from a person or a file: normalised, and safe to show anywhere.

A name is stored in Unicode NFC without surrounding whitespace, each run of spaces
(no-break and other Unicode spaces too) made one plain space, and refused when
it holds a control or formatting character: C0/C1 controls (which carry ANSI terminal
escapes, CR and LF), Unicode format characters (right-to-left overrides, the
byte-order mark), line and paragraph separators, private-use and unassigned code
points. The zero-width non-joiner and joiner are kept: Persian and Indic names need
them. Such characters have no place in a name and let a name pose as
another on a screen or a terminal. ``terminal_safe`` makes any stored text printable
for a terminal, for what was stored before these checks.
"""

from __future__ import annotations

import unicodedata

from spinestep.errors import InvalidInput

#: Unicode general categories refused in names (see the module docstring).
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})


def _refused(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED and char not in _JOINERS


def clean_name(value: str, path: str, *, max_chars: int = 200) -> str:
    """``value`` in NFC without surrounding whitespace, else InvalidInput naming ``path``."""
    text = unicodedata.normalize("NFC", value).strip()
    if any(_refused(char) for char in text):
        raise InvalidInput(path, "must not contain control or formatting characters")
    # What whitespace is left is spaces (no-break, thin...): each run becomes one plain
    # space, so a name is also a valid FHIR string (its pattern allows no other space).
    text = " ".join(text.split())
    if not text or len(text) > max_chars:
        raise InvalidInput(path, f"must be 1-{max_chars} characters")
    return text


def tidy_name(value: str) -> str:
    """``value`` in NFC, any run of whitespace one space, control and formatting
    characters dropped; never refuses. For names that are read back as well as typed
    (PSFS activities live in stored answers): an old stored name must still load."""
    text = "".join(
        char for char in unicodedata.normalize("NFC", value) if char.isspace() or not _refused(char)
    )
    return " ".join(text.split())


def terminal_safe(text: str) -> str:
    """``text`` with every control or formatting character shown as a ``\\u`` escape."""
    if not any(_refused(char) for char in text):
        return text
    return "".join(f"\\u{ord(char):04x}" if _refused(char) else char for char in text)


def clean_paragraphs(value: str, path: str, *, max_chars: int) -> str:
    """A longer text someone wrote (a message): ``value`` in NFC with line ends made
    ``\\n`` and surrounding whitespace removed, refused (InvalidInput naming ``path``)
    when empty, longer than ``max_chars`` or holding a control or formatting character
    other than a line break or tab."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if any(_refused(char) for char in text if char not in "\n\t"):
        raise InvalidInput(path, "must not contain control or formatting characters")
    if not text or len(text) > max_chars:
        raise InvalidInput(path, f"must be 1-{max_chars} characters")
    return text
