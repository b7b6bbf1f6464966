"""The visible self-checks check what each task states in words (warnings at the stated inputs,
finite results over the stated range, the inputs it must accept, a legend, inputs left unchanged,
a value the task fixes) and never reveal an answer; their success, and the notebook text, say
what it means; task texts define what students return; feedback marks parts waiting for the
instructor.

The self-checks run here as a notebook runs them: the public part of each test cell (what comes
before `### BEGIN HIDDEN TESTS`), exec'd in a namespace built from the notebook's provided cells
and its answer cells (the source solution, or a corpus case's answers in their place).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from calcgrade.checks import selfcheck  # noqa: E402
from calcgrade.checks.errors import CheckFailed  # noqa: E402
from calcgrade.corpus import Case  # noqa: E402
from grader_tests import REPO  # noqa: E402
from grader_tests.corpus import _CASES, ASSIGNMENT_OF  # noqa: E402

NOTEBOOKS = list(_CASES)
MARK = "### BEGIN HIDDEN TESTS"
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)


def _source(notebook: str) -> nbformat.NotebookNode:
    path = REPO / "source" / ASSIGNMENT_OF[notebook] / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and _meta(cell).get("grade") and not _meta(cell).get("solution")


def _code(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))


def self_checks(notebook: str, answers: dict[str, str] | None = None) -> dict[str, str]:
    """Each test cell's self-check output (✓ lines, or its ✗ line), by grade id, for the source
    solution with `answers` (grade id -> code) in place of its answer cells."""
    answers = answers or {}
    namespace: dict = {}
    outputs = {}
    try:
        for cell in _source(notebook).cells:
            meta = _meta(cell)
            grade_id = meta.get("grade_id")
            if cell.cell_type != "code" or not meta:  # the ungraded demo cells are not needed
                continue
            out = io.StringIO()
            if _is_test(cell):
                with contextlib.redirect_stdout(out):
                    try:
                        exec(compile(_code(cell.source.split(MARK)[0]), grade_id, "exec"),
                             namespace)
                    except CheckFailed as exc:
                        print(exc._render_traceback_()[0])
                outputs[grade_id] = out.getvalue()
            else:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
                        warnings.catch_warnings(), contextlib.suppress(Exception):
                    warnings.simplefilter("ignore")
                    exec(compile(_code(answers.get(grade_id, cell.source)), grade_id, "exec"),
                         namespace)
    finally:
        plt.close("all")
    return outputs


def _failing(outputs: dict[str, str]) -> set[str]:
    return {grade_id for grade_id, out in outputs.items() if "\u2717" in out}


def _case(notebook: str, name: str) -> Case:
    return next(case for case in _CASES[notebook] if case.name == name)


def _secrets(notebook: str) -> set[str]:
    """Every substantial line of the source's solutions and hidden tests."""
    lines = set()
    for cell in _source(notebook).cells:
        for _, region in REGION.findall(cell.source):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) > 12}
    return lines


# -- right answers pass every self-check, and each ends with what passing means ---------------
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_source_solution_passes_every_self_check_and_is_told_what_that_means(notebook):
    outputs = self_checks(notebook)
    assert outputs and not _failing(outputs), outputs
    for grade_id, out in outputs.items():
        last = out.strip().splitlines()[-1]
        assert last.startswith("\u2713") and last.endswith(selfcheck.SUMMARY), (grade_id, out)
    assert selfcheck.SUMMARY == ("format and stated requirements checked \u2014 answers are "
                                 "graded after you submit")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_right_answer_of_the_corpus_passes_every_self_check(notebook):
    for case in _CASES[notebook]:
        if not case.breaks:
            failing = _failing(outputs := self_checks(notebook, case.answers))
            assert not failing, (case.name, {g: outputs[g] for g in failing})


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_self_check_fails_only_parts_the_mistake_loses_anyway(notebook):
    """The self-check is in the graded cell: failing a part the hidden test would pass would
    change a verdict. Every corpus mistake fails its self-checks only where it loses points."""
    for case in _CASES[notebook]:
        failing = _failing(outputs := self_checks(notebook, case.answers))
        assert failing <= case.breaks, (case.name, {g: outputs[g] for g in failing - case.breaks})


