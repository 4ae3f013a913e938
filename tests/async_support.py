"""Running a coroutine from a test, whatever else the run has started.

Playwright's sync API (the session-wide browser of the chromium tests) keeps an asyncio loop
running in the main thread, and `asyncio.run` refuses to start inside a running loop: a test
that needs a loop of its own runs it in a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` in a fresh thread; its result or its exception."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
