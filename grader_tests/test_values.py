"""Every honest value crosses: numbers of any type (int, float, bool, numpy scalars and 0-d arrays,
Fraction, Decimal, sympy numbers) and array-likes (`__array__`, np.matrix, lists of numbers) reach
the grader as what they are, and figures drawn with axline, scatter, LineCollections and
`fig.legend` are judged like those drawn with `ax.plot` and `ax.legend`. Wrong values still fail,
and a lying object lies only to itself.

(1) the codec pairs of `calcgrade.codec`, (2) end to end through a real sandboxed student process
and the real checkers (and the tangent notebook's own hidden tests through TrustedExecute), (3)
lying objects, each with its positive control."""

import enum
import json
import numbers
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402

import calcgrade as cg  # noqa: E402
from calcgrade import selfcheck  # noqa: E402
from calcgrade.checks.errors import CheckFailed  # noqa: E402
from calcgrade.checks.plots import FigureSummary  # noqa: E402
from calcgrade.sandbox import codec  # noqa: E402
from calcgrade.sandbox.process import StudentProcess  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _f(x):
    return x ** 3 - 1 / x


def _tangent(x):
    return 4 * x - 4


CURVES = {"f": _f, "the tangent at x = 1": _tangent}
SPANS = {"f": 0.5, "the tangent at x = 1": 0.2}  # as the tangent notebook asks


# ---------------------------------------------------------------- (1) the codec pairs
def _cross(value):
    """`value` sent by the student's side and read by the grader's, through JSON as on the
    channel; what cannot cross comes back as a codec.Ref."""
    kept = {}

    def keep(obj):
        kept[id(obj)] = obj
        return id(obj)

    data = json.loads(json.dumps(codec.encode(value, keep, summarize=codec.summarize)))
    return _GRADER.decode(data)


_GRADER = object.__new__(StudentProcess)  # the grader's side of the channel: its decode needs
# no process (references to objects become codec.Ref)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix's own
    _MATRIX = np.matrix([[1.0, 2.0]])


class Colour(enum.IntEnum):
    RED = 4


class Stored(float):
    """A float subclass: crosses as the float it stores."""


@pytest.mark.parametrize("value, same", [
    (Fraction(4), Fraction(4)), (Fraction(-7, 3), Fraction(-7, 3)),
    (Fraction(10 ** 300 + 1, 3), Fraction(10 ** 300 + 1, 3)),  # exact, its digits as text
    (Decimal("4"), Decimal("4")), (Decimal("-1.250E-7"), Decimal("-1.250E-7")),
    (Decimal("Infinity"), Decimal("Infinity")),
    (2 ** 60 + 1, 2 ** 60 + 1), (Colour.RED, 4), (Stored(2.5), 2.5), (3 - 2j, 3 - 2j),
    (np.float32(4), np.float32(4)), (np.longdouble(4), np.float64(4)),
    (np.array([1.5, 2], dtype=">f8"), np.array([1.5, 2.0])),  # another byte order
    (np.array([[1, 2]], dtype=np.longdouble), np.array([[1.0, 2.0]])),
    (_MATRIX, np.array([[1.0, 2.0]])),
    (np.array([Fraction(1, 2), Decimal("0.5")], dtype=object),
     np.array([Fraction(1, 2), Decimal("0.5")], dtype=object)),
    ([Fraction(1, 2), Decimal("0.25"), 1, True], [Fraction(1, 2), Decimal("0.25"), 1, True]),
    ({"w": (Fraction(1, 3), np.float16(2))}, {"w": (Fraction(1, 3), np.float16(2))}),
    (sp.Rational(1, 3), sp.Rational(1, 3)), (sp.Integer(4), sp.Integer(4)),
])
def test_each_value_crosses_as_what_it_is(value, same):
    got = _cross(value)
    assert type(got) is type(same)
    if isinstance(same, np.ndarray):
        assert got.dtype == same.dtype and got.shape == same.shape
        assert all(a == b for a, b in zip(got.ravel(), same.ravel()))
    else:
        assert got == same


