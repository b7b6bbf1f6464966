"""Writes the instructor notebooks in source/ (the course as first authored).

The notebooks in source/ are the truth: edit them in JupyterLab as any nbgrader course. This
script is how they were written, kept so that a change to many cells at once stays a reviewable
diff; run `python tools/author_notebooks.py` then `nbgrader generate_assignment --force` for each
assignment (or `calcgrade release`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text):
    return new_markdown_cell(text.strip())


def given(grade_id, code):
    """Read-only code the student runs (imports, provided helpers)."""
    return new_code_cell(code.strip(), metadata=_meta(grade_id, locked=True))


def answer(grade_id, code):
    """A code cell with a `### BEGIN SOLUTION` region the release replaces by a stub."""
    return new_code_cell(code.strip(), metadata=_meta(grade_id, solution=True))


def written_answer(grade_id, points, text):
    """A Markdown answer graded by hand in formgrader."""
    return new_markdown_cell(text.strip(), metadata=_meta(grade_id, grade=True, solution=True,
                                                          points=points))


def test(grade_id, points, visible, hidden):
    """A test cell: a visible self-check, then the hidden test restored at grading time."""
    source = (f"# Self-check (checks names, types and shapes, not the answer)\n{visible.strip()}\n"
              f"### BEGIN HIDDEN TESTS\n{hidden.strip()}\n### END HIDDEN TESTS")
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


def write(assignment, name, cells):
    for i, cell in enumerate(cells):  # stable ids, so re-running this script changes nothing
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id", f"{cell.cell_type}-{i}")
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    })
    path = ROOT / "source" / assignment / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


IMPORTS = """
%matplotlib inline
import numpy as np
import sympy as sp
import matplotlib.pyplot as plt
from calcgrade import selfcheck
"""

# ---------------------------------------------------------------------------------------------
TANGENT = [
    md(r"""
# The derivative and the tangent line

*Dive into Deep Learning*, section 2.4. The derivative of $f$ at $x$ is the limit of the
difference quotient
$$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.$$
For $u = f(x) = 3x^2 - 4x$ at $x = 1$ the quotient approaches $2$ as $h = 0.1, 0.01, \dots$,
and indeed $f'(x) = 6x - 4$.

