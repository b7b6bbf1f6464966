"""A class of any size for the report's tests, written without grading anything: the gradebook
with nbgrader's own API (assignment, notebooks, grade cells, students, submissions, scores set
as `nbgrader autograde` and a grader in formgrader set them) and, for each submission, a minimal
autograded notebook holding what the report reads (the answer cells' text and the test cells'
error outputs). The calculus assignment's parts, points and layout are read from source/.

The mix, drawn from a seeded generator: each student has an ability; a part is right with a
probability rising with it (a logistic item model), else a typical mistake of that part (with
random decimals in its message, as checkers print their inputs), or, for the weaker students, an
answer cell left as released (the stub: "not defined yet"). Three parts are special:
`EVERYONE_RIGHT` (no spread), `COIN_FLIP` (right at random, unrelated to ability: it cannot
discriminate) and `HAND_GRADED` (the written answer: pending for all but `HAND_GRADED_DONE`).

With `variants`, the course has per-student variants on (`c.Variants.enabled = True` appended to
its nbgrader_config.py; the tangent notebook declares a and c). Every class has a course secret
made from the seed, so that who gets (or would get) which variant is the same on every run.
`forced` decides chosen parts for chosen students (full marks or a mistake, the answer written),
e.g. from the student's variant (`variants.of_student`): a part unfair to one variant.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from calcgrade.course.directory import Course
from calcgrade.course.report import _NUMBER
from calcgrade.grading.seeds import SECRET_FILE
from grader_tests import REPO

ASSIGNMENT = "calculus"
# The order the notebooks are taught in (D2L 2.4): not their names' order.
TAUGHT = ["tangent", "gradient_exp", "gradient_norm", "chain_rule"]
EVERYONE_RIGHT = ("tangent", "test-f")
COIN_FLIP = ("chain_rule", "test-du-db")
HAND_GRADED = ("gradient_norm", "gradient-norm-at-zero")
HAND_GRADED_DONE = 40  # students whose written answer a grader has scored
NOT_DEFINED = ("`{name}` is not defined yet: write it in the answer cell above (replacing "
               "`raise NotImplementedError()`) and run that cell")
MISTAKES = [  # messages of typical mistakes, with the random inputs a checker would print
    "{part}: wrong at x = {x}: check the sign of the derivative of -1/x",
    "{part}: returns a list, expected a numpy array of shape (3,)",
    "{part}: the term for component 2 is missing (value at x = {x} is {y})",
]


@dataclass
class Cell:
    notebook: str
    grade_id: str
    points: float | None  # graded cells only
    cell_type: str
    solution: bool
    answers: tuple[str, ...]  # the answer cells a test cell checks (its own for a written answer)


def layout(course_root: Path = REPO) -> dict[str, list[Cell]]:
    """notebook -> its nbgrader cells in order, from the course's source/."""
    notebooks = {}
    for path in sorted((course_root / "source" / ASSIGNMENT).glob("*.ipynb")):
        cells, group, previous = [], [], False
        for c in json.loads(path.read_text())["cells"]:
            meta = c["metadata"].get("nbgrader", {})
            if not meta:
                continue
            if meta.get("solution"):
                group = group + [meta["grade_id"]] if previous else [meta["grade_id"]]
            previous = bool(meta.get("solution"))
            own = (meta["grade_id"],) if meta.get("solution") else tuple(group)
            cells.append(Cell(path.stem, meta["grade_id"], meta.get("points"), c["cell_type"],
                              bool(meta.get("solution")), own if meta.get("grade") else ()))
        notebooks[path.stem] = cells
    return notebooks


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


Forced = Callable[[str, str, str], "bool | None"]  # (student, notebook, grade id) -> right?


