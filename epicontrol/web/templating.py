"""Jinja2 templates shared by every page: web/templates plus each domain's templates/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from epicontrol.core import i18n
from epicontrol.web import csrf

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    # web/templates first (base.html and shared pages), then every domain's own folder.
    domain_dirs = sorted(
        str(path)
        for path in PACKAGE_DIR.glob("*/templates")
        if path.is_dir() and path.parent.name != "web"
    )
    return [str(PACKAGE_DIR / "web" / "templates"), *domain_dirs]


def language_url(request: Request, code: str) -> str:
    """This page's address in language `code` (its other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return str(request.url.path) + "?" + urlencode([*params, ("lang", code)])


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()),
        autoescape=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # {{ _("Fever clinics") }}, {{ _("%(n)s cases", n=3) }}, {% trans %}: core/i18n.py's catalogues.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.translate, i18n.translate_plural, newstyle=True
    )
    env.globals["current_language"] = i18n.current_language
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["language_url"] = language_url
    csrf.install(env)  # csrf_field(), csrf_token() (web/csrf.py)
    return env


TEMPLATES = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A rendered page; the template sees `request` and the caller, if any."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
