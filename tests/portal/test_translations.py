"""Every string of the public site has its Chinese (the portal is zh and en, all strings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from jinja2.ext import babel_extract

from epicontrol.core import i18n

PUBLIC_DOMAINS = ("portal", "supplies", "enterprises", "labour", "market", "approvals")
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}


# Public pages outside those domains: (folder, file pattern) under the package.
PUBLIC_PAGES = (("core/templates", "portal_*.html"),)


def _sources(pattern: str) -> list[Path]:
    found = {
        path for domain in PUBLIC_DOMAINS for path in (i18n.PACKAGE_DIR / domain).rglob(pattern)
    }
    if pattern == "*.html":
        for folder, names in PUBLIC_PAGES:
            found.update((i18n.PACKAGE_DIR / folder).glob(names))
    return sorted(found)


def _message_ids() -> dict[str, str]:
    """Message id -> where it is first used, from the public domains' templates and code."""
    found: dict[str, str] = {}
    for method, pattern in ((babel_extract, "*.html"), ("python", "*.py")):
        for path in _sources(pattern):
            with path.open("rb") as handle:
                for line, message, _comments, _context in extract(
                    method, handle, keywords=KEYWORDS, options={"extensions": "jinja2.ext.i18n"}
                ):
                    text = message[0] if isinstance(message, tuple) else message
                    if text:
                        found.setdefault(text, f"{path.relative_to(i18n.PACKAGE_DIR)}:{line}")
    return found


def test_every_public_string_has_its_chinese() -> None:
    messages = _message_ids()
    assert "Fever clinics" in messages  # the extraction reads the templates
    assert "Who accessed my record" in messages  # and the public pages of core/
    chinese = i18n.catalogue("zh")
    missing = {text: where for text, where in messages.items() if text not in chinese}
    assert not missing, f"no Chinese for {len(missing)} strings: {missing}"


def test_language_of_a_request_follows_choice_then_cookie_then_browser() -> None:
    assert i18n.choose("en", "zh", "zh-CN,zh;q=0.9") == "en"
    assert i18n.choose(None, "en", "zh-CN") == "en"
    assert i18n.choose("fr", None, "en-GB,en;q=0.8") == "en"
    assert i18n.choose(None, None, "fr-FR") == i18n.DEFAULT_LANGUAGE
    assert i18n.choose(None, None, None) == "zh"


def test_gettext_translates_in_the_current_language_only() -> None:
    with i18n.language("zh"):
        assert i18n.gettext("Fever clinics") == "发热门诊"
        assert i18n.gettext("No such message %(n)s", n=3) == "No such message 3"
    with i18n.language("en"):
        assert i18n.gettext("Fever clinics") == "Fever clinics"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalogue_files_parse(language: str) -> None:
    for path in i18n.catalogue_files(language):
        assert path.suffix == ".po"
    assert isinstance(i18n.catalogue(language), dict)
