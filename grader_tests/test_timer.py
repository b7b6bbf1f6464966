"""One timer that nests (`time_limit` in calcgrade/limits.py): an inner limit neither cancels
nor outlasts an outer one, and the limit whose time has come is the one that speaks."""

import contextlib
import signal
import time

import pytest

from calcgrade.limits import time_limit


class Outer(Exception):
    pass


class Inner(Exception):
    pass


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_an_inner_limit_fires_first_and_the_outer_one_still_holds():
    started = time.monotonic()
    with pytest.raises(Outer):
        with time_limit(0.6, Outer):
            with pytest.raises(Inner):
                with time_limit(0.1, Inner):
                    _spin(5)
            _spin(5)  # the outer limit was not cancelled by the inner one's end
    assert 0.5 < time.monotonic() - started < 1.5


def test_an_inner_limit_never_outlasts_the_outer_one():
    started = time.monotonic()
    with pytest.raises(Outer):
        with time_limit(0.2, Outer):
            with time_limit(5, Inner):
                _spin(5)
    assert time.monotonic() - started < 1.0


def test_the_cpu_clock_counts_work_not_waiting():
    with time_limit(0.3, Inner, clock="cpu"):
        time.sleep(0.6)  # waiting costs no CPU time
    with pytest.raises(Inner):
        with time_limit(0.3, Inner, clock="cpu"):
            _spin(5)


@contextlib.contextmanager
def _naive_limit(seconds, exception):
    """Control: a limit that sets and clears the one interval timer on its own, as the grader's
    two limits did before they shared calcgrade.limits."""
    def on_alarm(signum, frame):
        raise exception

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_control_naive_limits_cancel_each_other():
    with _naive_limit(0.4, Outer):
        with pytest.raises(Inner):
            with _naive_limit(0.1, Inner):
                _spin(5)
        _spin(1.0)  # the outer limit is gone: nothing stops this
