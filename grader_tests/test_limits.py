"""The grader's own limits, each beside a positive control showing the work it stops really does
run away without it: input-size bounds before sympy computes, the time limit on one answer's
comparison, and the forked grading child's hard stop for work no signal can interrupt."""

import subprocess
import sys
import time

import pytest

from calcgrade.checks.errors import CheckFailed
from calcgrade.checks.symbolic import check_expression
from calcgrade.grading.child import CheckTooLong, cpu_limit, run_bounded

RUNAWAY = {  # student answers that keep sympy (or Python's integers) busy for minutes
    "power tower": ("((3**1000)**1000)**1000",
                    "import sympy as sp; ((sp.Integer(3)**1000)**1000)**1000"),
    "coefficient tower": ("((x*10**50)**999)**999",
                          "import sympy as sp; x = sp.Symbol('x', real=True)\n"
                          "((x*sp.Integer(10)**50)**999)**999"),
    # evaluated at 30 digits, as the comparison at random points does (simplify instead
    # overflows quickly or not, by the run: not a control that can be trusted)
    "nested exp": ("exp(exp(exp(100)))",
                   "import sympy as sp; sp.exp(sp.exp(sp.exp(100))).evalf(30)"),
}


# Long enough to outlast the defended runs' budgets (2 s for a comparison, 3 s for the child)
# with room to spare; the computations themselves take minutes.
CONTROL_SECONDS = 5


def _still_running_after(code: str, seconds: float = CONTROL_SECONDS) -> bool:
    try:
        subprocess.run([sys.executable, "-c", code], timeout=seconds, capture_output=True)
    except subprocess.TimeoutExpired:
        return True
    return False


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_a_runaway_answer_costs_its_part_at_once(name):
    answer, _ = RUNAWAY[name]
    started = time.monotonic()
    with pytest.raises(CheckFailed, match="too large"):
        check_expression(answer, "3*x**2 + 1/x**2", ["x"], part="f_prime")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_without_the_bounds_the_same_answer_runs_away(name):
    """Positive control: the same computation, done by sympy as the answer asks, unbounded."""
    assert _still_running_after(RUNAWAY[name][1])


def test_bounds_keep_right_answers_in_every_form():
    for answer in ("3*x**2 + 1/x**2", "3*x**2 + x**(-2)", "(3*x**4 + 1)/x**2",
                   "3*x**2 + (pi/pi)**2/x**2", "3*x**2 + E**0/x**2", "sqrt(3)**2*x**2 + 1/x**2",
                   "3*x^2 + 1/x^2", "3.0*x**2 + 1.0/x**2", "exp(log(3*x**2 + 1/x**2))",
                   "3*x**2 + 2**(-1)*2/x**2", "(10**40*3*x**2 + 10**40/x**2)/10**40"):
        check_expression(answer, "3*x**2 + 1/x**2", ["x"], part="f_prime",
                         domain={"x": [(-3.0, -0.2), (0.2, 3.0)]})


def test_the_grading_child_stops_what_no_signal_can():
    """Work in C (a huge integer power) ignores signals; the forked child is killed at its
    budget, and what it reported before the stop is kept."""
    def work(emit):
        emit(0, [{"output_type": "stream", "name": "stdout", "text": "first part checked"}])
        3 ** (10 ** 9)  # minutes of C, no bytecode boundary where a signal could land
        emit(1, [])

    started = time.monotonic()
    results, stopped = run_bounded(work, seconds=3, memory_bytes=2 ** 30, cpu_seconds=60)
    assert time.monotonic() - started < 10
    assert list(results) == [0] and "grading budget of 3 s" in stopped


def test_without_the_child_the_same_work_holds_the_grader():
    """Positive control: the same work in a process of its own, unbounded, is still going."""
    assert _still_running_after("3 ** (10 ** 9)")


def test_the_grading_child_reports_running_out_of_memory():
    def work(emit):
        emit(0, [])
        hoard = []
        while True:
            hoard.append(bytearray(2 ** 26))

    results, stopped = run_bounded(work, seconds=60, memory_bytes=2 ** 28, cpu_seconds=60)
    assert list(results) == [0] and "ran out of the memory" in stopped and "256 MB" in stopped


def test_a_check_that_spins_in_python_is_stopped_by_its_cpu_limit():
    started = time.monotonic()
    with pytest.raises(CheckTooLong):
        with cpu_limit(1.0):
            while True:
                pass
    assert time.monotonic() - started < 5
