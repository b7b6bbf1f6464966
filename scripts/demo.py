"""The whole class loop on the embedded SQLite gradebook, as an instructor and students run it.

1. regenerate release/ from source/ (nbgrader generate_assignment);
2. in a fresh course directory (demo-course/), release every assignment to nbgrader's exchange
   (demo-course/exchange/, nbgrader_config.py's default); five example students, each in a
   home folder of their own (demo-course/home/STUDENT/, with their own
   ~/.jupyter/nbgrader_config.py naming the exchange and their id), fetch the assignment, answer
   from the grader tests' corpus (one with the source solutions, one with other correct forms,
   two with typical mistakes, one who answered nothing) and submit it; the instructor collects;
3. grade them with `nbgrader autograde`, and print a table of students x parts per assignment;
4. in a copy of the course with its exchange (demo-course-trusted/), `calcgrade watch --once`
   collects the same submissions, grades them with `calcgrade autograde` (sandboxed, verdicts
   outside the students' processes), generates and releases their feedback; check it gives
   every part the same score, and each student fetches their feedback (nbgrader
   fetch_feedback);
5. what the instructor reads and hands back: the class report per part (also as a
   self-contained HTML page), each student's feedback page, and the per-part CSV export;
6. every student their own numbers: in a copy of the course with variants on
   (demo-course-variants/), `calcgrade check calculus --only-variants` tests every variant,
   the release gives alice, bob and carol each their own problems, and `calcgrade autograde`
   grades each on their own: alice and bob right, carol copying alice's tangent numbers.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from calcgrade import variants  # noqa: E402
from calcgrade.cli import format_scores  # noqa: E402
from calcgrade.course.directory import Course  # noqa: E402
from grader_tests.corpus import ALL, tangent_in_numbers  # noqa: E402

STUDENTS = {  # student -> notebook -> corpus case (None: the source solution)
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
COURSE_ID = "calcgrade"  # nbgrader_config.py's CourseDirectory.course_id


def student_home(course: Course, student: str, exchange: Path) -> Path:
    """A home folder for `student`, with the config a student's account has: the course's
    exchange, the course id and (all demo students are this one account) their id."""
    home = course.root / "home" / student
    (home / ".jupyter").mkdir(parents=True, exist_ok=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.student_id = {student!r}\n"
        # their own copy where an assignment gives each student their own numbers
        f"c.ExchangeFactory.fetch_assignment = 'calcgrade.exchange.VariantFetchAssignment'\n")
    return home


def as_student(home: Path, *args: str) -> subprocess.CompletedProcess:
    """`nbgrader ARGS` run by the student in their home folder (HOME: their config, their
    nbgrader cache of what they submitted)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER_", "XDG_"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                     env.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed for {home.name}:\n"
                           f"{result.stderr[-4000:]}")
    return result


def answer(course: Course, path: Path, answers: dict[str, str] | None) -> None:
    """The student answers the fetched notebook at `path`: every answer cell holds the source's
    solution, except those in `answers` (grade_id -> code); None: they answer nothing."""
    if answers is None:
        return
    assignment, notebook = path.parent.name, path.stem
    nb = nbformat.read(path, as_version=4)
    filled = {**course.solutions(assignment, notebook), **answers}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in filled:
            cell.source = filled[grade_id]
    nbformat.write(nb, path)


