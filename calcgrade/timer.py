"""The one way calcgrade puts a soft time limit on a piece of work: an interval timer whose
signal raises an exception in the code it interrupts.

Three limits use it: a student's cell or function call (wall clock, in the student's process),
one symbolic comparison (wall clock, in either process) and one test cell's share of the
grader's CPU (`ITIMER_VIRTUAL`). Limits nest: an inner one never outlasts an outer one on the
same clock, never cancels it, and when the outer one's time comes while the inner one is running,
the outer one's exception is raised. Main thread only (signals); elsewhere no limit applies, and
the hard limits (killing the process) still hold.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Callable

_CLOCKS = {"wall": (signal.ITIMER_REAL, signal.SIGALRM, time.monotonic),
           "cpu": (signal.ITIMER_VIRTUAL, signal.SIGVTALRM, time.process_time)}
_active: dict[str, list] = {"wall": [], "cpu": []}  # per clock: deadlines of the open limits


@contextlib.contextmanager
def time_limit(seconds: float, make_exception: Callable[[], BaseException] = TimeoutError, *,
               clock: str = "wall"):
    """Within: after `seconds` on `clock` ("wall" or "cpu"), `make_exception()` is raised."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    which, signum, now = _CLOCKS[clock]
    stack = _active[clock]
    entry = [now() + seconds, make_exception]
    stack.append(entry)

    def on_signal(signum, frame):
        due = [e for e in stack if e[0] <= now() + 1e-3]
        raise (due[0] if due else stack[-1])[1]()  # the outermost limit whose time has come

    previous = signal.signal(signum, on_signal)
    _arm(which, stack, now)
    try:
        yield
    finally:
        stack.remove(entry)
        signal.setitimer(which, 0)
        signal.signal(signum, previous)
        if stack:
            _arm(which, stack, now)


def _arm(which: int, stack: list, now) -> None:
    """Set the clock's timer for the nearest deadline of the open limits (a moment at least)."""
    signal.setitimer(which, max(min(e[0] for e in stack) - now(), 1e-3))
