"""plotly.js is served from the installed package, so figure pages need no CDN."""

from __future__ import annotations

import plotly
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epicontrol.web.plotly_static import (
    PLOTLY_JS_PATH,
    plotly_js_file,
    plotly_js_url,
    router,
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_the_plotly_bundle_is_served_with_a_long_cache(client: TestClient) -> None:
    response = client.get(plotly_js_url())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.content == plotly_js_file().read_bytes()
    assert b"plotly.js v" in response.content[:400]


def test_the_bundle_is_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    packed = client.get(PLOTLY_JS_PATH, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(packed.content) / 2
    assert packed.content == plotly_js_file().read_bytes()  # httpx decodes it
    plain = client.get(PLOTLY_JS_PATH, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == packed.content


def test_the_url_names_the_plotly_version() -> None:
    assert plotly_js_url() == f"/static/vendor/plotly.min.js?v={plotly.__version__}"
