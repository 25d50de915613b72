"""What a file is, decided from its first bytes, and what we accept."""

from app.core.problems import Problem, ProblemCode
from app.files.filenames import filename_extension

# How many leading bytes decide the type.
SNIFF_BYTES = 8192

# The allowed types and the filename extensions each may carry.
EXTENSIONS: dict[str, frozenset[str]] = {
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "application/pdf": frozenset({"pdf"}),
    "text/plain": frozenset({"txt", "text", "log", "md", "csv", "json", "yaml", "yml", "toml"}),
}
ALLOWED_TYPES = frozenset(EXTENSIONS)

TYPE_NOT_ALLOWED = "Files of type {content_type} are not accepted; allowed: {allowed}."
TYPE_UNRECOGNISED = "The content is not of any accepted type; allowed: {allowed}."
TYPE_MISMATCH = "The content is {sniffed}, but {declared} was declared."
EXTENSION_MISMATCH = "The extension .{extension} does not fit content of type {content_type}."

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# Markup that a browser could render or run, whatever the declared type.
_MARKUP_OPENINGS = (
    b"<!doctype",
    b"<html",
    b"<svg",
    b"<?xml",
    b"<script",
    b"<head",
    b"<body",
    b"<iframe",
    b"<!--",
    b"<div",
    b"<a ",
    b"<img",
    b"<meta",
    b"<style",
)
_TEXT_CONTROL_ALLOWED = frozenset(b"\t\n\r\f")


def _is_plain_text(head: bytes, *, is_whole: bool) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character may be cut at the end of a partial read.
        if is_whole or error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    if any((ord(c) < 32 and ord(c) not in _TEXT_CONTROL_ALLOWED) or ord(c) == 127 for c in text):
        return False
    opening = text.lstrip("\ufeff \t\r\n").encode()[:16].lower()
    return not opening.startswith(_MARKUP_OPENINGS)


def sniff(head: bytes, *, is_whole: bool = False) -> str | None:
    """The allowed type these leading bytes show, or None.

    `is_whole` says `head` is the entire file (so a truncated UTF-8 sequence
    at its end is an error, not an artefact of reading only the start).
    """
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if _is_plain_text(head, is_whole=is_whole):
        return "text/plain"
    return None


def declared_type_normalise(declared: str) -> str:
    """`Text/Plain; charset=utf-8` -> `text/plain`."""
    return declared.split(";", 1)[0].strip().lower()


def declared_type_check(declared: str) -> str:
    content_type = declared_type_normalise(declared)
    if content_type not in ALLOWED_TYPES:
        raise Problem(
            TYPE_NOT_ALLOWED.format(content_type=content_type or "(none)", allowed=_allowed()),
            code=ProblemCode.TYPE_NOT_ALLOWED,
            status=415,
        )
    return content_type


def content_check(*, head: bytes, is_whole: bool, declared: str | None, filename: str) -> str:
    """The sniffed type, once it is allowed and agrees with the declaration and extension."""
    sniffed = sniff(head, is_whole=is_whole)
    if sniffed is None:
        raise Problem(TYPE_UNRECOGNISED.format(allowed=_allowed()), code=ProblemCode.TYPE_NOT_ALLOWED, status=415)
    if declared is not None and declared_type_normalise(declared) != sniffed:
        raise Problem(
            TYPE_MISMATCH.format(sniffed=sniffed, declared=declared_type_normalise(declared)),
            code=ProblemCode.TYPE_MISMATCH,
            status=422,
        )
    extension_check(filename, sniffed)
    return sniffed


def extension_check(filename: str, content_type: str) -> None:
    """A name's last extension, if it has one, must fit the type (no `photo.png.html`)."""
    extension = filename_extension(filename)
    if extension is not None and extension not in EXTENSIONS[content_type]:
        raise Problem(
            EXTENSION_MISMATCH.format(extension=extension, content_type=content_type),
            code=ProblemCode.EXTENSION_MISMATCH,
            status=422,
        )


def _allowed() -> str:
    return ", ".join(sorted(ALLOWED_TYPES))
