"""Jinja2 templates shared by every page: web/templates plus each domain's templates/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    # web/templates first (base.html and shared pages), then every domain's own folder.
    domain_dirs = sorted(
        str(path)
        for path in PACKAGE_DIR.glob("*/templates")
        if path.is_dir() and path.parent.name != "web"
    )
    return [str(PACKAGE_DIR / "web" / "templates"), *domain_dirs]


TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()), autoescape=True, auto_reload=False
    )
)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A rendered page; the template sees `request` and the caller, if any."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
