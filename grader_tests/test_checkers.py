"""Numeric, plot and gradient checkers: right answers pass (noise included), wrong ones fail."""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import calcgrade as cg  # noqa: E402
from calcgrade.checks.errors import CheckFailed  # noqa: E402
from grader_tests import network  # noqa: E402
from grader_tests.network import SHAPES  # noqa: E402
from grader_tests.network import forward as _forward  # noqa: E402
from grader_tests.network import loss as _loss  # noqa: E402
from grader_tests.network import sigmoid as _sigmoid  # noqa: E402

POINTS = [-2.5, -0.7, 0.3, 1.0, 2.2]
DF = lambda x: 3 * x ** 2 + 1 / x ** 2  # noqa: E731


# ---------------------------------------------------------------- values and functions
@pytest.mark.parametrize("value", [4, 4.0, np.float32(4), np.int64(4), np.array(4.0),
                                   __import__("sympy").Integer(4)])
def test_value_in_any_real_number_type_passes(value):
    cg.check_value(value, 4.0, part="slope")


class AlwaysEqual(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("value, message", [
    (4.0003, "wrong value"), (AlwaysEqual(3.0), "wrong value"), (np.nan, "NaN"),
    (4 + 1e-3j, "complex"), ([4.0], "shape"), ("4", "not a number"), (None, "not a number"),
    (object(), "not a number"),
])
def test_values_that_try_to_look_right_fail(value, message):
    with pytest.raises(CheckFailed, match=message):
        cg.check_value(value, 4.0, part="slope")


def test_function_right_on_floats_and_arrays_passes_despite_noise():
    def noisy_df(x):
        print("debug")
        warnings.warn("noise")
        return 3 * x ** 2 + x ** -2.0

    cg.check_function(noisy_df, DF, POINTS, part="df")


@pytest.mark.parametrize("student, message", [
    (lambda x: 3 * x ** 2 - 1 / x ** 2, "wrong value"),
    (lambda x: ((x + 1e-6) ** 3 - 1 / (x + 1e-6) - x ** 3 + 1 / x) / 1e-6, "wrong value"),
    (lambda x: float(3 * x ** 2 + 1 / x ** 2), "numpy array"),
    (lambda x: np.array([3 * x ** 2 + 1 / x ** 2] * 2), "single number"),
    (lambda x: 1 / 0, "divides by zero"),
    (lambda x: np.nan * x, "NaN"),
    (lambda x: (3 * x ** 2 + 1 / x ** 2) * (1 + 0j) + 1e-3j, "complex"),
    ("not a function", "should be a function"),
])
def test_wrong_functions_fail(student, message):
    with pytest.raises(CheckFailed, match=message):
        cg.check_function(student, DF, POINTS, part="df")


def test_a_warning_fails_only_where_forbidden():
    def naive_sigmoid(z):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))

    reference = lambda z: 0.5 * (1 + np.tanh(z / 2))  # noqa: E731
    cg.check_function(naive_sigmoid, reference, [-1000.0, 0.0, 3.0], part="sigmoid")
    with pytest.raises(CheckFailed, match="warning"):
        cg.check_function(naive_sigmoid, reference, [-1000.0, 0.0, 3.0], part="sigmoid",
                          forbid_warnings=True)


def test_vector_function_names_the_wrong_component_and_input():
    reference = lambda x: np.array([6 * x[0], 5 * np.exp(x[1])])  # noqa: E731
    cg.check_vector_function(lambda x: np.array([6.0 * x[0], 5 * np.exp(x[1])]), reference,
                             [[1, 2], [0.5, -1.0]], part="grad_f")
    with pytest.raises(CheckFailed, match=r"grad_f\(\[1, 2\]\)` is wrong in ∂f/∂x2 \(index 1\)"):
        cg.check_vector_function(lambda x: np.array([6 * x[0], 5 * 2.718 ** x[1]]), reference,
                                 [[1, 2]], part="grad_f", components=["∂f/∂x1", "∂f/∂x2"])
    with pytest.raises(CheckFailed, match=r"shape \(2, 1\), expected shape \(2,\)"):
        cg.check_vector_function(lambda x: reference(np.asarray(x, float)).reshape(2, 1),
                                 reference, [[1, 2]], part="grad_f")


