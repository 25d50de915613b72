"""Validation of user-supplied filenames, kept only as display metadata.

A name is judged as the user's machine will save it: Windows drops trailing
dots and spaces (`page.html.` is saved as `page.html`) and treats what follows
the last dot of a dot-file as its extension (`.html` opens in a browser).
"""

import unicodedata

from app.core.display_text import has_hidden_characters
from app.core.problems import Problem, ProblemCode

MAX_FILENAME_BYTES = 255

FILENAME_EMPTY = "The filename is empty."
FILENAME_HAS_PATH = "The filename must not contain a path (no '/' or '\\')."
FILENAME_RESERVED = "The filename must not consist of dots and spaces only."
FILENAME_HAS_CONTROL = "The filename contains control, invisible or bidirectional characters."
FILENAME_TOO_LONG = f"The filename is longer than {MAX_FILENAME_BYTES} bytes in UTF-8."

# What Windows drops from the end of a name when it saves the file.
_DROPPED_AT_END = ". "


def filename_clean(raw: str) -> str:
    """The filename as stored: NFC-normalised and trimmed as Windows saves it, or a 400 problem."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise Problem(FILENAME_EMPTY, code=ProblemCode.INVALID_FILENAME)
    if "/" in name or "\\" in name:
        raise Problem(FILENAME_HAS_PATH, code=ProblemCode.INVALID_FILENAME)
    if has_hidden_characters(name):
        raise Problem(FILENAME_HAS_CONTROL, code=ProblemCode.INVALID_FILENAME)
    name = name.rstrip(_DROPPED_AT_END)
    if not name.strip(_DROPPED_AT_END):
        raise Problem(FILENAME_RESERVED, code=ProblemCode.INVALID_FILENAME)
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise Problem(FILENAME_TOO_LONG, code=ProblemCode.INVALID_FILENAME)
    return name


def filename_extension(name: str) -> str | None:
    """The lower-cased extension the name is saved with (what follows its last dot), without the dot.

    None when the name has no dot. A dot-file's name is its extension (`.html`
    is `html`), as Windows sees it.
    """
    _, dot, extension = name.rstrip(_DROPPED_AT_END).rpartition(".")
    if not dot or not extension:
        return None
    return extension.lower()
