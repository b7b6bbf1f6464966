"""End to end: the real `nbgrader autograde`, in a real kernel, on the corpus of submissions.

Every notebook of the course (`source/ASSIGNMENT/NOTEBOOK.ipynb`) is graded against its
instructor's corpus (`source/ASSIGNMENT/NOTEBOOK.corpus.py`, see `calcgrade/corpus.py`): the
source solution gets full marks, each alternative correct form gets full marks, and each typical
mistake loses exactly the parts it breaks and keeps the others. A notebook without a corpus file
is skipped, with a reason.

The cases of all the notebooks of one assignment are graded together, each case a student of
its own (`NOTEBOOK__CASE`), in two copies of the released course at once: one by stock
`nbgrader autograde`, one by `calcgrade autograde` (one run of each grader per assignment, not
one per notebook). Every notebook's cases are then judged in both real gradebooks, and a failure
names the grader, the notebook and the case.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from calcgrade.corpus import Case, corpus_path, load, source_solution
from calcgrade.course.check import case_problems
from calcgrade.course.directory import Course

SOURCE = Path(__file__).resolve().parents[1] / "source"
NOTEBOOKS = sorted(p for p in SOURCE.glob("*/*.ipynb") if not p.parent.name.startswith("."))
# The assignments, the one with the most notebooks first (its test is the longest: under xdist
# it starts early instead of being the last one left running).
ASSIGNMENTS = sorted({p.parent.name for p in NOTEBOOKS},
                     key=lambda a: (-sum(p.parent.name == a for p in NOTEBOOKS), a))
GRADERS = ("nbgrader", "calcgrade")


def _cases(source: Path) -> list[Case] | None:
    """The source solution, then the corpus, of the notebook at `source` (None: no corpus)."""
    corpus_file = corpus_path(source.parent, source.stem)
    if not corpus_file.exists():
        return None
    return [source_solution(source.stem)] + load(corpus_file)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_corpus_has_right_answers_and_mistakes(source):
    """Each notebook has a corpus (else it is skipped, with a reason) of at least 5 right answers
    (the source solution among them) and 8 mistakes; the test below grades it."""
    variants = _cases(source)
    if variants is None:
        pytest.skip(f"{source.parent.name}/{source.name} has no answer corpus yet "
                    f"(source/{source.parent.name}/{corpus_path(source.parent, source.stem).name})")
    assert sum(not v.breaks for v in variants) >= 5 and sum(bool(v.breaks) for v in variants) >= 8


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_corpus_is_graded_as_expected(request, tmp_path, assignment):
    """Stock `nbgrader autograde` and `calcgrade autograde` agree with the corpus (and so with
    each other) on every part of every submission of every notebook of `assignment`."""
    corpora = {p.stem: cases for p in NOTEBOOKS if p.parent.name == assignment
               for cases in [_cases(p)] if cases is not None}
    if not corpora:
        pytest.skip(f"no notebook of {assignment} has an answer corpus yet")
    released = request.getfixturevalue("released_course")  # only for an assignment with a corpus
    courses = {grader: Course(shutil.copytree(released.root, tmp_path / grader))
               for grader in GRADERS}
    for course in courses.values():
        for variants in corpora.values():
            for variant in variants:
                course.submit(variant.student, assignment, variant.notebook, variant.answers)
    with ThreadPoolExecutor(len(GRADERS)) as pool:  # both graders at once
        runs = [pool.submit(courses[grader].autograde, assignment,
                            trusted=grader == "calcgrade") for grader in GRADERS]
        for run in runs:
            run.result()

    problems, written = [], {}
    for grader, course in courses.items():
        grades = course.grades(assignment)
        for notebook, variants in corpora.items():
            problems += [f"{grader}: {notebook}: {variant.name}: {problem}" for variant in variants
                         for problem in case_problems(course, assignment, variant, grades)]
            solution = variants[0]
            written[grader, notebook] = [c for c, g in grades[solution.student][notebook].items()
                                         if g.needs_manual_grade]
    assert written == {(grader, notebook): (["gradient-norm-at-zero"]
                                            if notebook == "gradient_norm" else [])
                       for grader in GRADERS for notebook in corpora}
    assert not problems, "\n".join(problems)