def test_cases_compare_shapes_strictly_except_for_scalars():
    loss = lambda y, t: 0.5 * np.sum((y - t) ** 2)  # noqa: E731
    cases = [(np.array([0.3]), np.array([0.9]))]
    cg.check_cases(lambda y, t: np.array([0.5 * ((y - t) ** 2).sum()]), loss, cases, part="loss")
    with pytest.raises(CheckFailed, match="wrong value"):
        cg.check_cases(lambda y, t: float(((y - t) ** 2).sum()), loss, cases, part="loss")
    jac = lambda g, J: J.T @ g  # noqa: E731
    with pytest.raises(CheckFailed, match="shape"):
        cg.check_cases(lambda g, J: (J.T @ g)[:, None], jac, [(np.ones(3), np.ones((3, 2)))],
                       part="chain_rule_jacobian")


def test_student_mutation_cannot_change_the_reference():
    def vandal(y, t):
        t[:] = y
        return 0.0

    with pytest.raises(CheckFailed):
        cg.check_cases(vandal, lambda y, t: 0.5 * np.sum((y - t) ** 2),
                       [(np.array([0.1]), np.array([0.9]))], part="loss")


# ---------------------------------------------------------------- plots
def _f(x):
    return x ** 3 - 1 / x


def _tangent(x):
    return 4 * x - 4


CURVES = {"f": _f, "tangent": _tangent}


def _figure(curve=_f, line=_tangent, xs=np.linspace(0.2, 3, 50), legend=True, style="-"):
    fig, ax = plt.subplots()
    ax.plot(xs, curve(xs), style, label="f")
    ax.plot(xs, line(xs), label="tangent")
    if legend:
        ax.legend()
    return fig


def test_a_right_plot_passes_with_markers_a_pole_and_a_figure_legend():
    cg.check_curves_plot(_figure(style="o"), CURVES, around=1.0, part="fig")
    with np.errstate(divide="ignore"):
        cg.check_curves_plot(_figure(xs=np.linspace(-3, 3, 61)), CURVES, around=1.0, part="fig")
    fig, ax = plt.subplots()
    ax.plot([0.5, 1.5], [_tangent(0.5), _tangent(1.5)])
    ax.plot(np.linspace(0.5, 2), _f(np.linspace(0.5, 2)))
    fig.legend(["tangent", "f"])
    cg.check_curves_plot(fig, CURVES, around=1.0, part="fig")
    plt.close("all")


@pytest.mark.parametrize("fig, message", [
    (lambda: _figure(legend=False), "legend"),
    (lambda: _figure(line=lambda x: 12.25 * x - 16.5), "tangent"),
    (lambda: _figure(curve=lambda x: x ** 3 + 1 / x), "follows f"),
    (lambda: _figure(xs=np.linspace(1.5, 3, 50)), "containing x = 1"),
    (lambda: plt.figure(), "no axes"),
    (lambda: "a figure", "matplotlib Figure"),
])
def test_wrong_plots_fail(fig, message):
    with pytest.raises(CheckFailed, match=message):
        cg.check_curves_plot(fig(), CURVES, around=1.0, part="fig")
    plt.close("all")


def _line(ax, xs, curve, style="-", **kw):
    ax.plot(xs, curve(xs), style, **kw)


SPANS = {"f": 0.5, "tangent": 0.2}  # as the tangent notebook asks


def _speck():
    """Two flat segments 2e-4 long at x = 1, labelled as both curves: f and the tangent both
    agree with a segment that short."""
    fig, ax = plt.subplots()
    ax.plot([1 - 1e-4, 1 + 1e-4], [0.0, 0.0], label="f")
    ax.plot([1 - 1e-4, 1 + 1e-4], [0.0, 0.0], label="tangent")
    ax.legend()
    return fig


def _straight_f():
    """f as a straight line between two of its points, the tangent right."""
    fig, ax = plt.subplots()
    ax.plot([0.5, 1.5], [_f(0.5), _f(1.5)], label="f")
    ax.plot(np.linspace(0.2, 3), _tangent(np.linspace(0.2, 3)), label="tangent")
    ax.legend()
    return fig


