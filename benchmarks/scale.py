"""Grading a large class: the local executor against a Dask cluster of 1 and 2 worker processes,
on the same submissions, in one run; then exporting the class's grades.

    python benchmarks/scale.py [N]      (default N = 2000)

Builds N synthetic submissions of the `backprop` assignment (one notebook each), cycling
through the grader tests' corpus (right answers in several forms, typical mistakes, one in ten
unanswered). Grades a fresh copy of the course with `calcgrade autograde` on the local executor
(2 worker processes) and with `--scheduler` on a Dask LocalCluster of 1 and of 2 worker
processes, checks that every run gives every part the same score, and prints submissions per
second, the speed-up of each over the 1-worker cluster, the time spent writing scores to the
gradebook and the coordinator's busy time. Then it exports the graded class with calcgrade's
per-part CSV and with stock nbgrader's CSV exporter on the same gradebook and prints both times.
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from calcgrade.course.directory import Course  # noqa: E402
from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES  # noqa: E402

ASSIGNMENT = "backprop"


def build(root: Path, n: int) -> Course:
    course = Course.copy_of(root, REPO)
    course.release(ASSIGNMENT)
    variants = BACKPROP + BACKPROP_MISTAKES
    for i in range(n):
        student = f"s{i:05d}"
        if i % 10 == 9:  # one in ten answered nothing
            target = root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", target)
        else:
            course.submit(student, ASSIGNMENT, ASSIGNMENT, variants[i % len(variants)].answers)
    return course


def grade(course: Course, *args: str) -> dict:
    """Run `calcgrade autograde` as an instructor would; its summary (--json) gives the
    figures."""
    started = time.monotonic()
    out = course.run("calcgrade.cli", "autograde", ASSIGNMENT, "--force", "--json", *args).stdout
    seconds = time.monotonic() - started
    run = json.loads(out)
    return {"seconds": seconds, "gradebook": run["gradebook_seconds"],
            "busy": run["cluster"].get("coordinator_busy", float("nan")),
            "workers": run["cluster"].get("workers_busy", float("nan"))}


def scores(course: Course) -> dict:
    return {(s, nb, cell): g.score for s, by_nb in course.grades(ASSIGNMENT).items()
            for nb, cells in by_nb.items() for cell, g in cells.items()}


def export_seconds(course: Course, *args: str) -> float:
    started = time.monotonic()
    course.nbgrader("export", *args)
    return time.monotonic() - started


def main() -> None:
    from dask.distributed import LocalCluster

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        origin = build(Path(tmp) / "origin", n)
        print(f"{n} submissions of {ASSIGNMENT} (one notebook each)", flush=True)
        runs, results = {}, {}
        # Dask runs: the coordinator's grading processes as by default (2 per worker + 2, for
        # a coordinator with cores of its own), and as few as keep the workers fed (workers + 1)
        # when, as here, the coordinator shares the machine's cores with the workers.
        for name, workers, processes in [
                ("local executor, 2 processes", 0, 0), ("Dask, 1 worker", 1, 0),
                ("Dask, 2 workers", 2, 0), ("Dask, 2 workers, --workers 3", 2, 3)]:
            course = Course(Path(tmp) / f"run{workers}-{processes}")
            shutil.copytree(origin.root, course.root)
            if workers:
                options = ["--workers", str(processes)] if processes else []
                with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
                    runs[name] = grade(course, "--scheduler", cluster.scheduler_address,
                                       *options)
            else:
                runs[name] = grade(course, "--workers", "2")
            results[name] = scores(course)
            r = runs[name]
            print(f"{name:<30}: {r['seconds']:7.1f} s  {n / r['seconds']:6.2f} submissions/s  "
                  f"gradebook writes {r['gradebook']:6.1f} s"
                  + (f"  coordinator busy {r['busy']:6.1f} s  workers busy {r['workers']:6.1f} s"
                     if workers else ""), flush=True)

        base = runs["Dask, 1 worker"]["seconds"]
        for name, r in runs.items():
            print(f"speed-up over Dask with 1 worker, {name:<30}: {base / r['seconds']:5.2f}x")
        reference = results["local executor, 2 processes"]
        differ = sum(1 for scores_ in results.values() for k in reference
                     if scores_.get(k) != reference[k])
        print(f"parts scored differently between runs: {differ} of "
              f"{len(reference) * (len(results) - 1)}")

        course = Course(Path(tmp) / "run2-0")
        ours = export_seconds(course, "--to=parts.csv")  # nbgrader_config.py selects ours
        stock = export_seconds(course, "--exporter=nbgrader.plugins.export.CsvExportPlugin",
                               "--to=stock.csv")
        rows = len((course.root / "parts.csv").read_text().splitlines()) - 2
        print(f"export of {rows} students: calcgrade per-part CSV {ours:.1f} s, "
              f"stock nbgrader CSV {stock:.1f} s ({stock / ours:.1f}x)")


if __name__ == "__main__":
    main()
