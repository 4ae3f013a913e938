"""No personal data in the access log: a real uvicorn server's log keeps paths, not queries.
SQLite only: the log is written the same whichever store serves the answers."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
from uvicorn.logging import AccessFormatter

from epicontrol.web import log_privacy
from tests.browser.conftest import db_url  # noqa: F401

NAME = "张伟测试"
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"


def test_the_filter_keeps_the_path_and_withholds_the_query() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5123", "GET", f"/api/residents?name={NAME}&phone={PHONE}", "1.1", 200),
        None,
    )
    assert log_privacy.QueryStringFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert "/api/residents?[query withheld]" in line
    assert NAME not in line and PHONE not in line
    assert log_privacy.strip_query("/public/situation") == "/public/situation"
    # The Q&A filter's own marker stays (tests/portal/test_qa_browser.py looks for it).
    assert (
        log_privacy.strip_query("/public/qa?[question withheld]")
        == "/public/qa?[question withheld]"
    )
    forged = f"/public/qa?[{NAME} withheld]"  # looks like a marker, is a query: withheld
    assert log_privacy.strip_query(forged) == "/public/qa?[query withheld]"


def test_installing_twice_adds_one_filter() -> None:
    log_privacy.install()
    log_privacy.install()
    access = logging.getLogger(log_privacy.ACCESS_LOGGER)
    assert sum(isinstance(f, log_privacy.QueryStringFilter) for f in access.filters) == 1


def test_a_served_search_leaves_no_query_in_the_servers_log(
    live_server: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live_server) as client:
        assert client.get("/public/estates", params={"q": NAME}).status_code == 200
        client.get("/api/residents", params={"id_number": ID_NUMBER, "name": NAME})
        client.get("/healthz")
    log = tmp_path / "server.log"
    deadline = time.monotonic() + 5
    while "/healthz" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # uvicorn writes the access line after the answer is sent
    text = log.read_text()
    assert "GET /public/estates?[query withheld]" in text
    assert "GET /api/residents?[query withheld]" in text
    for secret in (NAME, ID_NUMBER, PHONE, "%E5%BC%A0"):  # nor percent-encoded: 张 is %E5%BC%A0
        assert secret not in text
