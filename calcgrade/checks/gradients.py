"""Gradient checks: analytic gradients against centred finite differences, in the style of a
gradient check (relative error ‖g − n‖ / (‖g‖ + ‖n‖) under a bound), and the small training
steps built on them (an SGD step, a per-sample SGD loop).

Parameters are dicts of name -> float array. Student functions always receive copies, so what they
do to their inputs cannot change the reference, and mutation is detected by comparing afterwards.
The reference network itself is never here: the hidden test passes its loss function in (and, for
the exact check of `check_backward`, its analytic gradient). `check_numerical_gradient` draws the
function it differentiates afresh, so that no answer can recognise it.
"""

from __future__ import annotations

import warnings
from typing import Callable, Mapping, cast

import numpy as np

from calcgrade.checks.errors import CheckFailed, passed
from calcgrade.checks.numeric import (
    Mistakes,
    as_float_array,
    call,
    close,
    expected,
    mistake_pairs,
    show,
)
from calcgrade.grading import seeds

Params = Mapping[str, np.ndarray]
GRADIENT_RTOL = 1e-6
# Centred differences with h = 1e-6 carry rounding noise of about eps·|loss|/h ≈ 1e-10 per entry
# (measured: at most 1.2e-10 in norm over 20,000 random networks). Where a layer's gradient is
# itself tiny (saturated sigmoids), that noise alone passes the relative bound, and a right
# gradient would lose its points (2 in 20,000 did), so differences below this floor count as equal.
GRADIENT_ATOL = 1e-8


def copy_params(params: Params) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}


def random_params(shapes: Mapping[str, tuple], rng: np.random.Generator | None = None,
                  scale: float = 1.0) -> dict[str, np.ndarray]:
    """Fresh parameters of the given shapes, entries normal with standard deviation `scale`."""
    rng = rng or seeds.rng()
    return {k: scale * rng.normal(size=s) for k, s in shapes.items()}


def centred_difference(f: Callable[[Params], float], params: Params,
                       h: float = 1e-6) -> dict[str, np.ndarray]:
    """∂f/∂p for every entry p of every array, by (f(p + h) − f(p − h)) / 2h."""
    work = copy_params(params)
    grads = {}
    for name, array in work.items():
        grad = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            saved = array[idx]
            array[idx] = saved + h
            up = float(f(work))
            array[idx] = saved - h
            down = float(f(work))
            array[idx] = saved
            grad[idx] = (up - down) / (2 * h)
        grads[name] = grad
    return grads


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    scale = np.linalg.norm(got) + np.linalg.norm(want)
    return float(np.linalg.norm(got - want) / scale) if scale > 1e-12 else 0.0


def gradients_agree(got: np.ndarray, want: np.ndarray, rtol: float = GRADIENT_RTOL) -> bool:
    """‖got − want‖ within `rtol` of the gradients' size, or within finite differences' noise."""
    return bool(np.linalg.norm(got - want) <= rtol * (np.linalg.norm(got) + np.linalg.norm(want))
                + GRADIENT_ATOL)


def as_param_dict(value, like: Params, part: str, what: str) -> dict[str, np.ndarray]:
    """A student's dict of arrays with exactly the keys and shapes of `like`, as float arrays."""
    if not isinstance(value, Mapping):
        raise CheckFailed(part, f"{what} should be a dict with keys {sorted(like)}, "
                                f"not {type(value).__name__}")
    missing = sorted(set(like) - set(value))
    if missing:
        raise CheckFailed(part, f"{what} is missing the keys {missing}")
    return {k: as_float_array(value[k], part, f"{what}[{k!r}]", shape=np.shape(like[k]))
            for k in like}


RESTORE_ULPS = 4  # restoring an entry by arithmetic (+h, then -2h, then +h) rounds 3 times


