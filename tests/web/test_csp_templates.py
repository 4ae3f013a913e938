"""The strict CSP, statically: the header allows scripts from this site only, and no template
(every domain's, new ones included) has an inline script, an inline event handler or an htmx
value that needs eval. The browser test (test_csp_browser.py) checks the main pages live."""

from __future__ import annotations

import re
from pathlib import Path

from epicontrol.web import security_headers

PACKAGE = Path(security_headers.__file__).resolve().parent.parent
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
EVAL_VALUE = re.compile(r"""(hx-vals|hx-headers|hx-on[^=]*)\s*=\s*['"]\s*js:|javascript:""", re.I)
# The briefing written to a file (PDF, `epicontrol briefing --out`) inlines plotly.js and
# pages.js to work with no server; a file opened from disk carries no CSP.
OFFLINE_INLINE = {"analytics/templates/briefing.html": 2}


def directives() -> dict[str, list[str]]:
    policy = security_headers.CONTENT_SECURITY_POLICY
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_scripts_come_from_this_site_only() -> None:
    policy = directives()
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for value in policy["script-src"] + policy["default-src"])


def test_no_template_has_inline_script_handlers_or_eval() -> None:
    found = []
    for template in sorted(PACKAGE.glob("**/templates/**/*.html")):
        name = str(template.relative_to(PACKAGE))
        text = template.read_text(encoding="utf-8")
        inline = [
            m
            for m in SCRIPT_TAG.finditer(text)
            if "src=" not in m.group(1) and "application/json" not in m.group(1)
        ]
        if len(inline) != OFFLINE_INLINE.get(name, 0):
            found.append(f"{name}: {len(inline)} inline <script>")
        found += [f"{name}: inline handler {m.group(0)[-40:]!r}" for m in HANDLER.finditer(text)]
        found += [f"{name}: eval value {m.group(0)!r}" for m in EVAL_VALUE.finditer(text)]
    assert not found, "\n".join(found)
