"""Submissions the hidden tests are judged against: correct answers in other forms, and typical
mistakes with the parts (test cells) each one must cost.

A variant replaces some answer cells of the source solution (by grade_id); every other answer cell
keeps the source's solution. `breaks` lists the test cells that must score 0; every other
autograded cell must keep full marks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    notebook: str
    name: str
    answers: dict[str, str]
    breaks: frozenset[str] = field(default_factory=frozenset)

    @property
    def student(self) -> str:
        return f"{self.notebook}__{self.name}"


def correct(notebook, name, **answers):
    return Variant(notebook, name, _cells(answers))


def mistake(notebook, name, breaks, **answers):
    return Variant(notebook, name, _cells(answers), frozenset(breaks.split()))


def _cells(answers):
    return {grade_id.replace("_", "-"): code.strip() for grade_id, code in answers.items()}


ASSIGNMENT_OF = {"tangent": "calculus", "gradient_exp": "calculus", "gradient_norm": "calculus",
                 "chain_rule": "calculus", "backprop": "backprop"}

# ------------------------------------------------------------------------------------ tangent
TANGENT_PLOT_NO_LEGEND = """
xs = np.linspace(0.2, 3, 100)
fig, ax = plt.subplots()
ax.plot(xs, f(xs))
ax.plot(xs, tangent(xs))
"""
TANGENT = [
    correct("tangent", "strings_and_lambdas",
            tangent_numerical_lim="numerical_lim = lambda f, x, h: (f(x + h) - f(x)) / h",
            tangent_f_df="f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 + x**-2",
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = "3*x^2 + x^(-2)"',
            tangent_line="slope = 4\nintercept = -4\ntangent = lambda x: 4*x - 4",
            tangent_plot="""
xs = np.linspace(-3, 3, 201)  # passes through the pole at 0: f(0) = -inf is not plotted
with np.errstate(divide="ignore"):
    ys = f(xs)
fig, ax = plt.subplots()
ax.plot(xs, ys, "o", markersize=2, label="f")
ax.plot(xs, tangent(xs), label="tangent")
ax.set_ylim(-10, 10)
ax.legend()
"""),
    correct("tangent", "sympy_everything",
            tangent_f_df="""
xs_ = sp.Symbol("x", positive=True)
f = sp.lambdify(xs_, xs_**3 - 1/xs_, "numpy")
df = sp.lambdify(xs_, sp.diff(xs_**3 - 1/xs_, xs_), "numpy")
""",
            tangent_f_prime="""
x = sp.Symbol("x", positive=True)
f_prime = sp.diff(x**3 - 1/x, x)
""",
            tangent_line="""
slope = f_prime.subs(x, 1)
intercept = (x**3 - 1/x).subs(x, 1) - slope
tangent = sp.lambdify(x, slope * x + intercept, "numpy")
""",
            tangent_plot="""
xs = np.arange(0.1, 3, 0.01)
plt.figure()
plt.plot(xs, f(xs), label="f")
plt.plot(xs, tangent(xs), label="tangent line")
plt.legend()
fig = plt.gcf()
"""),
    correct("tangent", "rearranged",
            tangent_numerical_lim="""
def numerical_lim(f, x, h):
    return (f(x + h) - f(x)) * (1 / h)
""",
            tangent_f_df="""
def f(x):
    return np.power(x, 3) - np.reciprocal(x)

def df(x):
    return (3 * x**4 + 1) / x**2
""",
            tangent_f_prime='x = sp.Symbol("x", real=True)\nf_prime = (3*x**4 + 1) / x**2',
            tangent_line="""
slope = np.float64(4.0)
intercept = np.float32(-4.0)
def tangent(x):
    return slope * (x - 1)
""",
            tangent_plot="""
xs = np.linspace(0.5, 2, 50)
fig, (left, right) = plt.subplots(1, 2)
left.plot(xs, xs**2)
right.plot(xs, f(xs))
right.plot(xs, tangent(xs))
fig.legend(["f", "tangent"])
"""),
    correct("tangent", "float_exponents_and_noise",
            tangent_f_df="""
import warnings
def f(x):
    return x**3.0 - x**-1.0

def df(x):
    warnings.warn("computing the derivative")
    print("df called")
    return 3.0 * x**2.0 + x**-2.0
