"""What the approval pages share: the posted form, today's China date, labels by language,
the certificate's QR code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import segno
from fastapi import Depends, Request
from starlette.datastructures import FormData

from epicontrol.approvals.applications import Filled
from epicontrol.approvals.schemas import RESERVED_NAMES, ItemDefinition
from epicontrol.core.db import utcnow
from epicontrol.core.i18n import current_language
from epicontrol.core.local_time import LOCAL_TIME, local_date


async def _posted(request: Request) -> FormData:
    # Forms built from a definition have fields nobody can declare in advance.
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def filled_from(definition: ItemDefinition, form: FormData) -> Filled:
    """The applicant's answers, delivery and address from a posted form."""
    answers = {
        k: str(v) for k, v in form.multi_items() if k not in RESERVED_NAMES and isinstance(v, str)
    }
    default = definition.delivery[0].value if len(definition.delivery) == 1 else ""
    return Filled(
        answers=answers,
        delivery=str(form.get("delivery") or default),
        address=str(form.get("courier_address") or ""),
    )


def expected_version(form: FormData) -> int:
    """The row_version the page was rendered with (0 if missing: always stale)."""
    raw = str(form.get("row_version") or "0")
    return int(raw) if raw.isdigit() else 0


def today() -> date:
    """Today in China."""
    return local_date(utcnow())


def local(moment: datetime | None) -> str:
    """A moment as China wall-clock time."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


def pick(zh: str, en: str) -> str:
    """The label in the page's language."""
    return zh if current_language() == "zh" else en


def verification_url(request: Request, code: str) -> str:
    """The public verification address a certificate's QR code carries."""
    return str(request.base_url).rstrip("/") + f"/public/approvals/verify/{code}"


def qr_svg(text: str) -> str:
    """A QR code as inline SVG (a full QR, never Micro QR: not every phone reads those)."""
    return str(segno.make(text, error="m", micro=False).svg_inline(omitsize=True))


TEMPLATE_HELPERS = {"local": local, "pick": pick}