# -- what the tasks state in words, caught before submitting, without the answer ---------------
GUIDANCE = [
    # notebook, corpus case (or code for an answer cell), test cell, what the student is told
    ("backprop", "naive_sigmoid_overflows", "test-sigmoid",
     ["sigmoid(-1000.0) raised a warning (overflow encountered in exp)",
      "the task asks for no warning for |z| up to 1000"]),
    ("backprop", "naive_sigmoid_overflows", "test-sigmoid-grad",
     ["sigmoid_grad(-1000.0) raised a warning", "for |z| up to 1000"]),
    ("gradient_norm", "nan_at_zero", "test-grad-norm-zero",
     ["grad_norm(the array np.array([0.0, 0.0, 0.0])) raised a warning",
      "the task asks for no warning at x = 0"]),
    ("gradient_norm", "ones_at_zero", "test-grad-norm-zero",
     ["is not 0 where the input is 0", "at x = 0 the task asks for the zero vector"]),
    ("tangent", "no_legend", "test-plot",
     ["`fig` needs a legend naming both lines", "label=...", "ax.legend()"]),
    ("backprop", "sgd_step_in_place", "test-sgd-step",
     ["sgd_step changed the params it was given (params['W1'] differs)", "return a new dict"]),
    ("backprop", "numerical_gradient_mutates", "test-numerical-gradient",
     ["numerical_gradient changed the params it was given",
      "restore each entry after perturbing it"]),
    ("gradient_exp", "integer_truncation", "test-grad-f",
     ["grad_f(the list [1, 2] (of ints)) returned an array of integers",
      "integer input is allowed"]),
    ("gradient_norm", "integer_truncation", "test-grad-norm",
     ["grad_norm(the list [3, 4] (of ints)) returned an array of integers"]),
    ("gradient_norm", "only_three", "test-grad-norm", ["grad_norm(the list [3, 4] (of ints))"]),
    ("chain_rule", "jacobian_for_three", "test-chain-rule-jacobian",
     ["chain_rule_jacobian(grad_u of shape (2,), J of shape (2, 3))"]),
    ("tangent", "f_not_vectorized", "test-f", ["f on a numpy array of shape (4,)"]),
    ("regression", "shuffles_in_place", "test-gradient-descent",
     ["gradient_descent changed the X it was given", "work on copies"]),
    ("regression", "int_weights_in_place", "test-gradient-descent",
     ["with X and y integer arrays"]),
    ("regression", "relu_grad_one_at_zero", "test-relu-grad",
     ["relu_grad(0.0) is not 0 where the input is 0", "the task asks for 0 at z = 0"]),
    ("regression", "relu_grad_not_elementwise", "test-relu-grad",
     ["relu_grad on a numpy array of shape (5,)"]),
    ("regression", "tanh_grad_cosh_overflows", "test-tanh-grad",
     ["tanh_grad(-1000.0) raised a warning", "for |z| up to 1000"]),
    ("regression", "bce_where_computes_both_branches", "test-bce-grad-logit",
     ["bce_grad_logit(-1000.0, 1.0) raised a warning", "for |z| up to 1000"]),
    ("regression", "l1_one_at_zero", "test-l1-grad",
     ["is not 0 where the input is 0", "0 where an entry is 0"]),
    ("regression", "grad_b_not_summed", "test-mse-grad",
     ["grad_b from mse_grad(w, b, X_demo, y_demo) should be a single number"]),
    # Written here: a plot whose legend names one line only.
    ("tangent", {"tangent-plot": "xs = np.linspace(0.2, 3, 100)\nfig, ax = plt.subplots()\n"
                                 "ax.plot(xs, f(xs), label='f')\nax.plot(xs, tangent(xs))\n"
                                 "ax.legend()"},
     "test-plot", ["its legend names 1 line"]),
    # A plot of both curves far from x = 1.
    ("tangent", {"tangent-plot": "xs = np.linspace(2, 3, 50)\nfig, ax = plt.subplots()\n"
                                 "ax.plot(xs, f(xs), label='f')\nax.plot(xs, tangent(xs), "
                                 "label='tangent')\nax.legend()"},
     "test-plot", ["over an interval containing x = 1"]),
    # sgd_step that changes the grads it is given.
    ("backprop", {"backprop-train": "def sgd_step(params, grads, lr):\n"
                                    "    for k in grads:\n        grads[k] *= lr\n"
                                    "    return {k: params[k] - grads[k] for k in params}\n"
                                    "def train(params, X, T, lr, epochs):\n"
                                    "    return params, [0.0] * epochs"},
     "test-sgd-step", ["sgd_step changed the grads it was given"]),
    # train that returns one loss in all.
    ("backprop", {"backprop-train": "def sgd_step(params, grads, lr):\n"
                                    "    return {k: params[k] - lr * grads[k] for k in params}\n"
                                    "def train(params, X, T, lr, epochs):\n"
                                    "    return params, 0.5"},
     "test-train", ["losses from train(init_params(0), X, T, lr=0.5, epochs=2) has shape ()"]),
]


