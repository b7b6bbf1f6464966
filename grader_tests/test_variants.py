"""Every student their own numbers (calcgrade.variants): declared once in the source notebook,
rendered per student through nbgrader's exchange, graded against the student's own variant by
both graders, checked before release."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from calcgrade import variants
from calcgrade.course.directory import Course
from calcgrade.grading.in_process import run_notebook
from grader_tests import REPO
from grader_tests.corpus import tangent_in_numbers

TANGENT = REPO / "source" / "calculus" / "tangent.ipynb"
DECLARATION = """import calcgrade as cg
a, c = cg.variant(a=[1, 1.5, 2, 2.5], c=cg.steps(1, 4),
                  where=lambda a, c: a != 0)  # no pole"""

# What copying a classmate's numbers costs: every part whose answer depends on the numbers; not
# the difference quotient (the same task in every variant), nor the plot (it draws the student's
# own f and tangent right: error carried forward).
COPY_LOSES = {"test-f", "test-df", "test-f-prime", "test-slope", "test-intercept", "test-tangent"}


# --- the declaration, the draw and the rendering -------------------------------------------------

def test_declaration_gives_default_without_given_and_the_given_variant_with_it():
    ns: dict = {}
    exec(DECLARATION, ns)
    assert (ns["a"], ns["c"]) == (1, 1)
    exec(variants.give(DECLARATION, {"a": 2.5, "c": 3}), ns)
    assert (ns["a"], ns["c"]) == (2.5, 3)
    for wrong in ({"a": 3, "c": 1}, {"a": 1}, {"a": 1, "c": 1, "b": 2}):
        with pytest.raises(variants.VariantError, match="not one of this problem's variants"):
            exec(variants.give(DECLARATION, wrong), ns)
    with pytest.raises(variants.VariantError, match="no numbers of its own"):
        exec(variants.give(DECLARATION, variants.NOT_FETCHED), ns)


def test_give_replaces_and_removes_its_keyword_only():
    once = variants.give(DECLARATION, {"a": 2, "c": 3})
    twice = variants.give(once, {"a": 1.5, "c": 1})
    assert "given={'a': 1.5, 'c': 1}" in twice and "'a': 2," not in twice
    assert variants.given_of(twice) == {"a": 1.5, "c": 1}
    assert variants.give(twice, None) == DECLARATION
    assert variants.give("x = 1  # no declaration", {"a": 2}) == "x = 1  # no declaration"
    spread = 'seed, t = cg.variant(\n    seed=cg.steps(0, 9), t=[1, 2],  # é\n    where=None)'
    again = spread
    for values in ({"seed": 0, "t": 1}, {"seed": 12345, "t": 2}, {"seed": 1, "t": 1}):
        again = variants.give(again, values)
        assert variants.given_of(again) == values
    assert again.endswith("\n    given={'seed': 1, 't': 1})")  # on a line of its own
    assert variants.give(again, None) == spread


def test_steps_constraint_and_space():
    assert variants.steps(1, 4) == [1, 2, 3, 4]
    assert variants.steps(0.5, 1.5, 0.25) == [0.5, 0.75, 1.0, 1.25, 1.5]
    declaration = variants.declare(a=[1, 0, 2], c=[1, 3], where=lambda a, c: a != 0)
    assert declaration.space() == [{"a": 1, "c": 1}, {"a": 1, "c": 3}, {"a": 2, "c": 1},
                                   {"a": 2, "c": 3}]
    assert "constraint" in declaration.problem({"a": 0, "c": 1})
    with pytest.raises(variants.VariantError):
        variants.deployed(declaration, [{"a": 0, "c": 1}])  # a pinned variant breaking it


def test_a_students_variant_is_fixed_by_secret_assignment_notebook_and_id():
    space = variants.declare(a=[1, 1.5, 2, 2.5], c=[1, 2, 3, 4]).space()
    drawn = {s: variants.pick(space, "secret", "calculus", "tangent", s)
             for s in (f"student{i}" for i in range(200))}
    assert drawn == {s: variants.pick(space, "secret", "calculus", "tangent", s) for s in drawn}
    assert len({variants.label(v) for v in drawn.values()}) == len(space)  # every one is used
    other_secret = {s: variants.pick(space, "other", "calculus", "tangent", s) for s in drawn}
    assert sum(drawn[s] != other_secret[s] for s in drawn) > 150