In this notebook you will plot $f(x) = x^3 - \frac{1}{x}$ together with its tangent line at
$x = 1$. Answer in the cells marked `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
line) and run each self-check cell after it. Run the whole notebook top to bottom before you
submit.
"""),
    given("tangent-imports", IMPORTS),
    md(r"""
## 1. The difference quotient (1 point)

Write `numerical_lim(f, x, h)` returning the **forward** difference quotient
$\dfrac{f(x + h) - f(x)}{h}$ for a function `f`, a point `x` and a step `h`.
"""),
    answer("tangent-numerical-lim", """
def numerical_lim(f, x, h):
    ### BEGIN SOLUTION
    return (f(x + h) - f(x)) / h
    ### END SOLUTION
"""),
    test("test-numerical-lim", 1, """
selfcheck.function(globals(), "numerical_lim", lambda t: 3 * t ** 2 - 4 * t, 1.0, 0.1, shape=())
""", """
import calcgrade as cg
cg.check_cases(numerical_lim, lambda f, x, h: (f(x + h) - f(x)) / h, [
    (lambda t: 3 * t ** 2 - 4 * t, 1.0, 0.1),
    (np.exp, 0.5, 0.01),
    (np.sin, float(np.random.uniform(-2, 2)), 1e-3),
    (lambda t: t ** 3, float(np.random.uniform(0.5, 2)), 0.05),
], part="numerical_lim", rtol=1e-7)
"""),
    md(r"""
Watch the quotient approach $f'(1) = 2$ for $u = 3x^2 - 4x$ (this cell is not graded):
"""),
    new_code_cell("""
h = 0.1
for _ in range(5):
    print(f"h={h:.5f}, numerical limit={numerical_lim(lambda x: 3 * x ** 2 - 4 * x, 1, h):.5f}")
    h *= 0.1
""".strip()),
    md(r"""
## 2. The function and its derivative (2 points)

Define `f(x)` $= x^3 - \frac{1}{x}$ and `df(x)`, its **exact** derivative (not a difference
quotient). Both must work on a float and on a numpy array (elementwise).
"""),
    answer("tangent-f-df", """
### BEGIN SOLUTION
def f(x):
    return x ** 3 - 1 / x


def df(x):
    return 3 * x ** 2 + 1 / x ** 2
### END SOLUTION
"""),
    test("test-f", 1, """
selfcheck.function(globals(), "f", 2.0, shape=())
selfcheck.function(globals(), "f", np.array([0.5, 1.5, 2.5]), shape=(3,))
""", """
import calcgrade as cg
cg.check_function(f, lambda x: x ** 3 - 1 / x,
                  cg.random_points([(-3.0, -0.2), (0.2, 3.0)], 20), part="f")
"""),
    test("test-df", 1, """
selfcheck.function(globals(), "df", 2.0, shape=())
selfcheck.function(globals(), "df", np.array([0.5, 1.5, 2.5]), shape=(3,))
""", """
import calcgrade as cg
cg.check_function(df, lambda x: 3 * x ** 2 + 1 / x ** 2,
                  cg.random_points([(-3.0, -0.2), (0.2, 3.0)], 20), part="df")
"""),
    md(r"""
## 3. The derivative, symbolically (1 point)

Give `f_prime`, the derivative $f'(x)$ as a **sympy expression** in a symbol named `x`
(for example built from `x = sp.Symbol("x")`; you may also give a string such as `"2*x"`).
"""),
    answer("tangent-f-prime", """
x = sp.Symbol("x")
### BEGIN SOLUTION
f_prime = sp.diff(x ** 3 - 1 / x, x)
### END SOLUTION
"""),
    test("test-f-prime", 1, """
selfcheck.expression(globals(), "f_prime", ["x"])
""", """
import calcgrade as cg
cg.check_expression(f_prime, "3*x**2 + 1/x**2", ["x"], part="f_prime",
                    domain={"x": [(-3.0, -0.2), (0.2, 3.0)]},
                    mistakes={"check the sign of the derivative of -1/x":
                              "3*x**2 - 1/x**2"})
"""),
    md(r"""
## 4. The tangent line at $x = 1$ (3 points)

The tangent of $f$ at $x_0$ is the line $y = f'(x_0)\,(x - x_0) + f(x_0)$. Give its `slope` and
`intercept` at $x_0 = 1$ as real numbers (exact, not from a difference quotient), and
`tangent(x)`, the line as a function working on a float and on a numpy array.
"""),
    answer("tangent-line", """
### BEGIN SOLUTION
slope = df(1.0)
intercept = f(1.0) - slope * 1.0


def tangent(x):
    return slope * x + intercept
### END SOLUTION
"""),
    test("test-slope", 1, """
selfcheck.number(globals(), "slope")
""", """
import calcgrade as cg
cg.check_value(slope, 4.0, part="slope", what="the slope of the tangent at x = 1")
"""),
    test("test-intercept", 1, """
selfcheck.number(globals(), "intercept")
""", """
import calcgrade as cg
cg.check_value(intercept, -4.0, part="intercept", what="the intercept of the tangent at x = 1")
"""),
    test("test-tangent", 1, """
selfcheck.function(globals(), "tangent", np.array([0.0, 1.0, 2.0]), shape=(3,))
""", """
import calcgrade as cg
cg.check_function(tangent, lambda x: 4 * x - 4, cg.random_points([(-3.0, 3.0)], 10),
                  part="tangent")
"""),
    md(r"""
## 5. The plot (2 points)

Make `fig`, a matplotlib Figure (e.g. `fig, ax = plt.subplots()`) whose axes show the curve of
$f$ and its tangent line on an interval containing $x = 1$ (d2l uses $x \in [0.1, 3)$; avoid
$x = 0$, where $f$ has a pole), with a legend naming both (`label=...` and `ax.legend()`).
"""),
    answer("tangent-plot", """
### BEGIN SOLUTION
xs = np.arange(0.1, 3, 0.01)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(xs, f(xs), label="f(x) = x^3 - 1/x")
ax.plot(xs, tangent(xs), "--", label="tangent at x = 1")
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.legend()
### END SOLUTION
"""),
    test("test-plot", 2, """
selfcheck.figure(globals(), "fig")
""", """
import calcgrade as cg
cg.check_curves_plot(fig, {"f": lambda x: x ** 3 - 1 / x,
                           "the tangent at x = 1": lambda x: 4 * x - 4},
                     around=1.0, part="fig")
"""),
]

# ---------------------------------------------------------------------------------------------
GRADIENT_EXP = [
    md(r"""
# The gradient of $f(\mathbf{x}) = 3x_1^2 + 5e^{x_2}$

*Dive into Deep Learning*, section 2.4, exercise 2. The gradient of a function of a vector
$\mathbf{x} = [x_1, \dots, x_n]^\top$ is the vector of its partial derivatives,
$\nabla_{\mathbf{x}} f = \left[\frac{\partial f}{\partial x_1}, \dots,
\frac{\partial f}{\partial x_n}\right]^\top$.
Answer in the cells marked `# YOUR CODE HERE` and run the self-check after each.
"""),
    given("gradient-exp-imports", IMPORTS + 'x1, x2 = sp.symbols("x1 x2")'),
    md(r"""
