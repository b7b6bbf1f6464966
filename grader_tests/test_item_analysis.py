"""The report's numbers on classes small enough to check by hand: item analysis (difficulty and
discrimination, zero-variance and anti-correlated parts), the parts' order, pending hand-graded
parts and students who did not attempt a part. The last tests read a gradebook written with
nbgrader's own API (`grader_tests/report_class.py`), without grading anything. Fisher's exact
test and the variants' flags (issue 12) are checked against published values and, by simulation,
for their family-wise error rate; the report on a class with variants is
`test_variant_fairness.py`'s."""

import json
import math
import random
from collections import Counter

import pytest

from calcgrade.course.directory import Grade
from calcgrade.course.items import (
    ALPHA,
    MIN_STUDENTS,
    MIN_VARIANT_STUDENTS,
    THRESHOLD,
    analyse,
    fisher_exact,
    pearson,
    variant_fairness,
)
from calcgrade.course.report import Part, collect, format_report, part_order
from grader_tests.report_class import GivenGrades

STUDENTS = ["a", "b", "c", "d", "e"]


def _column(values):
    return dict(zip(STUDENTS, values))


def test_pearson_known_values_and_no_spread():
    assert pearson([1, 0, 1, 0], [3, 2, 1, 0]) == pytest.approx(1 / math.sqrt(5))
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [6, 4, 2]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None  # no spread: r is undefined
    assert pearson([1, 2, 3], [5, 5, 5]) is None
    assert pearson([1], [2]) is None


def test_item_analysis_everyone_right_tracks_the_total_and_anti_correlated():
    everyone = _column([1, 1, 1, 1, 1])  # max 1: no spread
    tracks = _column([0, 0.5, 1, 1.5, 2])  # max 2
    twin = _column([0, 0.5, 1, 1.5, 2])  # max 2, same as `tracks`
    anti = _column([2, 1.75, 1.5, 1.25, 1])  # max 2: the better elsewhere, the worse here
    items = analyse([everyone, tracks, twin, anti], [1, 2, 2, 2])
    e, t, w, a = items

    assert e.difficulty == 1.0 and e.discrimination is None and e.students == 5
    assert e.flagged and e.flag == "no spread: every student scored full marks"
    # rest of `tracks` = 1 + x + (2 - x/2) = 3 + x/2: a straight line in x, r = 1.
    assert t.difficulty == pytest.approx(0.5) and t.discrimination == pytest.approx(1.0)
    assert not t.flagged and not w.flagged
    # rest of `anti` = 1 + 2x while anti = 2 - x/2: r = -1, flagged, and said to be negative.
    assert a.difficulty == pytest.approx(0.75) and a.discrimination == pytest.approx(-1.0)
    assert a.flagged and a.flag.startswith("r = -1.00 < 0.2") and "check the test" in a.flag


def test_item_analysis_known_correlation_and_threshold():
    x = dict(zip("abcd", [1, 0, 1, 0]))
    y = dict(zip("abcd", [3, 2, 1, 0]))
    ix, iy = analyse([x, y], [1, 3])
    # With two parts, each part's rest is the other part: r = 1 / sqrt(5) = 0.447 both ways.
    assert ix.discrimination == pytest.approx(0.4472, abs=1e-4) == iy.discrimination
    assert ix.difficulty == 0.5 and iy.difficulty == 0.5
    assert not ix.flagged and THRESHOLD == 0.2
    # A weak but positive r is still flagged below the threshold.
    z = dict(zip("abcdef", [1, 0, 0, 1, 1, 0]))
    rest = dict(zip("abcdef", [5, 4, 3, 2, 1, 0]))
    iz, _ = analyse([z, rest], [1, 5])
    assert 0 < iz.discrimination < THRESHOLD and iz.flag.startswith(f"r = {iz.discrimination:.2f}")
    assert "does not tell stronger students from weaker" in iz.flag


def test_item_analysis_pending_and_too_few_students():
    graded = _column([1, 0, 1, 0, 1])
    # Only two of five graded so far (the others pending): too few for r, nothing flagged.
    partly = {"a": 2.0, "b": 0.0}
    nobody = {}
    items = analyse([graded, partly, nobody], [1, 2, 2])
    assert items[1].students == 2 < MIN_STUDENTS
    assert items[1].difficulty == 0.5 and items[1].discrimination is None
    assert not items[1].flagged
    assert items[2].students == 0 and items[2].difficulty is None and not items[2].flagged
    # The rest of a single scored part has no spread: r undefined, and it is not the part's fault.
    only = analyse([_column([1, 0, 1, 0, 1])], [1])[0]
    assert only.discrimination is None and not only.flagged


# -- the report on a class given by its grades ---------------------------------------------------
def _notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))