@pytest.mark.parametrize("notebook, case, grade_id, told", GUIDANCE,
                         ids=[f"{n}-{c if isinstance(c, str) else g}"
                              for n, c, g, _ in GUIDANCE])
def test_a_stated_requirement_is_checked_before_submitting_without_the_answer(
        notebook, case, grade_id, told):
    answers = _case(notebook, case).answers if isinstance(case, str) else case
    out = self_checks(notebook, answers)[grade_id]
    line = next((line for line in out.splitlines() if line.startswith("\u2717")), "")
    assert line, f"the self-check passed: {out}"
    for words in told:
        assert words in line, (words, line)
    assert selfcheck.SUMMARY not in out
    leaked = [secret for secret in _secrets(notebook) if secret in out]
    assert not leaked, leaked


def test_what_the_self_checks_said_before_is_no_longer_a_pass():
    """Before: grad_norm's self-check swallowed the warning at 0 and printed ✓; the tangent
    plot's printed "✓ fig: is a Figure with 2 lines" without a legend."""
    out = self_checks("gradient_norm", _case("gradient_norm", "nan_at_zero").answers)
    assert "\u2713 grad_norm: is a function returning shape (3,)" not in out
    out = self_checks("tangent", _case("tangent", "no_legend").answers)["test-plot"]
    assert "\u2713" not in out


def test_a_restore_by_arithmetic_is_not_a_change():
    """+h, -2h, +h leaves the params within an ulp or two: the self-check accepts it, as the
    grader does (RESTORE_ULPS); a forgotten restore (off by h) is refused."""
    ok = self_checks("backprop", _case("backprop", "restores_by_arithmetic").answers)
    assert "\u2713 numerical_gradient: leaves its params unchanged" in ok["test-numerical-gradient"]
    bad = self_checks("backprop", _case("backprop", "numerical_gradient_mutates").answers)
    assert "changed the params" in bad["test-numerical-gradient"]


def test_elementwise_and_inputs_accepted_say_what_passed():
    out = self_checks("backprop")
    assert ("\u2713 sigmoid: works on a float and elementwise on a numpy array, with finite "
            "results and no warning for |z| up to 1000") in out["test-sigmoid"]
    out = self_checks("gradient_exp")["test-grad-f"]
    assert "\u2713 grad_f: accepts integer arrays, lists" in out
    out = self_checks("tangent")["test-plot"]
    assert "and a legend naming them" in out


# -- the notebook text ------------------------------------------------------------------------
def _markdown(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_notebook_says_what_validate_and_the_self_checks_mean(notebook):
    for tree in ("source", "release"):
        text = " ".join(_markdown(REPO / tree / ASSIGNMENT_OF[notebook]
                                  / f"{notebook}.ipynb").split())
        assert "format and stated requirements checked \u2014 answers are graded after you " \
               "submit" in text, (tree, notebook)
        assert "Success! Your notebook passes all the tests." in text


def test_the_tangent_task_defines_the_intercept_it_asks_for():
    text = _markdown(REPO / "source" / "calculus" / "tangent.ipynb")
    assert "**y-intercept** $b$" in text and r"$y = \text{slope}\cdot x + b$" in text
    assert "value at $x = 0$" in text and "not $f(x_0)$" in text
    for name in ("`slope`", "`intercept`", "`tangent(x)`"):
        assert name in text


def test_the_chain_rule_letters_mean_one_thing_each():
    text = _markdown(REPO / "source" / "calculus" / "chain_rule.ipynb")
    general = text.split("In this exercise")[0]
    # The general formula no longer uses the exercise's letters u, x, y.
    assert not re.search(r"(?<![\\a-z])[uxy]_(?:[1jimn]|\{)", general), general
    assert r"v_1, \dots, v_m" in general and r"s_1, \dots, s_n" in general
    assert "$u = f(x, y, z)$" in text and "$x = x(a, b)$" in text
    for name in ("`du_da`", "`du_db`", "`chain_rule_jacobian(grad_u, J)`", "`grad_u_ab(a, b)`",
                 "`grad_u`", "`J`"):
        assert name in text


# -- a symbolic answer shown as it was read (STACK's validation), never judged -----------------
VERDICTS = re.compile(r"\b(correct|incorrect|right|wrong|not equivalent|differs|mistake)\b", re.I)


@pytest.fixture
def notebook_display(monkeypatch):
    """What a notebook's kernel would show: IPython's display, recorded (a stand-in shell, so no
    InteractiveShell is left behind in this process)."""
    import IPython
    import IPython.display

    shown: list[dict] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objs, raw=False, **kw: shown.extend(objs))
    return shown


