"""`calcgrade check ASSIGNMENT`, the instructor's pre-release check: it passes on a sound notebook
of the course, and it finds each kind of problem it is for (exit 1, one FAIL line each) without
touching the course's own gradebook.

The notebook is the course's gradient_exp (source, answer corpus and release) in an assignment of
its own, so the check grades its source solution only, not calculus's three others as well; and
a few cases of its corpus: the whole corpus of every notebook is graded by both graders, and
judged as the check judges it (`case_problems`), in test_corpus.py."""

import shutil

import nbformat
import pytest

from calcgrade.course.directory import Course
from grader_tests import REPO

pytestmark = pytest.mark.slow

ASSIGNMENT, NOTEBOOK = "week1", "gradient_exp"
SAMPLE = ("matrix_column", "power_rule_factor", "numeric_sign")


def _course_of_one_notebook(tmp_path) -> Course:
    """This repository's nbgrader_config.py and gradient_exp (source, answer corpus, committed
    release) alone in ASSIGNMENT: nbgrader generates the same release whatever the assignment's
    name."""
    course = Course(tmp_path / "course")
    for folder in ("source", "release"):
        (course.root / folder / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course.root)
    for name in (f"{NOTEBOOK}.ipynb", f"{NOTEBOOK}.corpus.py"):
        shutil.copy(REPO / "source" / "calculus" / name, course.root / "source" / ASSIGNMENT)
    shutil.copy(REPO / "release" / "calculus" / f"{NOTEBOOK}.ipynb",
                course.root / "release" / ASSIGNMENT)
    return course


def test_check_passes_on_a_sound_notebook(tmp_path):
    course = _course_of_one_notebook(tmp_path)
    corpus = course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.corpus.py"
    # Three of the corpus's cases: a right answer in another form and a mistake in each part
    # (their messages judged too); the source solution is the fourth.
    corpus.write_text(corpus.read_text()
                      + f"\nCASES = [c for c in CASES if c.name in {SAMPLE!r}]\n")
    result = course.run("calcgrade.cli", "check", ASSIGNMENT, "--notebook", NOTEBOOK,
                        "--grader", "calcgrade", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "all checks passed" in result.stdout
    assert f"ok    release/{ASSIGNMENT}/{NOTEBOOK}.ipynb is in sync" in result.stdout
    assert "expects loses test-grad-f; calcgrade: as expected" in result.stdout
    assert "answer corpus (4 cases, graded by calcgrade)" in result.stdout
    assert not (course.root / "gradebook.db").exists()


def test_check_finds_what_is_wrong(tmp_path):
    course = _course_of_one_notebook(tmp_path)
    path = course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, 4)
    for cell in nb.cells:  # the task text stops naming grad_f (and so the release is stale)
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("`grad_f(x)`", "a function")
    nbformat.write(nb, path)
    corpus = course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.corpus.py"
    # The corpus's own cases are graded by test_check_passes_on_a_sound_notebook; here three
    # cases with a wrong expectation each, and the source solution, are all it grades.
    corpus.write_text(corpus.read_text() + '''
CASES = [
    correct("wrong_called_right",
            gradient_exp_numeric="def grad_f(x):\\n    return np.array([6.0 * x[0], 5.0])"),
    mistake("right_called_wrong", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\\n"
                                 "    return np.array([6.0 * x[0], 5 * np.exp(x[1])])"),
    mistake("names_no_cell", "test-no-such-part", gradient_exp_numeric="grad_f = None"),
]
''')
    result = course.run("calcgrade.cli", "check", ASSIGNMENT, "--notebook", NOTEBOOK,
                        "--grader", "calcgrade", check=False)
    out = result.stdout
    assert result.returncode == 1, out[-3000:] + result.stderr[-2000:]
    assert f"FAIL  release/{ASSIGNMENT}/{NOTEBOOK}.ipynb is out of date" in out
    assert "FAIL  gradient_exp: test-grad-f reads grad_f from the student, but the task text " \
           "never names it" in out
    assert "wrong_called_right" in out and "NOT: test-grad-f lost points" in out
    assert "right_called_wrong" in out and "NOT: test-grad-f kept 2/2" in out
    assert "NOT: breaks names no test cell: test-no-such-part" in out
    assert "4 problems" in out or "5 problems" in out, out[-1500:]
    assert "FAIL  gradient_exp: source_solution" not in out
    assert not (course.root / "gradebook.db").exists()
