"""What text shown to others may not hold: Default_Ignorable_Code_Point, blank-looking characters, controls."""

import unicodedata

from app.core.display_text import BLANK_LOOKING, DEFAULT_IGNORABLE, is_forbidden_character


def test_every_default_ignorable_and_blank_looking_code_point_is_refused() -> None:
    ignorable = [chr(code) for low, high in DEFAULT_IGNORABLE for code in range(low, high + 1)]
    spaces = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Zs" and code != 0x20]
    for character in [*ignorable, *BLANK_LOOKING, *spaces]:
        assert is_forbidden_character(character), hex(ord(character))
    # The ones a hostile client was seen to use, whatever the tables say.
    for character in ("\u3164", "\u2800", "\u115f", "\u034f", "\ufe0f", "\u00a0", "\u3000", "\u202e"):
        assert is_forbidden_character(character)


def test_the_default_ignorable_table_agrees_with_unicodedata() -> None:
    # The vendored ranges name these categories (DerivedCoreProperties.txt); a typo in a bound shows here.
    for low, high in DEFAULT_IGNORABLE:
        for code in range(low, high + 1):
            assert unicodedata.category(chr(code)) in {"Cf", "Cn", "Mn", "Lo"}, hex(code)
    assert unicodedata.category("\u3164") == "Lo" and unicodedata.category("\ufe0f") == "Mn"
