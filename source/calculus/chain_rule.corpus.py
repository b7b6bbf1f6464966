"""The instructor's answer corpus for `source/calculus/chain_rule.ipynb`: right answers in other
forms and typical mistakes, each mistake with the test cells it must cost.

`calcgrade check calculus` grades every case with both graders (format: `calcgrade/corpus.py`).
"""

from calcgrade.corpus import correct, mistake

# The concrete case's answers name the parameters p and q (u = x^p·y + sin z, y = a + b^q), so
# each holds for every variant `calcgrade check calculus --variants` grades.
GRAD_U_AB = """
def grad_u_ab(a, b):
    x, y, z = a * b, a + b**q, np.exp(a - b)
    u_x, u_y, u_z = p * x**(p - 1) * y, x**p, np.cos(z)
    return np.array([u_x * b + u_y + u_z * z, u_x * a + u_y * {y_b} {z_b_sign} u_z * z])
"""

CASES = [
    # Right answers in other forms: every part keeps its points.
    correct("strings",
            chain_rule_symbolic='du_da = "x_a*u_x + y_a*u_y + z_a*u_z"\n'
                                'du_db = "x_b*u_x + y_b*u_y + z_b*u_z"'),
    correct("matrix_product",
            chain_rule_symbolic="grad = sp.Matrix([[u_x, u_y, u_z]])\n"
                                "du_da = (grad * sp.Matrix([x_a, y_a, z_a]))[0]\n"
                                "du_db = (grad * sp.Matrix([x_b, y_b, z_b]))[0]",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return np.einsum('j,ji->i', grad_u, J)",
            chain_rule_concrete="""
a_, b_ = sp.symbols("a b")
u_ab = (a_ * b_)**p * (a_ + b_**q) + sp.sin(sp.exp(a_ - b_))
_grad = sp.lambdify((a_, b_), [sp.diff(u_ab, a_), sp.diff(u_ab, b_)], "numpy")
def grad_u_ab(a, b):
    return np.array(_grad(a, b), dtype=float)
"""),
    correct("sum_and_expanded",
            chain_rule_symbolic="du_da = sum(p * q for p, q in zip((u_x, u_y, u_z), (x_a, y_a, z_a)))\n"
                                "du_db = sp.expand((u_x * x_b + u_y * y_b) + u_z * z_b)",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return np.asarray(grad_u) @ np.asarray(J)",
            chain_rule_concrete="""
def grad_u_ab(a, b):
    e = np.exp(a - b)
    return np.array([p*a**(p - 1)*b**p*(a + b**q) + a**p*b**p + np.cos(e)*e,
                     p*a**p*b**(p - 1)*(a + b**q) + q*a**p*b**(p + q - 1) - np.cos(e)*e])
"""),
    correct("real_symbols_loops",
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

    # Typical mistakes: each loses exactly the test cells it names, keeps the rest.
    mistake("missing_z_term", "test-du-da",
            chain_rule_symbolic="du_da = u_x*x_a + u_y*y_a\ndu_db = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("db_with_a_derivatives", "test-du-db",
            chain_rule_symbolic="du_da = u_x*x_a + u_y*y_a + u_z*z_a\n"
                                "du_db = u_x*x_a + u_y*y_a + u_z*z_a"),
    mistake("product_of_sums", "test-du-da", says="follow none of the paths",
            hides=["u_x*x_a + u_y*y_a"],
            chain_rule_symbolic="du_da = (u_x + u_y + u_z) * (x_a + y_a + z_a)\n"
                                "du_db = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("swapped_da_db", "test-du-da test-du-db",
            chain_rule_symbolic="du_db = u_x*x_a + u_y*y_a + u_z*z_a\n"
                                "du_da = u_x*x_b + u_y*y_b + u_z*z_b"),
    mistake("jacobian_not_transposed", "test-chain-rule-jacobian",
            says="a matrix product (@) in your code multiplies arrays whose sizes do not fit",
            hides=["gufunc", "ValueError", "J.T"],
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n    return J @ grad_u"),
    mistake("jacobian_column", "test-chain-rule-jacobian",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return J.T @ grad_u.reshape(-1, 1)"),
    mistake("jacobian_for_three", "test-chain-rule-jacobian",
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return grad_u[0]*J[0] + grad_u[1]*J[1] + grad_u[2]*J[2]"),
    mistake("z_b_sign", "test-grad-u-ab",
            says="in ∂u/∂b (index 1), the path through z has the wrong sign",
            chain_rule_concrete=GRAD_U_AB.format(y_b="q * b**(q - 1)", z_b_sign="+")),
    # ∂y/∂b taken as b^(q-1): the power rule's factor q forgotten.
    mistake("y_b_missing_factor", "test-grad-u-ab",
            says="in ∂u/∂b (index 1), the path through y is off by a constant factor",
            chain_rule_concrete=GRAD_U_AB.format(y_b="b**(q - 1)", z_b_sign="-")),
    mistake("missing_z_path", "test-grad-u-ab",
            says=["in ∂u/∂a (index 0), the path through z is missing",
                  "in ∂u/∂b (index 1), the path through z is missing"],
            chain_rule_concrete="""
def grad_u_ab(a, b):
    x, y = a * b, a + b**q
    return np.array([p * x**(p - 1) * y * b + x**p, p * x**(p - 1) * y * a + x**p * q * b**(q - 1)])
"""),
    # New with the messages that point at the bug (issue 14): each is told what to look at.
    mistake("du_db_z_sign", "test-du-db", says="the path through z has the wrong sign",
            hides=["u_z*z_b", "differs at"],
            chain_rule_symbolic="du_da = u_x*x_a + u_y*y_a + u_z*z_a\n"
                                "du_db = u_x*x_b + u_y*y_b - u_z*z_b"),
    mistake("grad_u_ab_no_x_path_in_a", "test-grad-u-ab",
            says="in ∂u/∂a (index 0), the path through x is missing",
            chain_rule_concrete="""
def grad_u_ab(a, b):
    x, y, z = a * b, a + b**q, np.exp(a - b)
    u_x, u_y, u_z = p * x**(p - 1) * y, x**p, np.cos(z)
    return np.array([u_y + u_z * z, u_x * a + u_y * q * b**(q - 1) - u_z * z])
"""),
    # The sum taken over the wrong axis: a vector of J's rows count, not its columns'.
    mistake("jacobian_wrong_axis", "test-chain-rule-jacobian",
            says="shape (3,)", hides=["J.T", "einsum"],
            chain_rule_jacobian="def chain_rule_jacobian(grad_u, J):\n"
                                "    return (np.asarray(grad_u)[:, None] * J).sum(axis=1)"),
]