def _checked(check, *args) -> tuple[str, str]:
    """stdout and stderr of a self-check (a failure: its ✗ line(s) on stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            check(*args)
        except CheckFailed as exc:
            print(exc._render_traceback_()[0])
    return out.getvalue(), err.getvalue()


def test_a_right_and_a_wrong_formula_are_both_shown_as_read_without_a_verdict(notebook_display):
    import sympy as sp

    x = sp.Symbol("x")
    seen = {}
    for label, answer in [("right", "3*x**2 + 1/x**2"), ("wrong", 3 * x**2 - 1 / x**2)]:
        notebook_display.clear()
        out, err = _checked(selfcheck.expression, {"f_prime": answer}, "f_prime", ["x"])
        assert err == "" and len(notebook_display) == 1, (out, err, notebook_display)
        bundle = notebook_display[0]
        assert set(bundle) == {"text/markdown", "text/plain"}
        seen[label] = (bundle, out)
        assert not VERDICTS.search(bundle["text/markdown"] + bundle["text/plain"] + out), label
        assert out == "\u2713 f_prime: is an expression in x\n"
    right, wrong = seen["right"][0], seen["wrong"][0]
    assert right["text/markdown"] == (r"`f_prime` is read as: $\displaystyle 3 x^{2} + "
                                      r"\frac{1}{x^{2}}$")
    assert right["text/plain"] == "f_prime is read as: 3*x**2 + x**(-2)"
    assert wrong["text/markdown"] == (r"`f_prime` is read as: $\displaystyle 3 x^{2} - "
                                      r"\frac{1}{x^{2}}$")
    assert wrong["text/plain"] == "f_prime is read as: 3*x**2 - 1/x**2"


def test_a_vector_of_formulas_is_shown_as_read(notebook_display):
    _checked(selfcheck.vector_expression, {"grad_f_expr": ["6*x1", "5*exp(x2)"]}, "grad_f_expr",
             2, ["x1", "x2"])
    assert notebook_display == [{
        "text/markdown": r"`grad_f_expr` is read as: $\displaystyle \left[6 x_{1},\; "
                         r"5 e^{x_{2}}\right]$",
        "text/plain": "grad_f_expr is read as: [6*x1, 5*exp(x2)]"}]


def test_outside_a_notebook_the_reading_is_not_shown():
    """The grader runs the same self-check line with no kernel: it shows nothing more there
    (the feedback holds the verdict; a corpus's `hides` are checked in it)."""
    out, err = _checked(selfcheck.expression, {"f_prime": "3*x**2 + 1/x**2"}, "f_prime", ["x"])
    assert out == "\u2713 f_prime: is an expression in x\n" and err == ""


UNREADABLE = [
    # answer, what the message names (each with its position), the caret line under the answer
    ("3*x**2 + 1/y**2", ["`y` (character 12) is not one of this problem's symbols (x)"],
     "    3*x**2 + 1/y**2\n               ^"),
    ("3*x^2 + 1/y**2 + z", ["`y` (character 11), `z` (character 18) are not among this "
                            "problem's symbols (x)"],
     "    3*x^2 + 1/y**2 + z\n              ^      ^"),
    ("3x**2 + 1/x**2", ["cannot be read as a formula at character 1 (invalid decimal literal",
                        "write products with *, e.g. 2*x"],
     "    3x**2 + 1/x**2\n    ^"),
    ("3*x**2 + 1/x**", ["cannot be read as a formula at the end (invalid syntax)"],
     "    3*x**2 + 1/x**\n                  ^"),
    ("(3*x**2 + 1/x**2", ["at character 1 ('(' was never closed)"], None),
    ("3*x**2 + Derivative(1/x, x)", ["`Derivative` (character 10) is not a function an answer "
                                     "can use (those it can: Abs"], None),
    ("3*x**2 + exp", ["the function `exp` (character 10) is not called"], None),
]


@pytest.mark.parametrize("answer, named, pointer", UNREADABLE)
def test_what_cannot_be_read_is_named_with_its_position(notebook_display, answer, named,
                                                        pointer):
    out, err = _checked(selfcheck.expression, {"f_prime": answer}, "f_prime", ["x"])
    assert out.startswith("\u2717 f_prime: `f_prime` cannot be read: "), out
    for words in named:
        assert words in out, (words, out)
    if pointer:
        assert pointer in out, out
    assert not notebook_display and err == ""  # nothing shown as read, nothing on stderr
    assert not VERDICTS.search(out.replace("cannot be read", "")), out


def test_an_unknown_symbol_in_a_sympy_answer_is_placed_in_its_printed_form():
    import sympy as sp

    y = sp.Symbol("y")
    out, _ = _checked(selfcheck.expression, {"f_prime": 3 * y**2 + 1 / y**2}, "f_prime", ["x"])
    assert "as sympy prints it: `y` (characters 3 and 10) is not one of" in out, out
    assert "    3*y**2 + y**(-2)\n      ^      ^" in out
    out, _ = _checked(selfcheck.vector_expression, {"g": ["6*x1", "5*exp(y2)"]}, "g", 2,
                         ["x1", "x2"])
    assert "component 2: `y2` (character 7) is not one of" in out, out


@pytest.mark.parametrize("notebook", ["tangent", "gradient_exp", "gradient_norm", "chain_rule"])
def test_the_source_solution_is_shown_as_read_with_nothing_on_stderr(notebook, notebook_display):
    """Every self-check that reads a formula shows it, for the source solution and each right
    answer of the corpus, with nothing on stderr (which would cost the part its points)."""
    symbolic = {_meta(c)["grade_id"] for c in _source(notebook).cells
                if _is_test(c) and re.search(r"selfcheck\.(vector_)?expression\(", c.source)}
    assert symbolic, notebook
    for answers in [None] + [c.answers for c in _CASES[notebook] if not c.breaks]:
        notebook_display.clear()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            outputs = self_checks(notebook, answers)
        assert err.getvalue() == "" and not _failing(outputs), (err.getvalue(), outputs)
        assert len(notebook_display) == len(symbolic), notebook_display
        for bundle in notebook_display:
            assert " is read as: $\\displaystyle " in bundle["text/markdown"], bundle
            assert not VERDICTS.search(bundle["text/plain"]), bundle


# -- feedback: a part graded by hand is waiting for the instructor, not scored 0 --------------
def _render_feedback(tmp_path, *, graded: bool) -> str:
    """nbgrader's feedback (GetGrades, HideTestCode, its own template) for a notebook with a
    written answer graded by hand and an autograded test cell, from a real gradebook."""
    import nbgrader
    from nbconvert import HTMLExporter
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import GetGrades

    from calcgrade.feedback import HideTestCode, template_dirs

    tmp_path.mkdir(parents=True)
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        gb.add_assignment("calculus")
        gb.add_notebook("gradient_norm", "calculus")
        gb.add_grade_cell("gradient-norm-at-zero", "gradient_norm", "calculus", max_score=2,
                          cell_type="markdown")
        gb.add_solution_cell("gradient-norm-at-zero", "gradient_norm", "calculus")
        gb.add_grade_cell("test-grad-norm", "gradient_norm", "calculus", max_score=2,
                          cell_type="code")
        gb.add_student("alice")
        gb.add_submission("calculus", "alice")
        answer = gb.find_grade("gradient-norm-at-zero", "gradient_norm", "calculus", "alice")
        answer.needs_manual_grade = True
        if graded:
            answer.manual_score, answer.needs_manual_grade = 1.5, False
        test = gb.find_grade("test-grad-norm", "gradient_norm", "calculus", "alice")
        test.auto_score, test.needs_manual_grade = 2, False
        gb.db.commit()

    nb = nbformat.v4.new_notebook()
    written = nbformat.v4.new_markdown_cell("It has a kink at 0.")
    written.metadata["nbgrader"] = {"grade": True, "solution": True, "points": 2,
                                    "grade_id": "gradient-norm-at-zero", "locked": False}
    test_cell = nbformat.v4.new_code_cell("cg.check(...)  # hidden test")
    test_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2,
                                      "grade_id": "test-grad-norm", "locked": True}
    nb.cells = [written, test_cell]
    resources = {"nbgrader": {"db_url": db_url, "notebook": "gradient_norm",
                              "assignment": "calculus", "student": "alice"}}
    for preprocessor in (GetGrades(), HideTestCode()):
        nb, resources = preprocessor.preprocess(nb, resources)
    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    css = templates.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"
    # As nbgrader_config.py sets it up for GenerateFeedback: calcgrade's page over nbgrader's.
    exporter = HTMLExporter(template_name="feedback", extra_template_basedirs=template_dirs(),
                            template_file="calcgrade_feedback.html.j2",
                            extra_template_paths=[str(css)])
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    return html


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission
def test_feedback_marks_a_part_graded_by_hand_as_waiting_for_the_instructor(tmp_path):
    html = _render_feedback(tmp_path / "waiting", graded=False)
    assert "To be graded by your instructor" in html
    assert "Score: 0.0 / 2.0" not in html  # what it showed before
    assert "Score: 2.0 / 2.0" in html  # the autograded part keeps its score
    assert "hidden test" not in html  # and its code stays hidden
    # The summary at the top names both parts: the written one as waiting, with its points.
    summary = html.split('id="parts"')[1].split("</table>")[0]
    assert "written answer" in summary and "gradient-norm-at-zero" in summary
    assert "to be graded by your instructor (2.0 max)" in summary
    assert "test-grad-norm" in summary and "2.0 / 2.0" in summary

    html = _render_feedback(tmp_path / "graded", graded=True)
    assert "To be graded by your instructor" not in html
    assert "Score: 1.5 / 2.0" in html
    assert "1.5 / 2.0" in html.split('id="parts"')[1].split("</table>")[0]


