"""The whole grading pipeline on the embedded SQLite gradebook, as an instructor runs it.

1. regenerate release/ from source/ (nbgrader generate_assignment);
2. in a fresh course directory (demo-course/), submit five example students built from the
   grader tests' corpus: one with the source solutions, one with other correct forms, two with
   typical mistakes, one who answered nothing;
3. grade them with `nbgrader autograde`, and print a table of students x parts per assignment;
4. grade a copy of the same course with `calcgrade autograde` (sandboxed, verdicts outside the
   students' processes) and check it gives every part the same score;
5. what the instructor reads and hands back: the class report per part (also as a
   self-contained HTML page), each student's feedback page, and the per-part CSV export.
"""

import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from calcgrade.cli import format_scores  # noqa: E402
from calcgrade.course.directory import Course  # noqa: E402
from grader_tests.corpus import ALL  # noqa: E402

STUDENTS = {  # student -> notebook -> corpus variant (None: the source solution)
    "alice": {},
    "carol": {"tangent": "sympy_everything", "gradient_exp": "string",
              "gradient_norm": "matrix_over_norm", "chain_rule": "strings",
              "backprop": "neuron_by_neuron", "regression": "loops_everywhere"},
    "bob": {"tangent": "tangent_at_2", "gradient_exp": "swapped", "gradient_norm": "nan_at_zero",
            "chain_rule": "missing_z_term", "backprop": "transposed_weight_gradient",
            "regression": "grad_sign_error"},
    "erin": {"tangent": "no_legend", "gradient_exp": "integer_truncation",
             "gradient_norm": "squared_norm", "chain_rule": "jacobian_not_transposed",
             "backprop": "one_sided_difference", "regression": "bce_naive_sigmoid_overflows"},
}
UNANSWERED = "dave"


def main() -> None:
    repo = Course(REPO)
    assignments = repo.assignments()
    for assignment in assignments:
        repo.release(assignment)
    print("release/ regenerated from source/ with nbgrader generate_assignment")

    root = REPO / "demo-course"
    shutil.rmtree(root, ignore_errors=True)
    course = Course.copy_of(root, REPO)
    variants = {(v.notebook, v.name): v for v in ALL}
    for assignment in assignments:
        course.release(assignment)
        for student, choices in STUDENTS.items():
            for nb in course.notebooks(assignment):
                chosen = choices.get(nb)
                answers = variants[(nb, chosen)].answers if chosen else {}
                course.submit(student, assignment, nb, answers)
        blank = root / "submitted" / UNANSWERED / assignment
        shutil.copytree(root / "release" / assignment, blank)
    print(f"{len(STUDENTS) + 1} example students submitted in {root / 'submitted'}")

    for assignment in assignments:
        started = time.monotonic()
        print(f"\ngrading {assignment} with nbgrader autograde ...", flush=True)
        course.autograde(assignment)
        print(f"graded in {time.monotonic() - started:.0f} s\n")
        print(format_scores(course, assignment))
    print(f"\ngradebook: {root / 'gradebook.db'}; autograded notebooks: {root / 'autograded'}")

    trusted_root = REPO / "demo-course-trusted"
    shutil.rmtree(trusted_root, ignore_errors=True)
    shutil.copytree(root, trusted_root, ignore=shutil.ignore_patterns("autograded", "gradebook.db"))
    trusted = Course(trusted_root)
    for assignment in assignments:
        trusted.release(assignment)  # the gradebook learns the assignment's official tests
        started = time.monotonic()
        print(f"\ngrading {assignment} with calcgrade autograde (sandboxed) ...", flush=True)
        print(trusted.run("calcgrade.cli", "autograde", assignment).stdout.strip().split("\r")[-1])
        same = trusted.grades(assignment) == course.grades(assignment)
        print(f"graded in {time.monotonic() - started:.0f} s; same scores as nbgrader autograde "
              f"on every part: {'yes' if same else 'NO'}")

    for assignment in assignments:
        print(f"\nclass report of {assignment} (calcgrade report):")
        html = root / f"report-{assignment}.html"
        print(course.run("calcgrade.cli", "report", assignment, "--html", str(html)).stdout.strip())
        course.run("calcgrade.cli", "feedback", assignment)
    course.run("calcgrade.cli", "export", "--to", "grades.csv")
    print(f"\nfeedback pages: {root / 'feedback'}/STUDENT/ASSIGNMENT/*.html; per-part grades: "
          f"{root / 'grades.csv'}")


if __name__ == "__main__":
    main()
