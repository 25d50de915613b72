"""Validation of user-supplied filenames, kept only as display metadata."""

import unicodedata

from app.core.problems import Problem, ProblemCode

MAX_FILENAME_BYTES = 255

FILENAME_EMPTY = "The filename is empty."
FILENAME_HAS_PATH = "The filename must not contain a path (no '/' or '\\')."
FILENAME_RESERVED = "The filename must not be '.' or '..'."
FILENAME_HAS_CONTROL = "The filename contains control, invisible or bidirectional characters."
FILENAME_TOO_LONG = f"The filename is longer than {MAX_FILENAME_BYTES} bytes in UTF-8."


def _is_forbidden_character(character: str) -> bool:
    # Cc: control characters (NUL, newlines, escape). Cf: format characters,
    # which include the bidi overrides (U+202E) and zero-width joiners.
    # Cs/Co/Cn: surrogates, private use, unassigned. Zl/Zp: line separators.
    return unicodedata.category(character) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def filename_clean(raw: str) -> str:
    """The filename as stored: NFC-normalised and trimmed, or a 400 problem."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise Problem(FILENAME_EMPTY, code=ProblemCode.INVALID_FILENAME)
    if "/" in name or "\\" in name:
        raise Problem(FILENAME_HAS_PATH, code=ProblemCode.INVALID_FILENAME)
    if name in {".", ".."}:
        raise Problem(FILENAME_RESERVED, code=ProblemCode.INVALID_FILENAME)
    if any(_is_forbidden_character(character) for character in name):
        raise Problem(FILENAME_HAS_CONTROL, code=ProblemCode.INVALID_FILENAME)
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise Problem(FILENAME_TOO_LONG, code=ProblemCode.INVALID_FILENAME)
    return name


def filename_extension(name: str) -> str | None:
    """The lower-cased last extension, without the dot; None when there is none."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(".") or not extension:
        return None
    return extension.lower()