## 1. Symbolically (2 points)

Give `grad_f_expr`, the gradient of $f(\mathbf{x}) = 3x_1^2 + 5e^{x_2}$ as a sequence of two
sympy expressions in the symbols `x1`, `x2` (a list, a tuple or a sympy `Matrix`).
"""),
    answer("gradient-exp-expr", """
### BEGIN SOLUTION
f_sym = 3 * x1 ** 2 + 5 * sp.exp(x2)
grad_f_expr = [sp.diff(f_sym, v) for v in (x1, x2)]
### END SOLUTION
"""),
    test("test-grad-f-expr", 2, """
selfcheck.vector_expression(globals(), "grad_f_expr", 2, ["x1", "x2"])
""", """
import calcgrade as cg
cg.check_vector_expression(grad_f_expr, ["6*x1", "5*exp(x2)"], ["x1", "x2"],
                           part="grad_f_expr", components=["∂f/∂x1", "∂f/∂x2"],
                           mistakes={"these are the terms of f, not their derivatives":
                                     ["3*x1**2", "5*exp(x2)"]})
"""),
    md(r"""
## 2. Numerically (2 points)

Write `grad_f(x)` taking an array-like of two numbers (a list or a numpy array, possibly of
integers) and returning the gradient at that point as a numpy **float** array of shape `(2,)`.
"""),
    answer("gradient-exp-numeric", """
def grad_f(x):
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    return np.array([6 * x[0], 5 * np.exp(x[1])])
    ### END SOLUTION
"""),
    test("test-grad-f", 2, """
selfcheck.function(globals(), "grad_f", [0.5, -0.5], shape=(2,))
""", """
import calcgrade as cg
cg.check_vector_function(
    grad_f, lambda x: np.array([6 * x[0], 5 * np.exp(x[1])]),
    [[1, 2], [0, 0], np.array([-3, 1]), *np.random.uniform(-2, 2, size=(5, 2))],
    part="grad_f", components=["∂f/∂x1", "∂f/∂x2"])
"""),
]

# ---------------------------------------------------------------------------------------------
NORM = "sqrt(x1**2 + x2**2 + x3**2)"
GRADIENT_NORM = [
    md(r"""
# The gradient of $f(\mathbf{x}) = \|\mathbf{x}\|_2$

*Dive into Deep Learning*, section 2.4, exercise 3. The Euclidean norm is
$\|\mathbf{x}\|_2 = \sqrt{x_1^2 + \dots + x_n^2}$. Recall that
$\nabla_{\mathbf{x}} \|\mathbf{x}\|_2^2 = 2\mathbf{x}$: what changes without the square?
Answer in the cells marked `# YOUR CODE HERE` and run the self-check after each.
"""),
    given("gradient-norm-imports", IMPORTS + 'x1, x2, x3 = sp.symbols("x1 x2 x3")'),
    md(r"""
## 1. Symbolically, for $n = 3$ (2 points)

Give `grad_norm_expr`, the gradient of $\|\mathbf{x}\|_2$ for $\mathbf{x} = [x_1, x_2, x_3]$, as
a sequence of three sympy expressions in `x1`, `x2`, `x3`.
"""),
    answer("gradient-norm-expr", """