def test_decimal_nan_and_large_fractions_cross_within_bounds():
    assert _cross(Decimal("NaN")).is_nan() and _cross(Decimal("-sNaN")).is_snan()
    # a fraction too long to send exactly crosses as its nearest float, one past floats not at all
    big = Fraction(10 ** 450 + 7, 3 * 10 ** 449)
    assert _cross(big) == float(big) and type(_cross(big)) is float
    assert isinstance(_cross(Fraction(10 ** 500)), codec.Ref)
    assert isinstance(_cross(10 ** 5000), codec.Ref)  # a huge int stays where it is
    long_decimal = Decimal("4." + "0" * 300)
    assert _cross(long_decimal) == 4.0 and type(_cross(long_decimal)) is float


class ArrayLike:
    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.array)


class Index:
    def __index__(self):
        return 4


def test_array_likes_and_integers_by_index_cross():
    assert np.array_equal(_cross(ArrayLike([4.0, -4.0])), [4.0, -4.0])
    assert _cross(Index()) == 4 and type(_cross(Index())) is int
    # not a whitelisted dtype, or too large: it stays where it is
    assert isinstance(_cross(ArrayLike(["4"])), codec.Ref)
    assert isinstance(_cross(ArrayLike(np.broadcast_to(4.0, (10 ** 8,)))), codec.Ref)
    assert isinstance(_cross(ArrayLike(np.array([object()]))), codec.Ref)


@pytest.mark.parametrize("data", [
    {"$fraction": [1]}, {"$fraction": [1, 0]}, {"$fraction": "1/2"}, {"$fraction": [1.5, 2]},
    {"$fraction": [True, 1]}, {"$fraction": ["1" * 401, 1]}, {"$fraction": [10 ** 401, 1]},
    {"$fraction": ["0x10", 1]}, {"$fraction": [" 1", 1]}, {"$fraction": [None, 1]},
    {"$decimal": "1" * 201}, {"$decimal": 4}, {"$decimal": "4 "}, {"$decimal": "1_000"},
    {"$decimal": "\u0664"}, {"$decimal": "1e12345678901"}, {"$decimal": "NaN" + "1" * 300},
    {"$bigint": "1" * 401}, {"$bigint": "0x10"}, {"$bigint": 5},
    {"$complex": [1]}, {"$complex": ["a", 1]}, {"$complex": 5}, {"$complex": [10 ** 400, 0]},
    {"$array": "!!", "dtype": "float64", "shape": [1]},
    {"$array": "AAAAAAAA8D8=", "dtype": "float64", "shape": [-1]},
    {"$array": "AAAAAAAA8D8=", "dtype": "float64", "shape": [2]},
    {"$array": "AAAAAAAA8D8=", "dtype": "object", "shape": [1]},
    {"$array": "AAAAAAAA8D8=", "dtype": "float64", "shape": "1"},
    {"$objects": 5, "shape": [1]}, {"$objects": [1, 2], "shape": [3]},
    {"$dict": [[1, 2]]}, {"$dict": [["a"]]}, {"$tuple": 5}, {"$unknown": 1},
])
def test_malformed_or_huge_tagged_data_raises_channel_error(data):
    with pytest.raises(codec.ChannelError):
        _cross_data(data)


def _cross_data(data):
    return codec.decode(json.loads(json.dumps(data)), lambda tagged: (_ for _ in ()).throw(
        codec.ChannelError("unknown value")))


def test_control_well_formed_tagged_data_decodes():
    """Positive control for the test above: the same tags, well formed."""
    assert _cross_data({"$fraction": [8, 2]}) == Fraction(4)
    assert _cross_data({"$fraction": ["-" + "1" * 400, "3"]}) == Fraction(-int("1" * 400), 3)
    assert _cross_data({"$decimal": "-1.5E+3"}) == Decimal("-1500")
    assert _cross_data({"$bigint": "1" * 400}) == int("1" * 400)
    assert _cross_data({"$complex": [1, 2.5]}) == 1 + 2.5j
    assert _cross_data({"$array": "AAAAAAAA8D8=", "dtype": "float64", "shape": [1]}) == [1.0]