def test_markdown_shows_arithmetic_of_the_parameters_and_nothing_else():
    values = {"a": 1.5, "c": 2}
    assert variants.render_text("at $x = {{a}}$, c = {{ c }}, {{3*a**2:.3g}}", values) == \
        "at $x = 1.5$, c = 2, 6.75"
    assert variants.render_text("x = {{a}}", None) == "x = a"  # the exchange's shared copy
    for hostile in ("{{__import__('os').getcwd()}}", "{{a.real}}", "{{[a][0]}}"):
        with pytest.raises(variants.VariantError):
            variants.render_text(hostile, values)


def test_the_tangent_notebook_declares_and_its_default_is_d2ls():
    nb = nbformat.read(TANGENT, as_version=4)
    declaration = variants.declaration_of(nb)
    assert declaration is not None and declaration.default == {"a": 1, "c": 1}
    variants.render(nb, declaration.default)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "x^3 - \\frac{ 1 }{x}" in text and "## 4. The tangent line at $x = 1$" in text
    assert "{{" not in text


def test_a_right_answer_is_right_in_every_variant_and_a_copied_number_is_not():
    """In-process (the instructor's code): the source solution is right under each variant; the
    numbers right for one variant are wrong for another."""
    declaration = variants.declaration_of(nbformat.read(TANGENT, as_version=4))
    first, second = {"a": 1.5, "c": 2}, {"a": 2.5, "c": 4}
    for given in declaration.space():
        assert all(r.message is None for r in run_notebook(TANGENT, {}, given=given).values())
    numbers = tangent_in_numbers(first)
    assert all(r.message is None
               for r in run_notebook(TANGENT, numbers, given=first).values())
    copied = run_notebook(TANGENT, numbers, given=second)
    lost = {cell for cell, r in copied.items() if r.message is not None}
    assert lost == COPY_LOSES, {cell: copied[cell].message for cell in lost}




# --- calcgrade check --variants -------------------------------------------------------------------

@pytest.mark.slow  # runs `calcgrade check` and `nbgrader release_assignment`
def test_check_variants_catches_a_pole_on_the_tangent_point(tmp_path):
    """The tangent notebook with its constraint removed and 0 among the tangent points: every
    variant with a = 0 is reported; as shipped, all pass (the control)."""
    course = Course.copy_of(tmp_path / "course", REPO)
    good = course.run("calcgrade.cli", "check", "calculus", "--only-variants",
                      "--notebook", "tangent", check=False)
    assert good.returncode == 0, good.stdout[-3000:]
    assert "all 15 variants" in good.stdout and "every mistake is caught" in good.stdout
    path = course.root / "source" / "calculus" / "tangent.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if variants.is_declaration(c))
    cell.source = ("import calcgrade as cg\n"
                   "a, c = cg.variant(a=[1, 1.5, 0], c=cg.steps(1, 2))  # no constraint\n")
    nbformat.write(nb, path)
    bad = course.run("calcgrade.cli", "check", "calculus", "--only-variants",
                     "--notebook", "tangent", check=False)
    assert bad.returncode == 1
    failing = [line for line in bad.stdout.splitlines() if "FAIL  tangent variant" in line]
    assert failing and all("a=0," in line for line in failing), bad.stdout[-3000:]
    assert any("a right answer loses points: source_solution" in line for line in failing)
    assert len(failing) == 2  # a = 0 with c = 1 and c = 2; the other four pass

    # Releasing it with variants on needs the explicit flag.
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.Variants.enabled = True\n")
    course.release("calculus")
    refused = course.nbgrader("release_assignment", "calculus", check=False)
    assert refused.returncode != 0
    assert "variants failing their check: a=0, c=1; a=0, c=2" in refused.stderr
    course.nbgrader("release_assignment", "calculus",
                    "--VariantReleaseAssignment.allow_failing_variants=True")
    assert (course.root / "exchange" / "calcgrade" / "outbound" / "calculus").is_dir()


