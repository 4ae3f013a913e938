"""Every string of the residents' market pages has its Chinese (market/locale/zh/market.po)."""

from __future__ import annotations

from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from jinja2.ext import babel_extract

from epicontrol.core import i18n

RESIDENT_TEMPLATES = (
    "market_report.html",
    "market_mine.html",
    "market_suggestions.html",
    "market_labels.html",
)
EXTRACT_JINJA: Any = babel_extract  # babel's stubs do not know jinja's extractor
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None}
# Refusals a resident may read, raised as plain English by the services.
RESIDENT_MESSAGES = (
    "name the seller",
    "the photo must be a JPEG, PNG or WebP picture",
    "the date seen cannot be in the future",
    "choose a seller, or give the seller's name and division",
    "a price report needs the product, the pack size and the price",
    "the business licence number's check character does not match: a typo?",
)


def _template_messages() -> set[str]:
    found = set()
    for name in RESIDENT_TEMPLATES:
        with (i18n.PACKAGE_DIR / "market" / "templates" / name).open("rb") as handle:
            for _line, message, _comments, _context in extract(
                EXTRACT_JINJA,
                handle,
                keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n"},
            ):
                found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_resident_market_string_has_its_chinese() -> None:
    messages = _template_messages() | set(RESIDENT_MESSAGES)
    assert "Report a mask seller" in messages
    chinese = i18n.catalogue("zh")
    missing = sorted(m for m in messages if m not in chinese)
    assert not missing, f"add to epicontrol/market/locale/zh/market.po: {missing}"


def test_market_catalogue_is_read_with_the_others() -> None:
    assert i18n.PACKAGE_DIR / "market" / "locale" / "zh" / "market.po" in i18n.catalogue_files("zh")
    with i18n.language("zh"):
        assert i18n.gettext("Disposable medical mask") == "一次性使用医用口罩"
