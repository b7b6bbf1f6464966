"""How exact must `backward` be? Honest analytic gradients against finite-difference imitations.

    python benchmarks/backward_tolerance.py [N] [SEED] [SCALE]   (default 300 hidden tests, 0, 0.5)

Simulates N runs of the hidden test of `test-backward` in source/backprop/backprop.ipynb, drawn
as it draws them: 3 parameter sets of scale 0.5 (`cg.random_params(..., scale=0.5)`), 2 cases
each, x normal, target uniform in [0, 1]; 6 evaluations per run. The reference gradient is the
notebook's own `_ref_gradient`, read from the hidden test. Every evaluation is judged by the
metric of `calcgrade.checks.gradients` (`exact_error`:
‖got − want‖ over EXACT_RTOL·(‖got‖ + ‖want‖) +
EXACT_SPREAD_FACTOR·spread; a key passes at <= 1, an evaluation when every key passes).

It prints, per form of `backward`:
  honest forms (68: sigmoid × σ' × layout): the WORST ratio over all evaluations and keys, and the
      worst plain relative error ‖got − want‖ / (‖got‖ + ‖want‖);
  finite-difference forms (differences of the student's own forward and loss): the BEST ratio
      of an evaluation (its worst key, since one key failing fails the evaluation), the best
      plain relative error of an evaluation, the best ratio of a hidden test (its worst
      evaluation: a test passes when all 6 pass) and how many of the N hidden tests it passes.

Measured with N = 300, SEED = 0 (1,800 evaluations, 350 s on a shared core), which is what the
tolerance in calcgrade/checks/gradients.py (EXACT_RTOL = 1e-13, EXACT_SPREAD_FACTOR = 2) rests on:
  honest forms (68): worst ratio 0.058 (exp sigmoid, σ' = a(1 − a), at |y − t| = 1.5e-3);
      worst plain relative error 2.7e-14, allowed by the spread term where y − t loses digits;
  centred differences, h = 1e-3 ... 1e-9: best ratio of an evaluation 580 (h = 1e-5);
  one-sided, h = 1e-3 ... 1e-9: best 1.8e5 (h = 1e-7);
  5-point stencils (4th order), h = 1e-2 ... 1e-4: best 2.6 in an evaluation (h = 3e-4), best 38
      over a hidden test (h = 3e-3);
  no finite-difference form passed any of the 300 hidden tests.
What still gets through (stated, not a goal of the tolerance):
  7-point stencils (6th order): best 0.40 in an evaluation (h = 3e-3) but 6.6 over a test
      (h = 1e-2): 0 of 300 tests passed;
  complex-step differentiation of forward (exact to rounding, h = 1e-30): ratio <= 0.0019,
      passes every test;
  5-point stencils computed in np.longdouble (80-bit on x86, h = 1e-3): 77 of 300 tests passed.
With the old draw (weights of scale 1; `... 60 1 1.0`): honest worst 0.105, finite differences
best 4.7 in an evaluation, no test passed.
"""

from __future__ import annotations

import ast
import itertools
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import calcgrade as cg  # noqa: E402
from calcgrade.checks.gradients import exact_error, relative_error, rounding_spread  # noqa: E402

SHAPES = {"W1": (3, 2), "b1": (3,), "W2": (2, 3), "b2": (2,), "W3": (1, 2), "b3": (1,)}
SCALE = 0.5  # as the hidden test draws the weights


def notebook_reference():
    """`_ref_gradient` and `_ref_forward` from the hidden tests of the source notebook."""
    import nbformat

    nb = nbformat.read(REPO / "source" / "backprop" / "backprop.ipynb", as_version=4)
    namespace = {"np": np}
    for cell in nb.cells:
        if cell.cell_type != "code" or "### BEGIN HIDDEN TESTS" not in cell.source:
            continue
        hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        defs = [node for node in ast.parse(hidden).body if isinstance(node, ast.FunctionDef)]
        exec(compile(ast.Module(defs, type_ignores=[]), "hidden", "exec"), namespace)
    return namespace["_ref_gradient"], namespace["_ref_forward"]


# ------------------------------------------------------------------ honest analytic forms
SIGMOIDS = {
    "exp": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": lambda z: 0.5 * (1 + np.tanh(z / 2)),
    "where": lambda z: np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))),
                                np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))),
    "logaddexp": lambda z: np.exp(-np.logaddexp(0, -z)),
}
DERIVATIVES = {  # σ' from the cached activation a or the cached pre-activation z
    "a(1-a)": lambda sig, a, z: a * (1 - a),
    "a-a*a": lambda sig, a, z: a - a * a,
    "s(z)(1-s(z))": lambda sig, a, z: sig(z) * (1 - sig(z)),
    "tanh'": lambda sig, a, z: 0.25 * (1 - np.tanh(z / 2) ** 2),
    "exp/(1+exp)^2": lambda sig, a, z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
}
LAYOUTS = ["outer", "broadcast", "einsum", "loops"]


