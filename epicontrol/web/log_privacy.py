"""No personal data in the access log: uvicorn's access record loses its query string.

Query strings carry what people searched for and whom staff looked up (/public/estates?q=...,
/api/residents?name=..., /public/qa?q=...); beside the client's address in the same line they
would tie a search to a person. Paths are kept: they name routes and record ids, not people.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
WITHHELD = "?[query withheld]"
# Markers exactly as earlier filters write them; anything else after "?" goes.
KEPT_MARKERS = frozenset({"[query withheld]", "[question withheld]"})


def strip_query(path: str) -> str:
    """`path` without its query string; a withheld marker says there was one. A marker put
    there by an earlier filter (portal/qa_routes.py's "[question withheld]") is kept."""
    head, separator, query = path.partition("?")
    if not separator or query in KEPT_MARKERS:
        return path
    return head + WITHHELD


class QueryStringFilter(logging.Filter):
    """Rewrites uvicorn's access records: (client, method, path with query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            stripped = strip_query(args[2])
            if stripped != args[2]:
                record.args = (*args[:2], stripped, *args[3:])
        return True


def install() -> None:
    """Put the filter on uvicorn's access logger, once per process (every app creation calls
    this; uvicorn configures its loggers before it creates the app, and keeps added filters)."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, QueryStringFilter) for existing in access.filters):
        access.addFilter(QueryStringFilter())