### BEGIN SOLUTION
norm = sp.sqrt(x1 ** 2 + x2 ** 2 + x3 ** 2)
grad_norm_expr = [sp.diff(norm, v) for v in (x1, x2, x3)]
### END SOLUTION
"""),
    test("test-grad-norm-expr", 2, """
selfcheck.vector_expression(globals(), "grad_norm_expr", 3, ["x1", "x2", "x3"])
""", f"""
import calcgrade as cg
cg.check_vector_expression(
    grad_norm_expr, ["x1/{NORM}", "x2/{NORM}", "x3/{NORM}"], ["x1", "x2", "x3"],
    part="grad_norm_expr", components=["∂f/∂x1", "∂f/∂x2", "∂f/∂x3"],
    mistakes={{"this is the gradient of the squared norm ‖x‖², not of ‖x‖":
               ["2*x1", "2*x2", "2*x3"],
               "the chain rule through the square root is off by a factor":
               ["2*x1/{NORM}", "2*x2/{NORM}", "2*x3/{NORM}"]}})
"""),
    md(r"""
## 2. Numerically, for any $n$ (3 points)

Write `grad_norm(x)` taking a numpy array (or list) of any length $n \geq 1$ and returning the
gradient of $\|\mathbf{x}\|_2$ as a float array of shape `(n,)`. At $\mathbf{x} = \mathbf{0}$,
where the gradient does not exist, return the zero vector (a subgradient), with no NaN and no
warning.
"""),
    answer("gradient-norm-numeric", """
def grad_norm(x):
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    norm = np.linalg.norm(x)
    if norm == 0:
        return np.zeros_like(x)
    return x / norm
    ### END SOLUTION
"""),
    test("test-grad-norm", 2, """
selfcheck.function(globals(), "grad_norm", np.array([1.0, 2.0, 2.0]), shape=(3,))
""", """
import calcgrade as cg
rng = np.random.default_rng()
cg.check_vector_function(
    grad_norm, lambda x: x / np.linalg.norm(x),
    [[3, 4], [-2.5], *(rng.normal(size=n) for n in (1, 2, 3, 3, 5, 10))], part="grad_norm")
"""),
    test("test-grad-norm-zero", 1, """
selfcheck.function(globals(), "grad_norm", np.zeros(3), shape=(3,))
""", """
import calcgrade as cg
cg.check_vector_function(grad_norm, np.zeros_like, [np.zeros(1), np.zeros(3), [0, 0], np.zeros(6)],
                         part="grad_norm at 0", forbid_warnings=True)
"""),
    md(r"""
## 3. What happens at $\mathbf{x} = \mathbf{0}$? (2 points, graded by hand)

In a few sentences: why does $\|\mathbf{x}\|_2$ have no gradient at $\mathbf{0}$, and why is the
zero vector a reasonable value to return there?
"""),
    written_answer("gradient-norm-at-zero", 2, r"""
### BEGIN SOLUTION
Along any direction $\mathbf{v}$, $\|t\mathbf{v}\|_2 = |t|\,\|\mathbf{v}\|_2$: the function has a
kink (like $|t|$) at $\mathbf{0}$, with one-sided slopes $\pm\|\mathbf{v}\|_2$, so no linear
approximation fits and the gradient does not exist; $\mathbf{x}/\|\mathbf{x}\|_2$ is $0/0$ there.
Every $\mathbf{g}$ with $\|\mathbf{g}\|_2 \le 1$ is a subgradient, and $\mathbf{0}$ is one of them
(it is the minimum), which is why frameworks return it.
### END SOLUTION
"""),
]

# ---------------------------------------------------------------------------------------------
PARTIALS = "u_x u_y u_z x_a x_b y_a y_b z_a z_b"
CHAIN_RULE = [
    md(r"""
# The multivariable chain rule