def params_unchanged(before: Params, after: Params, ulps: int = 0) -> bool:
    """Every entry as it was; with `ulps`, within that many units in the last place of
    max(|entry|, 1): the rounding left by putting a perturbed entry back by arithmetic is not a
    change anyone can see (a forgotten restore is off by h, some 1e-5). Whatever the student's
    function put in place of an entry (another shape, not numbers, nothing) is a change."""
    for k in before:
        try:
            got = np.asarray(after[k], dtype=float)
        except (KeyError, TypeError, ValueError):
            return False
        allowed = ulps * np.spacing(np.maximum(np.abs(before[k]), 1.0))
        if got.shape != np.shape(before[k]) or not np.all(np.abs(got - before[k]) <= allowed):
            return False
    return True


# Exact gradients. Given the instructor's analytic `reference_gradient`, check_backward asks for
# the gradient as exactly as float64 allows, so that finite differences of the student's own
# forward pass (no backpropagation at all) no longer pass for backpropagation. A key passes when
#     ‖got − want‖ <= EXACT_RTOL · (‖got‖ + ‖want‖) + EXACT_SPREAD_FACTOR · spread,
# spread being how far the reference itself moves when every input (params, x, target) moves by
# up to JITTER_ULPS units in the last place (the largest of JITTER_TRIALS draws). The second term
# covers ill-conditioned cases, where honest roundings differ by much more than 1e-13 of the
# gradient: an output y within 1e-4 of the target makes y − t lose digits, and every gradient is
# proportional to it. Measured by `python benchmarks/backward_tolerance.py 300 0` (300 hidden tests
# of the backprop notebook as it draws them, weights of scale 0.5: 1,800 evaluations), as the
# ratio of ‖got − want‖ to that allowance: 68 honest analytic forms (sigmoid by exp, tanh, the
# np.where-stable formula, logaddexp; σ' as a(1 − a), a − a², s(z)(1 − s(z)), from tanh, from exp;
# outer products, broadcasting, einsum, loops) at most 0.058; finite differences of forward at
# least 2.6 in an evaluation (4th-order 5-point stencil, h = 3e-4; centred at least 580, one-sided
# 1.8e5, h from 1e-3 to 1e-9) and at least 38 over a hidden test's 6 evaluations: none passed any
# of the 300 tests. Not caught (measured there too): complex-step differentiation of forward,
# which is exact; 5-point stencils computed in np.longdouble (77 of 300 tests passed).
EXACT_RTOL = 1e-13
EXACT_SPREAD_FACTOR = 2.0
JITTER_ULPS = 8
JITTER_TRIALS = 4
# Above the exact bound but within this relative error, a gradient is "close but not exact": what
# finite differences (or float32) give. Wrong formulas are off by far more (a missing σ' factor
# by 0.5 or so).
CLOSE_RTOL = 1e-4
_EPS = float(np.finfo(np.float64).eps)


