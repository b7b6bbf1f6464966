"""`calcgrade autograde` killed mid-run (the whole process group, as kill -9 of the grader and its
workers), then run again: every submission ends graded exactly once more, the gradebook whole."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

from calcgrade.course.directory import _env
from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES


def test_interrupted_grading_resumes_and_ends_consistent(course):
    variants = BACKPROP[:3] + BACKPROP_MISTAKES[:5]
    for v in variants:
        course.submit(v.student, "backprop", "backprop", v.answers)
    markers = [course.root / "autograded" / v.student / "backprop" / ".calcgrade-graded"
               for v in variants]

    run = subprocess.Popen([sys.executable, "-m", "calcgrade.cli", "autograde", "backprop"],
                           cwd=course.root, env=_env(), start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum(m.exists() for m in markers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    first = {m: m.stat().st_mtime for m in markers if m.exists()}
    assert 2 <= len(first) < len(variants), "the kill should land mid-run"

    result = course.run("calcgrade.cli", "autograde", "backprop")
    assert f"{len(first)} students already graded" in result.stdout
    assert all(m.exists() for m in markers)
    assert all(m.stat().st_mtime == t for m, t in first.items()), "graded twice"

    grades = course.grades("backprop")
    assert set(grades) == {v.student for v in variants}
    for v in variants:
        for cell_id, grade in grades[v.student]["backprop"].items():
            assert grade.score == (0 if cell_id in v.breaks else grade.max_score), (v.name, cell_id)
    with sqlite3.connect(course.root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


def test_no_sandbox_is_explicit_and_grades_the_same(course):
    right, wrong = BACKPROP[0], BACKPROP_MISTAKES[0]
    for v in (right, wrong):
        course.submit(v.student, "backprop", "backprop", v.answers)
    result = course.run("calcgrade.cli", "autograde", "backprop", "--no-sandbox")
    assert "WITHOUT the sandbox" in result.stderr
    grades = course.grades("backprop")
    for v in (right, wrong):
        for cell_id, grade in grades[v.student]["backprop"].items():
            assert grade.score == (0 if cell_id in v.breaks else grade.max_score), (v.name, cell_id)