*Dive into Deep Learning*, section 2.4, exercise 4. If $y$ depends on $u_1, \dots, u_m$ and each
$u_j$ depends on $x_1, \dots, x_n$, then
$$\frac{\partial y}{\partial x_i} = \sum_{j=1}^{m} \frac{\partial y}{\partial u_j}
\frac{\partial u_j}{\partial x_i}, \qquad
\nabla_{\mathbf{x}}\, y = \mathbf{J}^\top \nabla_{\mathbf{u}}\, y, \quad
J_{ji} = \frac{\partial u_j}{\partial x_i}.$$
Here $u = f(x, y, z)$ with $x = x(a, b)$, $y = y(a, b)$, $z = z(a, b)$.
Answer in the cells marked `# YOUR CODE HERE` and run the self-check after each.
"""),
    given("chain-rule-imports", IMPORTS + f"""
# The partial derivatives, as symbols: u_x = ∂u/∂x, x_a = ∂x/∂a, and so on.
{", ".join(PARTIALS.split())} = sp.symbols("{PARTIALS}")
"""),
    md(r"""
## 1. The chain rule written out (2 points)

Give `du_da` $= \frac{\partial u}{\partial a}$ and `du_db` $= \frac{\partial u}{\partial b}$ as
sympy expressions in the provided symbols `u_x u_y u_z x_a x_b y_a y_b z_a z_b`.
"""),
    answer("chain-rule-symbolic", """
### BEGIN SOLUTION
du_da = u_x * x_a + u_y * y_a + u_z * z_a
du_db = u_x * x_b + u_y * y_b + u_z * z_b
### END SOLUTION
"""),
    test("test-du-da", 1, f"""
selfcheck.expression(globals(), "du_da", "{PARTIALS}".split())
""", f"""
import calcgrade as cg
cg.check_expression(du_da, "u_x*x_a + u_y*y_a + u_z*z_a", "{PARTIALS}".split(), part="du_da",
                    mistakes=[("a term is missing: a reaches u through each of x, y and z", m)
                              for m in ["u_y*y_a + u_z*z_a", "u_x*x_a + u_z*z_a",
                                        "u_x*x_a + u_y*y_a"]]
                    + [("∂u/∂a should use the derivatives of x, y, z with respect to a, not b",
                        "u_x*x_b + u_y*y_b + u_z*z_b")])
"""),
    test("test-du-db", 1, f"""
selfcheck.expression(globals(), "du_db", "{PARTIALS}".split())
""", f"""
import calcgrade as cg
cg.check_expression(du_db, "u_x*x_b + u_y*y_b + u_z*z_b", "{PARTIALS}".split(), part="du_db",
                    mistakes=[("a term is missing: b reaches u through each of x, y and z", m)
                              for m in ["u_y*y_b + u_z*z_b", "u_x*x_b + u_z*z_b",
                                        "u_x*x_b + u_y*y_b"]]
                    + [("∂u/∂b should use the derivatives of x, y, z with respect to b, not a",
                        "u_x*x_a + u_y*y_a + u_z*z_a")])
"""),
    md(r"""
## 2. The chain rule with a Jacobian (2 points)

Write `chain_rule_jacobian(grad_u, J)`: given $\nabla u$ with respect to the $m$ inner
variables (numpy array of shape `(m,)`) and the Jacobian $\mathbf{J}$ of the inner variables with
respect to the $n$ outer ones (shape `(m, n)`, $J_{ji} = \partial u_j / \partial x_i$), return
the gradient with respect to the outer variables, shape `(n,)`. It must work for any $m$, $n$.
"""),
    answer("chain-rule-jacobian", """
def chain_rule_jacobian(grad_u, J):
    ### BEGIN SOLUTION
    return np.asarray(J, dtype=float).T @ np.asarray(grad_u, dtype=float)
    ### END SOLUTION
"""),
    test("test-chain-rule-jacobian", 2, """
selfcheck.function(globals(), "chain_rule_jacobian", np.ones(3), np.ones((3, 2)), shape=(2,))
""", """
import calcgrade as cg
rng = np.random.default_rng()
cg.check_cases(chain_rule_jacobian, lambda g, J: J.T @ g,
               [(rng.normal(size=m), rng.normal(size=(m, n)))
                for m, n in [(3, 2), (2, 3), (3, 3), (1, 4), (4, 1), (5, 5)]],
               part="chain_rule_jacobian")
"""),
    md(r"""
## 3. A concrete case (2 points)