def test_a_speck_does_not_show_the_curves_unless_no_span_is_asked():
    with pytest.raises(CheckFailed, match="no line follows f on an interval containing x = 1 "
                                          "at least 0.5 wide"):
        cg.check_curves_plot(_speck(), CURVES, around=1.0, part="fig", min_span=SPANS)
    with pytest.raises(CheckFailed, match="no line follows f"):  # the default span is 0.5
        cg.check_curves_plot(_speck(), CURVES, around=1.0, part="fig")
    # positive control: without a span to cover, the speck follows both curves
    cg.check_curves_plot(_speck(), CURVES, around=1.0, part="fig", min_span=0)
    plt.close("all")


def test_a_straight_line_through_two_points_of_f_is_not_f():
    fig = _straight_f()
    x, y, _ = cg.plots.summarize_figure(fig).axes[0].lines[0]
    assert np.allclose(y, _f(x))  # its points are on f: comparing them alone passed it
    line = (x, y, True)
    assert cg.plots.follows(line, _f, 1.0, 0.5, rtol=0.5)  # a tolerance of half the extent would
    assert not cg.plots.follows(line, _f, 1.0, 0.5)         # 1% of it does not
    with pytest.raises(CheckFailed, match="no line follows f on"):
        cg.check_curves_plot(fig, CURVES, around=1.0, part="fig", min_span=SPANS)
    plt.close("all")


def _d2l():
    xs = np.arange(0.1, 3, 0.01)
    fig, ax = plt.subplots()
    ax.plot(xs, _f(xs), label="f(x)")
    ax.plot(xs, _tangent(xs), "--", label="tangent at x = 1")
    ax.legend()
    return fig


def _short_tangent():
    fig, ax = plt.subplots()
    _line(ax, np.linspace(0.2, 3, 50), _f, label="f")
    _line(ax, np.array([0.8, 1.2]), _tangent, label="tangent")
    ax.legend()
    return fig


def _markers_only():
    """Markers only, in no particular order: the eye joins each to its neighbours in x."""
    fig, ax = plt.subplots()
    _line(ax, np.random.default_rng(0).permutation(np.linspace(0.25, 2.5, 30)), _f, "x",
          label="f")
    _line(ax, np.linspace(0.25, 2.5, 30)[::-1], _tangent, "o", label="tangent")
    ax.legend()
    return fig


def _nan_gap_at_the_pole():
    xs = np.linspace(-3, 3, 601)  # x = 0 is a point: f(0) = -inf breaks the line there
    fig, ax = plt.subplots()
    with np.errstate(divide="ignore"):
        ys = _f(xs)
    ys[np.abs(xs) < 0.05] = np.nan
    ax.plot(xs, ys, label="f")
    _line(ax, xs, _tangent, label="tangent")
    ax.set_ylim(-10, 10)
    ax.legend()
    return fig


def _pieces():
    """f drawn by several ax.plot calls (either side of the pole, and split at x = 1), the
    tangent as a short segment of its own."""
    fig, ax = plt.subplots()
    _line(ax, np.linspace(-3, -0.2, 30), _f, color="C0", label="f")
    _line(ax, np.linspace(0.2, 1, 30), _f, color="C0")
    _line(ax, np.linspace(1, 3, 30), _f, color="C0")
    _line(ax, np.array([0.7, 1.3]), _tangent, color="C1", label="tangent")
    ax.legend()
    return fig


@pytest.mark.parametrize("make", [_d2l, _short_tangent, _markers_only, _nan_gap_at_the_pole,
                                  _pieces])
def test_honest_plots_pass_with_the_notebooks_spans(make):
    cg.check_curves_plot(make(), CURVES, around=1.0, part="fig", min_span=SPANS)
    summary = cg.plots.summarize_figure(make())
    cg.check_curves_plot(cg.plots.FigureSummary.from_data(summary.to_data()), CURVES, around=1.0,
                         part="fig", min_span=SPANS)  # as the sandbox sends it
    plt.close("all")