def reference_values(reference_gradient: Callable, params: Params, x, target) -> dict:
    """The instructor's exact gradient, as float arrays of the params' shapes (warnings muted)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = reference_gradient(copy_params(params), np.array(x, dtype=np.float64),
                                    np.array(target, dtype=np.float64))
    return {k: np.asarray(result[k], dtype=np.float64).reshape(np.shape(params[k]))
            for k in params}


def rounding_spread(reference_gradient: Callable, params: Params, x, target, want: Params,
                    rng: np.random.Generator | None = None) -> dict[str, float]:
    """Per key, how far the reference gradient moves when params, x and target move by a few
    units in the last place: what rounding alone can change in an honest computation."""
    rng = rng or seeds.rng()

    def jitter(value):
        value = np.asarray(value, dtype=np.float64)
        return value * (1 + JITTER_ULPS * _EPS * rng.uniform(-1, 1, size=value.shape))

    spread = dict.fromkeys(want, 0.0)
    for _ in range(JITTER_TRIALS):
        moved = reference_values(reference_gradient, {k: jitter(v) for k, v in params.items()},
                                 jitter(x), jitter(target))
        for k in want:
            spread[k] = max(spread[k], float(np.linalg.norm(moved[k] - want[k])))
    return spread


def exact_error(got: np.ndarray, want: np.ndarray, spread: float) -> float:
    """‖got − want‖ over what rounding allows an honest analytic gradient (passes at <= 1)."""
    allowed = (EXACT_RTOL * (np.linalg.norm(got) + np.linalg.norm(want))
               + EXACT_SPREAD_FACTOR * spread)
    err = float(np.linalg.norm(got - want))
    # err / allowed is a numpy float64 (norm's `floating` in the stubs), a subclass of float
    return cast(float, err / allowed) if allowed > 0 else (0.0 if err == 0 else np.inf)


def _compare_gradients(got: Params, want: Params, part: str, what: str,
                       rtol: float = GRADIENT_RTOL,
                       spread: Mapping[str, float] | None = None) -> None:
    """Loose (against finite differences) without `spread`; exact (against an analytic reference,
    within `spread` from rounding) with it."""
    wrong, near = [], []
    for k in want:
        if (gradients_agree(got[k], want[k], rtol) if spread is None
                else exact_error(got[k], want[k], spread[k]) <= 1):
            continue
        err = relative_error(got[k], want[k])
        transposed = (got[k].T.shape == want[k].shape and got[k].ndim == 2
                      and gradients_agree(got[k].T, want[k], rtol))
        if transposed:
            wrong.append(f"{what}[{k!r}] looks transposed")
        elif spread is None:
            wrong.append(f"{what}[{k!r}] (relative error {err:.1e} against finite differences)")
        elif err <= CLOSE_RTOL:
            near.append((f"{what}[{k!r}]", err))
        else:
            wrong.append(f"{what}[{k!r}] (relative error {err:.1e})")
    if wrong:
        raise CheckFailed(part, "wrong gradient: " + "; ".join(wrong)
                          + _pattern(got, want, rtol, spread))
    if near:
        names = [name for name, _ in near]
        worst = max(err for _, err in near)
        which = (names[0] + " is" if len(names) == 1
                 else ", ".join(names[:-1]) + " and " + names[-1] + " are")
        raise CheckFailed(part, f"{which} close but not exact (relative error "
                                f"{'up to ' if len(near) > 1 else ''}{worst:.1e}): compute the "
                                "gradient by backpropagation (in float64), not by finite "
                                "differences")


def _common_factor(got: Params, want: Params) -> float | None:
    """The one number c with got ≈ c · want in every array, if there is one (and it is not 1)."""
    g = np.concatenate([np.ravel(got[k]) for k in want])
    w = np.concatenate([np.ravel(want[k]) for k in want])
    if not np.linalg.norm(w) > 1e-12:
        return None
    c = float(g @ w / (w @ w))
    if abs(c - 1) > 1e-6 and np.linalg.norm(g - c * w) <= 1e-6 * np.linalg.norm(g) + 1e-12:
        return c
    return None


def _pattern(got: Params, want: Params, rtol: float, spread) -> str:
    """Where a wrong gradient is wrong, when that points at the bug: every array off by one
    common factor (the error enters where backpropagation starts, at the output), or some arrays
    right and the rest wrong (it enters where the delta is passed on to the wrong ones)."""
    if len(want) < 2:
        return ""
    c = _common_factor(got, want)
    if c is not None:
        how = ("has the wrong sign" if abs(c + 1) < 1e-6
               else f"is off by the same factor (×{c:.3g})")
        return (f". Every array of the gradient {how}, in every layer alike: the mistake is "
                "where backpropagation starts, at the output (the derivative of the loss and of "
                "the output layer's activation), not in how the delta is passed back")
    right = [k for k in want if (gradients_agree(got[k], want[k], rtol) if spread is None
                                 else exact_error(got[k], want[k], spread[k]) <= 1)]
    if right:
        return (f". {', '.join(right)} {'is' if len(right) == 1 else 'are'} right: look at what "
                "happens to the delta on its way back to the layers whose gradients are wrong")
    return ""


def _refuse_transposed(grads, want: Params, part: str) -> None:
    """A weight gradient of the transposed shape gets its own message (a common slip: the outer
    product taken the other way round)."""
    if not isinstance(grads, Mapping):
        return
    for k, w in want.items():
        try:
            g = np.asarray(grads.get(k), dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if g.ndim == 2 and g.shape == w.T.shape != w.shape:
            looks = gradients_agree(g.T, w)
            raise CheckFailed(part, f"grads[{k!r}] has shape {g.shape}, expected {w.shape}"
                                    + (": it looks transposed" if looks else ""))


def check_backward(forward: Callable, backward: Callable, param_sets, cases, part: str,
                   reference_loss: Callable[[Params, np.ndarray, np.ndarray], float],
                   reference_gradient: Callable[[Params, np.ndarray, np.ndarray], Params] | None
                   = None, *, rng: np.random.Generator | None = None,
                   mistakes: Mistakes | None = None) -> None:
    """`backward(params, cache, target)` after the student's `forward(params, x)` gives the
    gradient of the loss, at every parameter set and every (x, target) case.

    Without `reference_gradient`, the gradient is compared with centred differences of
    `reference_loss` (relative error 1e-6): finite differences of the student's own forward pass
    pass too. With `reference_gradient(params, x, target)`, the instructor's analytic gradient (a
    dict like params), it must match that as exactly as float64 rounding allows (see EXACT_RTOL),
    which finite differences do not; the reference is first checked against centred differences
    of `reference_loss`, so a wrong reference stops the test instead of failing right answers.
    `rng` only draws the rounding jitter (see `rounding_spread`). `mistakes` pairs a message
    with a known wrong gradient (a function like `reference_gradient`): a backward that agrees
    with it (relative error 1e-6 in every array) is told the message.
    """
    for params in param_sets:
        for x, target in cases:
            y, cache = _forward_output(forward, params, x, part)
            grads, _ = call(backward, copy_params(params), cache, np.copy(target), part=part,
                            what="backward(params, cache, target)")
            numeric = centred_difference(lambda p: reference_loss(p, x, target), params)
            spread = None
            if reference_gradient is None:
                want = numeric
            else:
                want = reference_values(reference_gradient, params, x, target)
                bad = [k for k in want if not gradients_agree(want[k], numeric[k])]
                if bad:
                    raise ValueError(f"the hidden test's reference_gradient disagrees with "
                                     f"finite differences of reference_loss in {bad}")
                spread = rounding_spread(reference_gradient, params, x, target, want, rng)
            _refuse_transposed(grads, want, part)
            got = as_param_dict(grads, params, part, "the gradient")
            try:
                _compare_gradients(got, want, part, "grads", spread=spread)
            except CheckFailed as failure:
                for message, wrong in mistake_pairs(mistakes):
                    known = reference_values(cast(Callable, wrong), params, x, target)
                    if all(gradients_agree(got[k], known[k]) for k in want):
                        raise CheckFailed(part, f"wrong gradient: {message}") from None
                raise failure from None
    passed(part, "backward matches finite differences" if reference_gradient is None
           else "backward gives the exact gradient")


def _forward_output(forward: Callable, params: Params, x: np.ndarray, part: str):
    result, _ = call(forward, copy_params(params), np.copy(x), part=part,
                     what="forward(params, x)")
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed(part, "forward(params, x) should return a tuple (y, cache)")
    return result


def check_forward(forward: Callable, reference_forward: Callable, param_sets, inputs,
                  part: str, output_shape: tuple) -> None:
    """`forward(params, x)` returns `(y, cache)` with y the network's output."""
    for params in param_sets:
        for x in inputs:
            y, _ = _forward_output(forward, params, x, part)
            got = as_float_array(y, part, "y from forward(params, x)", shape=output_shape)
            if not close(got, expected(reference_forward, params, x), 1e-9, 1e-12):
                raise CheckFailed(part, f"the output y of forward(params, x) is wrong for "
                                        f"x = {show(x)}")
    passed(part, "forward gives the network's output")


