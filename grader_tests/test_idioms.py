"""A corpus of test-cell idioms, as nbgrader users write them, graded by both graders.

One assignment, `idioms`, built here in a fresh course directory (its own source notebook and the
repository's nbgrader_config.py): a locked provided cell (numpy, math, the instructor's `DATA` and
`close`), three answer cells (functions, values, a class) and one graded test cell (1 point) per
idiom, hidden as nbgrader's `### BEGIN HIDDEN TESTS` blocks (a few type checks visible). Three
submissions: `right` (the source's solutions), `wrong` (plausible mistakes) and `wrong_kind`
(answers of the wrong kind: a number where a function is asked for, a string for a number).

Stock `nbgrader autograde` runs each notebook in one Jupyter kernel, with Python's ordinary
module-level semantics and IPython's syntax, and scores a test cell by its outputs: 0 for an
error or any stderr output, the number a cell's last expression shows as partial credit, full
marks otherwise. `calcgrade autograde` must reach the same verdict on every idiom in IDIOMS: full
marks for `right`, 0 for the wrong students (a type check only for `wrong_kind`), under BOTH
graders. DIFFERENCES holds the idioms that differ by design (the student's code lives in another
process): checked to be honest nbgrader tests, calcgrade's verdicts reported only.

The failure message lists every idiom with its verdicts under each grader and, for each verdict
not as expected, what the autograded cell showed (autograded/STUDENT/idioms/idioms.ipynb).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from calcgrade.course.directory import Course
from grader_tests import REPO

ASSIGNMENT = NOTEBOOK = "idioms"

PROVIDED = '''\
import math

import numpy as np

DATA = np.array([0.0, 0.5, 1.0, 1.5, 2.0])


def close(a, b, tol=1e-9):
    """True when a and b agree within tol everywhere (numbers or arrays)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))
'''

# The answer cells: grade_id -> the source's solution (the `right` student's answers).
SOLUTIONS = {
    "answer-functions": '''\
def square(x):
    return x * x


def f(xs):
    """2x + 1 at every point of xs: an array in, an array out."""
    return 2 * np.asarray(xs, dtype=float) + 1


def power(base, exponent):
    return base ** exponent


def safe_sqrt(x):
    if x < 0:
        raise ValueError("safe_sqrt needs a number >= 0")
    return math.sqrt(x)


def make_adder(n):
    return lambda x: x + n


def apply_twice(g, x):
    return g(g(x))


def greet(name):
    print(f"Hello, {name}!")


def evens(n):
    """The first n even numbers, one at a time."""
    for k in range(n):
        yield 2 * k


def noisy(n):
    """n draws of standard normal noise, from numpy's global generator."""
    return np.random.normal(size=n)''',
    "answer-values": '''\
answer = math.pi * 3 ** 2  # the area of a circle of radius 3
values = [2, 3, 5, 7, 11, 13, 17, 19]  # the primes below 20
table = {word: len(word) for word in ["alpha", "beta", "gamma"]}''',
    "answer-class": '''\
class Counter:
    def __init__(self):
        self.count = 0

    def increment(self):
        self.count += 1


counter = Counter()
counter.increment()
counter.increment()''',
}

STUDENTS = {
    "right": {},
    # Plausible mistakes: every answer of the right kind, every one wrong.
    "wrong": {
        "answer-functions": '''\
def square(x):
    return x * 2


def f(xs):
    return 2 * np.asarray(xs, dtype=float) - 1


def power(base, exponent):
    return exponent ** base


def safe_sqrt(x):
    return math.sqrt(x) if x >= 0 else float("nan")


def make_adder(n):
    return lambda x: x * n


def apply_twice(g, x):
    return g(x)


def greet(name):
    print("Hello", name)


def evens(n):
    for k in range(0, n, 2):
        yield k


def noisy(n):
    return np.random.uniform(size=n)''',
        "answer-values": '''\
answer = 2 * math.pi * 3  # the circumference, not the area
values = [1, 2, 3, 5, 7, 11, 13, 17, 19]
table = {word: len(word) for word in ["alpha", "beta", "gamma", "delta"]}''',
        "answer-class": '''\
class Counter:
    def __init__(self):
        self.count = 0

    def increment(self):
        self.count += 2


counter = Counter()
counter.increment()
counter.increment()''',
    },
    # Answers of the wrong kind: values where functions are asked for, text for numbers.
    "wrong_kind": {
        "answer-functions": '''\