def test_honest_plots_stay_well_inside_the_visual_tolerance():
    """d2l's plot and a coarse one (50 points over [0.2, 3]) against the tolerance they get."""
    window = _f(np.linspace(0.5, 1.5, 401))
    tol = cg.plots.VISUAL_RTOL * np.subtract(*np.percentile(window, [99, 1])) + cg.plots.VISUAL_ATOL
    for xs in (np.arange(0.1, 3, 0.01), np.linspace(0.2, 3, 50)):
        fine = np.linspace(0.5, 1.5, 10_001)
        stray = np.max(np.abs(np.interp(fine, xs, _f(xs)) - _f(fine)))
        assert stray < tol / 4, (stray, tol)
        assert cg.plots.coverage((xs, _f(xs), True), _f, 1.0, 0.5) == pytest.approx(1.0, abs=0.02)


def test_a_line_is_judged_as_drawn_cut_where_a_point_is_not_finite():
    xs = np.linspace(0.2, 3, 281)
    ys = _f(xs)
    ys[np.abs(xs - 1) < 0.05] = np.nan  # a hole at x = 1: matplotlib draws nothing there
    fig, ax = plt.subplots()
    ax.plot(xs, ys)
    line = cg.plots.summarize_figure(fig).axes[0].lines[0]
    assert cg.plots.coverage(line, _f, 1.0, 0.5) == -1
    keep = np.isfinite(ys)  # positive control: joined across the hole, the chord follows f
    assert cg.plots.coverage((xs[keep], ys[keep], True), _f, 1.0, 0.5) >= 0.5
    # a pole inside the window stops the interval, with or without a point at the pole
    for grid in (np.linspace(-1, 1, 201), np.linspace(-1, 1, 200)):
        with np.errstate(divide="ignore"):
            width = cg.plots.coverage((grid, 1 / grid, True), lambda x: 1 / x, 0.2, 0.5)
        assert 0.6 < width < 0.7
    plt.close("all")


def test_a_short_tangent_needs_its_span_and_one_line_cannot_be_both_curves():
    fig, ax = plt.subplots()
    _line(ax, np.linspace(0.2, 3, 50), _f, label="f")
    _line(ax, np.array([0.95, 1.05]), _tangent, label="tangent")  # 0.1 wide: a speck
    ax.legend()
    with pytest.raises(CheckFailed, match="no line follows tangent on an interval containing "
                                          "x = 1 at least 0.2 wide"):
        cg.check_curves_plot(fig, CURVES, around=1.0, part="fig", min_span=SPANS)
    with pytest.raises(CheckFailed, match="draw each curve as a line of its own"):
        cg.check_curves_plot(_d2l(), {"f": _f, "also f": lambda x: _f(x) + 1e-4}, around=1.0,
                             part="fig")
    plt.close("all")


# ---------------------------------------------------------------- gradients


def _backward(p, acts, t, transpose=False, skip_hidden_factor=False):
    return network.backward(p, acts, t, transpose=transpose, hidden_prime=not skip_hidden_factor)


def _check_backward(backward):
    rng = np.random.default_rng(0)
    cg.check_backward(_forward, backward, [cg.random_params(SHAPES, rng) for _ in range(2)],
                      [(rng.normal(size=2), rng.uniform(size=1))], part="backward",
                      reference_loss=_loss)


def test_centred_difference_matches_the_analytic_gradient():
    rng = np.random.default_rng(1)
    params, x, t = cg.random_params(SHAPES, rng), rng.normal(size=2), np.array([0.3])
    numeric = cg.centred_difference(lambda p: _loss(p, x, t), params)
    analytic = _backward(params, _forward(params, x)[1], t)
    assert all(np.allclose(numeric[k], analytic[k], rtol=1e-6, atol=1e-10) for k in SHAPES)


def test_right_backward_passes_and_typical_mistakes_fail():
    _check_backward(_backward)
    with pytest.raises(CheckFailed,
                       match=r"shape \(2, 3\), expected \(3, 2\): it looks transposed"):
        _check_backward(lambda p, c, t: _backward(p, c, t, transpose=True))
    with pytest.raises(CheckFailed, match="W1"):
        _check_backward(lambda p, c, t: _backward(p, c, t, skip_hidden_factor=True))
    with pytest.raises(CheckFailed, match="missing the keys"):
        _check_backward(lambda p, c, t: {k: v for k, v in _backward(p, c, t).items() if k != "b1"})


