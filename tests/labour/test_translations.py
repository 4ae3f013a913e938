"""Every string of the resident's labour page and messages has its Chinese (labour/locale)."""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from jinja2.ext import babel_extract

from epicontrol.core import i18n

KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}


def test_every_labour_string_has_its_chinese() -> None:
    folder = i18n.PACKAGE_DIR / "labour"
    found: dict[str, str] = {}
    for method, pattern in ((babel_extract, "*.html"), ("python", "*.py")):
        for path in sorted(folder.rglob(pattern)):
            with path.open("rb") as handle:
                for line, message, _comments, _context in extract(
                    method, handle, keywords=KEYWORDS, options={"extensions": "jinja2.ext.i18n"}
                ):
                    text = message[0] if isinstance(message, tuple) else message
                    if text:
                        found.setdefault(text, f"{path.name}:{line}")
    assert "Jobs near me" in found and "You have already applied for this job." in found
    chinese = i18n.catalogue("zh")
    missing = {text: where for text, where in found.items() if text not in chinese}
    assert not missing, f"no Chinese for {len(missing)} strings: {missing}"
