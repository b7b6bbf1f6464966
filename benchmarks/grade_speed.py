"""Stock `nbgrader autograde` against `calcgrade autograde`, on the same submissions, in one run.

    python benchmarks/grade_speed.py [N]      (default N = 200)

Builds N students, each submitting both assignments (the five notebooks), cycling through the
corpus of the grader tests: right answers in several forms, typical mistakes, and an unanswered
notebook. Grades fresh copies of the course with each grader, checks that both give every
submission the same score on every part, and prints seconds per notebook, the ratio and the peak
memory (largest process) of each.
"""

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from calcgrade.course.directory import Course  # noqa: E402
from grader_tests.corpus import ALL  # noqa: E402

ASSIGNMENTS = {a: Course(REPO).notebooks(a) for a in Course(REPO).assignments()}


def build(root: Path, n: int) -> Course:
    course = Course.copy_of(root, REPO)
    by_notebook = {nb: [v for v in ALL if v.notebook == nb] for a in ASSIGNMENTS.values()
                   for nb in a}
    for assignment, notebooks in ASSIGNMENTS.items():
        course.release(assignment)
        for i in range(n):
            for nb in notebooks:
                choices = by_notebook[nb]
                if i % 10 == 9:  # one in ten answered nothing
                    target = root / "submitted" / f"s{i:04d}" / assignment / f"{nb}.ipynb"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(root / "release" / assignment / f"{nb}.ipynb", target)
                else:
                    course.submit(f"s{i:04d}", assignment, nb, choices[i % len(choices)].answers)
    return course


def grade(course: Course, trusted: bool) -> float:
    started = time.monotonic()
    for assignment in ASSIGNMENTS:
        if trusted:
            course.run("calcgrade.cli", "autograde", assignment, "--workers", "2")
        else:
            course.nbgrader("autograde", assignment, "--force")
    return time.monotonic() - started


def scores(course: Course) -> dict:
    return {(a, s, nb, cell): g.score for a in ASSIGNMENTS
            for s, by_nb in course.grades(a).items() for nb, cells in by_nb.items()
            for cell, g in cells.items() if not g.needs_manual_grade}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    notebooks = n * sum(len(v) for v in ASSIGNMENTS.values())
    with tempfile.TemporaryDirectory() as tmp:
        stock = build(Path(tmp) / "stock", n)
        ours = Course(Path(tmp) / "ours")
        shutil.copytree(stock.root, ours.root)
        print(f"{n} students, {notebooks} notebooks")

        t_stock = grade(stock, trusted=False)
        peak_stock = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        t_ours = grade(ours, trusted=True)
        peak_all = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        a, b = scores(stock), scores(ours)
        differ = [k for k in a if a[k] != b.get(k)]
        print(f"stock nbgrader autograde : {t_stock:8.1f} s  {t_stock / notebooks:6.3f} s/notebook"
              f"  peak {peak_stock:6.0f} MB")
        print(f"calcgrade autograde      : {t_ours:8.1f} s  {t_ours / notebooks:6.3f} s/notebook"
              f"  peak {peak_all:6.0f} MB (largest process of either run)")
        print(f"speed-up                 : {t_stock / t_ours:8.2f}x")
        print(f"parts scored differently : {len(differ)} of {len(a)}"
              + (f" e.g. {differ[:3]}" if differ else ""))


if __name__ == "__main__":
    main()