Let $u = x^2 y + \sin z$ with $x = ab$, $y = a + b^2$, $z = e^{a - b}$. Write `grad_u_ab(a, b)`
returning the numpy array $\left(\frac{\partial u}{\partial a},
\frac{\partial u}{\partial b}\right)$ of shape `(2,)` for float `a`, `b`.
"""),
    answer("chain-rule-concrete", """
def grad_u_ab(a, b):
    ### BEGIN SOLUTION
    x, y, z = a * b, a + b ** 2, np.exp(a - b)
    grad_u = np.array([2 * x * y, x ** 2, np.cos(z)])
    J = np.array([[b, a], [1.0, 2 * b], [z, -z]])
    return J.T @ grad_u
    ### END SOLUTION
"""),
    test("test-grad-u-ab", 2, """
selfcheck.function(globals(), "grad_u_ab", 0.5, -0.5, shape=(2,))
""", """
import calcgrade as cg

def _grad_u_ab(a, b):
    x, y, z = a * b, a + b ** 2, np.exp(a - b)
    u_x, u_y, u_z = 2 * x * y, x ** 2, np.cos(z)
    return np.array([u_x * b + u_y * 1 + u_z * z, u_x * a + u_y * 2 * b - u_z * z])

cg.check_cases(grad_u_ab, _grad_u_ab,
               [tuple(p) for p in np.random.uniform(-1.5, 1.5, size=(8, 2))] + [(0.0, 0.0)],
               part="grad_u_ab")
"""),
]

# ---------------------------------------------------------------------------------------------
SHAPES = '{"W1": (3, 2), "b1": (3,), "W2": (2, 3), "b2": (2,), "W3": (1, 2), "b3": (1,)}'
REFERENCE_NETWORK = """
def _ref_forward(p, x):
    a = np.asarray(x, dtype=float)
    for k in "123":
        a = 0.5 * (1 + np.tanh((p["W" + k] @ a + p["b" + k]) / 2))
    return a

def _ref_loss(p, x, t):
    return 0.5 * float(np.sum((_ref_forward(p, x) - t) ** 2))
"""
BACKPROP = [
    md(r"""
# Backpropagation through a small sigmoid network

A network with two inputs, a first layer of three sigmoid neurons, a second of two and one
output neuron (2-3-2-1). Each neuron forms the weighted sum of its inputs plus a bias and passes
it through the sigmoid $\sigma(z) = \frac{1}{1 + e^{-z}}$:
$$\mathbf{a}_0 = \mathbf{x},\quad \mathbf{z}_k = \mathbf{W}_k \mathbf{a}_{k-1} + \mathbf{b}_k,
\quad \mathbf{a}_k = \sigma(\mathbf{z}_k)\ (k = 1, 2, 3),\quad \mathbf{y} = \mathbf{a}_3,$$
with $\mathbf{W}_1 \in \mathbb{R}^{3\times 2}$, $\mathbf{W}_2 \in \mathbb{R}^{2\times 3}$,
$\mathbf{W}_3 \in \mathbb{R}^{1\times 2}$. The loss of one example is
$\ell = \frac12 \|\mathbf{y} - \mathbf{t}\|^2$, whose gradient with respect to $\mathbf{y}$ is
$\mathbf{y} - \mathbf{t}$. Backpropagation sends this error back through the same weights, using
$\sigma'(z) = \sigma(z)(1 - \sigma(z))$; each weight then moves by $-\eta$ times its gradient.

Answer in the cells marked `# YOUR CODE HERE` and run the self-check after each.
"""),
    given("backprop-imports", IMPORTS + f"""

def init_params(seed=0):
    \"\"\"Small random weights and zero biases for the 2-3-2-1 network.\"\"\"
    rng = np.random.default_rng(seed)
    shapes = {SHAPES}
    return {{k: (rng.normal(scale=0.5, size=s) if k[0] == "W" else np.zeros(s))
            for k, s in shapes.items()}}


# A tiny data set: four points of the plane and a target for each.
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([[0.1], [0.9], [0.9], [0.1]])
"""),
    md(r"""
## 1. The activation (2 points)