def _code(grade_id, source="", error=None, solution=False, grade=True, ename="CheckFailed"):
    outputs = [{"output_type": "error", "ename": ename, "evalue": error, "traceback": []}] \
        if error is not None else []
    return {"cell_type": "code", "id": grade_id, "source": source, "outputs": outputs,
            "execution_count": None, "metadata": {
        "nbgrader": {"grade_id": grade_id, "grade": grade, "solution": solution}}}


def test_parts_in_source_order_then_configured_notebook_order(tmp_path):
    # Grade cells as the gradebook returns them: notebooks by name, cells in any order.
    table = {"s": {"alpha": {"test-z": Grade(1, 1, False), "test-a": Grade(1, 1, False)},
                   "beta": {"test-m": Grade(1, 1, False), "test-b": Grade(1, 1, False)}}}
    for notebook, ids in {"alpha": ["test-z", "test-a"], "beta": ["test-m", "test-b"]}.items():
        _notebook(tmp_path / "source" / "hw" / f"{notebook}.ipynb",
                  [_code(i, grade=True) for i in ids])
    course = GivenGrades(tmp_path, table)
    # Without an order in nbgrader_config.py: nbgrader's (by name), cells as in source/.
    assert part_order(course, "hw", table) == [
        ("alpha", "test-z"), ("alpha", "test-a"), ("beta", "test-m"), ("beta", "test-b")]
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CalcgradeReport.notebook_order = {'hw': ['beta']}\n")
    assert part_order(course, "hw", table) == [
        ("beta", "test-m"), ("beta", "test-b"), ("alpha", "test-z"), ("alpha", "test-a")]
    parts, _ = collect(course, "hw")
    assert [p.name for p in parts] == ["beta:m", "beta:b", "alpha:z", "alpha:a"]


def test_pending_and_not_attempted_are_counted_apart_from_mistakes(tmp_path):
    """Four students: right; a mistake; the stub left as released (its message kept out of the
    mistakes); a NotImplementedError reaching the test from an answer begun but not finished.
    The written answer is graded for one, left unchanged by another (nbgrader scores it 0
    itself: not attempted), pending for two."""
    stub = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    _notebook(tmp_path / "release" / "hw" / "nb.ipynb",
              [_code("answer-f", stub, solution=True, grade=False)])
    answers = {"right": "def f(x): return 2*x", "wrong": "def f(x): return x",
               "blank": stub, "raises": "def f(x):\n    y = 2 * x\n    raise NotImplementedError()"}
    errors = {"right": None, "wrong": "f: wrong at x = 0.5",
              "blank": "`f` is not defined yet: write it in the answer cell above",
              "raises": ""}
    written = {"right": "my proof", "wrong": "YOUR ANSWER HERE", "blank": "a guess",
               "raises": "an idea"}
    table = {}
    for student in answers:
        written_grade = {"right": Grade(2, 2, False), "wrong": Grade(0, 2, False)}.get(
            student, Grade(None, 2, True))
        table[student] = {"nb": {"test-f": Grade(1 if student == "right" else 0, 1, False),
                                 "written": written_grade}}
        ename = "NotImplementedError" if student == "raises" else "CheckFailed"
        _notebook(tmp_path / "autograded" / student / "hw" / "nb.ipynb", [
            _code("answer-f", answers[student], solution=True, grade=False),
            _code("test-f", error=errors[student], ename=ename),
            {"cell_type": "markdown", "id": "written", "source": written[student], "metadata": {
                "nbgrader": {"grade_id": "written", "grade": True, "solution": True}}}])

    parts, totals = collect(GivenGrades(tmp_path, table), "hw")
    f, text = parts
    assert f.graded == 4 and f.counts() == Counter(
        {"full": 1, "mistake": 1, "not attempted": 2})
    assert f.not_attempted == {"blank", "raises"}
    assert f.messages == Counter({"f: wrong at x = #": 1})  # blanks kept out of the mistakes
    assert text.pending == {"blank", "raises"} and text.graded == 2
    assert text.counts() == Counter({"full": 1, "not attempted": 1})
    assert totals == {"right": 3.0, "wrong": 0.0, "blank": 0.0, "raises": 0.0}

    out = format_report(parts, totals)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[3:5]}
    # points, mean, full, partial, mistake, not attempted, pending, difficulty, discrimination
    assert rows["nb:f"] == ["1", "0.25", "25%", "0%", "25%", "50%", "0", "0.25", "1.00"]
    assert rows["nb:written"] == ["2", "1.00", "50%", "0%", "0%", "50%", "2", "0.50", "-"]
    assert "  nb:written: 2 of 4 left" in out
    assert "most common mistakes (not counting 3 answers not attempted)" in out
    assert "nb:f: 1 x f: wrong at x = #" in out and "not defined yet" not in out


