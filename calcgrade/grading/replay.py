"""`calcgrade replay ASSIGNMENT STUDENT PART`: rerun one part's check as it was graded, and show
the instructor what it asked the student's code (never shown to students).

The student's autograded notebook (their cells, the official tests) runs again in the sandbox
with the part's recorded seed, so the check draws the same random inputs; every name the part
read from the student and every call of their functions, with its arguments and result, is
printed, then the verdict now and the verdict recorded.
"""

from __future__ import annotations

import contextlib

import nbformat
from traitlets.config import Config

from calcgrade.course.directory import Course
from calcgrade.grading import seeds
from calcgrade.grading.execute import MarkFixtures, TrustedExecute


def _verdict(cell) -> str:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return "passed"
    return f"failed: {errors[0].get('ename', '')}: {errors[0].get('evalue', '')}"[:500]


def find_part(course: Course, assignment: str, student: str, part: str):
    """(notebook name, notebook, cell index) of the test cell `part` (or `test-PART`) in the
    student's autograded notebooks."""
    folder = course.root / "autograded" / student / assignment
    if not folder.is_dir():
        raise SystemExit(f"calcgrade replay: {student} has no autograded {assignment} "
                         f"(run calcgrade autograde first)")
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in (part, f"test-{part}") and cell.metadata.get("nbgrader", {}).get(
                    "grade"):
                return path.stem, nb, index
    raise SystemExit(f"calcgrade replay: no graded part {part!r} in {folder}")


def replay(course: Course, assignment: str, student: str, part: str, *,
           sandbox: bool = True) -> str:
    notebook, nb, index = find_part(course, assignment, student, part)
    recorded = nb.cells[index]
    grade_id = recorded.metadata["nbgrader"]["grade_id"]
    recorded_seed = recorded.metadata.get("calcgrade", {}).get("seed")
    verdict_before = _verdict(recorded)
    folder = course.root / "autograded" / student / assignment
    resources = {"nbgrader": {"assignment": assignment, "notebook": notebook,
                              "student": student, "db_url": course.db_url},
                 "metadata": {"path": str(folder)}}
    config = Config({"TrustedExecute": {"sandbox": sandbox, "replay_part": grade_id,
                                        "seed_secret": seeds.course_secret(course.root)}})
    with contextlib.chdir(course.root):
        nb, resources = MarkFixtures().preprocess(nb, resources)
        executor = TrustedExecute(config=config)
        nb, resources = executor.preprocess(nb, resources)
    seed = nb.cells[index].metadata.get("calcgrade", {}).get("seed")
    lines = [f"{assignment} / {notebook} / {grade_id}, student {student}",
             f"seed {seed}" + ("" if recorded_seed in (None, seed) else
                               f" (the grading recorded {recorded_seed}: the course's secret "
                               "changed since, so the inputs differ)"),
             "what the check asked the student's code:"]
    lines += [f"  {line}" for line in (executor.journal or ["(nothing)"])]
    lines.append(f"verdict now:      {_verdict(nb.cells[index])}")
    lines.append(f"verdict recorded: {verdict_before}")
    return "\n".join(lines)
