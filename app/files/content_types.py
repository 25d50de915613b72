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
# What browsers skip before sniffing markup (WHATWG MIME Sniffing: tab, LF, FF,
# CR, space), and a UTF-8 byte order mark, which some skip too.
_LEADING_WHITESPACE = "\ufeff\t\n\x0c\r "
# WHATWG MIME Sniffing, "identifying a resource with an unknown MIME type": a
# browser renders as HTML the bytes that open with one of these tags
# (case-insensitive) followed by a space or '>'. Refused here followed by
# anything that can end a tag name.
_HTML_TAGS = (
    b"!doctype html",
    b"html",
    b"head",
    b"script",
    b"iframe",
    b"h1",
    b"div",
    b"font",
    b"table",
    b"a",
    b"style",
    b"title",
    b"b",
    b"body",
    b"br",
    b"p",
    b"!--",
)
_TAG_NAME_ENDS = frozenset(b" >/\t\n\x0c\r")
# Refused whatever follows: XML (WHATWG's '<?xml'), and markup a browser runs
# once a name or type lets it (SVG and its script), or that opens a document.
_MARKUP_PREFIXES = (b"<?xml", b"<svg", b"<!doctype", b"<!--", b"<img", b"<meta", b"<iframe", b"<script", b"<html")
_TEXT_CONTROL_ALLOWED = frozenset(b"\t\n\r\f")


def _opens_with_markup(opening: bytes) -> bool:
    """Whether these (lower-cased, whitespace-stripped) leading bytes open HTML or XML for a browser."""
    if opening.startswith(_MARKUP_PREFIXES):
        return True
    for tag in _HTML_TAGS:
        if opening.startswith(b"<" + tag):
            after = opening[len(tag) + 1 : len(tag) + 2]
            if not after or after[0] in _TAG_NAME_ENDS:
                return True
    return False


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
    opening = text.lstrip(_LEADING_WHITESPACE).encode()[:16].lower()
    return not _opens_with_markup(opening)


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
