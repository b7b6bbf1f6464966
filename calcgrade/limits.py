"""Every limit on the student's code and on the grader's work on it, in one place.

Hard limits: `Limits` holds the values; `TrustedExecute`'s settings (`cell_timeout`,
`memory_limit_mb`, ..., nbgrader_config.py) default to them and build one; `apply()` sets the
rlimits the student cannot raise, in the process about to become the student's (started fresh, or
forked by the fork server). The grader enforces the wall-clock limits from outside
(calcgrade.sandbox.process) by killing the process.

Soft limits: `time_limit`, an interval timer whose signal raises an exception in the code it
interrupts. Three limits use it: a student's cell or function call (wall clock, in the student's
process), one symbolic comparison (wall clock, in either process) and one test cell's share of
the grader's CPU (`ITIMER_VIRTUAL`). They nest: an inner one never outlasts an outer one on the
same clock, never cancels it, and when the outer one's time comes while the inner one is running,
the outer one's exception is raised. Main thread only (signals); elsewhere no soft limit applies,
and the hard limits still hold.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable


@dataclass
class Limits:
    cell_seconds: float = 30.0  # per cell and per call of a student function
    notebook_seconds: float = 300.0
    memory_bytes: int = 2 * 2 ** 30  # address space
    cpu_seconds: int = 300
    file_bytes: int = 2 ** 20  # the largest file the student's code may write
    tmp_bytes: int = 512 * 2 ** 20  # the sandbox's private /tmp (RAM), submission files included

    def apply(self) -> None:
        """Set this process's rlimits (hard = soft: they cannot be raised again); no core dumps."""
        for name, value in (("RLIMIT_AS", self.memory_bytes), ("RLIMIT_CPU", self.cpu_seconds),
                            ("RLIMIT_FSIZE", self.file_bytes), ("RLIMIT_CORE", 0)):
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))

    def to_data(self) -> dict:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "Limits":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


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
