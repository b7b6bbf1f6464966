"""End to end: the real `nbgrader autograde`, in a real kernel, on the corpus of submissions.

For each notebook: the source solution gets full marks, each alternative correct form gets full
marks, and each typical mistake loses exactly the parts it breaks and keeps the others.
"""

import json

import pytest

from calcgrade.course import ASSIGNMENTS
from grader_tests import corpus

NOTEBOOKS = [nb for notebooks in ASSIGNMENTS.values() for nb in notebooks]


def _failure_text(course, variant, cell_id):
    """What the autograded test cell printed, to show in an assertion message."""
    path = (course.root / "autograded" / variant.student / corpus.ASSIGNMENT_OF[variant.notebook]
            / f"{variant.notebook}.ipynb")
    for cell in json.loads(path.read_text())["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
            return " | ".join(o.get("evalue", "") or "".join(o.get("text", ""))
                              for o in cell.get("outputs", []))[:300]
    return "(cell not found)"


@pytest.mark.parametrize("trusted", [False, True], ids=["nbgrader", "calcgrade"])
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_corpus_is_graded_as_expected(course, notebook, trusted):
    """Stock `nbgrader autograde` and `calcgrade autograde` agree with the corpus (and so with
    each other) on every part of every submission."""
    assignment = corpus.ASSIGNMENT_OF[notebook]
    solution = corpus.Variant(notebook, "source_solution", {})
    variants = [solution] + [v for v in corpus.ALL if v.notebook == notebook]
    assert sum(not v.breaks for v in variants) >= 5 and sum(bool(v.breaks) for v in variants) >= 8
    for variant in variants:
        course.submit(variant.student, assignment, notebook, variant.answers)
    course.autograde(assignment, trusted=trusted)
    grades = course.grades(assignment)

    problems = []
    for variant in variants:
        cells = grades[variant.student][notebook]
        assert variant.breaks <= set(cells), f"{variant.name} names unknown cells"
        for cell_id, grade in cells.items():
            if grade.needs_manual_grade:  # a written answer, left to the instructor
                continue
            if cell_id in variant.breaks and grade.score != 0:
                problems.append(f"{variant.name}: {cell_id} should lose its points, "
                                f"got {grade.score}/{grade.max_score}")
            if cell_id not in variant.breaks and grade.score != grade.max_score:
                problems.append(f"{variant.name}: {cell_id} should keep its points, got "
                                f"{grade.score}/{grade.max_score}: "
                                f"{_failure_text(course, variant, cell_id)}")
    written = [c for c, g in grades[solution.student][notebook].items() if g.needs_manual_grade]
    assert written == (["gradient-norm-at-zero"] if notebook == "gradient_norm" else [])
    assert not problems, "\n".join(problems)