# -- end to end: the released notebook's self-checks in a real kernel -------------------------
@pytest.mark.slow
def test_the_released_backprop_notebook_runs_its_self_checks_in_a_kernel(tmp_path):
    """The release as a student has it, answered with the source solution except a sigmoid that
    overflows and an sgd_step that works in place, executed with nbclient: the self-checks of
    the right parts pass with the summary line, the two wrong ones say what the task asks."""
    import nbclient

    source = _source("backprop")
    solutions = {_meta(c)["grade_id"]: re.sub(r"\s*### (BEGIN|END) SOLUTION\n?", "\n", c.source)
                 for c in source.cells if _meta(c).get("solution")}
    wrong = {"backprop-sigmoid": _case("backprop", "naive_sigmoid_overflows")
             .answers["backprop-sigmoid"],
             "backprop-train": _case("backprop", "sgd_step_in_place").answers["backprop-train"]}
    nb = nbformat.read(REPO / "release" / "backprop" / "backprop.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if _meta(cell).get("solution"):
            cell.source = wrong.get(grade_id, solutions[grade_id])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()

    def shown(grade_id):
        cell = next(c for c in nb.cells if _meta(c).get("grade_id") == grade_id)
        return json.dumps([o.get("text", "") + o.get("evalue", "") + "".join(o.get("traceback", []))
                           for o in cell.outputs], ensure_ascii=False)

    assert "no warning for |z| up to 1000" in shown("test-sigmoid")
    assert "sgd_step changed the params it was given" in shown("test-sgd-step")
    for grade_id in ("test-forward", "test-loss", "test-numerical-gradient", "test-train"):
        assert selfcheck.SUMMARY in shown(grade_id), shown(grade_id)
    assert "Traceback" not in shown("test-sigmoid") and "calcgrade/" not in shown("test-sigmoid")