""",
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = 3*x**2.0 + x**(-2.0)',
            tangent_line="""
slope = float(df(1))
intercept = float(f(1) - slope)
tangent = lambda x: slope * x + intercept
""",
            tangent_plot="""
xs = np.linspace(0.25, 2.5, 30)
fig = plt.figure()
ax = fig.add_subplot()
ax.plot(xs, f(xs), linestyle="None", marker="x", label="$x^3 - 1/x$")
ax.plot([0.25, 2.5], [tangent(0.25), tangent(2.5)], label="$4x - 4$")
ax.legend()
"""),
]
TANGENT_MISTAKES = [
    mistake("tangent", "centred_quotient", "test-numerical-lim",
            tangent_numerical_lim="def numerical_lim(f, x, h):\n    return (f(x + h) - f(x - h)) / (2 * h)"),
    mistake("tangent", "df_sign", "test-df",
            tangent_f_df="f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 - 1/x**2\n"
                         "slope_df = lambda x: 3*x**2 + 1/x**2",
            tangent_line="slope = 4.0\nintercept = -4.0\ntangent = lambda x: 4*x - 4"),
    mistake("tangent", "df_finite_difference", "test-df",
            tangent_f_df="f = lambda x: x**3 - 1/x\ndf = lambda x: numerical_lim(f, x, 1e-6)",
            tangent_line="slope = 4.0\nintercept = -4.0\ntangent = lambda x: 4*x - 4"),
    mistake("tangent", "f_prime_sign", "test-f-prime",
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = 3*x**2 - 1/x**2'),
    mistake("tangent", "f_prime_unknown_name", "test-f-prime",
            tangent_f_prime='y = sp.Symbol("y")\nf_prime = 3*y**2 + 1/y**2'),
    mistake("tangent", "tangent_at_2", "test-slope test-intercept test-tangent test-plot",
            tangent_line="slope = df(2.0)\nintercept = f(2.0) - slope * 2.0\n"
                         "tangent = lambda x: slope * x + intercept"),
    mistake("tangent", "intercept_sign", "test-intercept test-tangent test-plot",
            tangent_line="slope = df(1.0)\nintercept = slope - f(1.0)\n"
                         "tangent = lambda x: slope * x + intercept"),
    # The plot still passes: a tangent 3e-4 off in slope is the same picture.
    mistake("tangent", "finite_difference_slope", "test-slope test-intercept test-tangent",
            tangent_line="slope = numerical_lim(f, 1.0, 1e-4)\nintercept = f(1.0) - slope\n"
                         "tangent = lambda x: slope * x + intercept"),
    mistake("tangent", "f_plus", "test-f test-intercept test-tangent test-plot",
            tangent_f_df="f = lambda x: x**3 + 1/x\ndf = lambda x: 3*x**2 + 1/x**2"),
    mistake("tangent", "f_not_vectorized", "test-f test-plot",
            tangent_f_df="import math\nf = lambda x: math.pow(x, 3) - 1/x\n"
                         "df = lambda x: 3*x**2 + 1/x**2"),
    mistake("tangent", "no_legend", "test-plot", tangent_plot=TANGENT_PLOT_NO_LEGEND),
    mistake("tangent", "no_tangent_line", "test-plot",
            tangent_plot="xs = np.linspace(0.2, 3, 100)\nfig, ax = plt.subplots()\n"
                         "ax.plot(xs, f(xs), label='f')\nax.plot(xs, 0 * xs, label='axis')\nax.legend()"),
]

# ------------------------------------------------------------------------------- gradient_exp
GRADIENT_EXP = [
    correct("gradient_exp", "matrix_column",
            gradient_exp_expr="grad_f_expr = sp.Matrix([6*x1, 5*sp.exp(x2)])"),
    correct("gradient_exp", "string",
            gradient_exp_expr='grad_f_expr = "[6*x1, 5*e^x2]"',
            gradient_exp_numeric="def grad_f(x):\n    x = np.array(x, dtype=np.float64)\n"
                                 "    return np.array([6 * x[0], 5 * np.exp(x[1])])"),
    correct("gradient_exp", "tuple_E_power",
            gradient_exp_expr="grad_f_expr = (6*x1, 5*sp.E**x2)",
            gradient_exp_numeric="def grad_f(x):\n    a, b = (float(v) for v in x)\n"
                                 "    return np.array([6.0 * a, 5.0 * np.e ** b])"),
    correct("gradient_exp", "jacobian_row",
            gradient_exp_expr="grad_f_expr = sp.Matrix([3*x1**2 + 5*sp.exp(x2)]).jacobian([x1, x2])",
            gradient_exp_numeric="import math\ndef grad_f(x):\n"
                                 "    return np.array([6 * x[0], 5 * math.exp(x[1])], dtype=float)"),
    correct("gradient_exp", "real_symbols",
            gradient_exp_expr="a, b = sp.symbols('x1 x2', real=True)\n"
                              "grad_f_expr = [sp.diff(3*a**2 + 5*sp.exp(b), v) for v in (a, b)]"),
]
GRADIENT_EXP_MISTAKES = [
    mistake("gradient_exp", "power_rule_factor", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [3*x1, 5*sp.exp(x2)]"),
    mistake("gradient_exp", "exp_power_rule", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [6*x1, 5*x2*sp.exp(x2 - 1)]"),
    mistake("gradient_exp", "swapped", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [5*sp.exp(x2), 6*x1]"),
    mistake("gradient_exp", "terms_not_derivatives", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [3*x1**2, 5*sp.exp(x2)]"),
    mistake("gradient_exp", "e_as_2_718", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [6*x1, 5*2.718**x2]"),
    mistake("gradient_exp", "integer_truncation", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n    g = np.zeros_like(x)\n    g[0] = 6 * x[0]\n"
                                 "    g[1] = 5 * np.exp(x[1])\n    return g"),
    mistake("gradient_exp", "numeric_2_718", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n    return np.array([6.0 * x[0], 5 * 2.718 ** x[1]])"),
    mistake("gradient_exp", "column_shape", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n"
                                 "    return np.array([[6.0 * x[0]], [5 * np.exp(x[1])]])"),
    mistake("gradient_exp", "numeric_sign", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n    return np.array([6.0 * x[0], -5 * np.exp(x[1])])"),
]

# ------------------------------------------------------------------------------ gradient_norm
GRADIENT_NORM = [
    correct("gradient_norm", "matrix_over_norm",
            gradient_norm_expr="v = sp.Matrix([x1, x2, x3])\ngrad_norm_expr = v / v.norm()"),
    correct("gradient_norm", "float_exponent",
            gradient_norm_expr="s = x1**2 + x2**2 + x3**2\n"
                               "grad_norm_expr = [x1 * s**(-0.5), x2 * s**(-0.5), x3 * s**(-0.5)]",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
"""),
    correct("gradient_norm", "string",
            gradient_norm_expr='grad_norm_expr = "[x1/(x1^2+x2^2+x3^2)^(1/2), '
                               'x2/(x1^2+x2^2+x3^2)^(1/2), x3/(x1^2+x2^2+x3^2)^(1/2)]"',
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.array(x, dtype=float)
    if not np.any(x):
        return np.zeros(len(x))
    return x / np.sqrt(np.sum(x ** 2))
"""),
    correct("gradient_norm", "array_positive_symbols",
            gradient_norm_expr="""
a, b, c = sp.symbols("x1 x2 x3", positive=True)
grad_norm_expr = sp.Array([sp.diff(sp.sqrt(a**2 + b**2 + c**2), v) for v in (a, b, c)])
""",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.sqrt(x @ x)
    return x / n if n > 0 else 0 * x
"""),
]
GRADIENT_NORM_MISTAKES = [
    mistake("gradient_norm", "squared_norm", "test-grad-norm-expr",
            gradient_norm_expr="grad_norm_expr = [2*x1, 2*x2, 2*x3]"),
    mistake("gradient_norm", "over_squared_norm", "test-grad-norm-expr",
            gradient_norm_expr="s = x1**2 + x2**2 + x3**2\ngrad_norm_expr = [x1/s, x2/s, x3/s]"),
    mistake("gradient_norm", "missing_inner_derivative", "test-grad-norm-expr",
            gradient_norm_expr="grad_norm_expr = [1/(2*sp.sqrt(x1**2 + x2**2 + x3**2))] * 3"),
    mistake("gradient_norm", "swapped_components", "test-grad-norm-expr",
            gradient_norm_expr="n = sp.sqrt(x1**2 + x2**2 + x3**2)\n"
                               "grad_norm_expr = [x2/n, x1/n, x3/n]"),
    mistake("gradient_norm", "nan_at_zero", "test-grad-norm-zero",
            gradient_norm_numeric="def grad_norm(x):\n    x = np.asarray(x, dtype=float)\n"
                                  "    return x / np.linalg.norm(x)"),
    mistake("gradient_norm", "numeric_squared_norm", "test-grad-norm",
            gradient_norm_numeric="def grad_norm(x):\n    return 2 * np.asarray(x, dtype=float)"),
    mistake("gradient_norm", "sign", "test-grad-norm",
            gradient_norm_numeric="def grad_norm(x):\n    return np.sign(np.asarray(x, dtype=float))"),
    mistake("gradient_norm", "ones_at_zero", "test-grad-norm-zero",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x)
    return x / n if n > 0 else np.ones_like(x)
"""),
    mistake("gradient_norm", "only_three", "test-grad-norm test-grad-norm-zero",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.sqrt(x[0]**2 + x[1]**2 + x[2]**2)
    return x / n if n else np.zeros_like(x)
"""),
    mistake("gradient_norm", "integer_truncation", "test-grad-norm",
            gradient_norm_numeric="""
def grad_norm(x):
    g = np.zeros_like(x)
    n = np.linalg.norm(x)
    for i in range(len(x)):
        g[i] = x[i] / n if n else 0
    return g
"""),
]