Write `sigmoid(z)` (elementwise on numpy arrays, also on a float) and `sigmoid_grad(z)`, its
derivative with respect to $z$. Both must stay finite and **emit no warning** for $|z|$ up to
1000: $e^{1000}$ overflows, so avoid computing it (hint: $e^{-|z|}$ never overflows).
"""),
    answer("backprop-sigmoid", """
### BEGIN SOLUTION
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
### END SOLUTION
"""),
    test("test-sigmoid", 1, """
selfcheck.function(globals(), "sigmoid", np.array([-1.0, 0.0, 1.0]), shape=(3,))
""", """
import calcgrade as cg
cg.check_function(sigmoid, lambda z: 0.5 * (1 + np.tanh(z / 2)),
                  [-1000.0, -40.0, 0.0, 40.0, 1000.0, *cg.random_points([(-8.0, 8.0)], 10)],
                  part="sigmoid", forbid_warnings=True)
"""),
    test("test-sigmoid-grad", 1, """
selfcheck.function(globals(), "sigmoid_grad", np.array([-1.0, 0.0, 1.0]), shape=(3,))
""", """
import calcgrade as cg
cg.check_function(sigmoid_grad, lambda z: 0.25 * (1 - np.tanh(z / 2) ** 2),
                  [-1000.0, -30.0, 0.0, 30.0, 1000.0, *cg.random_points([(-8.0, 8.0)], 10)],
                  part="sigmoid_grad", forbid_warnings=True)
"""),
    md(r"""
## 2. The forward pass and the loss (3 points)

Write `forward(params, x)` for one input `x` of shape `(2,)`, returning a tuple `(y, cache)`:
`y` the output, shape `(1,)`, and `cache` whatever your `backward` needs (for example the
activations of every layer). Write `loss(y, target)` returning
$\frac12\|\mathbf{y} - \mathbf{t}\|^2$ as a float.
"""),
    answer("backprop-forward", """
### BEGIN SOLUTION
def forward(params, x):
    activations = [np.asarray(x, dtype=float)]
    for k in "123":
        z = params["W" + k] @ activations[-1] + params["b" + k]
        activations.append(sigmoid(z))
    return activations[-1], activations


def loss(y, target):
    return 0.5 * float(np.sum((np.asarray(y) - np.asarray(target)) ** 2))
### END SOLUTION
"""),
    test("test-forward", 2, """
selfcheck.function(globals(), "forward", init_params(0), X[1], shape=(1,), pair=True)
""", f"""
import calcgrade as cg
{REFERENCE_NETWORK.strip()}

rng = np.random.default_rng()
cg.check_forward(forward, _ref_forward, [init_params(0)] + [cg.random_params({SHAPES}, rng)
                                                            for _ in range(3)],
                 [X[1], *rng.normal(size=(3, 2))], part="forward", output_shape=(1,))
"""),
    test("test-loss", 1, """
selfcheck.function(globals(), "loss", np.array([0.5]), np.array([1.0]), shape=())
""", """
import calcgrade as cg
rng = np.random.default_rng()
cg.check_cases(loss, lambda y, t: 0.5 * np.sum((y - t) ** 2),
               [(rng.uniform(size=1), rng.uniform(size=1)) for _ in range(3)]
               + [(rng.uniform(size=3), rng.uniform(size=3))], part="loss")
"""),
    md(r"""
## 3. The backward pass (3 points)

Write `backward(params, cache, target)` returning a dict of gradients of the loss with respect
to every parameter: the same keys as `params` and the same shapes (`grads["W1"]` has shape
`(3, 2)`). Propagate the error $\mathbf{y} - \mathbf{t}$ back layer by layer; remember the
$\sigma'$ factor at every layer.
"""),
    answer("backprop-backward", """
def backward(params, cache, target):
    ### BEGIN SOLUTION
    activations = cache
    grads = {}
    delta = (activations[3] - target) * activations[3] * (1 - activations[3])
    for k in (3, 2, 1):
        grads[f"W{k}"] = np.outer(delta, activations[k - 1])
        grads[f"b{k}"] = delta
        if k > 1:
            a = activations[k - 1]
            delta = (params[f"W{k}"].T @ delta) * a * (1 - a)
    return grads
    ### END SOLUTION
"""),
    test("test-backward", 3, """
