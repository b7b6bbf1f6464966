"""Gradient checks: analytic gradients against centred finite differences, in the style of a
gradient check (relative error ‖g − n‖ / (‖g‖ + ‖n‖) under a bound), and the small training
steps built on them (an SGD step, a per-sample SGD loop).

Parameters are dicts of name -> float array. Student functions always receive copies, so what they
do to their inputs cannot change the reference, and mutation is detected by comparing afterwards.
The reference network itself is never here: the hidden test passes its loss function in.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from .errors import CheckFailed, passed
from .numeric import as_float_array, call, close, expected

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
    rng = rng or np.random.default_rng()
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


def params_unchanged(before: Params, after: Params) -> bool:
    return all(np.array_equal(before[k], np.asarray(after[k])) for k in before)


def _compare_gradients(got: Params, want: Params, part: str, what: str,
                       rtol: float = GRADIENT_RTOL) -> None:
    wrong = []
    for k in want:
        if not gradients_agree(got[k], want[k], rtol):
            err = relative_error(got[k], want[k])
            transposed = (got[k].T.shape == want[k].shape and got[k].ndim == 2
                          and gradients_agree(got[k].T, want[k], rtol))
            wrong.append(f"{what}[{k!r}]" + (" looks transposed" if transposed else
                                             f" (relative error {err:.1e} against finite differences)"))
    if wrong:
        raise CheckFailed(part, "wrong gradient: " + "; ".join(wrong))


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
                   reference_loss: Callable[[Params, np.ndarray, np.ndarray], float]) -> None:
    """`backward(params, cache, target)` after the student's `forward(params, x)` gives the
    gradient of the loss, at every parameter set and every (x, target) case."""
    for params in param_sets:
        for x, target in cases:
            y, cache = _forward_output(forward, params, x, part)
            grads, _ = call(backward, copy_params(params), cache, np.copy(target), part=part,
                            what="backward(params, cache, target)")
            want = centred_difference(lambda p: reference_loss(p, x, target), params)
            _refuse_transposed(grads, want, part)
            got = as_param_dict(grads, params, part, "the gradient")
            _compare_gradients(got, want, part, "grads")
    passed(part, "backward matches finite differences")


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
                raise CheckFailed(part, f"the output y of forward(params, x) is wrong for x = {x}")
    passed(part, "forward gives the network's output")


def _test_function(params: Params) -> float:
    """A smooth scalar function of parameters with large third derivatives, so that a
    one-sided difference quotient is visibly less accurate than a centred one."""
    return float(sum(np.sum(np.exp(1.5 * v)) + np.sum(v ** 3) * (i + 1)
                     for i, v in enumerate(params.values())))


def _test_function_gradient(params: Params) -> dict[str, np.ndarray]:
    return {k: 1.5 * np.exp(1.5 * v) + 3 * v ** 2 * (i + 1)
            for i, (k, v) in enumerate(params.items())}


def check_numerical_gradient(numerical_gradient: Callable, shapes: Mapping[str, tuple],
                             part: str, rng: np.random.Generator | None = None) -> None:
    """`numerical_gradient(f, params)` approximates ∇f by centred differences (default h) and
    leaves `params` unchanged."""
    rng = rng or np.random.default_rng()
    for _ in range(3):
        params = {k: rng.uniform(-1, 1, size=s) for k, s in shapes.items()}
        given = copy_params(params)
        result, _ = call(numerical_gradient, _test_function, given, part=part,
                         what="numerical_gradient(f, params)")
        if not params_unchanged(params, given):
            raise CheckFailed(part, "numerical_gradient changed the params it was given; "
                                    "restore each entry after perturbing it")
        got = as_param_dict(result, params, part, "numerical_gradient(f, params)")
        want = _test_function_gradient(params)
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
    rng = rng or np.random.default_rng()
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


def check_train(train: Callable, params: Params, X: np.ndarray, T: np.ndarray, lr: float,
                epochs: int, part: str, reference_loss: Callable) -> None:
    """`train(params, X, T, lr, epochs)` follows the exact per-sample SGD trajectory."""
    want_params, want_losses = sgd_trajectory(reference_loss, params, X, T, lr, epochs)
    result, _ = call(train, copy_params(params), np.copy(X), np.copy(T), lr, epochs, part=part,
                     what="train(params, X, T, lr, epochs)")
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed(part, "train should return a tuple (params, losses)")
    got_params = as_param_dict(result[0], params, part, "the trained params")
    got_losses = as_float_array(result[1], part, "losses", shape=(epochs,))
    wrong = [k for k in params if not close(got_params[k], want_params[k], 1e-6, 1e-9)]
    if wrong:
        raise CheckFailed(part, f"the trained params {wrong} differ from per-sample SGD over the "
                                "rows in order")
    if not close(got_losses, np.asarray(want_losses), 1e-6, 1e-10):
        raise CheckFailed(part, "losses is wrong: losses[i] should be the mean over the rows of "
                                "epoch i of each row's loss, computed before that row's update")
    passed(part, "train follows per-sample SGD")