# ---------------------------------------------------------------------------------- chain_rule
GRAD_U_AB = """
def grad_u_ab(a, b):
    x, y, z = a * b, a + b**2, np.exp(a - b)
    u_x, u_y, u_z = 2 * x * y, x**2, np.cos(z)
    return np.array([u_x * b + u_y + u_z * z, u_x * a + u_y * {y_b} {z_b_sign} u_z * z])
"""
CHAIN_RULE = [
    correct("chain_rule", "strings",
            chain_rule_symbolic='du_da = "x_a*u_x + y_a*u_y + z_a*u_z"\n'
                                'du_db = "x_b*u_x + y_b*u_y + z_b*u_z"'),
    correct("chain_rule", "matrix_product",
            chain_rule_symbolic="grad = sp.Matrix([[u_x, u_y, u_z]])\n"
                                "du_da = (grad * sp.Matrix([x_a, y_a, z_a]))[0]\n"
                                "du_db = (grad * sp.Matrix([x_b, y_b, z_b]))[0]",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return np.einsum('j,ji->i', grad_u, J)",
            chain_rule_concrete="""
a_, b_ = sp.symbols("a b")
u_ab = (a_ * b_)**2 * (a_ + b_**2) + sp.sin(sp.exp(a_ - b_))
_grad = sp.lambdify((a_, b_), [sp.diff(u_ab, a_), sp.diff(u_ab, b_)], "numpy")
def grad_u_ab(a, b):
    return np.array(_grad(a, b), dtype=float)
"""),
    correct("chain_rule", "sum_and_expanded",
            chain_rule_symbolic="du_da = sum(p * q for p, q in zip((u_x, u_y, u_z), (x_a, y_a, z_a)))\n"
                                "du_db = sp.expand((u_x * x_b + u_y * y_b) + u_z * z_b)",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return np.asarray(grad_u) @ np.asarray(J)",
            chain_rule_concrete="""
def grad_u_ab(a, b):
    e = np.exp(a - b)
    return np.array([2*a*b**2*(a + b**2) + a**2*b**2 + np.cos(e)*e,
                     2*a**2*b*(a + b**2) + 2*a**2*b**3 - np.cos(e)*e])
"""),
    correct("chain_rule", "real_symbols_loops",
            chain_rule_symbolic="""
ux, uy, uz, xa, xb, ya, yb, za, zb = sp.symbols("u_x u_y u_z x_a x_b y_a y_b z_a z_b", real=True)
du_da = sp.factor(ux*xa + uy*ya + uz*za)
du_db = uz*zb + uy*yb + ux*xb
""",
            chain_rule_jacobian="""
def chain_rule_jacobian(grad_u, J):
    J = np.asarray(J, dtype=float)
    out = np.zeros(J.shape[1])
    for j in range(J.shape[0]):
        out += grad_u[j] * J[j]
    return out
"""),
]
CHAIN_RULE_MISTAKES = [
    mistake("chain_rule", "missing_z_term", "test-du-da",
            chain_rule_symbolic="du_da = u_x*x_a + u_y*y_a\ndu_db = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("chain_rule", "db_with_a_derivatives", "test-du-db",
            chain_rule_symbolic="du_da = u_x*x_a + u_y*y_a + u_z*z_a\n"
                                "du_db = u_x*x_a + u_y*y_a + u_z*z_a"),
    mistake("chain_rule", "product_of_sums", "test-du-da",
            chain_rule_symbolic="du_da = (u_x + u_y + u_z) * (x_a + y_a + z_a)\n"
                                "du_db = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("chain_rule", "swapped_da_db", "test-du-da test-du-db",
            chain_rule_symbolic="du_db = u_x*x_a + u_y*y_a + u_z*z_a\n"
                                "du_da = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("chain_rule", "jacobian_not_transposed", "test-chain-rule-jacobian",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n    return J @ grad_u"),
    mistake("chain_rule", "jacobian_column", "test-chain-rule-jacobian",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return J.T @ grad_u.reshape(-1, 1)"),
    mistake("chain_rule", "jacobian_for_three", "test-chain-rule-jacobian",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return grad_u[0]*J[0] + grad_u[1]*J[1] + grad_u[2]*J[2]"),
    mistake("chain_rule", "z_b_sign", "test-grad-u-ab",
            chain_rule_concrete=GRAD_U_AB.format(y_b="2 * b", z_b_sign="+")),
    mistake("chain_rule", "y_b_missing_factor", "test-grad-u-ab",
            chain_rule_concrete=GRAD_U_AB.format(y_b="b", z_b_sign="-")),
    mistake("chain_rule", "missing_z_path", "test-grad-u-ab",
            chain_rule_concrete="""
def grad_u_ab(a, b):
    x, y = a * b, a + b**2
    return np.array([2 * x * y * b + x**2, 2 * x * y * a + x**2 * 2 * b])
"""),
]

# ------------------------------------------------------------------------------------ backprop
BACKWARD = """
def backward(params, cache, target):
    a = cache
    grads = {{}}
    delta = {output_delta}
    for k in (3, 2, 1):
        grads[f"W{{k}}"] = {weight_grad}
        grads[f"b{{k}}"] = delta
        if k > 1:
            delta = (params[f"W{{k}}"].T @ delta){hidden_factor}
    return grads
"""
RIGHT_BACKWARD = dict(output_delta="(a[3] - target) * a[3] * (1 - a[3])",
                      weight_grad="np.outer(delta, a[k - 1])",
                      hidden_factor=" * a[k - 1] * (1 - a[k - 1])")


def _backward(**changes):
    return BACKWARD.format(**{**RIGHT_BACKWARD, **changes})


TRAIN = """
def sgd_step(params, grads, lr):
    {step}


def train(params, X, T, lr, epochs):
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for x, t in zip(X, T):
            y, cache = forward(params, x){epoch_loss}
        losses.append(float(np.mean(epoch_losses)))
    return params, losses
"""
RIGHT_TRAIN = dict(step="return {k: params[k] - lr * grads[k] for k in params}",
                   epoch_loss="""
            epoch_losses.append(loss(y, t))
            params = sgd_step(params, backward(params, cache, t), lr)""")


RIGHT_TRAIN_STEP = """
def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}
"""


def _train(**changes):
    return TRAIN.format(**{**RIGHT_TRAIN, **changes})


BACKPROP = [
    correct("backprop", "tanh_and_dict_cache",
            backprop_sigmoid="def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))\n\n"
                             "def sigmoid_grad(z):\n    return 0.25 * (1 - np.tanh(0.5 * np.asarray(z))**2)",
            backprop_forward="""
def forward(params, x):
    cache = {"a0": np.asarray(x, dtype=float)}
    for k in (1, 2, 3):
        cache[f"z{k}"] = params[f"W{k}"] @ cache[f"a{k-1}"] + params[f"b{k}"]
        cache[f"a{k}"] = sigmoid(cache[f"z{k}"])
    return cache["a3"], cache

def loss(y, target):
    return float(0.5 * np.sum((y - target) ** 2))
""",
            backprop_backward="""
def backward(params, cache, target):
    grads = {}
    delta = (cache["a3"] - target) * sigmoid_grad(cache["z3"])
    for k in (3, 2, 1):
        grads[f"W{k}"] = delta[:, None] * cache[f"a{k-1}"][None, :]
        grads[f"b{k}"] = delta.copy()
        if k > 1:
            delta = params[f"W{k}"].T @ delta * sigmoid_grad(cache[f"z{k-1}"])
    return grads
""",
            backprop_numerical_gradient="""
def numerical_gradient(f, params, h=1e-5):
    grads = {}
    for k in params:
        grads[k] = np.zeros(params[k].shape)
        for i in range(params[k].size):
            plus = {n: v.copy() for n, v in params.items()}
            minus = {n: v.copy() for n, v in params.items()}
            plus[k].flat[i] += h
            minus[k].flat[i] -= h
            grads[k].flat[i] = (f(plus) - f(minus)) / (2 * h)
    return grads
"""),
    correct("backprop", "neuron_by_neuron",
            backprop_sigmoid="def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))\n\n"
                             "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s - s * s",
            backprop_forward="""
def forward(params, x):
    layers = [list(np.asarray(x, dtype=float))]
    for k in (1, 2, 3):
        W, b = params[f"W{k}"], params[f"b{k}"]
        outputs = []
        for neuron in range(W.shape[0]):
            z = sum(W[neuron, i] * layers[-1][i] for i in range(W.shape[1])) + b[neuron]
            outputs.append(float(sigmoid(z)))
        layers.append(outputs)
    cache = tuple(np.array(layer) for layer in layers)
    return np.array(layers[-1]), cache

def loss(y, target):
    d = np.asarray(y) - np.asarray(target)
    return 0.5 * float(d @ d)
""",
            backprop_backward="""
def backward(params, cache, target):
    a0, a1, a2, a3 = cache
    d3 = (a3 - target) * a3 * (1 - a3)
    d2 = (params["W3"].T @ d3) * a2 * (1 - a2)
    d1 = (params["W2"].T @ d2) * a1 * (1 - a1)
    return {"W3": np.einsum("i,j->ij", d3, a2), "b3": d3,
            "W2": np.einsum("i,j->ij", d2, a1), "b2": d2,
            "W1": np.einsum("i,j->ij", d1, a0), "b1": d1}
"""),
    correct("backprop", "copies_and_own_loop",
            backprop_numerical_gradient="""
import copy
def numerical_gradient(f, params, h=1e-5):
    work = copy.deepcopy(params)
    out = {}
    for k, v in work.items():
        g = np.empty(v.shape)
        it = np.nditer(v, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = v[i]
            v[i] = old + h; fp = f(work)
            v[i] = old - h; fm = f(work)
            v[i] = old
            g[i] = (fp - fm) / (2 * h)
        out[k] = g
    return out
""",
            backprop_train="""
def sgd_step(params, grads, lr):
    new = {}
    for k in params:
        new[k] = params[k] - lr * np.asarray(grads[k])
    return new

def train(params, X, T, lr, epochs):
    history = []
    for epoch in range(epochs):
        total = 0.0
        for i in range(len(X)):
            y, cache = forward(params, X[i])
            total += loss(y, T[i])
            params = sgd_step(params, backward(params, cache, T[i]), lr)
        history.append(total / len(X))
    return params, np.array(history)
"""),
    correct("backprop", "noisy",
            backprop_sigmoid="""
import warnings
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore"):
        out = 1 / (1 + np.exp(-z))
    return out

def sigmoid_grad(z):
    print("sigmoid_grad called")
    s = sigmoid(z)
    return s * (1 - s)
""",
            backprop_backward=_backward() + """
import warnings
_plain_backward = backward
def backward(params, cache, target):
    warnings.warn("debugging backward")
    try:
        raise ValueError("caught and ignored")
    except ValueError:
        pass
    return _plain_backward(params, cache, target)
"""),
]
BACKPROP_MISTAKES = [
    # sigmoid_grad is built on the naive sigmoid, so it warns too.
    mistake("backprop", "naive_sigmoid_overflows", "test-sigmoid test-sigmoid-grad",
            backprop_sigmoid="def sigmoid(z):\n    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n\n"
                             "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * (1 - s)"),
    mistake("backprop", "sigmoid_grad_missing_factor", "test-sigmoid-grad",
            backprop_sigmoid="def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))\n\n"
                             "def sigmoid_grad(z):\n    return sigmoid(z)"),
    mistake("backprop", "sigmoid_grad_of_activation", "test-sigmoid-grad",
            backprop_sigmoid="def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))\n\n"
                             "def sigmoid_grad(z):\n    return z * (1 - z)"),
    mistake("backprop", "forward_without_bias", "test-forward test-backward test-train",
            backprop_forward="""
def forward(params, x):
    activations = [np.asarray(x, dtype=float)]
    for k in "123":
        activations.append(sigmoid(params["W" + k] @ activations[-1]))
    return activations[-1], activations

def loss(y, target):
    return 0.5 * float(np.sum((y - target) ** 2))
"""),
    mistake("backprop", "loss_without_half", "test-loss test-train",
            backprop_forward="""
def forward(params, x):
    activations = [np.asarray(x, dtype=float)]
    for k in "123":
        activations.append(sigmoid(params["W" + k] @ activations[-1] + params["b" + k]))
    return activations[-1], activations

def loss(y, target):
    return float(np.sum((y - target) ** 2))
"""),
    mistake("backprop", "transposed_weight_gradient", "test-backward test-train",
            backprop_backward=_backward(weight_grad="np.outer(a[k - 1], delta)")),
    mistake("backprop", "missing_hidden_sigma_prime", "test-backward test-train",
            backprop_backward=_backward(hidden_factor="")),
    mistake("backprop", "output_error_sign", "test-backward test-train",
            backprop_backward=_backward(output_delta="(target - a[3]) * a[3] * (1 - a[3])")),
    mistake("backprop", "one_sided_difference", "test-numerical-gradient",
            backprop_numerical_gradient="""
def numerical_gradient(f, params, h=1e-5):
    base = f(params)
    grads = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            old = v[i]
            v[i] = old + h
            g[i] = (f(params) - base) / h
            v[i] = old
        grads[k] = g
    return grads
"""),
    mistake("backprop", "numerical_gradient_mutates", "test-numerical-gradient",
            backprop_numerical_gradient="""
def numerical_gradient(f, params, h=1e-5):
    grads = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            v[i] += h
            up = f(params)
            v[i] -= 2 * h
            down = f(params)
            g[i] = (up - down) / (2 * h)
        grads[k] = g
    return grads
"""),
    mistake("backprop", "sgd_step_in_place", "test-sgd-step",
            backprop_train=_train(step="for k in params:\n        params[k] -= lr * grads[k]\n"
                                       "    return params")),
    mistake("backprop", "sgd_step_ascent", "test-sgd-step test-train",
            backprop_train=_train(step="return {k: params[k] + lr * grads[k] for k in params}")),
    mistake("backprop", "losses_after_update", "test-train",
            backprop_train=_train(epoch_loss="""
            params = sgd_step(params, backward(params, cache, t), lr)
            epoch_losses.append(loss(forward(params, x)[0], t))""")),
    mistake("backprop", "full_batch", "test-train",
            backprop_train=RIGHT_TRAIN_STEP + """
def train(params, X, T, lr, epochs):
    losses = []
    for _ in range(epochs):
        results = [(forward(params, x), t) for x, t in zip(X, T)]
        losses.append(float(np.mean([loss(y, t) for (y, _), t in results])))
        grads = [backward(params, cache, t) for (_, cache), t in results]
        params = sgd_step(params, {k: np.mean([g[k] for g in grads], axis=0) for k in params}, lr)
    return params, losses
"""),
]

ALL = (TANGENT + TANGENT_MISTAKES + GRADIENT_EXP + GRADIENT_EXP_MISTAKES + GRADIENT_NORM
       + GRADIENT_NORM_MISTAKES + CHAIN_RULE + CHAIN_RULE_MISTAKES + BACKPROP + BACKPROP_MISTAKES)