with selfcheck.running("backward"):
    _y, _cache = forward(init_params(0), X[1])
    selfcheck.param_dict(backward(init_params(0), _cache, T[1]), init_params(0), "backward")
""", f"""
import calcgrade as cg
rng = np.random.default_rng()
cg.check_backward(forward, backward, [cg.random_params({SHAPES}, rng) for _ in range(3)],
                  [(rng.normal(size=2), rng.uniform(size=1)) for _ in range(2)],
                  part="backward", reference_loss=_ref_loss)
"""),
    md(r"""
## 4. Checking gradients numerically (2 points)

Write `numerical_gradient(f, params, h=1e-5)`: for a function `f` of the whole params dict
returning a float, return a dict with the same keys and shapes holding the **centred** finite
differences $\frac{f(p + h) - f(p - h)}{2h}$ for every entry $p$ of every array. Leave `params`
unchanged when you return (restore each entry after perturbing it). Then compare it with your
`backward` (not graded).
"""),
    answer("backprop-numerical-gradient", """
def numerical_gradient(f, params, h=1e-5):
    ### BEGIN SOLUTION
    grads = {}
    for k, array in params.items():
        grad = np.zeros_like(array, dtype=float)
        for idx in np.ndindex(array.shape):
            saved = array[idx]
            array[idx] = saved + h
            up = f(params)
            array[idx] = saved - h
            down = f(params)
            array[idx] = saved
            grad[idx] = (up - down) / (2 * h)
        grads[k] = grad
    return grads
    ### END SOLUTION
"""),
    test("test-numerical-gradient", 2, """
with selfcheck.running("numerical_gradient"):
    selfcheck.param_dict(numerical_gradient(lambda p: float(np.sum(p["W1"])), init_params(0)),
                         init_params(0), "numerical_gradient")
""", f"""
import calcgrade as cg
cg.check_numerical_gradient(numerical_gradient, {SHAPES}, part="numerical_gradient")
"""),
    md(r"""
## 5. Training (3 points)

Write `sgd_step(params, grads, lr)` returning a **new** dict `params - lr * grads` (do not
modify either input), and `train(params, X, T, lr, epochs)` running plain per-sample SGD: in
each epoch, for each row `x, t` of `X, T` in order, compute the loss of that row with the current
parameters, then take one `sgd_step` with that row's gradient. Return `(params, losses)` where
`losses[i]` is the mean of the per-row losses computed during epoch `i`.
"""),
    answer("backprop-train", """
### BEGIN SOLUTION
def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def train(params, X, T, lr, epochs):
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for x, t in zip(X, T):
            y, cache = forward(params, x)
            epoch_losses.append(loss(y, t))
            params = sgd_step(params, backward(params, cache, t), lr)
        losses.append(float(np.mean(epoch_losses)))
    return params, losses
### END SOLUTION
"""),
    test("test-sgd-step", 1, """
with selfcheck.running("sgd_step"):
    selfcheck.param_dict(sgd_step(init_params(0), init_params(1), 0.1), init_params(0), "sgd_step")
""", f"""
import calcgrade as cg
cg.check_sgd_step(sgd_step, {SHAPES}, part="sgd_step")
"""),
    test("test-train", 2, """
with selfcheck.running("train"):
    selfcheck.param_dict(train(init_params(0), X, T, 0.5, 1)[0], init_params(0), "train")
""", """
import calcgrade as cg
cg.check_train(train, init_params(int(np.random.randint(1000))), X, T, lr=0.5, epochs=3,
               part="train", reference_loss=_ref_loss)
"""),
    md(r"""
Watch the loss go down (not graded):
"""),
    new_code_cell("""
trained, losses = train(init_params(0), X, T, lr=2.0, epochs=200)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(losses)
ax.set_xlabel("epoch")
ax.set_ylabel("mean loss");
""".strip()),
]


def main():
    write("calculus", "tangent.ipynb", TANGENT)
    write("calculus", "gradient_exp.ipynb", GRADIENT_EXP)
    write("calculus", "gradient_norm.ipynb", GRADIENT_NORM)
    write("calculus", "chain_rule.ipynb", CHAIN_RULE)
    write("backprop", "backprop.ipynb", BACKPROP)


if __name__ == "__main__":
    main()
