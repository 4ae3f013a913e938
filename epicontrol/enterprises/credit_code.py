"""The unified social credit code (统一社会信用代码, GB 32100-2015) of a company."""

from __future__ import annotations

from epicontrol.core.errors import InvalidInput

# GB 32100-2015 §4: 31 characters (no I, O, S, V, Z); weight of position i is 3^i mod 31; the
# check character is the one whose value makes the weighted sum a multiple of 31.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The check character of the first 17 characters of a code."""
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse(raw: str) -> str:
    """A valid code, upper-cased and stripped; InvalidInput says what is wrong."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise InvalidInput(f"unified social credit code must have 18 characters, got {len(code)}")
    wrong = sorted({char for char in code if char not in _VALUES})
    if wrong:
        raise InvalidInput(
            f"unified social credit code may not contain {''.join(wrong)} (GB 32100 leaves out "
            "I, O, S, V and Z)"
        )
    if not code[2:8].isdigit():
        raise InvalidInput("characters 3-8 of a credit code are the division code: digits only")
    expected = check_char(code[:17])
    if code[17] != expected:
        raise InvalidInput(
            f"unified social credit code check character is wrong (ends in {code[17]}, "
            f"expected {expected}); the code was probably mistyped"
        )
    return code
