"""Properties of the filename rules: whatever goes in, what comes out is safe."""

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.core.problems import Problem, ProblemCode
from app.files.content_types import sniff
from app.files.filenames import MAX_FILENAME_BYTES, filename_clean, filename_extension

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


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
    assert not any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in clean)
    assert clean == unicodedata.normalize("NFC", clean) == clean.strip()
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
        (".hidden", None),
        ("trailing.", None),
    ],
)
def test_filename_extension_is_the_last_one_lowercased(name: str, extension: str | None) -> None:
    assert filename_extension(name) == extension


@given(st.binary(max_size=64))
def test_sniffing_never_calls_markup_or_binary_text(head: bytes) -> None:
    sniffed = sniff(head, is_whole=True)
    if sniffed == "text/plain":
        text = head.decode("utf-8")
        assert "\x00" not in text
        assert not text.lstrip("\ufeff \t\r\n").lower().startswith(("<html", "<svg", "<script", "<?xml"))