def _test_function(params: Params) -> float:
    """A FIXED smooth function, kept only so that a test can show what its fixedness allowed: a
    `numerical_gradient` that recognises it (its code ships with calcgrade) and returns its known
    gradient without any finite difference. The checker draws a fresh function instead."""
    return float(sum(np.sum(np.exp(1.5 * v)) + np.sum(v ** 3) * (i + 1)
                     for i, v in enumerate(params.values())))


def _test_function_gradient(params: Params) -> dict[str, np.ndarray]:
    return {k: 1.5 * np.exp(1.5 * v) + 3 * v ** 2 * (i + 1)
            for i, (k, v) in enumerate(params.items())}


def random_test_function(shapes: Mapping[str, tuple], at: Params,
                         rng: np.random.Generator | None = None):
    """A fresh smooth `f(params) -> float` with random coefficients, and its exact gradient.

    With v the entries of all the arrays in order (|v| <= 1 where the checker evaluates it):

        f(v) = sum_i s_i a_i exp(c_i v_i)     s_i = ±1, a_i in [1, 2], c_i in [0.7, 1.5]
             + sum_i e_i v_i v_pi(i)          e_i in [-0.05, 0.05], pi a random cycle of all entries
             + d sin(w · v + phi)             d in [0.05, 0.1], w_i in [-1, 1], phi in [0, 2 pi)
             - (the same at `at`)

    Each entry's own term gives |df/dv_i| >= a c exp(-c) >= 0.33 and the coupling terms (which
    make one entry's derivative depend on other entries) at most 0.2, so no derivative is near 0
    and the relative error means something even for an array of one entry. f''/f' is about c >=
    0.7, so a one-sided difference is off by about h c / 2 (3.5e-6 at h = 1e-5, far above the
    bound 1e-8); the third derivative over the first is about c² <= 2.25, so a centred difference
    is off by at most about h² c² / 6 (3.8e-9 at h = 1e-4). f is summed exactly (math.fsum)
    together with minus its terms at `at`: near `at` the terms a perturbation leaves alone cancel
    exactly, so a centred difference with h = 1e-6 carries the rounding of one term, not of a sum
    that could reach 50. Measured over 2,000 draws of coefficients and params: right centred
    differences have a worst relative error of 2.1e-9 at h = 1e-4, 2.5e-11 at h = 1e-5 and 1.3e-10
    at h = 1e-6 (the bound is 1e-8); one-sided ones at least 2.7e-6 at h = 1e-5 (2.7e-7 at 1e-6).
    """
    import math

    rng = rng or seeds.rng()
    names = list(shapes)
    sizes = [int(np.prod(shapes[k], dtype=int)) for k in names]
    n = sum(sizes)
    sign = rng.choice([-1.0, 1.0], size=n)
    a, c = rng.uniform(1.0, 2.0, n), rng.uniform(0.7, 1.5, n)
    cycle = rng.permutation(n)
    pi = np.empty(n, dtype=int)
    pi[cycle] = np.roll(cycle, 1)  # one cycle through every entry: pi(i) != i
    e = rng.uniform(-0.05, 0.05, n)
    d, phi, w = rng.uniform(0.05, 0.1), rng.uniform(0, 2 * np.pi), rng.uniform(-1.0, 1.0, n)

    def flat(params) -> np.ndarray:
        parts = []
        for k, size in zip(names, sizes):
            v = np.asarray(params[k])
            if np.iscomplexobj(v):
                raise TypeError("f takes real numbers")
            parts.append(np.asarray(v, dtype=np.float64).reshape(size))
        return np.concatenate(parts)

    def terms(v: np.ndarray) -> list[float]:
        return [*(sign * a * np.exp(c * v)).tolist(), *(e * v * v[pi]).tolist(),
                float(d * np.sin(math.fsum((w * v).tolist()) + phi))]

    base = [-t for t in terms(flat(at))]

    def f(params) -> float:
        return math.fsum(terms(flat(params)) + base)

    def gradient(params) -> dict[str, np.ndarray]:
        v = flat(params)
        g = sign * a * c * np.exp(c * v) + e * v[pi] + d * w * np.cos(np.dot(w, v) + phi)
        np.add.at(g, pi, e * v)  # d(e_i v_i v_pi(i))/dv_pi(i) = e_i v_i
        return {k: g_k.reshape(shapes[k])
                for k, g_k in zip(names, np.split(g, np.cumsum(sizes)[:-1]))}

    return f, gradient


