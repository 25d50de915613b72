"""Properties of the filename rules: whatever goes in, what comes out is safe."""

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.core.problems import Problem, ProblemCode
from app.files.content_types import sniff
from app.files.filenames import MAX_FILENAME_BYTES, filename_clean, filename_extension

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}
# Whitespace bytes browsers skip before sniffing (WHATWG MIME Sniffing).
WHATWG_WHITESPACE = b"\t\n\x0c\r "
# WHATWG MIME Sniffing, "identifying a resource with an unknown MIME type": these, followed by a
# tag-terminating byte (space or '>'), make a browser render HTML; '<?xml' makes it XML.
WHATWG_HTML_OPENINGS = (
    b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV", b"<FONT",
    b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P", b"<!--",
)  # fmt: skip


@given(st.text(max_size=400))
@example("../../etc/passwd")
@example("a\u202etxt.exe")
@example("\u00e9" * 200)
def test_clean_filename_is_safe_bounded_and_idempotent(raw: str) -> None:
    try:
        clean = filename_clean(raw)
    except Problem as problem:
        assert problem.status == 400
        assert problem.code == ProblemCode.INVALID_FILENAME
        return
    assert clean
    assert "/" not in clean and "\\" not in clean
    assert clean not in {".", ".."}
    assert len(clean.encode()) <= MAX_FILENAME_BYTES
    assert not any(unicodedata.category(c) in FORBIDDEN_CATEGORIES and c != " " for c in clean)
    assert clean == unicodedata.normalize("NFC", clean) == clean.strip()
    # As Windows saves it: no trailing dots or spaces for it to drop.
    assert clean == clean.rstrip(". ")
    assert filename_clean(clean) == clean


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=50))
def test_ordinary_names_are_kept_as_given(stem: str) -> None:
    name = unicodedata.normalize("NFC", f"{stem}.txt")
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        assert filename_clean(name) == name


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("a.txt", "txt"),
        ("A.PNG", "png"),
        ("archive.tar.gz", "gz"),
        ("noext", None),
        (".hidden", "hidden"),
        (".html", "html"),
        ("trailing.", None),
        ("page.html.", "html"),
        ("page.html. .", "html"),
        ("img.svg..", "svg"),
    ],
)
def test_filename_extension_is_the_last_one_lowercased(name: str, extension: str | None) -> None:
    assert filename_extension(name) == extension


@pytest.mark.parametrize(
    ("name", "saved"),
    [("page.html.", "page.html"), ("run.exe. .", "run.exe"), ("a.txt ", "a.txt"), ("..a", "..a")],
)
def test_clean_name_is_the_name_windows_saves(name: str, saved: str) -> None:
    assert filename_clean(name) == saved


@pytest.mark.parametrize("name", ["...", ". .", " .. ", "."])
def test_names_of_dots_and_spaces_only_are_refused(name: str) -> None:
    with pytest.raises(Problem):
        filename_clean(name)


# Characters that show as nothing or as a plain space, for names built to hide them.
HIDDEN = ["\u3164", "\u2800", "\u115f", "\u034f", "\ufe0f", "\u00a0", "\u3000", "\u200b", "\u202e", "\U000e0041"]


@given(st.text(alphabet=st.sampled_from(["a", "b", ".", " ", *HIDDEN]), min_size=1, max_size=24))
def test_no_hidden_character_survives_into_a_clean_name(raw: str) -> None:
    try:
        clean = filename_clean(raw)
    except Problem:
        return
    assert not any(character in HIDDEN for character in clean)
    assert clean == clean.rstrip(". ")


@pytest.mark.parametrize("character", ["\u3164", "\u2800", "\u115f", "\u034f", "\ufe0f", "\u00a0", "\u3000"])
def test_invisible_and_blank_looking_characters_are_refused_in_names(character: str) -> None:
    with pytest.raises(Problem) as raised:
        filename_clean(f"a{character}b.txt")
    assert raised.value.code == ProblemCode.INVALID_FILENAME


@given(st.binary(max_size=64))
def test_sniffing_never_calls_markup_or_binary_text(head: bytes) -> None:
    sniffed = sniff(head, is_whole=True)
    if sniffed == "text/plain":
        text = head.decode("utf-8")
        assert "\x00" not in text
        opening = text.encode().lstrip(WHATWG_WHITESPACE).upper()
        assert not opening.startswith(b"<?XML")
        for html in WHATWG_HTML_OPENINGS:
            assert not opening.startswith((html + b" ", html + b">"))


@pytest.mark.parametrize("html", WHATWG_HTML_OPENINGS)
@pytest.mark.parametrize("whitespace", [b"", b"\x0c", b"\t\n\x0c\r "])
def test_sniffing_refuses_what_browsers_render_as_html(html: bytes, whitespace: bytes) -> None:
    for terminator in (b" ", b">"):
        for case in (html, html.lower()):
            assert sniff(whitespace + case + terminator + b"x\n", is_whole=True) is None
