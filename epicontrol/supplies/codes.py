"""Pickup codes: short enough to read out at a counter, too many to guess."""

from __future__ import annotations

import io
import re
import secrets

import segno

# No 0/O, 1/I/L: a code read aloud or typed from a phone screen is not misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8  # 31^8 = 8.5e11 codes (39 bits): one guess in a billion hits a round of 850 codes


def new_code() -> str:
    """A fresh random pickup code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_codes(count: int) -> list[str]:
    """`count` distinct fresh codes (a lottery's winners get theirs at once)."""
    made: set[str] = set()
    while len(made) < count:
        made.add(new_code())
    return list(made)


def normalise(typed: str) -> str:
    """A code as typed or scanned ("abcd-2345 ") in its stored form ("ABCD2345")."""
    return re.sub(r"[^0-9A-Z]", "", typed.upper())


def shown(code: str) -> str:
    """A code grouped for reading: ABCD-2345."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code


def qr_svg(code: str) -> str:
    """A code's QR as SVG markup that scales to its box. A full QR, never a Micro QR (which
    segno picks for short data): phone and counter scanners do not all read Micro QR."""
    return str(segno.make(code, error="m", micro=False).svg_inline(omitsize=True))


def qr_svg_file(code: str) -> bytes:
    """A code's QR as an SVG document of its own (with its namespace), for the API."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="svg", scale=6, xmldecl=False)
    return buffer.getvalue()