def check_numerical_gradient(numerical_gradient: Callable, shapes: Mapping[str, tuple],
                             part: str, rng: np.random.Generator | None = None, *,
                             test_function: tuple[Callable, Callable] | None = None) -> None:
    """`numerical_gradient(f, params)` approximates ∇f by centred differences (default h) and
    leaves `params` unchanged.

    f is drawn afresh (`random_test_function`, random coefficients) for every set of params, so
    no answer can recognise it and return its known gradient instead of differencing. A fixed
    `test_function` pair (f, gradient of f) replaces the draw: only for the tests that show what a
    fixed f allowed.
    """
    rng = rng or seeds.rng()
    for _ in range(3):
        params = {k: rng.uniform(-1, 1, size=s) for k, s in shapes.items()}
        fn, gradient = test_function or random_test_function(shapes, params, rng)
        given = copy_params(params)
        result, _ = call(numerical_gradient, fn, given, part=part,
                         what="numerical_gradient(f, params)")
        if not params_unchanged(params, given, ulps=RESTORE_ULPS):
            raise CheckFailed(part, "numerical_gradient changed the params it was given; save "
                                    "each entry's value before perturbing it and put that value "
                                    "back afterwards")
        got = as_param_dict(result, params, part, "numerical_gradient(f, params)")
        want = gradient(params)
        for k in want:
            err = relative_error(got[k], want[k])
            if not err <= 1e-8:
                hint = (" (a one-sided difference is not accurate enough: use centred differences)"
                        if err < 1e-3 else "")
                raise CheckFailed(part, f"numerical_gradient(f, params)[{k!r}] is off by a "
                                        f"relative error of {err:.1e}{hint}")
    passed(part, "numerical_gradient matches the true gradient")


