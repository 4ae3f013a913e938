"""Every string of the applicants' pages has its Chinese (they are zh and en, all strings)."""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from jinja2.ext import babel_extract

from epicontrol.core import i18n

DOMAIN = i18n.PACKAGE_DIR / "approvals"
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}


def _message_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for method, pattern in ((babel_extract, "*.html"), ("python", "*.py")):
        for path in sorted(DOMAIN.rglob(pattern)):
            with path.open("rb") as handle:
                for line, message, _comments, _context in extract(
                    method,  # type: ignore[arg-type]  # babel and jinja2 stubs disagree
                    handle,
                    keywords=KEYWORDS,
                    options={"extensions": "jinja2.ext.i18n"},
                ):
                    text = message[0] if isinstance(message, tuple) else message
                    if text:
                        found.setdefault(text, f"{path.name}:{line}")
    return found


def test_every_applicant_string_has_its_chinese() -> None:
    messages = _message_ids()
    assert "Online approvals" in messages and "Verify an approval result" in messages
    chinese = i18n.catalogue("zh")
    missing = {text: where for text, where in messages.items() if text not in chinese}
    assert not missing, f"no Chinese for {len(missing)} strings: {missing}"


def test_the_catalogue_file_is_read_with_the_others() -> None:
    assert DOMAIN / "locale" / "zh" / "approvals.po" in i18n.catalogue_files("zh")
    with i18n.language("zh"):
        assert i18n.gettext("Decision due by %(day)s", day="2020-02-14") == "应于 2020-02-14 前办结"


def test_no_other_domain_gives_these_strings_another_chinese() -> None:
    # The catalogues of all domains are merged: a shared English id must mean the same thing.
    from babel.messages.pofile import read_po

    with (DOMAIN / "locale" / "zh" / "approvals.po").open("rb") as handle:
        ours = {str(m.id): m.string for m in read_po(handle) if m.id}
    merged = i18n.catalogue("zh")
    assert {k: merged[k] for k in ours} == ours