def _forward(sig, p, x, loops=False):
    a, zs = [np.asarray(x, dtype=float)], [None]
    for k in "123":
        W, b = p["W" + k], p["b" + k]
        if loops:  # neuron by neuron, Python sums
            z = np.array([sum(W[n, i] * a[-1][i] for i in range(W.shape[1])) + b[n]
                          for n in range(W.shape[0])])
            out = np.array([float(sig(v)) for v in z])
        else:
            z = W @ a[-1] + b
            out = sig(z)
        zs.append(z)
        a.append(out)
    return a, zs


def honest(sig_name, der_name, layout):
    sig, der = SIGMOIDS[sig_name], DERIVATIVES[der_name]

    def backward(p, x, t):
        a, zs = _forward(sig, p, x, loops=layout == "loops")
        grads, delta = {}, (a[3] - t) * der(sig, a[3], zs[3])
        for k in (3, 2, 1):
            W = p[f"W{k}"]
            if layout == "outer":
                grads[f"W{k}"] = np.outer(delta, a[k - 1])
            elif layout == "broadcast":
                grads[f"W{k}"] = delta[:, None] * a[k - 1][None, :]
            elif layout == "einsum":
                grads[f"W{k}"] = np.einsum("i,j->ij", delta, a[k - 1])
            else:
                grads[f"W{k}"] = np.array([[delta[i] * a[k - 1][j] for j in range(W.shape[1])]
                                           for i in range(W.shape[0])])
            grads[f"b{k}"] = delta.copy()
            if k > 1:
                back = (np.array([sum(W[i, j] * delta[i] for i in range(W.shape[0]))
                                  for j in range(W.shape[1])]) if layout == "loops"
                        else W.T @ delta)
                delta = back * der(sig, a[k - 1], zs[k - 1])
        return grads

    return backward


def honest_forms():
    # the loops layout only with a(1-a) and tanh' (it is slow, and the σ' variants are covered)
    return {f"{s}/{d}/{lay}": honest(s, d, lay)
            for s, d, lay in itertools.product(SIGMOIDS, DERIVATIVES, LAYOUTS)
            if lay != "loops" or d in ("a(1-a)", "tanh'")}


# ------------------------------------------------------------------ finite-difference imitations
STENCILS = {  # offsets and weights of f'(p) ≈ sum w f(p + o h) / h
    "one-sided": ([0, 1], [-1, 1]),
    "centred": ([-1, 1], [-0.5, 0.5]),
    "5-point": ([-2, -1, 1, 2], [1 / 12, -8 / 12, 8 / 12, -1 / 12]),
    "7-point": ([-3, -2, -1, 1, 2, 3], [-1 / 60, 9 / 60, -45 / 60, 45 / 60, -9 / 60, 1 / 60]),
}


def differences(stencil, h, dtype=np.float64):
    """backward = finite differences of the student's own forward pass and loss."""
    offsets, weights = STENCILS[stencil]
    sig = SIGMOIDS["where"]  # the notebook's solution

    def loss(p, x, t):
        a = np.asarray(x, dtype=dtype)
        for k in "123":
            z = p["W" + k] @ a + p["b" + k]
            a = 1 / (1 + np.exp(-z)) if dtype != np.float64 else sig(z)
        return 0.5 * np.sum((a - t) ** 2)

    def backward(p, x, t):
        work = {k: np.array(v, dtype=dtype) for k, v in p.items()}
        grads = {}
        for k, v in work.items():
            g = np.zeros(v.shape)
            for i in np.ndindex(v.shape):
                old = v[i]
                total = dtype(0)
                for o, w in zip(offsets, weights):
                    v[i] = old + o * dtype(h)
                    total += dtype(w) * loss(work, x, t)
                v[i] = old
                g[i] = float(total / dtype(h))
            grads[k] = g
        return grads

    return backward


def complex_step(h=1e-30):
    def backward(p, x, t):
        grads = {}
        for k, v in p.items():
            g = np.zeros(v.shape)
            for i in np.ndindex(v.shape):
                work = {n: np.array(u, dtype=complex) for n, u in p.items()}
                work[k][i] += 1j * h
                a = np.asarray(x, dtype=complex)
                for layer in "123":
                    a = 1 / (1 + np.exp(-(work["W" + layer] @ a + work["b" + layer])))
                g[i] = np.imag(0.5 * np.sum((a - t) ** 2)) / h
            grads[k] = g
        return grads

    return backward