def check_sgd_step(sgd_step: Callable, shapes: Mapping[str, tuple], part: str,
                   rng: np.random.Generator | None = None) -> None:
    """`sgd_step(params, grads, lr)` returns params − lr·grads without mutating its inputs."""
    rng = rng or seeds.rng()
    params, grads = random_params(shapes, rng), random_params(shapes, rng)
    lr = float(rng.uniform(0.05, 0.5))
    given_params, given_grads = copy_params(params), copy_params(grads)
    result, _ = call(sgd_step, given_params, given_grads, lr, part=part,
                     what="sgd_step(params, grads, lr)")
    if not (params_unchanged(params, given_params) and params_unchanged(grads, given_grads)):
        raise CheckFailed(part, "sgd_step changed its inputs; return a new dict instead")
    got = as_param_dict(result, params, part, "sgd_step(params, grads, lr)")
    for k in params:
        if not close(got[k], params[k] - lr * grads[k], 1e-12, 1e-12):
            raise CheckFailed(part, f"sgd_step(params, grads, lr)[{k!r}] is wrong "
                                    "(which way does a descent step go, and by how much?)")
    passed(part, "sgd_step takes a gradient-descent step")


def sgd_trajectory(loss: Callable[[Params, np.ndarray, np.ndarray], float], params: Params,
                   X: np.ndarray, T: np.ndarray, lr: float, epochs: int):
    """Per-sample SGD over the rows in order, gradients by centred differences; the losses are
    each epoch's mean of the per-row losses computed just before that row's update."""
    params = copy_params(params)
    losses = []
    for _ in range(epochs):
        epoch = []
        for x, t in zip(X, T):
            epoch.append(loss(params, x, t))
            grads = centred_difference(lambda p: loss(p, x, t), params)
            params = {k: params[k] - lr * grads[k] for k in params}
        losses.append(float(np.mean(epoch)))
    return params, losses


def full_batch_trajectory(loss: Callable[[Params, np.ndarray, np.ndarray], float],
                          params: Params, X: np.ndarray, T: np.ndarray, lr: float, epochs: int):
    """A known mistake for `check_train`: one step per epoch with the mean gradient over the
    rows (full-batch gradient descent) where per-sample SGD is asked for."""
    params = copy_params(params)
    losses = []
    for _ in range(epochs):
        losses.append(float(np.mean([loss(params, x, t) for x, t in zip(X, T)])))
        grads = [centred_difference(lambda p: loss(p, x, t), params) for x, t in zip(X, T)]
        params = {k: params[k] - lr * np.mean([g[k] for g in grads], axis=0) for k in params}
    return params, losses


