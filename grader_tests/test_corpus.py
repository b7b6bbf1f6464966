"""End to end: the real `nbgrader autograde`, in a real kernel, on the corpus of submissions.

Every notebook of the course (`source/ASSIGNMENT/NOTEBOOK.ipynb`) is graded against its
instructor's corpus (`source/ASSIGNMENT/NOTEBOOK.corpus.py`, see `calcgrade/corpus.py`): the
source solution gets full marks, each alternative correct form gets full marks, and each typical
mistake loses exactly the parts it breaks and keeps the others. A notebook without a corpus file
is skipped, with a reason.
"""

from pathlib import Path

import pytest

from calcgrade.corpus import corpus_path, load, source_solution
from calcgrade.course.check import case_problems

SOURCE = Path(__file__).resolve().parents[1] / "source"
NOTEBOOKS = sorted(p for p in SOURCE.glob("*/*.ipynb") if not p.parent.name.startswith("."))


@pytest.mark.parametrize("trusted", [False, True], ids=["nbgrader", "calcgrade"])
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_corpus_is_graded_as_expected(request, source, trusted):
    """Stock `nbgrader autograde` and `calcgrade autograde` agree with the corpus (and so with
    each other) on every part of every submission."""
    assignment, notebook = source.parent.name, source.stem
    corpus_file = corpus_path(source.parent, notebook)
    if not corpus_file.exists():
        pytest.skip(f"{assignment}/{notebook}.ipynb has no answer corpus yet "
                    f"(source/{assignment}/{corpus_file.name})")
    solution = source_solution(notebook)
    variants = [solution] + load(corpus_file)
    assert sum(not v.breaks for v in variants) >= 5 and sum(bool(v.breaks) for v in variants) >= 8
    course = request.getfixturevalue("course")  # released only for a notebook with a corpus
    for variant in variants:
        course.submit(variant.student, assignment, notebook, variant.answers)
    course.autograde(assignment, trusted=trusted)
    grades = course.grades(assignment)

    problems = [f"{variant.name}: {problem}" for variant in variants
                for problem in case_problems(course, assignment, variant, grades)]
    written = [c for c, g in grades[solution.student][notebook].items() if g.needs_manual_grade]
    assert written == (["gradient-norm-at-zero"] if notebook == "gradient_norm" else [])
    assert not problems, "\n".join(problems)
