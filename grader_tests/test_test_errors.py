"""An error of the test is the instructor's, never the student's: a hidden test that fails on the
source solution is reported by `calcgrade autograde` (non-zero exit), its part is left to be
graded by hand for every student, and the class report does not count it as a mistake."""

import json
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from calcgrade.course.directory import Course

pytestmark = pytest.mark.slow

ASSIGNMENT, NOTEBOOK = "calculus", "gradient_exp"
# The instructor's leftover: it would end a grading process that let SystemExit through.
BROKEN = "\nimport sys\nsys.exit(0)\n"
# Nested scopes over a student's name: fine under nbgrader, and so here (no error of the test).
NESTED = "\nassert all(abs(grad_f(p)[0] - 6 * p[0]) < 1e-9 for p in ([1.0, 2.0], [0.5, 0.0]))\n"


def _break_source(course: Course) -> None:
    path = course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ("test-grad-f-expr", "test-grad-f"):
            extra = BROKEN if grade_id == "test-grad-f-expr" else NESTED
            end = "### END HIDDEN TESTS"
            cell.source = cell.source.replace(end, extra + end)
    nbformat.write(nb, path)
    course.release(ASSIGNMENT)


def test_an_error_of_the_test_is_reported_and_not_charged(course, tmp_path):
    _break_source(course)
    course.submit("alice", ASSIGNMENT, NOTEBOOK)
    course.submit("bob", ASSIGNMENT, NOTEBOOK, {"gradient-exp-numeric": "def grad_f(x):\n"
                                                "    return np.array([6.0 * x[0], 5.0])"})
    stock = Course(tmp_path / "stock")
    shutil.copytree(course.root, stock.root)

    result = course.run("calcgrade.cli", "autograde", ASSIGNMENT, "--json", check=False)
    assert result.returncode != 0
    run = json.loads(result.stdout)  # the run's summary, as programs read it
    assert set(run["errors_of_tests"]) == {f"{NOTEBOOK}/test-grad-f-expr"}
    assert run["errors_of_tests"][f"{NOTEBOOK}/test-grad-f-expr"].startswith("SystemExit")
    assert sorted(run["graded"]) == ["alice", "bob"] and run["problems"] == 1
    assert run["parts_failed"] == {f"{NOTEBOOK}:test-grad-f": 1}  # bob's; the excused part none
    assert (f"ERROR OF THE TEST {ASSIGNMENT}/{NOTEBOOK}/test-grad-f-expr: SystemExit"
            in result.stderr), result.stderr[-3000:]
    assert "2 students' part left for you to grade by hand" in result.stderr
    grades = course.grades(ASSIGNMENT)
    with Gradebook(course.db_url) as gb:
        for student in ("alice", "bob"):
            assert grades[student][NOTEBOOK]["test-grad-f-expr"].needs_manual_grade
            grade = gb.find_grade("test-grad-f-expr", NOTEBOOK, ASSIGNMENT, student)
            assert grade.auto_score is None and grade.manual_score is None  # no verdict yet
    assert grades["alice"][NOTEBOOK]["test-grad-f"].score == 2  # the nested-scope test is fine
    assert grades["bob"][NOTEBOOK]["test-grad-f"].score == 0
    feedback = json.loads((course.root / "autograded" / "alice" / ASSIGNMENT
                           / f"{NOTEBOOK}.ipynb").read_text())
    shown = [c for c in feedback["cells"]
             if c["metadata"].get("nbgrader", {}).get("grade_id") == "test-grad-f-expr"]
    assert "waiting for your instructor" in json.dumps(shown[0]["outputs"])
    report = course.run("calcgrade.cli", "report", ASSIGNMENT).stdout
    assert "SystemExit" not in report

    # Control: stock nbgrader charges both students for the instructor's mistake.
    stock.autograde(ASSIGNMENT)
    charged = stock.grades(ASSIGNMENT)
    assert charged["alice"][NOTEBOOK]["test-grad-f-expr"].score == 0
    assert not charged["alice"][NOTEBOOK]["test-grad-f-expr"].needs_manual_grade
    assert charged["alice"][NOTEBOOK]["test-grad-f"].score == 2
