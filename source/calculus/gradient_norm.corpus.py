"""The instructor's answer corpus for `source/calculus/gradient_norm.ipynb`: right answers in other
forms and typical mistakes, each mistake with the test cells it must cost.

`calcgrade check calculus` grades every case with both graders (format: `calcgrade/corpus.py`).
"""

from calcgrade.corpus import correct, mistake

CASES = [
    # Right answers in other forms: every part keeps its points.
    correct("matrix_over_norm",
            gradient_norm_expr="v = sp.Matrix([x1, x2, x3])\ngrad_norm_expr = v / v.norm()"),
    correct("float_exponent",
            gradient_norm_expr="s = x1**2 + x2**2 + x3**2\n"
                               "grad_norm_expr = [x1 * s**(-0.5), x2 * s**(-0.5), x3 * s**(-0.5)]",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
"""),
    correct("string",
            gradient_norm_expr='grad_norm_expr = "[x1/(x1^2+x2^2+x3^2)^(1/2), '
                               'x2/(x1^2+x2^2+x3^2)^(1/2), x3/(x1^2+x2^2+x3^2)^(1/2)]"',
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.array(x, dtype=float)
    if not np.any(x):
        return np.zeros(len(x))
    return x / np.sqrt(np.sum(x ** 2))
"""),
    correct("array_positive_symbols",
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

    # Typical mistakes: each loses exactly the test cells it names, keeps the rest.
    mistake("squared_norm", "test-grad-norm-expr",
            gradient_norm_expr="grad_norm_expr = [2*x1, 2*x2, 2*x3]"),
    mistake("over_squared_norm", "test-grad-norm-expr",
            gradient_norm_expr="s = x1**2 + x2**2 + x3**2\ngrad_norm_expr = [x1/s, x2/s, x3/s]"),
    mistake("missing_inner_derivative", "test-grad-norm-expr", says="inner derivative is missing",
            hides=["x1/sqrt", "x/‖x‖"],
            gradient_norm_expr="grad_norm_expr = [1/(2*sp.sqrt(x1**2 + x2**2 + x3**2))] * 3"),
    mistake("swapped_components", "test-grad-norm-expr",
            gradient_norm_expr="n = sp.sqrt(x1**2 + x2**2 + x3**2)\n"
                               "grad_norm_expr = [x2/n, x1/n, x3/n]"),
    mistake("nan_at_zero", "test-grad-norm-zero",
            gradient_norm_numeric="def grad_norm(x):\n    x = np.asarray(x, dtype=float)\n"
                                  "    return x / np.linalg.norm(x)"),
    mistake("numeric_squared_norm", "test-grad-norm", says="squared norm", hides=["x / np", "x/‖x‖"],
            gradient_norm_numeric="def grad_norm(x):\n    return 2 * np.asarray(x, dtype=float)"),
    mistake("sign", "test-grad-norm",
            gradient_norm_numeric="def grad_norm(x):\n    return np.sign(np.asarray(x, dtype=float))"),
    mistake("ones_at_zero", "test-grad-norm-zero",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x)
    return x / n if n > 0 else np.ones_like(x)
"""),
    mistake("only_three", "test-grad-norm test-grad-norm-zero",
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.sqrt(x[0]**2 + x[1]**2 + x[2]**2)
    return x / n if n else np.zeros_like(x)
"""),
    mistake("integer_truncation", "test-grad-norm", says=["[3, 4]", "integers"],
            gradient_norm_numeric="""
def grad_norm(x):
    g = np.zeros_like(x)
    n = np.linalg.norm(x)
    for i in range(len(x)):
        g[i] = x[i] / n if n else 0
    return g
"""),
    # New with the messages that point at the bug (issue 14): each is told what to look at.
    mistake("numeric_no_inner_derivative", "test-grad-norm", says="inner derivative is missing",
            hides=["x / np", "x/‖x‖", "x / ‖x‖"],
            gradient_norm_numeric="""
def grad_norm(x):
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x)
    return np.full(x.shape, 1 / (2 * n)) if n > 0 else np.zeros_like(x)
"""),
    mistake("numeric_returns_x", "test-grad-norm",
            says="derivative of the square root (the outer function", hides=["x / np", "x/‖x‖"],
            gradient_norm_numeric="def grad_norm(x):\n    return np.array(x, dtype=float)"),
]