@pytest.mark.parametrize("tagged", [
    {"$figure": 5}, {"$figure": {"axes": [{"lines": [5]}]}}, {"$figure": {"axes": 5}},
    {"$sympy_matrix": [["x"], ["x", "y"]]}, {"$sympy_array": ["x"], "shape": "a"},
])
def test_malformed_summaries_raise_channel_error_in_the_grader(tagged):
    with pytest.raises(codec.ChannelError):
        _GRADER.decode(tagged)


# ---------------------------------------------------------------- (2) end to end
@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """One real sandboxed student process for this module's cells (each test defines its own
    names)."""
    process = StudentProcess(tmp_path_factory.mktemp("values"))
    assert "error" not in process.run_cell(
        "from fractions import Fraction\nfrom decimal import Decimal\nimport numbers\n"
        "import numpy as np\nimport sympy as sp\nimport matplotlib.pyplot as plt\n"
        "xs = np.linspace(0.2, 3, 50)\nf = lambda x: x ** 3 - 1 / x")
    yield process
    process.close()


def _run(student, code: str) -> None:
    reply = student.run_cell(code)
    assert "error" not in reply, reply


def _fetch(student, *names) -> dict:
    return {name: student.get(name) for name in names}


RIGHT = {"fraction": "Fraction(4)", "fraction_from_parts": "Fraction(8, 2)",
         "decimal": 'Decimal("4")', "decimal_places": 'Decimal("4.000")',
         "float32": "np.float32(4)", "array0d": "np.array(4.0)", "longdouble": "np.longdouble(4)",
         "integer": "sp.Integer(4)", "rational": "sp.Rational(8, 2)", "sym_float": "sp.Float(4)",
         "int_enum": "__import__('enum').IntEnum('E', {'A': 4}).A", "plain": "4"}
WRONG = {"fraction": "Fraction(5)", "fraction_near": "Fraction(40001, 10000)",
         "decimal": 'Decimal("4.0001")', "float32": "np.float32(5)", "array0d": "np.array(3.0)",
         "integer": "sp.Integer(5)", "rational": "sp.Rational(9, 2)", "true": "True"}


def test_numbers_of_every_type_pass_when_right_and_fail_when_wrong(student):
    _run(student, "\n".join(f"right_{k} = {v}" for k, v in RIGHT.items()))
    _run(student, "\n".join(f"wrong_{k} = {v}" for k, v in WRONG.items()))
    ns = _fetch(student, *(f"right_{k}" for k in RIGHT), *(f"wrong_{k}" for k in WRONG))
    assert type(ns["right_fraction"]) is Fraction and type(ns["right_decimal"]) is Decimal
    for name in (f"right_{k}" for k in RIGHT):
        selfcheck.number(ns, name)  # the self-check accepts what the grader accepts
        cg.check_value(ns[name], 4.0, part=name)
    for name in (f"wrong_{k}" for k in WRONG):
        selfcheck.number(ns, name)  # a number of the right form ...
        with pytest.raises(CheckFailed, match="wrong value"):  # ... but not the right one
            cg.check_value(ns[name], 4.0, part=name)


def test_bool_where_a_number_is_expected(student):
    _run(student, "flag = True\nno_flag = np.bool_(False)")
    ns = _fetch(student, "flag", "no_flag")
    selfcheck.number(ns, "flag")
    cg.check_value(ns["flag"], 1.0, part="flag")
    cg.check_value(ns["no_flag"], 0.0, part="no_flag")
    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_value(ns["flag"], 0.0, part="flag")