def test_right_backward_passes_where_the_first_layer_barely_learns():
    """Saturated sigmoids make the first layer's gradient tiny, so finite differences' rounding
    noise alone is a large relative error: a right gradient must still pass, a wrong one fail."""
    rng = np.random.default_rng(0)
    params = {k: 3.0 * v for k, v in cg.random_params(SHAPES, rng).items()}
    x, t = np.array([2.5, -3.0]), np.array([0.9])
    right = _backward(params, _forward(params, x)[1], t)
    assert np.linalg.norm(right["b1"]) < 1e-8  # the case this test is about
    case = dict(param_sets=[params], cases=[(x, t)], part="backward", reference_loss=_loss)
    cg.check_backward(_forward, _backward, **case)
    with pytest.raises(CheckFailed, match="W1"):
        cg.check_backward(_forward, lambda p, c, t: _backward(p, c, t, skip_hidden_factor=True),
                          **case)


def _reference_gradient(p, x, t):
    """The instructor's analytic gradient (as in the backprop notebook's hidden test)."""
    return _backward(p, _forward(p, x)[1], t)


def _check_exact(backward, seed=0, n_sets=3, **kw):
    """As the notebook's hidden test draws: weights of scale 0.5, x normal, target in [0, 1]."""
    rng = np.random.default_rng(seed)
    cg.check_backward(_forward, backward,
                      [cg.random_params(SHAPES, rng, scale=0.5) for _ in range(n_sets)],
                      [(rng.normal(size=2), rng.uniform(size=1)) for _ in range(2)],
                      part="backward", reference_loss=_loss, rng=rng,
                      **{"reference_gradient": _reference_gradient, **kw})


def _honest(sigmoid, derivative, layout):
    """An analytic backward on the cache of its own forward pass (a0, z1, a1, ... z3, a3)."""
    def forward(p, x):
        cache = [np.asarray(x, dtype=float)]
        for k in "123":
            if layout == "loops":
                W, b, a = p["W" + k], p["b" + k], cache[-1]
                z = np.array([sum(W[n, i] * a[i] for i in range(W.shape[1])) + b[n]
                              for n in range(W.shape[0])])
            else:
                z = p["W" + k] @ cache[-1] + p["b" + k]
            cache += [z, sigmoid(z)]
        return cache[-1], cache

    def backward(p, cache, t):
        a, z = cache[::2], [None] + cache[1::2]
        grads, delta = {}, (a[3] - t) * derivative(a[3], z[3])
        for k in (3, 2, 1):
            grads[f"W{k}"] = (np.outer(delta, a[k - 1]) if layout == "outer"
                              else delta[:, None] * a[k - 1][None, :] if layout == "broadcast"
                              else np.array([[d * v for v in a[k - 1]] for d in delta]))
            grads[f"b{k}"] = delta.copy()
            if k > 1:
                W = p[f"W{k}"]
                back = (np.array([sum(W[i, j] * delta[i] for i in range(W.shape[0]))
                                  for j in range(W.shape[1])]) if layout == "loops"
                        else W.T @ delta)
                delta = back * derivative(a[k - 1], z[k - 1])
        return grads

    return forward, backward