# --- the class loop, with variants on ------------------------------------------------------------

class Student:
    """A student's account: a home with the nbgrader config a JupyterHub gives them (the course's
    exchange, their id, calcgrade's fetch)."""

    def __init__(self, course: Course, name: str, root: Path, fetch: bool = True):
        self.course, self.name, self.home = course, name, root / name
        (self.home / ".jupyter").mkdir(parents=True)
        (self.home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c.Exchange.root = {str(course.root / 'exchange')!r}\n"
            f"c.CourseDirectory.course_id = 'calcgrade'\n"
            f"c.CourseDirectory.student_id = {name!r}\n"
            + ("c.ExchangeFactory.fetch_assignment = "
               "'calcgrade.exchange.VariantFetchAssignment'\n" if fetch else ""))

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "XDG_"))}
        env.update(HOME=str(self.home), PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                              env.get("PATH", "")]))
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.home,
                                env=env, capture_output=True, text=True)
        assert not check or result.returncode == 0, result.stderr[-3000:]
        return result

    @property
    def notebook(self) -> Path:
        return self.home / "tangent" / "tangent.ipynb"

    def answer(self, answers: dict[str, str], edit=None) -> None:
        nb = nbformat.read(self.notebook, as_version=4)
        filled = {**self.course.solutions("tangent", "tangent"), **answers}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in filled:
                cell.source = filled[grade_id]
        if edit:
            edit(nb)
        nbformat.write(nb, self.notebook)
        self.nbgrader("submit", "tangent")


def task_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture
def variant_course(tmp_path) -> Course:
    """A course with one assignment, `tangent` (calculus's tangent notebook and its corpus),
    variants on, and its students in the gradebook."""
    course = Course.copy_of(tmp_path / "course", REPO)
    shutil.rmtree(course.root / "source")
    (course.root / "source" / "tangent").mkdir(parents=True)
    for name in ("tangent.ipynb", "tangent.corpus.py"):
        shutil.copy(TANGENT.parent / name, course.root / "source" / "tangent" / name)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.Variants.enabled = True\nc.ExchangeCollect.check_owner = False\n")
    # A fixed secret: the draws are the same every run, so the students chosen below exist (with a
    # random one, four students of pairwise different variants among 16 are missing 1 time in 8).
    (course.root / ".calcgrade-secret").write_text("the variant test's course secret\n")
    course.release("tangent")
    return course


def all_different(course: Course, candidates, count: int) -> list[str]:
    """`count` students whose variants differ in every parameter."""
    drawn = {s: variants.of_student(course.root, "tangent", "tangent", s, course.config())
             for s in candidates}
    for chosen in itertools.combinations(drawn, count):
        if all(drawn[x]["a"] != drawn[y]["a"] and drawn[x]["c"] != drawn[y]["c"]
               for x, y in itertools.combinations(chosen, 2)):
            return list(chosen)
    raise AssertionError(f"no {count} students with different variants")