def test_array_likes_pass_when_right_and_fail_when_wrong(student):
    _run(student, "class Vec:\n    def __init__(self, *v):\n        self.v = v\n"
                  "    def __array__(self, dtype=None, copy=None):\n"
                  "        return np.array(self.v, dtype=dtype)\n"
                  "vec = Vec(4.0, -4.0)\nwrong_vec = Vec(4.0, 4.0)\n"
                  "mat = np.matrix([[4.0, -4.0]])\nwrong_mat = np.matrix([[4.0], [-4.0]])\n"
                  "numbers_list = [Fraction(4), Decimal('-4')]\nsym_list = [sp.Integer(4), -4]\n"
                  "wrong_list = [Fraction(4), Fraction(-5)]\n"
                  "params = {'w': Vec(4.0, -4.0), 'b': Fraction(1, 2)}")
    ns = _fetch(student, "vec", "wrong_vec", "mat", "wrong_mat", "numbers_list", "sym_list",
                "wrong_list", "params")
    for name in ("vec", "numbers_list", "sym_list"):
        cg.check_value(ns[name], [4.0, -4.0], part=name)
    cg.check_value(ns["mat"], [[4.0, -4.0]], part="mat")  # a matrix keeps its two dimensions
    cg.check_value(ns["params"]["w"], [4.0, -4.0], part="w")
    cg.check_value(ns["params"]["b"], 0.5, part="b")
    for name in ("wrong_vec", "wrong_list"):
        with pytest.raises(CheckFailed, match="wrong value"):
            cg.check_value(ns[name], [4.0, -4.0], part=name)
    with pytest.raises(CheckFailed, match="shape"):
        cg.check_value(ns["wrong_mat"], [[4.0, -4.0]], part="wrong_mat")


def test_functions_returning_fractions_and_decimals(student):
    _run(student, "def tangent_fraction(x):\n    return Fraction(4) * Fraction(x) - 4\n"
                  "def tangent_decimal(x):\n    return Decimal(4) * Decimal(x) - 4\n"
                  "def wrong_fraction(x):\n    return Fraction(5) * Fraction(x) - 5\n"
                  "def quotient(f, x, h):\n    return Fraction(f(x + h) - f(x)) / Fraction(h)")
    ns = _fetch(student, "tangent_fraction", "tangent_decimal", "wrong_fraction", "quotient")
    points = [-1.5, 0.25, 2.0]
    for name in ("tangent_fraction", "tangent_decimal"):
        selfcheck.function(ns, name, 2.0, shape=())
        cg.check_function(ns[name], _tangent, points, part=name, vectorized=False)
    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_function(ns["wrong_fraction"], _tangent, points, part="w", vectorized=False)
    cg.check_cases(ns["quotient"], lambda f, x, h: (f(x + h) - f(x)) / h,
                   [(lambda t: 3 * t ** 2 - 4 * t, 1.0, 0.1)], part="quotient", rtol=1e-7)


