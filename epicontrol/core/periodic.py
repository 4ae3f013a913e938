"""The scaffolding of a serving process's background threads: start, stop, wake, and the loop.

A worker subclasses PeriodicWorker and writes `tick()`, one pass of its work. The loop runs a
pass, then waits `interval_seconds` (or until woken or stopped); a pass may ask to go again at
once or after another delay by returning seconds. An exception from a pass is logged and kept
in `last_error`; the next pass retries, since one failure must not end a server's thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Self

logger = logging.getLogger(__name__)


class PeriodicWorker:
    """A daemon thread running `tick()` every `interval_seconds` until stopped."""

    def __init__(
        self,
        *,
        name: str,
        interval_seconds: float,
        first_pass_at_start: bool = True,
        stop_timeout: float = 10.0,
    ) -> None:
        self.interval_seconds = interval_seconds
        self.first_pass_at_start = first_pass_at_start
        self.stop_timeout = stop_timeout
        self.last_error: BaseException | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def tick(self) -> float | None:
        """One pass of the work; seconds until the next pass, or None for the interval."""
        raise NotImplementedError

    def start(self) -> Self:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def wake(self) -> None:
        """Run the next pass now rather than at the end of the wait."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the current pass and wait for the thread (`stop_timeout` by default)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(self.stop_timeout if timeout is None else timeout)

    @property
    def stopping(self) -> bool:
        """Whether stop() was called: a long pass may end early."""
        return self._stopping.is_set()

    @property
    def is_running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def on_thread_start(self) -> None:
        """Called in the thread before the first pass (niceness, say)."""

    def _loop(self) -> None:
        self.on_thread_start()
        if not self.first_pass_at_start:
            self._wait(self.interval_seconds)
        while not self._stopping.is_set():
            try:
                delay = self.tick()
            except Exception as error:  # logged; the next pass retries
                self.last_error = error
                logger.exception("background pass of %s failed", self._thread.name)
                delay = None
            if delay is None:
                delay = self.interval_seconds
            if delay > 0:
                self._wait(delay)

    def _wait(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()