def _stable(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


HONEST = {
    "exp, a(1-a), outer": (lambda z: 1 / (1 + np.exp(-z)), lambda a, z: a * (1 - a), "outer"),
    "tanh, s'(z) by tanh, broadcast": (_sigmoid, lambda a, z: 0.25 * (1 - np.tanh(z / 2) ** 2),
                                       "broadcast"),
    "np.where, s(z)(1-s(z)), loops": (_stable, lambda a, z: _stable(z) * (1 - _stable(z)),
                                      "loops"),
    "logaddexp, a - a*a, outer": (lambda z: np.exp(-np.logaddexp(0, -z)), lambda a, z: a - a * a,
                                  "outer"),
    "exp, exp(-z)/(1+exp(-z))^2, broadcast": (lambda z: 1 / (1 + np.exp(-z)),
                                              lambda a, z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
                                              "broadcast"),
}


@pytest.mark.parametrize("form", sorted(HONEST))
def test_honest_analytic_backward_passes_the_exact_check(form):
    forward, backward = _honest(*HONEST[form])
    for seed in range(5):
        rng = np.random.default_rng(seed)
        cg.check_backward(forward, backward,
                          [cg.random_params(SHAPES, rng, scale=0.5) for _ in range(3)],
                          [(rng.normal(size=2), rng.uniform(size=1)) for _ in range(2)],
                          part="backward", reference_loss=_loss,
                          reference_gradient=_reference_gradient, rng=rng)


def _differences(h, stencil="centred"):
    """backward by finite differences of the student's own forward pass: no backpropagation.
    (Complex-step differentiation of forward is exact to rounding and passes the exact check:
    benchmarks/backward_tolerance.py measures it; so do 5-point stencils in np.longdouble.)"""
    offsets, weights = {"centred": ([-1, 1], [-0.5, 0.5]), "one-sided": ([0, 1], [-1, 1]),
                        "5-point": ([-2, -1, 1, 2], [1 / 12, -8 / 12, 8 / 12, -1 / 12])}[stencil]

    def backward(p, cache, t):
        x = cache[0]
        return {k: np.array([sum(w * _loss({**p, k: v + o * h * np.eye(v.size)[i].reshape(v.shape)},
                                           x, t) for o, w in zip(offsets, weights)) / h
                             for i in range(v.size)]).reshape(v.shape)
                for k, v in p.items()}

    return backward


@pytest.mark.parametrize("h, stencil", [(1e-5, "centred"), (1e-3, "centred"), (1e-7, "centred"),
                                        (1e-9, "centred"), (1e-5, "one-sided"),
                                        (1e-3, "5-point"), (3e-4, "5-point")])
def test_finite_differences_pass_for_finite_differences_but_not_for_the_exact_gradient(h, stencil):
    imitation = _differences(h, stencil)
    # positive control: without reference_gradient, the imitation passes the old check
    if stencil != "one-sided" and h >= 1e-7:
        _check_exact(imitation, reference_gradient=None)
    with pytest.raises(CheckFailed, match=r"close but not exact \(relative error .*\): compute "
                                          r"the gradient by backpropagation"):
        _check_exact(imitation)


def test_typical_mistakes_keep_their_messages_in_the_exact_check():
    _check_exact(_backward)
    with pytest.raises(CheckFailed, match=r"shape \(2, 3\), expected \(3, 2\): it looks "
                                          "transposed"):
        _check_exact(lambda p, c, t: _backward(p, c, t, transpose=True))
    with pytest.raises(CheckFailed, match=r"wrong gradient: grads\['W1'\] \(relative error"):
        _check_exact(lambda p, c, t: _backward(p, c, t, skip_hidden_factor=True))
    with pytest.raises(CheckFailed, match="missing the keys"):
        _check_exact(lambda p, c, t: {k: v for k, v in _backward(p, c, t).items() if k != "b1"})
    with pytest.raises(CheckFailed, match="close but not exact"):  # float32 is not exact either
        _check_exact(lambda p, c, t: {k: v.astype(np.float32)
                                      for k, v in _backward(p, c, t).items()})


def test_a_wrong_reference_gradient_stops_the_test_instead_of_failing_right_answers():
    def wrong_reference(p, x, t):
        return _backward(p, _forward(p, x)[1], t, skip_hidden_factor=True)

    with pytest.raises(ValueError, match="reference_gradient disagrees"):
        _check_exact(_backward, reference_gradient=wrong_reference)


def test_an_output_close_to_its_target_does_not_fail_right_gradients(monkeypatch):
    """y − t loses digits when y is near t, and every gradient is proportional to it: the
    allowance grows with the reference's own sensitivity to rounding (EXACT_SPREAD_FACTOR)."""
    rng = np.random.default_rng(1)
    params, x = cg.random_params(SHAPES, rng, scale=0.5), rng.normal(size=2)
    t = _forward(params, x)[0] + 1e-7
    forward, backward = _honest(*HONEST["exp, a(1-a), outer"])
    got = backward(params, forward(params, x)[1], t)
    want = _reference_gradient(params, x, t)
    assert max(cg.gradients.relative_error(got[k], want[k]) for k in want) > 1e-11  # » EXACT_RTOL
    case = dict(param_sets=[params], cases=[(x, t)], part="backward", reference_loss=_loss,
                reference_gradient=_reference_gradient)
    for seed in range(5):
        cg.check_backward(forward, backward, **case, rng=np.random.default_rng(seed))
    monkeypatch.setattr(cg.gradients, "EXACT_SPREAD_FACTOR", 0.0)  # positive control
    with pytest.raises(CheckFailed, match="close but not exact"):
        cg.check_backward(forward, backward, **case)


def _numerical_gradient(f, params, h=1e-5, one_sided=False, restore=True):
    grads = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            old = v[i]
            v[i] = old + h
            up = f(params)
            v[i] = old if one_sided else old - h
            down = f(params)
            g[i] = (up - down) / (h if one_sided else 2 * h)
            v[i] = old if restore else v[i]
        grads[k] = g
    return grads


def test_numerical_gradient_checker():
    cg.check_numerical_gradient(_numerical_gradient, SHAPES, part="numerical_gradient")
    for h in (1e-4, 1e-6):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, h=h), SHAPES,
                                    part="numerical_gradient")
    with pytest.raises(CheckFailed, match="centred"):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, one_sided=True),
                                    SHAPES, part="numerical_gradient")
    with pytest.raises(CheckFailed, match="changed the params"):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, restore=False),
                                    SHAPES, part="numerical_gradient")