def write_class(root: Path, students: int, seed: int = 13, taught_order: bool = True,
                variants: bool = False, forced: Forced | None = None,
                ) -> tuple[Course, dict[tuple[str, str], Counter]]:
    """A course at `root` (source/, release/ and nbgrader_config.py of this repository, the
    latter naming the taught notebook order if `taught_order`, and turning variants on if
    `variants`) with `students` graded students. `forced(student, notebook, grade_id)`, when
    given, says whether an auto-graded part is right (full marks) or a mistake for a student,
    None leaving it to the draw; the answers a forced part checks are written, not blank.
    Returns the course and, per part (notebook, grade id), how many students got each outcome
    ("full", "partial", "mistake", "not attempted", "pending") and each mistake's message (with
    its decimals as the report groups them, '#')."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    course = Course.copy_of(root, REPO)
    shutil.copytree(REPO / "release" / ASSIGNMENT, root / "release" / ASSIGNMENT)
    if taught_order:
        with open(root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CalcgradeReport.notebook_order = {{'{ASSIGNMENT}': {TAUGHT!r}}}\n")
    if variants:
        with open(root / "nbgrader_config.py", "a") as config:
            config.write("\nc.Variants.enabled = True\n")
    (root / SECRET_FILE).write_text(f"report-class-secret-{seed}\n")  # the same variants each run
    notebooks = layout(root)
    rng = random.Random(seed)
    truth: dict[tuple[str, str], Counter] = {}
    graded = [c for cells in notebooks.values() for c in cells if c.points is not None]
    hardness = {(c.notebook, c.grade_id): rng.uniform(-2.0, 1.0) for c in graded}
    from nbgrader.api import Grade, Gradebook, Student, SubmittedAssignment, SubmittedNotebook

    with Gradebook(course.db_url) as gb:
        assignment = gb.add_assignment(ASSIGNMENT)
        for notebook in notebooks:
            gb.add_notebook(notebook, ASSIGNMENT)
        for c in graded:
            gb.add_grade_cell(c.grade_id, c.notebook, ASSIGNMENT, max_score=c.points,
                              cell_type=c.cell_type)
        # What Gradebook.add_student and add_submission do (the same ORM objects), in one
        # transaction: they commit each, and 300 commits take half a minute.
        grade_cells = {nb.name: (nb, list(nb.grade_cells)) for nb in assignment.notebooks}
        for k in range(students):
            student = f"s{k:03d}"
            ability = rng.gauss(0.0, 1.0)
            submission = SubmittedAssignment(assignment=assignment, student=Student(id=student))
            for notebook_name, (stored, cell_rows) in grade_cells.items():
                notebook = SubmittedNotebook(notebook=stored, assignment=submission)
                for row in cell_rows:
                    Grade(cell=row, notebook=notebook)
                cells = notebooks[notebook_name]
                skipped = {c.grade_id for c in cells if c.solution and not c.points
                           and rng.random() < (0.25 if ability < -1 else 0.02)}
                verdicts = {c.grade_id: forced(student, c.notebook, c.grade_id) for c in cells
                            if forced and c.points is not None and not c.solution}
                for c in cells:  # a forced part's answers are written
                    if verdicts.get(c.grade_id) is not None:
                        skipped -= set(c.answers)
                by_cell = {c.grade_id: c for c in cells}
                written = {}  # grade_id -> (score, needs manual grade, error message)
                for cell in cells:
                    if cell.points is None:
                        continue
                    key = (cell.notebook, cell.grade_id)
                    blank = all(a in skipped for a in cell.answers)
                    if key == HAND_GRADED:
                        blank = rng.random() < (0.3 if ability < -1 else 0.03)
                        if blank:  # nbgrader scores an unchanged written answer 0 itself
                            skipped.add(cell.grade_id)
                            written[cell.grade_id] = (0.0, False, None)
                        elif k < HAND_GRADED_DONE:
                            written[cell.grade_id] = (float(rng.choice([0, 1, 2, 2])), False, None)
                        else:
                            written[cell.grade_id] = (None, True, None)
                        continue
                    if key == EVERYONE_RIGHT:  # even for a blank: a part nobody can miss
                        written[cell.grade_id] = (float(cell.points), False, None)
                        continue
                    if blank:
                        name = by_cell[cell.answers[0]].grade_id.replace("-", "_")
                        written[cell.grade_id] = (0.0, False, NOT_DEFINED.format(name=name))
                        continue
                    if verdicts.get(cell.grade_id) is not None:
                        right = bool(verdicts[cell.grade_id])
                    elif key == COIN_FLIP:
                        right = rng.random() < 0.6
                    else:
                        right = rng.random() < _sigmoid(1.8 * ability - hardness[key])
                    if right:
                        written[cell.grade_id] = (float(cell.points), False, None)
                    elif cell.points > 1 and rng.random() < 0.3 \
                            and verdicts.get(cell.grade_id) is None:  # partial credit, no message
                        written[cell.grade_id] = (cell.points / 2, False, None)
                    else:
                        template = rng.choices(MISTAKES, weights=[6, 3, 1])[0]
                        message = template.format(part=cell.grade_id.removeprefix("test-"),
                                                  x=round(rng.uniform(-3, 3), 3),
                                                  y=round(rng.uniform(-9, 9), 4))
                        written[cell.grade_id] = (0.0, False, message)
                for name, (score, manual, message) in written.items():
                    key = (stored.name, name)
                    top = next(c.points for c in cells if c.grade_id == name)
                    outcome = ("pending" if manual else "not attempted" if name in skipped or (
                        message or "").endswith("and run that cell") else "full"
                        if score >= top else "partial" if score > 0 else "mistake")
                    counts = truth.setdefault(key, Counter())
                    counts[outcome] += 1
                    if outcome == "mistake" and message:
                        counts[_NUMBER.sub("#", message)] += 1
                for grade in notebook.grades:
                    name = grade.cell.name
                    score, manual, _ = written[name]
                    if name == HAND_GRADED[1] and name not in skipped:
                        grade.manual_score = score  # None while it waits for the grader
                    else:
                        grade.auto_score = score
                    grade.needs_manual_grade = manual
                _autograded(root, student, cells, written, skipped)
            gb.db.add(submission)
        gb.db.commit()
    return course, truth


def _autograded(root: Path, student: str, cells: list[Cell], written: dict, skipped: set) -> None:
    """The autograded notebook of one submission, as much of it as the report reads."""
    out = []
    for cell in cells:
        meta = {"grade": cell.points is not None, "grade_id": cell.grade_id,
                "locked": not cell.solution, "schema_version": 3, "solution": cell.solution}
        if cell.points is not None:
            meta["points"] = cell.points
        if cell.cell_type == "markdown":
            text = "YOUR ANSWER HERE" if cell.grade_id in skipped else "The norm is not smooth."
            out.append({"cell_type": "markdown", "id": cell.grade_id,
                        "metadata": {"nbgrader": meta}, "source": text})
            continue
        outputs = []
        message = written.get(cell.grade_id, (None, None, None))[2]
        if message:
            outputs.append({"output_type": "error", "ename": "CheckFailed",
                            "evalue": message, "traceback": [f"\u2717 {message}"]})
        if cell.solution:
            source = ("# YOUR CODE HERE\nraise NotImplementedError()" if cell.grade_id in skipped
                      else f"{cell.grade_id.replace('-', '_')} = 1  # the student's answer")
        else:
            source = f"# test cell {cell.grade_id}"
        out.append({"cell_type": "code", "execution_count": None, "id": cell.grade_id,
                    "metadata": {"nbgrader": meta}, "outputs": outputs, "source": source})
    path = root / "autograded" / student / ASSIGNMENT / f"{cells[0].notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": out, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))


class GivenGrades(Course):
    """A course whose gradebook is given as a table (`Course.grades`' shape); the rest
    (source/, release/, autograded/) is read from disk under `root`."""

    def __init__(self, root, table):
        super().__init__(root)
        self.table = table

    def grades(self, assignment):
        return self.table
