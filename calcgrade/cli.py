"""The `calcgrade` command line, run in an nbgrader course directory (or with --course DIR).

    calcgrade check ASSIGNMENT [--variants] [--only-variants] [--sample N]
                                      before release: the source solution and the answer corpus
                                      graded by both graders, ids, points, release, task text;
                                      with --variants, under every variant students can get
    calcgrade release                 nbgrader generate_assignment for every assignment
    calcgrade autograde ASSIGNMENT [--student ID ...] [--workers N] [--timeout S] [--force]
                        [--no-sandbox] [--scheduler tcp://HOST:PORT] [--json]
                                      nbgrader autograde, each submission run in a sandbox and
                                      the tests in the grader (seeded); on a Dask cluster with
                                      --scheduler
    calcgrade replay ASSIGNMENT STUDENT PART
                                      rerun one part as graded; print the inputs it used
    calcgrade scores ASSIGNMENT       students x parts from the gradebook
    calcgrade report ASSIGNMENT [--html FILE]
                                      per-part statistics and the typical mistakes
    calcgrade feedback ASSIGNMENT     nbgrader generate_feedback, test code hidden
    calcgrade watch ASSIGNMENT ... [--once] [--interval S] [--workers N] [--no-sandbox]
                                      a service: each new submission in nbgrader's exchange
                                      collected, graded, its feedback generated and released
    calcgrade export [ASSIGNMENT ...] [--format csv|canvas]
                                      grades per part, or a Canvas import file"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from calcgrade.course.directory import Course


def format_scores(course: Course, assignment: str) -> str:
    """A plain-text table: one row per student, one column per graded part, and the total."""
    grades = course.grades(assignment)
    columns = []  # (notebook, cell) in the course's notebook order, cells as first seen
    for nb in course.notebooks(assignment):
        for by_nb in grades.values():
            columns += [(nb, cell) for cell in by_nb.get(nb, {}) if (nb, cell) not in columns]
    header = ["student"] + [cell.removeprefix("test-") for _, cell in columns] + ["total"]
    rows = []
    for student in sorted(grades):
        row, total, max_total = [student], 0.0, 0.0
        for nb, cell in columns:
            grade = grades[student].get(nb, {}).get(cell)
            if grade is None:
                row.append("-")
                continue
            max_total += grade.max_score
            if grade.needs_manual_grade:
                row.append("manual")
                continue
            total += grade.score or 0
            row.append(f"{grade.score or 0:g}/{grade.max_score:g}")
        rows.append(row + [f"{total:g}/{max_total:g}"])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _log_to_stderr(level: str) -> None:
    """calcgrade's log (the run's warnings and errors, for the instructor) on stderr, in
    nbgrader's own format, so it reads like the lines of nbgrader's apps beside it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(name)s | %(levelname)s] %(message)s"))
    logger = logging.getLogger("calcgrade")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="calcgrade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="what of calcgrade's log reaches stderr (default: INFO)")
    sub = parser.add_subparsers(dest="command", required=True)
    scores = sub.add_parser("scores", help="table of students x parts from nbgrader's gradebook")
    scores.add_argument("assignment")
    scores.add_argument("--course", type=Path, default=Path.cwd())
    release = sub.add_parser("release", help="regenerate release/ from source/ with nbgrader")
    release.add_argument("--course", type=Path, default=Path.cwd())
    grade = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT in a sandbox, "
                                             "verdicts outside the student's process")
    grade.add_argument("assignment")
    grade.add_argument("--student", action="append", default=[], help="only these students")
    grade.add_argument("--timeout", type=float, help="seconds per cell and per call")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without bubblewrap (prints a warning)")
    grade.add_argument("--workers", type=int, default=None,
                       help="students graded at once: local grading processes (default 2); with "
                            "--scheduler, the coordinator's (default 2 x the cluster's workers "
                            "+ 2)")
    grade.add_argument("--force", action="store_true",
                       help="grade again students already graded")
    grade.add_argument("--json", action="store_true",
                       help="print what the run did as JSON (progress goes to stderr)")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the notebooks on this Dask cluster's workers (the gradebook is "
                            "written here only); default: --workers local processes")
    report = sub.add_parser("report", help="per-part statistics and the typical mistakes")
    report.add_argument("assignment")
    report.add_argument("--html", type=Path, help="also write a self-contained HTML page")
    report.add_argument("--course", type=Path, default=Path.cwd())
    feedback = sub.add_parser("feedback", help="nbgrader generate_feedback, test code hidden")
    feedback.add_argument("assignment")
    feedback.add_argument("--course", type=Path, default=Path.cwd())
    export = sub.add_parser("export", help="grades per part (csv) or a Canvas import file")
    export.add_argument("assignment", nargs="*", help="default: every assignment")
    export.add_argument("--format", choices=["csv", "canvas"], default="csv")
    export.add_argument("--to", help="output file (default grades-FORMAT.csv)")
    export.add_argument("--course", type=Path, default=Path.cwd())
    replay = sub.add_parser("replay", help="rerun one part's check as graded (same seed) and "
                                           "print the inputs it gave the student's code")
    replay.add_argument("assignment")
    replay.add_argument("student")
    replay.add_argument("part", help="a test cell's grade id (the test- prefix may be left out)")
    replay.add_argument("--course", type=Path, default=Path.cwd())
    replay.add_argument("--no-sandbox", action="store_true")
    check = sub.add_parser("check", help="before release: grade the source solution and the "
                                         "answer corpus with both graders, check ids, points, "
                                         "release and task text")
    check.add_argument("assignment")
    check.add_argument("--notebook", action="append", default=[], help="only these notebooks")
    check.add_argument("--grader", choices=["nbgrader", "calcgrade"], action="append",
                       help="grade the corpus with this grader only (default: both)")
    check.add_argument("--course", type=Path, default=Path.cwd())
    check.add_argument("--no-sandbox", action="store_true")
    check.add_argument("--variants", action="store_true",
                       help="also grade the corpus under every deployable variant (a seeded "
                            "sample where there are more than --sample)")
    check.add_argument("--only-variants", action="store_true",
                       help="the variants only (the default variant is checked by the rest)")
    check.add_argument("--sample", type=int, default=50,
                       help="variants graded per notebook where there are more (at least 50)")
    watch = sub.add_parser("watch", help="collect, grade and release the feedback of each new "
                                         "submission in nbgrader's exchange as it arrives")
    watch.add_argument("assignment", nargs="+")
    watch.add_argument("--course", type=Path, default=Path.cwd())
    watch.add_argument("--once", action="store_true",
                       help="process what is pending, then exit (for scripts and tests)")
    watch.add_argument("--interval", type=float,
                       help="seconds between two looks at the exchange (default: Watch.interval "
                            "in nbgrader_config.py, else 2)")
    watch.add_argument("--workers", type=int, default=None,
                       help="students graded at once (default 2)")
    watch.add_argument("--no-sandbox", action="store_true",
                       help="run student code without bubblewrap (prints a warning)")
    args = parser.parse_args(argv)
    _log_to_stderr(args.log_level)

    if args.command == "check":
        from calcgrade.course.check import GRADERS
        from calcgrade.course.check import check as run_check

        found = run_check(args.course, args.assignment, notebooks=args.notebook,
                          graders=args.grader or GRADERS, sandbox=not args.no_sandbox,
                          variants=args.variants, only_variants=args.only_variants,
                          sample=args.sample)
        print("\n".join(found.lines))
        return 1 if found.problems else 0

    if args.command == "watch":
        from calcgrade.course.watch import watch as run_watch

        run_watch(args.course, args.assignment, once=args.once, interval=args.interval,
                  sandbox=not args.no_sandbox, workers=args.workers)
        return 0

    if args.command == "replay":
        from calcgrade.grading.replay import replay as run_replay

        print(run_replay(Course(args.course.resolve()), args.assignment, args.student, args.part,
                         sandbox=not args.no_sandbox))
        return 0

    if args.command == "report":
        from calcgrade.course.report import collect, format_report, html_report

        parts, totals = collect(Course(args.course), args.assignment)
        print(format_report(parts, totals))
        if args.html:
            html_report(parts, totals, args.assignment, args.html)
            print(f"wrote {args.html}")
        return 0
    if args.command == "feedback":
        Course(args.course).nbgrader("generate_feedback", args.assignment, "--force")
        print(f"wrote {args.course / 'feedback'}/*/{args.assignment}/*.html")
        return 0
    if args.command == "export":
        to = args.to or f"grades-{args.format}.csv"
        selection = [f"--assignment={a}" for a in args.assignment]
        Course(args.course).nbgrader("export", "--exporter=calcgrade.export.PartsExportPlugin",
                                     f"--PartsExportPlugin.format={args.format}", f"--to={to}",
                                     *selection)
        print(f"wrote {to}")
        return 0
    if args.command == "autograde":
        import json

        from calcgrade.grading.autograde import autograde
        run = autograde(args.assignment, args.student, workers=args.workers,
                        timeout=args.timeout, sandbox=not args.no_sandbox, force=args.force,
                        scheduler=args.scheduler, progress=sys.stderr if args.json else sys.stdout)
        print(json.dumps(run.to_data(), indent=1) if args.json else run.text())
        return 1 if run.problems else 0

    course = Course(args.course)
    if args.command == "scores" and not course.has_gradebook():
        print(f"no gradebook at {course.db_url}: run nbgrader autograde first", file=sys.stderr)
        return 2
    if args.command == "scores":
        known = course.assignments()
        if args.assignment not in known:
            print(f"no assignment {args.assignment!r} in {course.root} (it has: "
                  f"{', '.join(known) or 'none'})", file=sys.stderr)
            return 2
        print(format_scores(course, args.assignment))
    elif args.command == "release":
        for assignment in course.assignments():
            if not (course.root / "source" / assignment).is_dir():
                continue  # known to the gradebook only: nothing to release from
            course.release(assignment)
            print(f"released {assignment} -> {course.root / 'release' / assignment}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
