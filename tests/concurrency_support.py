"""Many requests in flight at once against a real server (tests/conftest.py's live_server)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tests.async_support import run_async


def post_all_at_once(
    base: str, path: str, bodies_and_headers: list[tuple[Any, dict[str, str]]]
) -> Counter[int]:
    """POST every (json body, headers) to `path` together, a connection each; status counts."""
    count = len(bodies_and_headers)

    async def post_all() -> Counter[int]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            answers = await asyncio.gather(
                *(
                    http.post(path, json=body, headers=headers)
                    for body, headers in bodies_and_headers
                )
            )
        return Counter(answer.status_code for answer in answers)

    return run_async(post_all())