def imitations():
    forms = {}
    for stencil, hs in [("centred", [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9]),
                        ("one-sided", [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9]),
                        ("5-point", [1e-2, 3e-3, 1e-3, 3e-4, 1e-4])]:
        forms.update({f"{stencil} h={h:g}": differences(stencil, h) for h in hs})
    return forms


def beyond():
    """What the tolerance is not meant to catch, measured to say so."""
    return {"7-point h=1e-2": differences("7-point", 1e-2),
            "7-point h=3e-3": differences("7-point", 3e-3),
            "complex step h=1e-30": complex_step(),
            "5-point in longdouble h=1e-3": differences("5-point", 1e-3, np.longdouble)}


def judge(grads, want, spread):
    """(worst ratio, worst relative error) over the keys of one evaluation."""
    return (max(exact_error(grads[k], want[k], spread[k]) for k in want),
            max(relative_error(grads[k], want[k]) for k in want))


def main(n_tests: int = 300, seed: int = 0, scale: float = SCALE) -> None:
    reference, ref_forward = notebook_reference()
    rng = np.random.default_rng(seed)
    honest_set, fd_set, beyond_set = honest_forms(), imitations(), beyond()
    worst = {name: (0.0, 0.0) for name in honest_set}
    best = {name: (np.inf, np.inf) for name in {**fd_set, **beyond_set}}
    tests_passed = dict.fromkeys(best, 0)
    best_test = dict.fromkeys(best, np.inf)  # a hidden test's verdict: its worst evaluation
    worst_case = (0.0, "", 0.0)  # ratio, form, |y - t|
    start = time.time()
    for _ in range(n_tests):
        test_ratio = dict.fromkeys(best, 0.0)
        param_sets = [cg.random_params(SHAPES, rng, scale=scale) for _ in range(3)]
        cases = [(rng.normal(size=2), rng.uniform(size=1)) for _ in range(2)]
        for params, (x, t) in itertools.product(param_sets, cases):
            want = {k: np.asarray(v, dtype=float) for k, v in reference(params, x, t).items()}
            spread = rounding_spread(reference, params, x, t, want, rng)
            for name, backward in honest_set.items():
                ratio, rel = judge(backward(params, x, t), want, spread)
                worst[name] = (max(worst[name][0], ratio), max(worst[name][1], rel))
                if ratio > worst_case[0]:
                    worst_case = (ratio, name, float(abs(ref_forward(params, x) - t)[0]))
            for name, backward in {**fd_set, **beyond_set}.items():
                ratio, rel = judge(backward(params, x, t), want, spread)
                best[name] = (min(best[name][0], ratio), min(best[name][1], rel))
                test_ratio[name] = max(test_ratio[name], ratio)
        for name, ratio in test_ratio.items():
            tests_passed[name] += ratio <= 1
            best_test[name] = min(best_test[name], ratio)
    print(f"{n_tests} hidden tests ({6 * n_tests} evaluations), seed {seed}, weights of scale "
          f"{scale:g}, {time.time() - start:.0f} s; metric: calcgrade.checks.gradients.exact_error "
          "(pass <= 1)")
    print("\nhonest analytic forms: WORST ratio, worst relative error")
    print(f"  (the worst: {worst_case[1]}, ratio {worst_case[0]:.3g}, at |y - t| = "
          f"{worst_case[2]:.1e})")
    for name, (ratio, rel) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        print(f"  {name:32s} {ratio:9.3g} {rel:9.2e}")
    for title, forms in [("finite differences of forward", fd_set), ("beyond the tolerance's aim",
                                                                       beyond_set)]:
        print(f"\n{title}: BEST ratio of an evaluation, best relative error; BEST ratio of a "
              "hidden test (its worst evaluation), hidden tests passed")
        for name in forms:
            ratio, rel = best[name]
            print(f"  {name:32s} {ratio:9.3g} {rel:9.2e} {best_test[name]:9.3g} "
                  f"{tests_passed[name]:5d}/{n_tests}")
    honest_worst = max(r for r, _ in worst.values())
    fd_best = min(best[name][0] for name in fd_set)
    print(f"\nworst honest ratio {honest_worst:.3g}; best finite-difference ratio {fd_best:.3g}; "
          f"the bound is 1 (EXACT_RTOL = {cg.gradients.EXACT_RTOL:g}, "
          f"EXACT_SPREAD_FACTOR = {cg.gradients.EXACT_SPREAD_FACTOR:g})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]), *(float(a) for a in sys.argv[3:4]))
