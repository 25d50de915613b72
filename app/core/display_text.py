"""Text that users give and others see (a filename, a token's name): what it may not contain.

Nothing that renders as nothing or as something else: control and format
characters (the bidi overrides among them), Unicode's default-ignorable code
points, blank-looking ones, and code points with no meaning yet.
"""

import unicodedata

# Cc: control characters (NUL, newlines, escape). Cf: format characters, which
# include the bidi overrides (U+202E) and zero-width joiners. Cs/Co/Cn:
# surrogates, private use, unassigned. Zl/Zp: line separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt; these
# ranges as of Unicode 14.0, the same through 15.1), which Python's unicodedata
# does not expose: code points a renderer shows as nothing. Most are Cf or Cn
# and refused by category anyway; the others (a grapheme joiner, fillers,
# variation selectors) are letters or marks by category. New ones Unicode adds
# come as Cf or from unassigned (Cn) code points, both refused above.
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # Cf  SOFT HYPHEN
    (0x034F, 0x034F),  # Mn  COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # Cf  ARABIC LETTER MARK
    (0x115F, 0x1160),  # Lo  HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # Mn  KHMER VOWEL INHERENT AQ..KHMER VOWEL INHERENT AA
    (0x180B, 0x180D),  # Mn  MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    (0x180E, 0x180E),  # Cf  MONGOLIAN VOWEL SEPARATOR
    (0x180F, 0x180F),  # Mn  MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0x200B, 0x200F),  # Cf  ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # Cf  LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x2064),  # Cf  WORD JOINER..INVISIBLE PLUS
    (0x2065, 0x2065),  # Cn  <reserved-2065>
    (0x2066, 0x206F),  # Cf  LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    (0x3164, 0x3164),  # Lo  HANGUL FILLER
    (0xFE00, 0xFE0F),  # Mn  VARIATION SELECTOR-1..VARIATION SELECTOR-16
    (0xFEFF, 0xFEFF),  # Cf  ZERO WIDTH NO-BREAK SPACE
    (0xFFA0, 0xFFA0),  # Lo  HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # Cn  <reserved-FFF0>..<reserved-FFF8>
    (0x1BCA0, 0x1BCA3),  # Cf  SHORTHAND FORMAT LETTER OVERLAP..SHORTHAND FORMAT UP STEP
    (0x1D173, 0x1D17A),  # Cf  MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
    (0xE0000, 0xE0000),  # Cn  <reserved-E0000>
    (0xE0001, 0xE0001),  # Cf  LANGUAGE TAG
    (0xE0002, 0xE001F),  # Cn  <reserved-E0002>..<reserved-E001F>
    (0xE0020, 0xE007F),  # Cf  TAG SPACE..CANCEL TAG
    (0xE0080, 0xE00FF),  # Cn  <reserved-E0080>..<reserved-E00FF>
    (0xE0100, 0xE01EF),  # Mn  VARIATION SELECTOR-17..VARIATION SELECTOR-256
    (0xE01F0, 0xE0FFF),  # Cn  <reserved-E01F0>..<reserved-E0FFF>
)
_DEFAULT_IGNORABLE = frozenset(chr(code) for low, high in DEFAULT_IGNORABLE for code in range(low, high + 1))
# Blank-looking characters that are neither ignorable nor spaces by category
# (the usual spoofing set); every space but U+0020 is refused by category (Zs).
BLANK_LOOKING = frozenset({"\u2800", "\U0001d159"})  # BRAILLE PATTERN BLANK, MUSICAL SYMBOL NULL NOTEHEAD


def is_forbidden_character(character: str) -> bool:
    """Whether displayed text may not contain `character`: control, format, invisible, blank-looking, unassigned."""
    if character == " ":
        return False
    category = unicodedata.category(character)
    return (
        category in _FORBIDDEN_CATEGORIES
        or category == "Zs"
        or character in _DEFAULT_IGNORABLE
        or character in BLANK_LOOKING
    )


def has_hidden_characters(text: str) -> bool:
    """Whether `text` holds a character that `is_forbidden_character` refuses."""
    return any(is_forbidden_character(character) for character in text)
