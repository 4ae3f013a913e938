"""Serves the plotly.js bundle of the installed plotly package, so figure pages work offline."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

PLOTLY_JS_PATH = "/static/vendor/plotly.min.js"
# A year, immutable: pages name the file with plotly's version (plotly_js_url), so an upgrade
# changes the URL instead of waiting for caches to expire.
CACHE_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}

router = APIRouter(include_in_schema=False)


def plotly_js_file() -> Path:
    """plotly.min.js inside the installed plotly package."""
    import plotly  # imported here: the package is heavy and only figure pages need it

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def plotly_js_url() -> str:
    """The URL pages put in <script src>, versioned so that the long cache stays correct."""
    import plotly

    return f"{PLOTLY_JS_PATH}?v={plotly.__version__}"


@lru_cache(maxsize=1)
def _bundle() -> tuple[bytes, bytes]:
    """The bundle plain and gzipped (4.8 MB -> about 1.4 MB), read and compressed once."""
    plain = plotly_js_file().read_bytes()
    return plain, gzip.compress(plain, compresslevel=9, mtime=0)


@router.get(PLOTLY_JS_PATH)
def plotly_js(request: Request) -> Response:
    """plotly.min.js, gzipped for clients that accept it."""
    plain, packed = _bundle()
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers = {**CACHE_HEADERS, "Content-Encoding": "gzip"}
        return Response(packed, media_type="text/javascript", headers=headers)
    return Response(plain, media_type="text/javascript", headers=CACHE_HEADERS)
