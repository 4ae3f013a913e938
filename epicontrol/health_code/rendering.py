"""QR pictures of passes and place codes (segno), as SVG and PNG."""

from __future__ import annotations

import io

import segno


def qr_svg(payload: str, *, colour: str = "#000000", scale: int = 6) -> bytes:
    """An SVG QR code; the colour lets a pass show its risk status."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", scale=scale, dark=colour, xmldecl=False)
    return buffer.getvalue()


def qr_png(payload: str, *, colour: str = "#000000", scale: int = 8) -> bytes:
    """A PNG QR code."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=scale, dark=colour)
    return buffer.getvalue()
