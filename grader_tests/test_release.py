"""release/ is what students get: generated from source/ by nbgrader, in sync, with no solution
and no hidden test, and its self-checks help without a traceback into calcgrade."""

import json
import re
from pathlib import Path

import pytest

from calcgrade.course.directory import Course
from grader_tests import REPO

NOTEBOOKS = [(a, nb) for a in Course(REPO).assignments() for nb in Course(REPO).notebooks(a)]
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _secret_lines(assignment, notebook):
    """Every substantial line inside the source's solution and hidden-test regions that is not
    also outside them (`import calcgrade as cg` is in the parameters cell students see too)."""
    lines, public = set(), set()
    for cell in _cells(REPO / "source" / assignment / f"{notebook}.ipynb"):
        source = "".join(cell["source"])
        for _, region in REGION.findall(source):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) > 12}
        public |= {line.strip() for line in REGION.sub("", source).splitlines()}
    return lines - public


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS)
def test_release_holds_no_solution_and_no_hidden_test(assignment, notebook):
    released = "\n".join("".join(c["source"]) for c in
                         _cells(REPO / "release" / assignment / f"{notebook}.ipynb"))
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
    secrets = _secret_lines(assignment, notebook)
    assert secrets, "the source notebook should have solution and hidden-test regions"
    leaked = [line for line in secrets if line in released]
    assert not leaked, f"release/{assignment}/{notebook} shows: {leaked[:3]}"


def test_regenerating_release_from_source_reproduces_it(course):
    for assignment, notebook in NOTEBOOKS:
        fresh = json.loads((course.root / "release" / assignment / f"{notebook}.ipynb").read_text())
        committed = json.loads((REPO / "release" / assignment / f"{notebook}.ipynb").read_text())
        assert fresh == committed, f"release/{assignment}/{notebook} is out of date: run " \
                                   "`calcgrade release`"


# What `nbgrader validate` prints first for each notebook it is given (Validator's messages).
VERDICT = re.compile(r"^(?=VALIDATION FAILED ON |Success! |THE CONTENTS OF |THE TYPES OF |"
                     r"NOTEBOOK PASSED ON )", re.MULTILINE)


def _validate(course: Course, paths: list[Path]) -> list[str]:
    """One `nbgrader validate` of `paths`, file after file as a student's glob runs it: what it
    printed for each, in order."""
    out = course.nbgrader("validate", *map(str, paths)).stdout
    printed = [part for part in VERDICT.split(out) if part.strip()]
    assert len(printed) == len(paths), out[-3000:]
    return printed


def test_nbgrader_validate_helps_before_and_passes_after(course):
    """Every released notebook, blank then filled with the source's answers, through two runs
    of nbgrader's ValidateApp (its start-up paid twice, not twice per notebook)."""
    blank = _validate(course, [course.root / "release" / a / f"{nb}.ipynb" for a, nb in NOTEBOOKS])
    filled = _validate(course, [course.submit("someone", a, nb) for a, nb in NOTEBOOKS])
    problems = []
    for (assignment, notebook), before, after in zip(NOTEBOOKS, blank, filled):
        name = f"{assignment}/{notebook}"
        if not before.startswith("VALIDATION FAILED"):
            problems.append(f"{name}, blank: {before[:2000]}")
        if "\u2717" not in before:
            problems.append(f"{name}: self-checks should fail with their own message")
        if "Traceback" in before or "calcgrade/" in before:
            problems.append(f"{name}, blank: a traceback into calcgrade: {before[:2000]}")
        if not after.startswith("Success! Your notebook passes all the tests."):
            problems.append(f"{name}, filled: {after[-2000:]}")
    assert not problems, "\n".join(problems)


def test_released_notebooks_run_top_to_bottom_once_answered(course):
    """Executing the filled release with nbclient raises nowhere (not only in test cells)."""
    import nbclient
    import nbformat

    for assignment, notebook in NOTEBOOKS:
        path = course.submit("runner", assignment, notebook)
        nb = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert not errors, f"{notebook}: {errors[0]['ename']}: {errors[0]['evalue']}"