square = 9
f = "2 * x + 1"
power = 8
safe_sqrt = None
make_adder = 5
apply_twice = None
greet = "Hello, Ada!"
evens = [0, 2, 4, 6, 8]
noisy = [0.1, -0.3, 1.2]''',
        "answer-values": '''\
answer = "28.27"
values = "2 3 5 7 11 13 17 19"
table = [("alpha", 5), ("beta", 4), ("gamma", 5)]''',
        "answer-class": '''\
Counter = None
counter = 2''',
    },
}


@dataclass(frozen=True)
class Idiom:
    name: str  # the test cell's grade_id is test-NAME
    code: str
    hidden: bool = True  # the body in a `### BEGIN HIDDEN TESTS` block
    passes: frozenset = frozenset()  # wrong students this (type) check rightly lets through

    @property
    def grade_id(self) -> str:
        return f"test-{self.name}"

    def source(self) -> str:
        if not self.hidden:
            return self.code
        magic, body = "", self.code
        if body.startswith("%%"):  # a cell magic stays the cell's first line
            magic, body = body.split("\n", 1)
            magic += "\n"
        return f"{magic}### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS"


IDIOMS = [
    Idiom("plain-assert", "assert square(3) == 9", hidden=False),
    Idiom("assert-message", 'assert square(-2) == 4, "square(-2) should be 4"'),
    Idiom("generator-in-all", "assert all(square(x) == x * x for x in range(5))"),
    Idiom("list-comprehension", "assert [square(x) for x in [1, 2, 3]] == [1, 4, 9]"),
    Idiom("set-comprehension", "assert {square(x) for x in (-2, -1, 1, 2)} == {1, 4}"),
    Idiom("dict-comprehension", '''\
squares = {x: square(x) for x in range(4)}
assert squares == {0: 0, 1: 1, 2: 4, 3: 9}, squares'''),
    Idiom("lambda", '''\
is_square = lambda x: square(x) == x ** 2
assert is_square(7) and is_square(-3)'''),
    Idiom("nested-def", '''\
def sum_of_squares(n):
    def term(k):
        return square(k)
    return sum(term(k) for k in range(1, n + 1))

assert sum_of_squares(3) == 14
assert sum_of_squares(10) == 385'''),
    Idiom("class-in-test-methods", '''\
class SquareCase:
    def __init__(self, x):
        self.x = x
        self.expected = x * x

    def passes(self):
        return square(self.x) == self.expected

assert all(SquareCase(x).passes() for x in range(-3, 4))'''),
    Idiom("class-in-test-body", '''\
class TestF:
    ys = f(DATA)  # computed once, checked by the methods below

    def test_shape(self):
        assert self.ys.shape == DATA.shape

    def test_values(self):
        np.testing.assert_allclose(self.ys, 2 * DATA + 1)

TestF().test_shape()
TestF().test_values()'''),
    Idiom("global-statement", '''\
calls = 0

def counted_square(x):
    global calls
    calls += 1
    return square(x)

assert [counted_square(x) for x in range(4)] == [0, 1, 4, 9]
assert calls == 4'''),
    Idiom("del-earlier-name", '''\
# `squares` was built by an earlier test cell: check it once more, then drop it
assert all(squares[x] == square(x) == x * x for x in squares)
del squares'''),
    Idiom("globals-lookup", '''\
assert "square" in globals(), "define a function called square"
fn = globals()["square"]
assert fn(5) == 25'''),
    Idiom("helper-defined", '''\
def reference_f(xs):
    return 2 * np.asarray(xs, dtype=float) + 1

assert np.shape(f(DATA)) == np.shape(DATA), "f should return one value per input"
np.testing.assert_allclose(f(DATA[:2]), reference_f(DATA[:2]))'''),
    Idiom("helper-reused", '''\
rng = np.random.default_rng(2024)
points = rng.uniform(-10, 10, size=20)
np.testing.assert_allclose(f(points), reference_f(points), rtol=1e-12)'''),
    Idiom("time-line-magic", '''\
%time assert square(3) == 9
%time assert square(12) == 144'''),
    Idiom("time-cell-magic", '''\
%%time
for x in range(-5, 6):
    assert square(x) == x ** 2, f"square({x}) should be {x ** 2}"'''),
    Idiom("try-except-reraise", '''\
try:
    assert square(1.5) == 2.25
except AssertionError:
    print("square(1.5) should be 2.25: check non-integer inputs")
    raise'''),
    Idiom("assert-allclose", "np.testing.assert_allclose(f(DATA), 2 * DATA + 1)"),
    Idiom("math-isclose", '''\
