"""Messages that point at the bug (issue 14): the input as given, the wrong component or term,
a targeted hint for a known mistake (and never for a right answer or another mistake), plain
sentences for numpy's shape errors, and never the answer.

Fast, in-process: the checkers called directly, and the corpus's mistakes that say what their
message must hold (`mistake(..., says=..., hides=...)`) graded here by running the source
notebook's cells in this process (the slow corpus test and `calcgrade check` hold the same
cases to the same words through nbgrader's gradebook and the autograded notebooks).
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

import calcgrade as cg
from calcgrade.checks.errors import plain_error
from calcgrade.checks.numeric import show
from calcgrade.checks.symbolic import term_messages
from calcgrade.corpus import Case, load, mistake
from grader_tests.corpus import FILES, SOURCE
from grader_tests.in_process import run_notebook
from grader_tests.network import SHAPES
from grader_tests.network import forward as _forward
from grader_tests.network import gradient as _gradient
from grader_tests.network import loss as _loss

CheckFailed = cg.CheckFailed


def _message(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as failed:
        check(*args, **kwargs)
    return failed.value.message


# ------------------------------------------------------------------------- the input as given

@pytest.mark.parametrize("value, shown", [
    ([1, 2], "[1, 2]"),
    ([1.0, 2.0], "[1.0, 2.0]"),
    (np.array([1, 2]), "np.array([1, 2])"),
    (np.array([1.0, -0.25]), "np.array([1.0, -0.25])"),
    (np.array([1, 2], dtype=np.int32), "np.array([1, 2], dtype=int32)"),
    (np.array([[1, 2], [3, -1]]), "np.array([[1, 2], [3, -1]])"),
    (1, "1"), (1.0, "1.0"), (-0.2531, "-0.2531"), ((1, 2), "(1, 2)"),
    (np.exp, "np.exp"), (lambda t: t, "a function"),
    (np.zeros((5, 3)), "a float array of shape (5, 3)"),
])
def test_an_input_is_shown_as_it_was_given(value, shown):
    assert show(value) == shown


def test_a_vector_function_names_the_integer_input_it_failed_on():
    reference = lambda x: np.array([6 * x[0], 5 * np.exp(x[1])])  # noqa: E731

    def truncating(x):  # the integer list makes np.zeros_like an integer array
        g = np.zeros_like(x)
        g[0], g[1] = 6 * x[0], 5 * np.exp(x[1])
        return g

    message = _message(cg.check_vector_function, truncating, reference, [[1, 2]], part="grad_f",
                       components=["∂f/∂x1", "∂f/∂x2"])
    assert "`grad_f([1, 2])` is wrong in ∂f/∂x2 (index 1)" in message
    assert "array of integers" in message and "1., 2." not in message
    message = _message(cg.check_vector_function, lambda x: -reference(np.asarray(x, float)),
                       reference, [np.array([-3, 1])], part="grad_f")
    assert "grad_f(np.array([-3, 1]))" in message and "integers" not in message


def test_cases_show_each_argument_as_given():
    message = _message(cg.check_cases, lambda a, b: np.array([a, b]), lambda a, b: np.array([b, a]),
                       [(1, 2.5)], part="g")
    assert message.startswith("`g(1, 2.5)` is wrong in")


# ------------------------------------------------------------------- the component, the term

def _paths(a, b):
    x, y, z = a * b, a + b ** 2, np.exp(a - b)
    u_x, u_y, u_z = 2 * x * y, x ** 2, np.cos(z)
    return {"a": {"x": u_x * b, "y": u_y, "z": u_z * z},
            "b": {"x": u_x * a, "y": u_y * 2 * b, "z": -u_z * z}}


def _grad(a, b, drop=None, flip=None, scale=None):
    """The right gradient, or with one path of one component missing, negated or scaled."""
    p = _paths(a, b)
    if drop:
        p[drop[0]][drop[1]] = 0.0
    if flip:
        p[flip[0]][flip[1]] *= -1
    if scale:
        p[scale[0]][scale[1]] *= 0.5
    return np.array([sum(p["a"].values()), sum(p["b"].values())])


_CASES = [tuple(p) for p in np.random.default_rng(3).uniform(-1.5, 1.5, size=(8, 2))]
_TERMS = [{f"the path through {w}": (lambda v, w: lambda a, b: _paths(a, b)[v][w])(v, w)
           for w in "xyz"} for v in "ab"]


@pytest.mark.parametrize("wrong, says, right", [
    (dict(flip=("b", "z")), "in ∂u/∂b (index 1), the path through z has the wrong sign", "∂u/∂a"),
    (dict(drop=("a", "x")), "in ∂u/∂a (index 0), the path through x is missing", "∂u/∂b"),
    (dict(scale=("b", "y")), "in ∂u/∂b (index 1), the path through y is off by a constant factor",
     "∂u/∂a"),
])
def test_a_wrong_component_is_named_with_its_wrong_term(wrong, says, right):
    message = _message(cg.check_cases, lambda a, b: _grad(a, b, **wrong), _grad, _CASES,
                       part="grad_u_ab", components=["∂u/∂a", "∂u/∂b"], terms=_TERMS)
    assert message.endswith(says) and right not in message


def test_without_terms_the_component_is_named_and_no_term_is_guessed():
    message = _message(cg.check_cases, lambda a, b: _grad(a, b) + np.array([0.0, 1.0]), _grad,
                       _CASES, part="grad_u_ab", components=["∂u/∂a", "∂u/∂b"], terms=_TERMS)
    assert "is wrong in ∂u/∂b (index 1)" in message and "path" not in message
    cg.check_cases(_grad, _grad, _CASES, part="grad_u_ab", terms=_TERMS)  # right: passes


_SYMBOLS = "u_x u_y u_z x_a x_b y_a y_b z_a z_b".split()
_DB_TERMS = {"u_x*x_b": "the path through x", "u_y*y_b": "the path through y",
             "u_z*z_b": "the path through z"}


@pytest.mark.parametrize("answer, says", [
    ("u_x*x_b + u_y*y_b - u_z*z_b", "the path through z has the wrong sign"),
    ("u_x*x_b + u_z*z_b + u_y*y_a", "the path through y is missing"),
    ("2*u_x*x_b + u_y*y_b + u_z*z_b", "the path through x has the wrong factor"),
])
def test_a_wrong_sum_names_the_term_not_a_random_point(answer, says):
    message = _message(cg.check_expression, answer, "u_x*x_b + u_y*y_b + u_z*z_b", _SYMBOLS,
                       part="du_db", terms=_DB_TERMS)
    assert says in message and "differs at" not in message
    assert "u_x*x_b" not in message  # the right terms are never shown


def test_stray_terms_are_the_students_own_and_right_sums_pass():
    found = term_messages(cg.parse_expression("(u_x + u_y + u_z)*(x_b + y_b + z_b)", _SYMBOLS),
                          _DB_TERMS, _SYMBOLS, "du_db")
    assert found == ["6 terms of yours (u_x*y_b, u_x*z_b, u_y*x_b ...) follow none of the paths "
                     "it should be made of"]
    cg.check_expression("x_b*u_x + z_b*u_z + y_b*u_y", "u_x*x_b + u_y*y_b + u_z*z_b", _SYMBOLS,
                        part="du_db", terms=_DB_TERMS)


# ----------------------------------------------------------------- hints for typical mistakes

def _norm_grad(x):
    return x / np.linalg.norm(x)


_NORM_MISTAKES = {
    "the gradient of the squared norm": lambda x: 2 * x,
    "the derivative of the square root (the outer function": lambda x: x,
    "the inner derivative is missing": lambda x: np.full(x.shape, 1 / (2 * np.linalg.norm(x))),
}
_NORM_INPUTS = [[3, 4], [-2.5], np.array([0.3, -1.2, 2.0])]


@pytest.mark.parametrize("hint", list(_NORM_MISTAKES))
def test_each_norm_hint_is_given_for_its_mistake_only(hint):
    def student(x):
        return _NORM_MISTAKES[hint](np.asarray(x, dtype=float))

    message = _message(cg.check_vector_function, student, _norm_grad, _NORM_INPUTS,
                       part="grad_norm", mistakes={h: f for h, f in _NORM_MISTAKES.items()})
    assert hint in message
    assert [h for h in _NORM_MISTAKES if h in message] == [hint]  # not another mistake's hint
    assert "norm(x)" not in message and "x / " not in message


def test_no_hint_for_a_right_answer_or_an_unknown_mistake():
    cg.check_vector_function(lambda x: np.asarray(x, float) / np.sqrt(np.sum(np.square(x))),
                             _norm_grad, _NORM_INPUTS, part="grad_norm", mistakes=_NORM_MISTAKES)
    message = _message(cg.check_vector_function, lambda x: 3 * np.asarray(x, float), _norm_grad,
                       _NORM_INPUTS, part="grad_norm", mistakes=_NORM_MISTAKES)
    assert not any(h in message for h in _NORM_MISTAKES)


def test_a_hint_needs_the_mistake_on_every_input():
    def sometimes(x):  # the squared-norm slip on one input only
        x = np.asarray(x, dtype=float)
        return 2 * x if len(x) == 2 else _norm_grad(x)

    message = _message(cg.check_vector_function, sometimes, _norm_grad, _NORM_INPUTS,
                       part="grad_norm", mistakes=_NORM_MISTAKES)
    assert not any(h in message for h in _NORM_MISTAKES)


def test_function_value_and_cases_hints():
    points = [0.5, 1.5, -2.0]
    ref = lambda x: 3 * x ** 2 + 1 / x ** 2  # noqa: E731
    hints = {"check the sign of the derivative of -1/x": lambda x: 3 * x ** 2 - 1 / x ** 2,
             "the derivative of the term -1/x is missing": lambda x: 3 * x ** 2}
    for hint, wrong in hints.items():
        message = _message(cg.check_function, wrong, ref, points, part="df", mistakes=hints)
        assert message.endswith(hint) and [h for h in hints if h in message] == [hint]
    assert not any(h in _message(cg.check_function, lambda x: x, ref, points, part="df",
                                 mistakes=hints) for h in hints)
    cg.check_function(lambda x: (3 * x ** 4 + 1) / x ** 2, ref, points, part="df", mistakes=hints)

    value_hints = {"crosses the y-axis": 0.0, "must pass through the point": 4.0}
    for hint, wrong in value_hints.items():
        message = _message(cg.check_value, wrong, -4.0, part="intercept", mistakes=value_hints)
        assert hint in message and "-4" not in message
    assert "crosses" not in _message(cg.check_value, 1.0, -4.0, part="intercept",
                                     mistakes=value_hints)
    cg.check_value(-4, -4.0, part="intercept", mistakes=value_hints)

    forward = lambda f, x, h: (f(x + h) - f(x)) / h  # noqa: E731
    centred = {"centred difference quotient": lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h)}
    cases = [(np.exp, 0.5, 0.01), (np.sin, 1.0, 1e-3)]
    assert "centred" in _message(cg.check_cases, centred["centred difference quotient"], forward,
                                 cases, part="numerical_lim", mistakes=centred)
    cg.check_cases(forward, forward, cases, part="numerical_lim", mistakes=centred)


_BACKWARD_HINTS = {
    "the derivative of the output layer's activation":
        lambda p, x, t: _gradient(p, x, t, output_prime=False),
    "the delta passed back to a hidden layer": lambda p, x, t: _gradient(p, x, t,
                                                                         hidden_prime=False),
}


def _backward(**wrong):
    return lambda p, cache, t: _gradient(p, cache[0], t, **wrong)


def _check_backward(backward, mistakes):
    rng = np.random.default_rng(5)
    cg.check_backward(_forward, backward, [cg.random_params(SHAPES, rng, scale=0.5)],
                      [(rng.normal(size=2), rng.uniform(size=1))], part="backward",
                      reference_loss=_loss, reference_gradient=_gradient, mistakes=mistakes,
                      rng=rng)


@pytest.mark.parametrize("hint, wrong", [
    ("the derivative of the output layer's activation", dict(output_prime=False)),
    ("the delta passed back to a hidden layer", dict(hidden_prime=False)),
])
def test_backward_hints_each_for_its_own_mistake(hint, wrong):
    with pytest.raises(CheckFailed) as failed:
        _check_backward(_backward(**wrong), _BACKWARD_HINTS)
    assert hint in failed.value.message
    assert [h for h in _BACKWARD_HINTS if h in failed.value.message] == [hint]
    assert "a(1 - a)" not in failed.value.message and "1 - a" not in failed.value.message
    _check_backward(_backward(), _BACKWARD_HINTS)  # a right backward: passes, no hint


def test_backward_without_hints_still_says_where_the_error_enters():
    with pytest.raises(CheckFailed) as failed:  # no output σ': one factor in every layer
        _check_backward(_backward(output_prime=False), None)
    assert "every layer alike" in failed.value.message and "output" in failed.value.message
    with pytest.raises(CheckFailed) as failed:  # the wrong sign at the output
        _check_backward(_backward(sign=-1.0), None)
    assert "has the wrong sign, in every layer alike" in failed.value.message
    with pytest.raises(CheckFailed) as failed:  # no hidden σ': the output layer right
        _check_backward(_backward(hidden_prime=False), None)
    message = failed.value.message
    assert "W3, b3 are right" in message and "every layer alike" not in message


def test_train_recognises_full_batch_descent_and_not_a_right_loop():
    rng = np.random.default_rng(2)
    params = cg.random_params(SHAPES, rng, scale=0.5)
    X, T = rng.normal(size=(4, 2)), rng.uniform(size=(4, 1))
    hints = {"a step after each row": cg.gradients.full_batch_trajectory}

    def train(trajectory):
        return lambda p, X, T, lr, epochs: trajectory(_loss, p, X, T, lr, epochs)

    message = _message(cg.check_train, train(cg.gradients.full_batch_trajectory), params, X, T,
                       0.5, 2, "train", _loss, mistakes=hints)
    assert "a step after each row" in message
    cg.check_train(train(cg.gradients.sgd_trajectory), params, X, T, 0.5, 2, "train", _loss,
                   mistakes=hints)


# ------------------------------------------------------------------ plain words, not jargon

def test_a_wrong_contraction_is_told_in_plain_words():
    jac = lambda g, J: J.T @ g  # noqa: E731
    message = _message(cg.check_cases, lambda g, J: J @ g, jac,
                       [(np.ones(3), np.ones((3, 2)))], part="chain_rule_jacobian")
    assert "a matrix product (@) in your code multiplies arrays whose sizes do not fit" in message
    assert "2 columns" in message and "3 rows" in message
    for jargon in ("gufunc", "core dimension", "ValueError", "operand", "CheckFailed"):
        assert jargon not in message
    message = _message(cg.check_cases, lambda g, J: (g[:, None] * J).sum(axis=1), jac,
                       [(np.ones(3), np.ones((3, 2)))], part="chain_rule_jacobian")
    assert "returned shape (3,) where shape (2,) is expected" in message


def _raised(fn):
    try:
        fn()
    except Exception as exc:  # the error numpy raises, to be put in plain words
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize("fn, says, jargon", [
    (lambda: np.ones((3, 2)) @ np.ones(3), "2 columns", "gufunc"),
    (lambda: np.dot(np.ones((3, 2)), np.ones(3)), "shapes (3, 2) and (3,)", "aligned"),
    (lambda: np.ones((3, 2)) + np.ones((2, 3)), "shapes (3, 2) and (2, 3) entry by entry",
     "broadcast"),
    (lambda: np.einsum("j,ji->i", np.ones(2), np.ones((3, 2))), "shapes (2,) and (3, 2)",
     "remapped"),
    (lambda: np.ones(2)[2], "entry 2 along axis 0", "out of bounds"),
    (lambda: float(np.ones(3)), "turned it into a single number", "0-dimensional"),
    (lambda: 1 if np.ones(3) > 0 else 0, "a single True or False", "ambiguous"),
    (lambda: np.zeros(2, dtype=int).__isub__(0.5 * np.ones(2)), "make them float arrays",
     "casting rule"),
    (lambda: np.ones(6).reshape(7), "array of 6 entries into shape (7,)", "cannot reshape"),
])
def test_numpy_errors_in_plain_words(fn, says, jargon):
    sentence = plain_error(_raised(fn))
    assert sentence is not None and says in sentence and jargon not in sentence


def test_an_error_of_the_students_own_keeps_its_words():
    assert plain_error(NameError("name 'x0' is not defined")) is None
    message = _message(cg.check_cases, lambda a: x0, lambda a: a, [(1.0,)], part="p")  # noqa: F821
    assert message == "`p(1.0)` raised NameError: name 'x0' is not defined"


# ------------------------------------------------- the corpus's messages, graded in-process

_SAYING = [(path, case) for path in FILES for case in load(path) if case.says or case.hides]


def test_every_notebook_has_mistakes_that_say_what_to_look_at():
    saying: dict[str, int] = {}
    for path, case in _SAYING:
        saying[case.notebook] = saying.get(case.notebook, 0) + 1
    assert set(saying) == {p.name.removesuffix(".corpus.py") for p in FILES}
    assert min(saying.values()) >= 2


@pytest.mark.parametrize("path, case", _SAYING,
                         ids=[f"{c.notebook}-{c.name}" for _, c in _SAYING])
def test_a_known_mistake_is_told_what_to_look_at_and_not_the_answer(path, case: Case):
    """Each cell the case breaks fails with what it `says` and without what it `hides`; each
    cell it keeps and names in `says` (a part credited by error carried forward) passes and
    prints those words."""
    ran = run_notebook(SOURCE / path.parent.name / f"{case.notebook}.ipynb", case.answers)
    assert {g for g, r in ran.items() if r.message is not None} == set(case.breaks)
    for cell_id in sorted(case.breaks | set(case.says)):
        text = ran[cell_id].message if cell_id in case.breaks else ran[cell_id].printed
        for words in case.says.get(cell_id, ()):
            assert words.lower() in text.lower(), (cell_id, text)
        for answer in case.hides:
            assert answer.lower() not in text.lower(), (cell_id, text)
        for jargon in ("CheckFailed", "Traceback", "gufunc"):
            assert jargon not in text, (cell_id, text)


def test_credited_parts_say_where_the_error_came_from():
    credited = {case.notebook: words for _, case in _SAYING
                for cell, words in case.says.items() if cell not in case.breaks}
    assert set(credited) == {"tangent", "backprop", "regression"}
    assert all("your own" in w or "right for your" in w
               for words in credited.values() for w in words), credited


def test_says_as_text_is_for_the_one_cell_a_mistake_breaks():
    # A cell the mistake keeps can be named in a dict: what it prints (a part credited by error
    # carried forward says where the error came from).
    kept = mistake("m", "test-a", says={"test-b": "x"}, some_cell="pass")
    assert kept.says == {"test-b": ("x",)} and kept.breaks == {"test-a"}
    with pytest.raises(ValueError, match="breaks one test cell"):
        mistake("m", "test-a test-b", says="x", some_cell="pass")
    case = mistake("m", "test-a", says=["x", "y"], hides="z", some_cell="pass")
    assert case.says == {"test-a": ("x", "y")} and case.hides == ("z",)


def test_calcgrade_check_judges_what_the_graded_message_says(tmp_path):
    """`case_problems` (calcgrade check, the corpus test) reads the failing cell's output in the
    autograded notebook: what it must say, and what it must not give away."""
    from calcgrade.course.check import message_problems
    from calcgrade.course.directory import Course

    case = Case("m", {}, frozenset({"test-a"}), notebook="nb", says={"test-a": ("the sign",)},
                hides=("-4",))
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("cg.check_value(...)")
    cell.metadata["nbgrader"] = {"grade_id": "test-a", "grade": True, "solution": False}
    cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed",
                                           evalue="intercept: check the sign",
                                           traceback=["\x1b[0;31m✗ intercept: check the sign"])]
    nb.cells.append(cell)
    path = tmp_path / "autograded" / case.student / "hw"
    path.mkdir(parents=True)
    nbformat.write(nb, path / "nb.ipynb")
    course = Course(tmp_path)
    assert message_problems(course, "hw", case) == []
    assert "does not say" in message_problems(
        course, "hw", Case("m", {}, case.breaks, notebook="nb", says={"test-a": ("power",)}))[0]
    assert "gives away" in message_problems(
        course, "hw", Case("m", {}, case.breaks, notebook="nb", hides=("sign",)))[0]