FIGURES = {
    # the tangent as an infinite axline, f as scatter markers, the legend the figure's
    "axline_scatter_figlegend": "ax.scatter(xs, f(xs), label='f')\n"
                                "ax.axline((1, 0), slope=4, ls='--', label='tangent')\n"
                                "fig.legend()",
    "axline_two_points_axlegend": "ax.plot(xs, f(xs), label='f')\n"
                                  "ax.axline((1, 0), (2, 4), label='tangent')\nax.legend()",
    "scatter_and_segments": "ax.scatter(xs, f(xs), s=4, label='f')\n"
                            "from matplotlib.collections import LineCollection\n"
                            "ax.add_collection(LineCollection([[(0.7, -1.2), (1.3, 1.2)]], "
                            "label='tangent'))\nplt.figlegend()",
}
WRONG_FIGURES = {
    "scatter_of_the_wrong_curve": ("ax.scatter(xs, xs ** 3 + 1 / xs, label='f')\n"
                                   "ax.axline((1, 0), slope=4, label='tangent')\nfig.legend()",
                                   "no line follows f on"),
    "axline_of_the_wrong_slope": ("ax.scatter(xs, f(xs), label='f')\n"
                                  "ax.axline((1, 0), slope=5, label='tangent')\nfig.legend()",
                                  "no line follows the tangent"),
    "no_legend": ("ax.scatter(xs, f(xs), label='f')\nax.axline((1, 0), slope=4, label='tangent')",
                  "legend should name each"),
    "an_axline_cut_by_the_view": ("ax.scatter(xs, f(xs), label='f')\n"
                                  "ax.axline((1, 0), slope=4, label='tangent')\nfig.legend()\n"
                                  "ax.set_ylim(-0.1, 0.1)",  # the tangent drawn over 0.05 only
                                  "no line follows the tangent"),
    "hidden_scatter": ("ax.scatter(xs, f(xs), label='f').set_visible(False)\n"
                       "ax.axline((1, 0), slope=4, label='tangent')\nfig.legend()",
                       "no line follows f on"),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_with_axline_scatter_and_figure_legends_pass(student, name):
    _run(student, f"fig, ax = plt.subplots()\n{FIGURES[name]}\nfig_{name} = fig\nplt.close(fig)")
    fig = student.get(f"fig_{name}")
    assert isinstance(fig, FigureSummary)
    selfcheck.figure({"fig": fig}, "fig")
    cg.check_curves_plot(fig, CURVES, around=1.0, part="fig", min_span=SPANS)


@pytest.mark.parametrize("name", list(WRONG_FIGURES))
def test_wrong_figures_still_fail(student, name):
    code, message = WRONG_FIGURES[name]
    _run(student, f"fig, ax = plt.subplots()\n{code}\nfig_{name} = fig\nplt.close(fig)")
    with pytest.raises(CheckFailed, match=message):
        cg.check_curves_plot(student.get(f"fig_{name}"), CURVES, around=1.0, part="fig",
                             min_span=SPANS)


def test_the_same_figures_are_judged_alike_in_one_process():
    """Under stock nbgrader the checker reads the Figure itself: same verdicts."""
    xs, f = np.linspace(0.2, 3, 50), _f  # as in the student's process
    for name, code in FIGURES.items():
        fig, ax = plt.subplots()
        exec(code, {"ax": ax, "fig": fig, "plt": plt, "xs": xs, "f": f})
        cg.check_curves_plot(fig, CURVES, around=1.0, part="fig", min_span=SPANS)
        plt.close(fig)
    for name, (code, message) in WRONG_FIGURES.items():
        fig, ax = plt.subplots()
        exec(code, {"ax": ax, "fig": fig, "plt": plt, "xs": xs, "f": f})
        with pytest.raises(CheckFailed, match=message):
            cg.check_curves_plot(fig, CURVES, around=1.0, part="fig", min_span=SPANS)
        plt.close(fig)


def test_a_horizontal_tangent_by_axhline_is_where_it_is_drawn():
    fig, ax = plt.subplots()
    xs = np.linspace(-2, 2, 81)
    ax.plot(xs, xs ** 2 + 1, label="x^2 + 1")
    ax.axhline(1.0, label="tangent at 0")
    ax.legend()
    curves = {"parabola": lambda x: x ** 2 + 1, "tangent": lambda x: 0 * x + 1}
    cg.check_curves_plot(fig, curves, around=0.0, part="fig", min_span=0.2)
    with pytest.raises(CheckFailed, match="no line follows tangent"):
        cg.check_curves_plot(fig, {**curves, "tangent": lambda x: 0 * x + 1.5}, around=0.0,
                             part="fig", min_span=0.2)
    plt.close(fig)


def _tangent_notebook(answers: dict) -> nbformat.NotebookNode:
    """The tangent notebook, its hidden tests included, with some answer cells replaced."""
    nb = nbformat.read(ROOT / "source" / "calculus" / "tangent.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _errors(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: [o for o in cell.outputs
                                                    if o.get("output_type") == "error"]
            for cell in nb.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id")}


def test_the_tangent_notebook_accepts_a_fraction_slope_and_an_axline_scatter_plot(
        tmp_path, monkeypatch):
    """The known failures, through TrustedExecute and the notebook's own hidden tests: a
    Fraction slope and intercept, a tangent from ax.axline, f from ax.scatter, fig.legend.
    Wrong answers in the same forms fail exactly their parts."""
    from calcgrade.grading.execute import TrustedExecute

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "submission"
    folder.mkdir()
    plot = ("xs = np.linspace(0.1, 3, 120)\nfig, ax = plt.subplots()\n"
            "ax.scatter(xs, f(xs), s=6, label='f')\n"
            "ax.axline((1, 0), slope={slope}, color='C1', label='tangent at x = 1')\n"
            "fig.legend()")
    line = ("from fractions import Fraction\nslope = Fraction({slope})\n"
            "intercept = Fraction(-4)\ntangent = lambda x: {slope} * x - 4")
    right = {"tangent-line": line.format(slope=4), "tangent-plot": plot.format(slope=4)}
    wrong = {"tangent-line": line.format(slope=5), "tangent-plot": plot.format(slope=5)}
    resources = {"metadata": {"path": str(folder)}}
    nb, _ = TrustedExecute().preprocess(_tangent_notebook(right), resources)
    errors = _errors(nb)
    assert not any(errors.values()), errors
    nb, _ = TrustedExecute().preprocess(_tangent_notebook(wrong), resources)
    failed = {k for k, v in _errors(nb).items() if v}
    assert failed == {"test-slope", "test-tangent", "test-plot"}
    assert all(o["ename"] == "CheckFailed" for k in failed for o in _errors(nb)[k])


# ---------------------------------------------------------------- (3) lying objects
def test_lying_numbers_lie_only_to_themselves(student):
    _run(student, "\n".join([
        "class Liar(float):",  # stores 3.0, says 4.0
        "    def __float__(self): return 4.0",
        "    def __eq__(self, other): return True",
        "    __hash__ = float.__hash__",
        "class EqualFraction(Fraction):",  # stores 5, says equal to anything and 4.0 as float
        "    def __eq__(self, other): return True",
        "    def __float__(self): return 4.0",
        "    numerator = property(lambda self: 4)",
        "    denominator = property(lambda self: 1)",
        "    __hash__ = Fraction.__hash__",
        "class LyingDecimal(Decimal):",
        "    def __str__(self): return '4'",
        "    def __float__(self): return 4.0",
        "class AlwaysEqual:",  # not a number at all, whatever its __float__ says
        "    def __eq__(self, other): return True",
        "    def __float__(self): return 4.0",
        "    __hash__ = object.__hash__",
        "liar, right_liar = Liar(3.0), Liar(4.0)",
        "equal_fraction, right_equal_fraction = EqualFraction(5), EqualFraction(4)",
        "lying_decimal, right_lying_decimal = LyingDecimal('5'), LyingDecimal('4')",
        "always_equal = AlwaysEqual()",
    ]))
    ns = _fetch(student, "liar", "right_liar", "equal_fraction", "right_equal_fraction",
                "lying_decimal", "right_lying_decimal", "always_equal")
    assert type(ns["equal_fraction"]) is Fraction  # a plain Fraction: nothing of theirs is left
    for name in ("liar", "equal_fraction", "lying_decimal"):
        with pytest.raises(CheckFailed, match="wrong value"):
            cg.check_value(ns[name], 4.0, part=name)
        cg.check_value(ns[f"right_{name}"], 4.0, part=name)  # positive control: the stored value
    with pytest.raises(CheckFailed, match="not a number"):
        cg.check_value(ns["always_equal"], 4.0, part="always_equal")


def test_a_number_that_changes_its_mind_is_asked_once(student):
    """A registered Real whose __float__ says 5 first and 4 after: the grader judges the one
    number it was sent, asking nothing more of it."""
    _run(student, "\n".join([
        "class Fickle:",
        "    calls = 0",
        "    def __init__(self, *answers): self.answers = answers",
        "    def __float__(self):",
        "        Fickle.calls += 1",
        "        return self.answers[min(Fickle.calls - 1, len(self.answers) - 1)]",
        "numbers.Real.register(Fickle)",
        "fickle = Fickle(5.0, 4.0, 4.0, 4.0)",
    ]))
    value = student.get("fickle")
    assert value == 5.0
    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_value(value, 4.0, part="fickle")
    for _ in range(3):  # the grader fetches it again (another test cell): asked once each time
        cg.check_value(student.get("fickle"), 4.0, part="fickle")
    _run(student, "assert Fickle.calls == 4, Fickle.calls")


def test_array_likes_that_lie_cannot_pass(student):
    _run(student, "\n".join([
        "class Huge:",
        "    def __array__(self, dtype=None, copy=None):",
        "        return np.broadcast_to(np.float64(4.0), (10 ** 8,))",
        "class Raises:",
        "    def __array__(self, dtype=None, copy=None):",
        "        raise RuntimeError('no')",
        "class Strings:",
        "    def __array__(self, dtype=None, copy=None):",
        "        return np.array(['4.0'])",
        "class Right:",
        "    def __array__(self, dtype=None, copy=None):",
        "        return np.array([4.0])",
        "huge, raises, strings, right = Huge(), Raises(), Strings(), Right()",
    ]))
    ns = _fetch(student, "huge", "raises", "strings", "right")
    for name in ("huge", "raises", "strings"):
        assert isinstance(ns[name], codec.Ref)  # it stayed in the student's process
        with pytest.raises(CheckFailed, match="not a number"):
            cg.check_value(ns[name], [4.0], part=name)
    cg.check_value(ns["right"], [4.0], part="right")  # positive control
    assert student.alive


def test_a_forged_reply_with_a_huge_fraction_is_refused_by_the_grader(student):
    """The student's side is patched to send its own (forged) fraction: the grader's decode
    refuses what an honest side never sends, and accepts what it does (the control)."""
    def forged(numerator):
        _run(student, "\n".join([
            "import gc",
            "side = next(o for o in gc.get_objects() if type(o).__name__ == 'StudentSide')",
            "honest = side.get",
            "side.get = lambda name: ({'value': {'$fraction': [%r, 1]}} if name == 'forged'"
            " else honest(name))" % numerator,
            "forged = None",
        ]))
        try:
            return student.get("forged")
        finally:
            _run(student, "side.get = honest")

    assert forged("4") == Fraction(4)
    with pytest.raises(codec.ChannelError):
        forged("9" * 5000)


def test_registered_numbers_and_index_cross_by_their_protocols(student):
    """A class registered as numbers.Rational crosses as its numerator / denominator; one with
    only __index__ as that integer."""
    _run(student, "\n".join([
        "class Ratio:",
        "    def __init__(self, p, q): self.numerator, self.denominator = p, q",
        "numbers.Rational.register(Ratio)",
        "class Count:",
        "    def __init__(self, n): self.n = n",
        "    def __index__(self): return self.n",
        "ratio, wrong_ratio, count = Ratio(8, 2), Ratio(9, 2), Count(4)",
    ]))
    ns = _fetch(student, "ratio", "wrong_ratio", "count")
    assert ns["ratio"] == Fraction(4) and type(ns["count"]) is int
    cg.check_value(ns["ratio"], 4.0, part="ratio")
    cg.check_value(ns["count"], 4.0, part="count")
    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_value(ns["wrong_ratio"], 4.0, part="wrong_ratio")


def test_in_one_process_the_checkers_read_stored_values_too():
    """Stock nbgrader hands the checker the student's objects themselves: a subclass is read
    as the value it stores there as well, and an object that only has __float__ is refused."""
    class EqualFraction(Fraction):
        def __eq__(self, other):
            return True

        def __float__(self):
            return 4.0

        __hash__ = Fraction.__hash__

    class OnlyFloat:
        def __float__(self):
            return 4.0

    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_value(EqualFraction(5), 4.0, part="slope")
    cg.check_value(EqualFraction(4), 4.0, part="slope")
    with pytest.raises(CheckFailed, match="not a number"):
        cg.check_value(OnlyFloat(), 4.0, part="slope")
    with pytest.raises(CheckFailed, match="not a number"):
        cg.check_value(np.array(["4"], dtype=object), [4.0], part="slope")
    assert isinstance(Fraction(1), numbers.Rational)