assert math.isclose(answer, 9 * math.pi, rel_tol=1e-9), "not the area of a circle of radius 3"'''),
    Idiom("loop-fstring", '''\
for x, expected in [(0, 0), (1, 1), (-3, 9), (0.5, 0.25)]:
    got = square(x)
    assert got == expected, f"square({x}) returned {got}, expected {expected}"'''),
    Idiom("isinstance", 'assert isinstance(answer, (int, float)), "answer should be a number"',
          hidden=False, passes=frozenset({"wrong"})),
    Idiom("callable", '''\
assert callable(square), "square should be a function"
assert callable(f), "f should be a function"''', hidden=False, passes=frozenset({"wrong"})),
    Idiom("instructor-fixtures",
          'assert close(f(DATA), 2 * DATA + 1), "f(DATA) is not 2 DATA + 1"'),
    Idiom("print-when-passing", '''\
print("checking square on a large input")
assert square(10 ** 6) == 10 ** 12
print("square passed")'''),
    Idiom("import-in-test", '''\
from math import sqrt

assert all(sqrt(square(x)) == abs(x) for x in range(-4, 5))'''),
    Idiom("np-errstate", '''\
with np.errstate(divide="raise", invalid="raise", over="raise"):
    ys = f(DATA)
    ratios = ys / (2 * DATA + 1)
np.testing.assert_allclose(ratios, np.ones_like(DATA))'''),
    Idiom("sorted-values", '''\
assert sorted(values) == [2, 3, 5, 7, 11, 13, 17, 19], "values should hold the primes below 20"'''),
    Idiom("len-table", '''\
assert len(table) == 3, f"table has {len(table)} entries, expected 3"
assert table["beta"] == 4'''),
    Idiom("hasattr-getattr", '''\
assert hasattr(counter, "count"), "counter should have a count attribute"
assert getattr(counter, "count") == 2, "counter.count should be 2 after two increments"'''),
    Idiom("student-class-instance", '''\
c = Counter()
for _ in range(3):
    c.increment()
assert c.count == 3, f"count is {c.count} after three increments"'''),
    Idiom("returned-closure", '''\
add3 = make_adder(3)
assert add3(4) == 7
assert make_adder(-1)(1) == 0'''),
    Idiom("lambda-as-argument", '''\
assert apply_twice(lambda v: v + 3, 1) == 7
assert apply_twice(square, 3) == 81'''),
    Idiom("keyword-arguments", '''\
assert power(base=2, exponent=3) == 8
assert power(exponent=2, base=5) == 25'''),
    Idiom("expected-exception", '''\
assert safe_sqrt(9.0) == 3.0
try:
    safe_sqrt(-1.0)
except ValueError:
    pass
else:
    raise AssertionError("safe_sqrt(-1.0) should raise ValueError")'''),
    Idiom("captured-stdout", '''\
import contextlib
import io

buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    greet("Ada")
assert buffer.getvalue() == "Hello, Ada!\\n", repr(buffer.getvalue())'''),
    Idiom("generator-answer", "assert list(evens(5)) == [0, 2, 4, 6, 8]"),
    Idiom("unittest-loader", '''\
import sys
import unittest

class TestSquare(unittest.TestCase):
    def test_integers(self):
        for x in range(-3, 4):
            self.assertEqual(square(x), x * x)

    def test_floats(self):
        self.assertAlmostEqual(square(0.1), 0.01)

suite = unittest.defaultTestLoader.loadTestsFromTestCase(TestSquare)
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
assert result.wasSuccessful(), result.failures + result.errors'''),
    Idiom("unittest-main", '''\
import sys
import unittest

class TestPower(unittest.TestCase):
    def test_small_powers(self):
        self.assertEqual(power(2, 3), 8)
        self.assertEqual(power(5, 0), 1)

program = unittest.main(argv=["ignored"], exit=False,
                        testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=0))
assert program.result.wasSuccessful(), program.result.failures + program.result.errors'''),
    # nbgrader's partial credit: a number as the cell's last expression is its score
    Idiom("partial-credit", '''\
score = 0
if square(3) == 9:
    score += 0.5
if square(-1) == 1:
    score += 0.5
score'''),
    # nbgrader gives 0 to a test cell that writes to stderr
    Idiom("stderr-message", '''\
import sys

if not math.isclose(answer, 9 * math.pi):
    print(f"answer {answer!r} is not the area of a circle of radius 3", file=sys.stderr)'''),
    Idiom("capture-cell-magic", '''\
%%capture
# the student's greetings are not wanted in the feedback
for name in ["Ada", "Grace"]:
    greet(name)