def main() -> None:
    repo = Course(REPO)
    assignments = repo.assignments()
    for assignment in assignments:
        repo.release(assignment)
    print("release/ regenerated from source/ with nbgrader generate_assignment")

    root = REPO / "demo-course"
    shutil.rmtree(root, ignore_errors=True)
    course = Course.copy_of(root, REPO)
    with open(root / "nbgrader_config.py", "a") as config:  # the demo's students share an account
        config.write("\n# The demo's students are all this one account: no owner check.\n"
                     "c.ExchangeCollect.check_owner = False\n")
    exchange = root / "exchange"
    for assignment in assignments:
        course.release(assignment)
        course.nbgrader("release_assignment", assignment, "--force")
    print(f"released to nbgrader's exchange: {exchange} (nbgrader release_assignment)")

    cases = {(case.notebook, case.name): case for case in ALL}
    everyone = {**STUDENTS, UNANSWERED: None}

    def take(student: str) -> None:  # what one student does, in their own home folder
        home = student_home(course, student, exchange)
        for assignment in assignments:
            as_student(home, "fetch_assignment", assignment)
            for path in sorted((home / assignment).glob("*.ipynb")):
                choices = everyone[student]
                chosen = None if choices is None else choices.get(path.stem)
                answer(course, path, None if choices is None else
                       cases[(path.stem, chosen)].answers if chosen else {})
            as_student(home, "submit", assignment)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(take, everyone))
    print(f"{len(everyone)} example students fetched, answered and submitted (nbgrader "
          f"fetch_assignment, submit) from their homes in {root / 'home'}")
    for assignment in assignments:
        course.nbgrader("collect", assignment)
    print(f"collected into {root / 'submitted'} (nbgrader collect)")

    for assignment in assignments:
        started = time.monotonic()
        print(f"\ngrading {assignment} with nbgrader autograde ...", flush=True)
        course.autograde(assignment)
        print(f"graded in {time.monotonic() - started:.0f} s\n")
        print(format_scores(course, assignment))
    print(f"\ngradebook: {root / 'gradebook.db'}; autograded notebooks: {root / 'autograded'}")

    # The same submissions, in a copy of the course with its exchange, handed to `calcgrade
    # watch --once` as they came in: collected, graded by calcgrade, feedback released.
    trusted_root = REPO / "demo-course-trusted"
    shutil.rmtree(trusted_root, ignore_errors=True)
    shutil.copytree(root, trusted_root, ignore=shutil.ignore_patterns(
        "autograded", "gradebook.db", "submitted", "home"))
    trusted = Course(trusted_root)
    for assignment in assignments:
        trusted.release(assignment)  # the gradebook learns the assignment's official tests
        started = time.monotonic()
        print(f"\ngrading {assignment} with calcgrade watch --once (collect, calcgrade "
              "autograde sandboxed, feedback generated and released) ...", flush=True)
        watched = trusted.run("calcgrade.cli", "watch", assignment, "--once")
        graded = [name for line in watched.stderr.splitlines() if ": graded " in line
                  for name in re.findall(r"(\w+) \(submitted ", line)]
        print(f"collected and graded {', '.join(graded)}; their feedback released")
        for line in watched.stderr.splitlines():
            if "could not" in line or "ERROR" in line:
                print(line)
        same = trusted.grades(assignment) == course.grades(assignment)
        print(f"graded in {time.monotonic() - started:.0f} s; same scores as nbgrader autograde "
              f"on every part: {'yes' if same else 'NO'}")

    def fetch_feedback(student: str) -> int:
        home = root / "home" / student
        for assignment in assignments:
            as_student(home, "fetch_feedback", assignment,
                       f"--Exchange.root={trusted_root / 'exchange'}")
        return len(list(home.glob("*/feedback/*/*.html")))

    with ThreadPoolExecutor(max_workers=3) as pool:
        pages = dict(zip(everyone, pool.map(fetch_feedback, everyone)))
    print("\neach student fetched the feedback calcgrade watch released (nbgrader "
          "fetch_feedback): " + ", ".join(f"{s} {n} pages" for s, n in pages.items()))
    print(f"e.g. {next((root / 'home' / 'alice').glob('*/feedback/*/*.html'))}")

    for assignment in assignments:
        print(f"\nclass report of {assignment} (calcgrade report):")
        html = root / f"report-{assignment}.html"
        print(course.run("calcgrade.cli", "report", assignment, "--html", str(html)).stdout.strip())
        course.run("calcgrade.cli", "feedback", assignment)
    course.run("calcgrade.cli", "export", "--to", "grades.csv")
    print(f"\nfeedback pages: {root / 'feedback'}/STUDENT/ASSIGNMENT/*.html; per-part grades: "
          f"{root / 'grades.csv'}")

    variant_demo()


def variant_demo() -> None:
    """Step 6: each student their own numbers."""
    root = REPO / "demo-course-variants"
    shutil.rmtree(root, ignore_errors=True)
    course = Course.copy_of(root, REPO)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write("\n# Every student their own numbers; the demo's students share an account.\n"
                     "c.Variants.enabled = True\nc.ExchangeCollect.check_owner = False\n")
    # A fixed secret, so the demo draws the same variants every time (a course's is random).
    (root / ".calcgrade-secret").write_text("the demo's course secret\n")
    course.release("calculus")
    students = ["alice", "bob", "carol"]
    for student in students:
        course.nbgrader("db", "student", "add", student)
    print("\n\nevery student their own numbers: calculus with c.Variants.enabled = True "
          f"({root})\n\ncalcgrade check calculus --only-variants:")
    checked = course.run("calcgrade.cli", "check", "calculus", "--only-variants", check=False)
    print("\n".join(line for line in checked.stdout.splitlines()[2:]))
    course.nbgrader("release_assignment", "calculus", "--force")
    exchange = root / "exchange"
    own = {s: variants.of_student(root, "calculus", "tangent", s, course.config())
           for s in students}
    print("\nreleased (nbgrader release_assignment); each student fetches their own problem "
          "(nbgrader fetch_assignment), the first task of tangent.ipynb reads:")
    for student in students:
        home = student_home(course, student, exchange)
        as_student(home, "fetch_assignment", "calculus")
        for path in sorted((home / "calculus").glob("*.ipynb")):
            answer(course, path, tangent_in_numbers(own["alice"])
                   if (student, path.stem) == ("carol", "tangent") else {})
        nb = nbformat.read(home / "calculus" / "tangent.ipynb", as_version=4)
        line = next(line for cell in nb.cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if "you will plot" in line)
        print(f"  {student:<6} ({variants.label(own[student])}): {line.strip()} ...")
        as_student(home, "submit", "calculus")
    print("alice and bob answer right, with the names a and c; carol copies alice's numbers "
          "into tangent (and answers the other notebooks right)")
    course.nbgrader("collect", "calculus")
    print("\ncalcgrade autograde calculus (each graded on their own variant):", flush=True)
    course.run("calcgrade.cli", "autograde", "calculus")
    print(format_scores(course, "calculus"))
    html = root / "report-calculus.html"
    report = course.run("calcgrade.cli", "report", "calculus", "--html", str(html)).stdout
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("tangent: "))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    print("\nthe class report per variant (calcgrade report calculus; all of it: "
          f"{html}):\n" + "\n".join(lines[start:end]))


if __name__ == "__main__":
    main()
