"""The instructor's answer corpus for `source/calculus/gradient_exp.ipynb`: right answers in other
forms and typical mistakes, each mistake with the test cells it must cost.

`calcgrade check calculus` grades every case with both graders (format: `calcgrade/corpus.py`).
"""

from calcgrade.corpus import correct, mistake

# Answers name the parameters p and q (f(x) = p·x₁² + q·e^x₂), so each holds for every variant
# `calcgrade check calculus --variants` grades.

CASES = [
    # Right answers in other forms: every part keeps its points.
    correct("matrix_column",
            gradient_exp_expr="grad_f_expr = sp.Matrix([2*p*x1, q*sp.exp(x2)])"),
    correct("string",
            gradient_exp_expr='grad_f_expr = f"[{2*p}*x1, {q}*e^x2]"',
            gradient_exp_numeric="def grad_f(x):\n    x = np.array(x, dtype=np.float64)\n"
                                 "    return np.array([2 * p * x[0], q * np.exp(x[1])])"),
    correct("tuple_E_power",
            gradient_exp_expr="grad_f_expr = (2*p*x1, q*sp.E**x2)",
            gradient_exp_numeric="def grad_f(x):\n    a, b = (float(v) for v in x)\n"
                                 "    return np.array([2.0 * p * a, q * np.e ** b])"),
    correct("jacobian_row",
            gradient_exp_expr="grad_f_expr = sp.Matrix([p*x1**2 + q*sp.exp(x2)]).jacobian([x1, x2])",
            gradient_exp_numeric="import math\ndef grad_f(x):\n"
                                 "    return np.array([2 * p * x[0], q * math.exp(x[1])], dtype=float)"),
    correct("real_symbols",
            gradient_exp_expr="a, b = sp.symbols('x1 x2', real=True)\n"
                              "grad_f_expr = [sp.diff(p*a**2 + q*sp.exp(b), v) for v in (a, b)]"),

    # Typical mistakes: each loses exactly the test cells it names, keeps the rest.
    mistake("power_rule_factor", "test-grad-f-expr", says="power rule", hides=["6*x1", "6x"],
            gradient_exp_expr="grad_f_expr = [p*x1, q*sp.exp(x2)]"),
    mistake("exp_power_rule", "test-grad-f-expr", says="not a power of x₂",
            hides=["5*exp(x2)"],
            gradient_exp_expr="grad_f_expr = [2*p*x1, q*x2*sp.exp(x2 - 1)]"),
    mistake("swapped", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [q*sp.exp(x2), 2*p*x1]"),
    mistake("terms_not_derivatives", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [p*x1**2, q*sp.exp(x2)]"),
    mistake("e_as_2_718", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [2*p*x1, q*2.718**x2]"),
    # The coefficient of x₁² dropped (2x₁ for 2p·x₁): told nothing specific, and still caught.
    mistake("coefficient_dropped", "test-grad-f-expr",
            gradient_exp_expr="grad_f_expr = [2*x1, q*sp.exp(x2)]"),
    mistake("integer_truncation", "test-grad-f", says=["[1, 2]", "integers"],
            gradient_exp_numeric="def grad_f(x):\n    g = np.zeros_like(x)\n    g[0] = 2 * p * x[0]\n"
                                 "    g[1] = q * np.exp(x[1])\n    return g"),
    mistake("numeric_2_718", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n    return np.array([2.0 * p * x[0], q * 2.718 ** x[1]])"),
    mistake("column_shape", "test-grad-f",
            gradient_exp_numeric="def grad_f(x):\n"
                                 "    return np.array([[2.0 * p * x[0]], [q * np.exp(x[1])]])"),
    mistake("numeric_sign", "test-grad-f", says="∂f/∂x2 (index 1): check its sign",
            gradient_exp_numeric="def grad_f(x):\n    return np.array([2.0 * p * x[0], -q * np.exp(x[1])])"),
    # New with the messages that point at the bug (issue 14): each is told what to look at.
    mistake("numeric_terms_not_derivatives", "test-grad-f",
            says="terms of f, not their derivatives", hides=["6 * x", "6*x"],
            gradient_exp_numeric="def grad_f(x):\n    x = np.asarray(x, dtype=float)\n"
                                 "    return np.array([p * x[0]**2, q * np.exp(x[1])])"),
    mistake("numeric_power_rule_factor", "test-grad-f", says="power rule on 3x₁²",
            hides=["6 * x", "6*x"],
            gradient_exp_numeric="def grad_f(x):\n    x = np.asarray(x, dtype=float)\n"
                                 "    return np.array([p * x[0], q * np.exp(x[1])])"),
]