assert apply_twice(make_adder(5), 0) == 10'''),
    Idiom("display", '''\
display(table)  # shown in the feedback
assert table == {"alpha": 5, "beta": 4, "gamma": 5}'''),
]

# Idioms whose verdict under calcgrade differs from a kernel's by design: the student's code runs
# in another process, so what the test cell hands it is a remote handle (not a Python function),
# and process state the test sets (numpy's global generator) is not the student's process's.
# Graded in the same notebook; the test checks they are honest nbgrader tests (right passes and
# wrong fails under stock nbgrader) and reports calcgrade's verdicts without asserting them.
DIFFERENCES = [
    Idiom("function-type", '''\
import types

assert isinstance(square, types.FunctionType), "square should be a function (def or lambda)"''',
          hidden=False, passes=frozenset({"wrong"})),
    Idiom("seeded-global-rng", '''\
np.random.seed(0)
got = noisy(3)
np.random.seed(0)
expected = np.random.normal(size=3)
np.testing.assert_allclose(got, expected, err_msg="noisy should draw from a standard normal")'''),
]


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=0) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    cells = [new_markdown_cell("# Idioms\nAnswer each cell; hidden tests check every answer."),
             new_code_cell(PROVIDED, metadata=_nbgrader("provided", locked=True))]
    for grade_id, solution in SOLUTIONS.items():
        cells.append(new_code_cell(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION",
                                   metadata=_nbgrader(grade_id, solution=True)))
    for idiom in IDIOMS + DIFFERENCES:
        cells.append(new_code_cell(idiom.source(), metadata=_nbgrader(
            idiom.grade_id, grade=True, locked=True, points=1)))
    return new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


def make_course(root: Path) -> Course:
    """A course of its own: the repository's nbgrader_config.py and source/idioms/idioms.ipynb."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    path = root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(source_notebook(), path)
    return Course(root)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_errors(course: Course, student: str) -> dict[str, str]:
    """grade_id -> what the autograded test cell reported (errors, and its printed output)."""
    path = course.root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    if not path.exists():
        return {}
    shown = {}
    for cell in nbformat.read(path, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        parts = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                value = " / ".join(line.strip() for line in output.evalue.splitlines()
                                   if line.strip())
                text = f"{output.ename}: {value[:400]}"
                lines = [_ANSI.sub("", line) for line in "\n".join(output.traceback).splitlines()]
                pointer = [line.strip() for line in lines if re.match(r"\s*-+>", line)]
                if pointer and not output.evalue:
                    text += f"  (at {pointer[-1]})"
                parts.append(text)
            elif output.output_type == "stream":
                parts.append(f"[{output.name}] {output.text.strip()[:200]!r}")
        if grade_id:
            shown[grade_id] = "; ".join(parts)
    return shown


def verdicts(course: Course) -> dict[str, dict[str, str]]:
    """student -> grade_id -> "pass" (full marks), "fail" (0), "manual" (left to grade by
    hand), or the score given."""
    table = {}
    for student, notebooks in course.grades(ASSIGNMENT).items():
        table[student] = {}
        for grade_id, grade in notebooks.get(NOTEBOOK, {}).items():
            if grade.needs_manual_grade or grade.score is None:
                table[student][grade_id] = "manual" if grade.needs_manual_grade else "none"
            elif grade.score == grade.max_score:
                table[student][grade_id] = "pass"
            elif grade.score == 0:
                table[student][grade_id] = "fail"
            else:
                table[student][grade_id] = f"{grade.score}/{grade.max_score}"
    return table


def expected(idiom: Idiom, student: str) -> str:
    return "pass" if student == "right" or student in idiom.passes else "fail"


def report(graded: dict[str, dict], errors: dict[str, dict], idioms: list[Idiom],
           judged: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """One line per idiom: its verdicts under each grader (UPPER-CASE! where not as expected),
    and under it the cell's output on each submission graded other than expected, beside the
    other grader's output on the same submission. Only the graders in `judged` are held to the
    expected verdicts. Returns the lines and the names of the idioms not graded as expected."""
    lines, wrong = [], []
    width = max(len(i.name) for i in IDIOMS + DIFFERENCES)

    def output(grader, student, idiom):
        return errors[grader].get(student, {}).get(idiom.grade_id) or "(no output)"

    for idiom in idioms:
        cells, bad = [], []
        for grader in graded:
            got = {s: graded[grader].get(s, {}).get(idiom.grade_id, "missing") for s in STUDENTS}
            cells.append(f"{grader}: " + " ".join(
                f"{s}={v if v == expected(idiom, s) else v.upper() + '!'}" for s, v in got.items()))
            bad += [(grader, s) for s, v in got.items()
                    if v != expected(idiom, s) and grader in judged]
        lines.append(f"{'BAD ' if bad else 'ok  '}{idiom.name:<{width}}  " + " | ".join(cells))
        if bad:
            wrong.append(idiom.name)
        for grader, student in bad:
            lines.append(f"      {grader}/{student}: {output(grader, student, idiom)}")
            for other in graded:
                if other != grader and (other, student) not in bad:
                    lines.append(f"      {other}/{student} (as expected): "
                                 f"{output(other, student, idiom)}")
    return lines, wrong


def test_the_corpus_is_honest():
    """Enough idioms, unique grade ids, every wrong student answers every answer cell."""
    assert len(IDIOMS) >= 22
    everything = IDIOMS + DIFFERENCES
    assert len({i.grade_id for i in everything}) == len(everything)
    assert all(i.passes <= set(STUDENTS) - {"right"} for i in everything)
    assert all(any(s not in i.passes for s in STUDENTS if s != "right") for i in everything)
    for student in set(STUDENTS) - {"right"}:
        assert set(STUDENTS[student]) == set(SOLUTIONS)


@pytest.mark.slow
def test_every_idiom_gets_the_same_verdict_from_both_graders(tmp_path):
    started = time.monotonic()
    course = make_course(tmp_path / "course")
    course.release(ASSIGNMENT)
    for student, answers in STUDENTS.items():
        course.submit(student, ASSIGNMENT, NOTEBOOK, answers)
    courses = {"nbgrader": Course(shutil.copytree(course.root, tmp_path / "stock")),
               "calcgrade": Course(shutil.copytree(course.root, tmp_path / "trusted"))}
    prepared = time.monotonic()

    with ThreadPoolExecutor(2) as pool:  # the two copies at once (each its own subprocesses)
        stock = pool.submit(courses["nbgrader"].autograde, ASSIGNMENT)
        # Not checked: `calcgrade autograde` exits 1 when a test fails on the source solution
        # (it leaves that part to be graded by hand); what it graded is read back below.
        trusted = pool.submit(courses["calcgrade"].run, "calcgrade.cli", "autograde", ASSIGNMENT,
                              "--json", check=False)
        stock.result()
        trusted = trusted.result()
    graded_at = time.monotonic()

    graded = {g: verdicts(c) for g, c in courses.items()}
    errors = {g: {s: cell_errors(c, s) for s in STUDENTS} for g, c in courses.items()}
    # A test that fails on the source solution is reported by `calcgrade autograde` (the cell
    # itself then says the part waits for the instructor): show its message with the cell's.
    for cell, message in json.loads(trusted.stdout)["errors_of_tests"].items():
        grade_id = cell.removeprefix(f"{NOTEBOOK}/")
        for shown in errors["calcgrade"].values():
            shown[grade_id] = "; ".join(filter(None, [shown.get(grade_id),
                                                      f"calcgrade said: {message.strip()}"]))
    lines, wrong = report(graded, errors, IDIOMS, judged=("nbgrader", "calcgrade"))
    known, dishonest = report(graded, errors, DIFFERENCES, judged=("nbgrader",))
    print(f"\nprepared in {prepared - started:.1f} s, graded in {graded_at - prepared:.1f} s "
          f"(both graders at once)\n" + "\n".join(lines)
          + "\ndifferent by design (calcgrade not judged):\n" + "\n".join(known))
    told = "\n".join(line for line in (trusted.stdout + trusted.stderr).splitlines()
                     if "Attribute 'checksum'" not in line)  # nbgrader's, on hidden tests
    said = (f"\n`calcgrade autograde` exited {trusted.returncode}; it said:\n{told[-6000:]}"
            if trusted.returncode else "")
    assert set(graded["nbgrader"]) == set(STUDENTS) == set(graded["calcgrade"]), said
    assert not dishonest, ("idioms kept apart as differences by design are not honest nbgrader "
                           "tests (right should pass, wrong fail, under stock nbgrader):\n"
                           + "\n".join(known))
    assert not wrong, (f"{len(wrong)} of {len(IDIOMS)} idioms not graded as expected "
                       f"(expected: right=pass, wrong students=fail, under both graders; "
                       f"UPPER-CASE! marks a verdict not as expected): {', '.join(wrong)}\n"
                       + "\n".join(lines) + said)
