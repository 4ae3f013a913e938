"""CPU of each thread of a uvicorn worker, for `bench_ingest.py --profile` (no py-spy here).

    uvicorn bench.ingest_profile:create_app --factory   (with INGEST_PROFILE_DIR set)

Writes, into $INGEST_PROFILE_DIR, the CPU seconds used by the event-loop thread (HTTP, parsing,
checks, answers: `loop-PID.cpu`) and by each scan-writer thread (the group commits:
`writer-PID-N.cpu`), the group commits and the scans in them (`groups-PID.groups`), and, with
INGEST_CPROFILE=1, a cProfile of each (`.prof`, pstats) timed by the thread's own CPU clock, so
that waits (a lock, SQLite's busy handler, a commit's fsync) do not count. cProfile roughly
doubles the CPU of Python code: read its shares, not its times.
"""

from __future__ import annotations

import cProfile
import itertools
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from epicontrol.movements import group_commit
from epicontrol.web.app import create_app as create_real_app

_writers = itertools.count()
_groups = [0, 0]  # group commits, scans in them (this process)


def _measured(name: str, run: Callable[[], Any]) -> Any:
    """Run `run` in this thread, then write the thread's CPU time (and profile) as `name`."""
    out = Path(os.environ["INGEST_PROFILE_DIR"])
    profile = cProfile.Profile(time.thread_time) if os.environ.get("INGEST_CPROFILE") else None
    if profile:
        profile.enable()
    try:
        return run()
    finally:
        if profile:
            profile.disable()
            profile.dump_stats(out / f"{name}.prof")
        (out / f"{name}.cpu").write_text(str(time.thread_time()))


def _writer_run(run: Callable[[Any], None]) -> Callable[[Any], None]:
    def wrapper(self: Any) -> None:
        name = f"writer-{os.getpid()}-{next(_writers)}"
        _measured(name, lambda: run(self))
        out = Path(os.environ["INGEST_PROFILE_DIR"])
        (out / f"groups-{os.getpid()}.groups").write_text(f"{_groups[0]} {_groups[1]}")

    return wrapper


def _counted(store: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(db: Any, group: list[Any], now: Any) -> Any:
        _groups[0] += 1
        _groups[1] += len(group)
        return store(db, group, now)

    return wrapper


def create_app() -> FastAPI:
    """The real app, its threads measured."""
    app = create_real_app()
    group_commit._Lane._run = _writer_run(group_commit._Lane._run)  # type: ignore[method-assign]
    group_commit._store_group = _counted(group_commit._store_group)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        out = Path(os.environ["INGEST_PROFILE_DIR"])
        started = time.thread_time()  # app start-up (imports) left out
        profile = cProfile.Profile(time.thread_time) if os.environ.get("INGEST_CPROFILE") else None
        if profile:
            profile.enable()
        try:
            async with inner(app_) as state:
                yield state
        finally:
            if profile:
                profile.disable()
                profile.dump_stats(out / f"loop-{os.getpid()}.prof")
            used = time.thread_time() - started
            (out / f"loop-{os.getpid()}.cpu").write_text(str(used))

    app.router.lifespan_context = lifespan
    return app