def _restored_by_arithmetic():
    """The backprop corpus's right answer that puts each entry back by arithmetic (+h, -2h,
    +h), not by saving it: the params come back rounded, within an ulp or two."""
    from calcgrade.corpus import corpus_path, load
    from grader_tests import REPO

    source = REPO / "source" / "backprop"
    case = next(c for c in load(corpus_path(source, "backprop"))
                if c.name == "restores_by_arithmetic")
    namespace = {"np": np}
    exec(case.answers["backprop-numerical-gradient"], namespace)
    return namespace["numerical_gradient"]


def test_a_numerical_gradient_that_restores_by_arithmetic_passes():
    # control: such a restore does leave the params different (exact comparison would fail it)
    rng = np.random.default_rng(0)
    params = {k: rng.uniform(-1, 1, size=s) for k, s in SHAPES.items()}
    given = {k: v.copy() for k, v in params.items()}
    numerical_gradient = _restored_by_arithmetic()
    numerical_gradient(lambda p: float(sum(np.sum(v ** 2) for v in p.values())), given)
    assert not cg.gradients.params_unchanged(params, given)
    assert cg.gradients.params_unchanged(params, given, ulps=cg.gradients.RESTORE_ULPS)
    # an entry replaced by something else, or removed, is a change (not an error of the check)
    for replaced in ("W1", [[1.0, 2.0]], None):
        assert not cg.gradients.params_unchanged(params, {**params, "W1": replaced}, ulps=4)
    assert not cg.gradients.params_unchanged(params, {k: v for k, v in params.items()
                                                      if k != "b1"})
    for seed in range(5):
        cg.check_numerical_gradient(numerical_gradient, SHAPES, part="numerical_gradient",
                                    rng=np.random.default_rng(seed))
    # a restore off by h (forgotten, or by -h twice) is still a change
    with pytest.raises(CheckFailed, match="put that value back"):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, restore=False),
                                    SHAPES, part="numerical_gradient")


def _recognising_cheat(f, params):
    """Knows calcgrade's old fixed test function (its code ships with the package): probes f at
    zero, and if it is that function returns its gradient, without differencing anything."""
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    if abs(f(zero) - sum(v.size for v in params.values())) < 1e-9:
        return {k: 1.5 * np.exp(1.5 * v) + 3 * v ** 2 * (i + 1)
                for i, (k, v) in enumerate(params.items())}
    return {k: np.zeros_like(v) for k, v in params.items()}


def test_a_numerical_gradient_that_recognises_the_test_function_fails():
    fixed = (cg.gradients._test_function, cg.gradients._test_function_gradient)
    # positive control: against the old fixed function, the cheat gets full marks
    cg.check_numerical_gradient(_recognising_cheat, SHAPES, part="numerical_gradient",
                                test_function=fixed)
    with pytest.raises(CheckFailed, match=r"numerical_gradient\(f, params\)\['W1'\] is off"):
        cg.check_numerical_gradient(_recognising_cheat, SHAPES, part="numerical_gradient")
    # nor does returning the old function's gradient whatever f is
    with pytest.raises(CheckFailed, match="is off"):
        cg.check_numerical_gradient(lambda f, p: cg.gradients._test_function_gradient(p), SHAPES,
                                    part="numerical_gradient")