def test_a_part_nobody_has_graded_is_pending_not_failed():
    parts = [Part("nb", "test-auto", 1, {"a": 1.0, "b": 0.0, "c": 1.0}),
             Part("nb", "essay", 2, {}, pending={"a", "b", "c"})]
    out = format_report(parts, {"a": 1.0, "b": 0.0, "c": 1.0})
    essay = next(line for line in out.splitlines() if line.startswith("nb:essay "))
    assert essay.split()[1:] == ["2", "-", "-", "-", "-", "-", "3", "-", "-"]
    assert "  nb:essay: 3 of 3 left" in out


# -- the variants' test (issue 12) ---------------------------------------------------------------
def test_fisher_exact_known_values():
    # Fisher's lady tasting tea (R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value = 0.4857).
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(0.4857142857)
    # scipy.stats.fisher_exact's documented examples.
    assert fisher_exact(6, 2, 1, 4) == pytest.approx(0.1025641026)
    assert fisher_exact(8, 2, 1, 5) == pytest.approx(0.0349650350)
    # The table and its transpose, its rows or columns swapped: the same test.
    for table in [(1, 11, 41, 7), (0, 5, 7, 2), (12, 5, 30, 1)]:
        a, b, c, d = table
        p = fisher_exact(*table)
        assert 0 < p <= 1
        for same in [(a, c, b, d), (c, d, a, b), (b, a, d, c)]:
            assert fisher_exact(*same) == pytest.approx(p)
    # All of one variant fail, all others pass: p is the one extreme table of its margins.
    assert fisher_exact(0, 16, 224, 0) == pytest.approx(1 / math.comb(240, 16))
    assert fisher_exact(5, 0, 5, 0) == 1.0  # nobody failed: nothing to tell apart
    with pytest.raises(ValueError):
        fisher_exact(-1, 2, 3, 4)


def _class_with_variants(rng, students, labels, parts, share):
    """Scores of `parts` one-point parts, right with probability `share` whatever the variant,
    and each student's variant drawn uniformly from `labels`."""
    of = {f"s{k}": rng.choice(labels) for k in range(students)}
    scores = [{s: float(rng.random() < share) for s in of} for _ in range(parts)]
    return scores, of


def test_variant_fairness_tests_enough_students_and_corrects_for_the_pairs():
    labels = ["a=1", "a=2", "a=3"]
    of = {f"s{k}": labels[k % 3] for k in range(30)} | {"t0": "a=4", "t1": "a=4"}
    fair_part = {s: 1.0 for s in of}
    unfair = {s: 0.0 if of[s] == "a=1" else 1.0 for s in of}
    result = variant_fairness([fair_part, unfair, {"x": 1.0}], [1, 1, 1], [of, of, None])
    # a=4 has 2 students (< MIN_VARIANT_STUDENTS): not tested; the part without variants neither.
    assert MIN_VARIANT_STUDENTS == 5 and ALPHA == 0.05
    assert {(t.part, t.variant) for t in result.tests} == {
        (j, label) for j in (0, 1) for label in labels}
    assert result.threshold == pytest.approx(0.05 / 6)
    assert [(t.part, t.variant, t.full, t.students, t.others_full, t.others)
            for t in result.flagged] == [(1, "a=1", 0, 10, 22, 22)]
    flagged = result.flagged[0]
    assert flagged.p == pytest.approx(fisher_exact(0, 10, 22, 0))
    assert flagged.share == 0 and flagged.others_share == 1
    # The other variants are each compared with a pool that holds a=1: a=2 and a=3 differ from
    # it, but not beyond Bonferroni's threshold.
    assert all(t.p >= result.threshold for t in result.tests if t.variant != "a=1")
    # Fewer students than MIN_VARIANT_STUDENTS on either side: nothing tested, nothing flagged.
    few = {s: v for s, v in of.items() if s in ("s0", "s1", "s2", "s3")}
    assert not variant_fairness([unfair], [1], [few]).tests


def test_variant_flags_keep_the_family_wise_error_rate_and_find_an_unfair_variant():
    """Simulated classes (fixed seed): with scores independent of the variant, at most about
    ALPHA of the reports flag anything (Bonferroni); a variant whose part is much harder is
    found in nearly every class."""
    rng = random.Random(2024)
    labels = [f"a={k}" for k in range(15)]
    runs, false_alarms, found = 1000, 0, 0
    for _ in range(runs):
        scores, of = _class_with_variants(rng, 240, labels, 8, share=rng.uniform(0.4, 0.9))
        false_alarms += bool(variant_fairness(scores, [1] * 8, [of] * 8).flagged)
    assert false_alarms <= ALPHA * runs, false_alarms
    for _ in range(50):
        scores, of = _class_with_variants(rng, 240, labels, 8, share=0.8)
        for s, label in of.items():  # a=0: the part is right for 1 in 10 of its students
            if label == "a=0":
                scores[3][s] = float(rng.random() < 0.1)
        flags = variant_fairness(scores, [1] * 8, [of] * 8).flagged
        found += [(t.part, t.variant) for t in flags] == [(3, "a=0")]
    assert found >= 45, found
