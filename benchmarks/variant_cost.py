"""What per-student variants add to grading, per notebook: the same submissions graded with
variants off and on, side by side, in one run.

    python benchmarks/variant_cost.py [N] [--rounds R]      (default N = 20, R = 2)

For each notebook that declares parameters, a course with one assignment holding only that
notebook and N submissions (the source solution and the corpus's cases in turn); two copies, one
with `c.Variants.enabled = True`. Each copy is graded R times by stock `nbgrader autograde` and by
`calcgrade autograde`, off and on alternating, and the best time of each is kept. Prints seconds
per submission off and on, the ratio and the difference in milliseconds, per notebook and grader.
With variants on, the grading does more: the official cells are rendered for each student
(RenderStudentVariant: the gradebook's templates, the student's draw), and calcgrade's grader
runs the parameters' cell with the student's values.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from calcgrade import corpus, variants  # noqa: E402
from calcgrade.course.directory import Course  # noqa: E402

GRADERS = ("nbgrader", "calcgrade")


def declaring() -> list[Path]:
    return [p for p in sorted((REPO / "source").glob("*/*.ipynb"))
            if variants.declaration_of(nbformat.read(p, as_version=4)) is not None]


def build(root: Path, source: Path, n: int) -> tuple[Course, str]:
    """A course whose one assignment is `source`'s notebook, with n submissions."""
    assignment = f"bench-{source.stem}"
    course = Course.copy_of(root, REPO)
    shutil.rmtree(course.root / "source")
    (course.root / "source" / assignment).mkdir(parents=True)
    shutil.copy(source, course.root / "source" / assignment / source.name)
    course.release(assignment)
    cases = [corpus.source_solution(source.stem)]
    corpus_file = corpus.corpus_path(source.parent, source.stem)
    if corpus_file.exists():
        cases += corpus.load(corpus_file)
    for i in range(n):
        course.submit(f"s{i:04d}", assignment, source.stem, cases[i % len(cases)].answers)
    return course, assignment


def grade(course: Course, assignment: str, grader: str) -> float:
    started = time.monotonic()
    if grader == "calcgrade":
        course.run("calcgrade.cli", "autograde", assignment, "--force", "--workers", "2")
    else:
        course.nbgrader("autograde", assignment, "--force")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="variant-cost-") as tmp:
        for source in declaring():
            base, assignment = build(Path(tmp) / source.stem / "off", source, args.n)
            on = Course(Path(tmp) / source.stem / "on")
            shutil.copytree(base.root, on.root)
            with open(on.root / "nbgrader_config.py", "a") as config:
                config.write("\nc.Variants.enabled = True\n")
            for grader in GRADERS:
                best = {"off": float("inf"), "on": float("inf")}
                for _ in range(args.rounds):
                    for setting, course in (("off", base), ("on", on)):
                        seconds = grade(course, assignment, grader)
                        best[setting] = min(best[setting], seconds)
                per = {k: v / args.n for k, v in best.items()}
                rows.append((source.stem, grader, per["off"], per["on"]))
                print(f"{source.stem:<13} {grader:<9} off {per['off']:.3f} s/submission, "
                      f"on {per['on']:.3f} s/submission: x{per['on'] / per['off']:.3f}, "
                      f"{(per['on'] - per['off']) * 1e3:+.0f} ms", flush=True)
    print(f"\n{args.n} submissions per notebook, best of {args.rounds} runs each; "
          "s/submission = the grading command's wall time / N")


if __name__ == "__main__":
    main()