def own_loss(forward: Callable) -> Callable[[Params, np.ndarray, np.ndarray], float]:
    """The loss ½‖y − t‖² of the network the student's own `forward` computes: the reference of
    `backward` carried forward from a `forward` that fails its own check (`calcgrade.checks.
    carried`). Raises ValueError where forward's y is not numbers."""
    def loss(params: Params, x: np.ndarray, target: np.ndarray) -> float:
        result = forward(copy_params(params), np.array(x, dtype=np.float64))
        try:
            y = as_float_array(result[0], "", "y")
        except CheckFailed as failure:
            raise ValueError(failure.message) from None
        return 0.5 * float(np.sum((y - np.asarray(target, dtype=np.float64)) ** 2))
    return loss


def own_trajectory(forward: Callable, loss: Callable, backward: Callable,
                   sgd_step: Callable) -> Callable:
    """The per-sample SGD loop `train` is asked for, with the student's own `forward`, `loss`,
    `backward` and `sgd_step` (each given copies): the reference of `train` carried forward from
    those that fail their own checks. A trajectory like `sgd_trajectory`'s, without its loss
    argument; raises ValueError where one of them gives what the loop cannot use."""
    def trajectory(params: Params, X: np.ndarray, T: np.ndarray, lr: float, epochs: int):
        params = copy_params(params)
        losses = []
        for _ in range(epochs):
            epoch = []
            for x, t in zip(X, T):
                y, cache = forward(copy_params(params), np.copy(x))
                grads = backward(copy_params(params), cache, np.copy(t))
                try:
                    epoch.append(float(as_float_array(loss(y, np.copy(t)), "", "").reshape(())))
                    params = as_param_dict(sgd_step(copy_params(params), grads, lr), params, "",
                                           "the new params")
                except (CheckFailed, ValueError) as failure:
                    raise ValueError(str(failure)) from None
            losses.append(float(np.mean(epoch)))
        return params, losses
    return trajectory


def check_train(train: Callable, params: Params, X: np.ndarray, T: np.ndarray, lr: float,
                epochs: int, part: str, reference_loss: Callable, *,
                mistakes: Mistakes | None = None, trajectory: Callable | None = None) -> None:
    """`train(params, X, T, lr, epochs)` follows the exact per-sample SGD trajectory.

    `mistakes` pairs a message with a known wrong trajectory (a function like `sgd_trajectory`,
    e.g. `full_batch_trajectory`): a train whose params end where it ends is told the message.
    `trajectory(params, X, T, lr, epochs)` replaces the reference trajectory (error carried
    forward: `own_trajectory`, the loop with the student's own functions).
    """
    want_params, want_losses = (trajectory(params, X, T, lr, epochs) if trajectory is not None
                                else sgd_trajectory(reference_loss, params, X, T, lr, epochs))
    result, _ = call(train, copy_params(params), np.copy(X), np.copy(T), lr, epochs, part=part,
                     what="train(params, X, T, lr, epochs)")
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed(part, "train should return a tuple (params, losses)")
    got_params = as_param_dict(result[0], params, part, "the trained params")
    got_losses = as_float_array(result[1], part, "losses", shape=(epochs,))
    wrong = [k for k in params if not close(got_params[k], want_params[k], 1e-6, 1e-9)]
    if wrong:
        for message, wrong_trajectory in mistake_pairs(mistakes):
            other, _ = cast(Callable, wrong_trajectory)(reference_loss, params, X, T, lr, epochs)
            if all(close(got_params[k], other[k], 1e-6, 1e-9) for k in params):
                raise CheckFailed(part, f"the trained params are wrong: {message}")
        raise CheckFailed(part, f"the trained params {', '.join(wrong)} differ from per-sample "
                                "SGD over the rows in order")
    if not close(got_losses, np.asarray(want_losses), 1e-6, 1e-10):
        raise CheckFailed(part, "losses is wrong: losses[i] should be the mean over the rows of "
                                "epoch i of each row's loss, computed before that row's update")
    passed(part, "train follows per-sample SGD")
