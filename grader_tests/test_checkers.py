"""Numeric, plot and gradient checkers: right answers pass (noise included), wrong ones fail."""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import calcgrade as cg  # noqa: E402
from calcgrade.errors import CheckFailed  # noqa: E402

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
    (lambda x: 1 / 0, "ZeroDivisionError"),
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
    with pytest.raises(CheckFailed, match=r"grad_f.*\[1., 2.\].*∂f/∂x2"):
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


# ---------------------------------------------------------------- gradients
SHAPES = {"W1": (3, 2), "b1": (3,), "W2": (2, 3), "b2": (2,), "W3": (1, 2), "b3": (1,)}


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _forward(p, x):
    acts = [np.asarray(x, dtype=float)]
    for k in "123":
        acts.append(_sigmoid(p["W" + k] @ acts[-1] + p["b" + k]))
    return acts[-1], acts


def _loss(p, x, t):
    return 0.5 * float(np.sum((_forward(p, x)[0] - t) ** 2))


def _backward(p, acts, t, transpose=False, skip_hidden_factor=False):
    grads, delta = {}, (acts[3] - t) * acts[3] * (1 - acts[3])
    for k in (3, 2, 1):
        grads[f"W{k}"] = np.outer(acts[k - 1], delta) if transpose else np.outer(delta, acts[k - 1])
        grads[f"b{k}"] = delta
        if k > 1:
            factor = 1 if skip_hidden_factor else acts[k - 1] * (1 - acts[k - 1])
            delta = (p[f"W{k}"].T @ delta) * factor
    return grads


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
    with pytest.raises(CheckFailed, match=r"shape \(2, 3\), expected \(3, 2\): it looks transposed"):
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
    with pytest.raises(CheckFailed, match="centred"):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, one_sided=True),
                                    SHAPES, part="numerical_gradient")
    with pytest.raises(CheckFailed, match="changed the params"):
        cg.check_numerical_gradient(lambda f, p: _numerical_gradient(f, p, restore=False),
                                    SHAPES, part="numerical_gradient")


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