@pytest.mark.slow
def test_each_student_fetches_their_own_problem_and_is_graded_on_it(variant_course, tmp_path):
    course = variant_course
    names = all_different(course, [f"student{i}" for i in range(16)], 4)
    for name in names:
        course.nbgrader("db", "student", "add", name)
    own = {n: variants.of_student(course.root, "tangent", "tangent", n, course.config())
           for n in names}

    refused = course.nbgrader("release_assignment", "tangent", check=False)
    assert refused.returncode != 0
    assert "calcgrade check tangent --variants" in refused.stderr + refused.stdout
    checked = course.run("calcgrade.cli", "check", "tangent", "--only-variants", check=False)
    assert checked.returncode == 0, checked.stdout[-3000:]
    course.nbgrader("release_assignment", "tangent", "--force")

    students = [Student(course, n, tmp_path / "homes") for n in names]
    for student in students:
        student.nbgrader("fetch_assignment", "tangent")
    texts = {s.name: task_text(s.notebook) for s in students}
    assert len(set(texts.values())) == 4  # four different problems
    for student in students:
        a, c = own[student.name]["a"], own[student.name]["c"]
        assert f"$x = {variants.render_text('{{a}}', own[student.name])}$" in texts[student.name]
        assert f"\\frac{{ {c} }}{{x}}" in texts[student.name], (a, c)
    # A stock fetch gets the shared copy: the names, and no numbers to run with.
    stranger = Student(course, names[0], tmp_path / "stock", fetch=False)
    stranger.nbgrader("fetch_assignment", "tangent")
    assert "$x = a$" in task_text(stranger.notebook)

    first, second, third, fourth = students
    first.answer({})  # the source's solution: written with the parameters' names
    second.answer(tangent_in_numbers(own[second.name]))  # their own numbers

    def pretend_to_be_second(nb):  # the declaration, its template and the metadata edited
        for cell in nb.cells:
            if variants.is_declaration(cell):
                cell.source = variants.give(cell.source, own[second.name])
                cell.metadata.setdefault("calcgrade", {})["template"] = cell.source
            cell.metadata.get("nbgrader", {}).pop("checksum", None)
        nb.metadata["calcgrade"] = {"student": second.name, "variant": own[second.name]}

    third.answer(tangent_in_numbers(own[second.name]), edit=pretend_to_be_second)  # copied

    def without_declaration(nb):  # the parameters' cell deleted, the names set by hand
        nb.cells = [cell for cell in nb.cells if not variants.is_declaration(cell)]

    copied = tangent_in_numbers(own[second.name])
    copied["tangent-f-df"] = (f"a, c = {own[second.name]['a']!r}, {own[second.name]['c']!r}\n"
                              + copied["tangent-f-df"])
    fourth.answer(copied, edit=without_declaration)
    course.nbgrader("collect", "tangent")

    env_second = dict(os.environ, USER=second.name, JUPYTERHUB_USER=second.name)
    stock = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "tangent", "--force"],
                           cwd=course.root, env=env_second, capture_output=True, text=True)
    assert stock.returncode == 0, stock.stderr[-3000:]
    by_stock = course.grades("tangent")
    trusted = Course(tmp_path / "trusted")
    shutil.copytree(course.root, trusted.root, ignore=shutil.ignore_patterns("autograded"))
    trusted.run("calcgrade.cli", "autograde", "tangent", "--force")
    by_calcgrade = trusted.grades("tangent")

    def lost(name, grades=by_calcgrade):
        return {cell for cell, g in grades[name]["tangent"].items() if g.score != g.max_score}

    assert lost(first.name) == set() and lost(second.name) == set()
    assert lost(third.name) == COPY_LOSES and lost(fourth.name) == COPY_LOSES
    assert {s: by_stock[s] for s in names[:3]} == {s: by_calcgrade[s] for s in names[:3]}
    # Stock nbgrader's hidden tests read the kernel's names, which the fourth student rebound:
    # there the rebinding wins parts back; calcgrade's tests read the grader's own a and c.
    assert lost(fourth.name, by_stock) < COPY_LOSES

    # The control: a grader that keeps the submission's cells (no OverwriteCells, no
    # RenderStudentVariant) grades the third student on the variant they wrote in: full marks.
    control = Course(tmp_path / "control")
    shutil.copytree(course.root, control.root, ignore=shutil.ignore_patterns("autograded"))
    with open(control.root / "nbgrader_config.py", "a") as config:
        config.write("\nfrom nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, "
                     "DeduplicateIds, OverwriteKernelspec)\n"
                     "c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, "
                     "OverwriteKernelspec, CheckCellMetadata]\n")
    control.nbgrader("autograde", "tangent", "--force", f"--student={third.name}")
    assert all(g.score == g.max_score
               for g in control.grades("tangent")[third.name]["tangent"].values())

    trusted.nbgrader("generate_feedback", "tangent", "--force")
    page = (trusted.root / "feedback" / second.name / "tangent" / "tangent.html").read_text()
    assert f"\\frac{{ {own[second.name]['c']} }}{{x}}" in page