def test_the_test_function_is_drawn_afresh_with_coupled_entries_and_its_true_gradient():
    rng = np.random.default_rng(4)
    at = {k: rng.uniform(-1, 1, size=s) for k, s in SHAPES.items()}
    f1, grad1 = cg.gradients.random_test_function(SHAPES, at, rng)
    f2, grad2 = cg.gradients.random_test_function(SHAPES, at, rng)
    zero = {k: np.zeros(s) for k, s in SHAPES.items()}
    assert f1(zero) != f2(zero) and not np.allclose(grad1(at)["W1"], grad2(at)["W1"])
    moved = {**at, "b3": at["b3"] + 0.5}  # another array's entry moves W1's derivative
    assert np.linalg.norm(grad1(moved)["W1"] - grad1(at)["W1"]) > 1e-3
    numeric = _numerical_gradient(f1, {k: v.copy() for k, v in at.items()})
    assert all(cg.gradients.relative_error(numeric[k], grad1(at)[k]) < 1e-9 for k in SHAPES)
    with pytest.raises(TypeError):
        f1({k: v + 1e-20j for k, v in at.items()})  # no complex step through f


def test_centred_differences_pass_and_one_sided_fail_over_many_drawn_functions():
    """A smaller run of the measurement in random_test_function's docstring (2,000 draws)."""
    rng = np.random.default_rng(5)
    worst, one_sided_best = dict.fromkeys((1e-4, 1e-5, 1e-6), 0.0), np.inf
    for _ in range(100):
        at = {k: rng.uniform(-1, 1, size=s) for k, s in SHAPES.items()}
        f, grad = cg.gradients.random_test_function(SHAPES, at, rng)
        want = grad(at)
        for h in worst:
            got = _numerical_gradient(f, {k: v.copy() for k, v in at.items()}, h=h)
            worst[h] = max(worst[h], *(cg.gradients.relative_error(got[k], want[k]) for k in want))
        got = _numerical_gradient(f, {k: v.copy() for k, v in at.items()}, one_sided=True)
        one_sided_best = min(one_sided_best,
                             max(cg.gradients.relative_error(got[k], want[k]) for k in want))
    assert max(worst.values()) < 5e-9, worst
    assert 1e-6 < one_sided_best < 1e-3


def test_sgd_step_checker():
    cg.check_sgd_step(lambda p, g, lr: {k: p[k] - lr * g[k] for k in p}, SHAPES, part="sgd_step")

    def in_place(p, g, lr):
        for k in p:
            p[k] -= lr * g[k]
        return p

    with pytest.raises(CheckFailed, match="changed its inputs"):
        cg.check_sgd_step(in_place, SHAPES, part="sgd_step")
    with pytest.raises(CheckFailed, match="wrong"):
        cg.check_sgd_step(lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, SHAPES,
                          part="sgd_step")


def _train(params, X, T, lr, epochs, losses_after=False):
    losses = []
    for _ in range(epochs):
        epoch = []
        for x, t in zip(X, T):
            y, acts = _forward(params, x)
            if not losses_after:
                epoch.append(0.5 * float(np.sum((y - t) ** 2)))
            grads = _backward(params, acts, t)
            params = {k: params[k] - lr * grads[k] for k in params}
            if losses_after:
                epoch.append(_loss(params, x, t))
        losses.append(float(np.mean(epoch)))
    return params, losses


def test_train_checker_follows_the_exact_trajectory():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[0.1], [0.9], [0.9], [0.1]])
    params = cg.random_params(SHAPES, np.random.default_rng(2))
    cg.check_train(_train, params, X, T, 0.5, 3, part="train", reference_loss=_loss)
    with pytest.raises(CheckFailed, match="losses"):
        cg.check_train(lambda *a: _train(*a, losses_after=True), params, X, T, 0.5, 3,
                       part="train", reference_loss=_loss)
    with pytest.raises(CheckFailed, match="differ"):
        cg.check_train(lambda p, X, T, lr, e: _train(p, X[::-1], T[::-1], lr, e), params, X, T,
                       0.5, 3, part="train", reference_loss=_loss)
