"""The background threads' scaffolding (core/periodic.py): passes on the interval, at once when
woken or asked for, a failed pass logged and retried, a prompt stop."""

from __future__ import annotations

import threading
import time

from epicontrol.core.periodic import PeriodicWorker


class Counting(PeriodicWorker):
    """Counts its passes; the first asks to go again at once, the second fails."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(name="test-counting", **kwargs)  # type: ignore[arg-type]
        self.passes = 0
        self.passed = threading.Event()

    def tick(self) -> float | None:
        self.passes += 1
        self.passed.set()
        if self.passes == 2:
            raise RuntimeError("the store went away")
        return 0 if self.passes == 1 else None


def _until(condition: object, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_a_pass_may_ask_for_the_next_at_once_a_failure_waits_and_a_wake_ends_the_wait() -> None:
    worker = Counting(interval_seconds=60).start()
    try:
        _until(lambda: worker.passes >= 2)
        time.sleep(0.2)
        assert worker.passes == 2  # the first returned 0; the failed second waits an interval
        assert isinstance(worker.last_error, RuntimeError)
        worker.wake()
        _until(lambda: worker.passes >= 3)
        assert worker.passes == 3
    finally:
        started = time.monotonic()
        worker.stop()
    assert time.monotonic() - started < 2 and not worker.is_running


def test_a_worker_may_wait_one_interval_before_its_first_pass() -> None:
    worker = Counting(interval_seconds=60, first_pass_at_start=False).start()
    assert not worker.passed.wait(0.3)
    worker.stop()
    assert worker.passes == 0 and not worker.is_running
