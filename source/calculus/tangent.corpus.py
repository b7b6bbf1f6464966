"""The instructor's answer corpus for `source/calculus/tangent.ipynb`: right answers in other
forms and typical mistakes, each mistake with the test cells it must cost.

`calcgrade check calculus` grades every case with both graders (format: `calcgrade/corpus.py`).
"""

from calcgrade.corpus import correct, mistake

# Answers name the parameters a (the tangent point) and c (f(x) = x³ - c/x), so each holds for
# every variant `calcgrade check calculus --variants` grades.
TANGENT_LINE = "slope = 3*a**2 + c/a**2\nintercept = -2*a**3 - 2*c/a\ntangent = lambda x: slope*x + intercept"

TANGENT_PLOT_NO_LEGEND = """
xs = np.linspace(0.2, 3, 100)
fig, ax = plt.subplots()
ax.plot(xs, f(xs))
ax.plot(xs, tangent(xs))
"""

CASES = [
    # Right answers in other forms: every part keeps its points.
    correct("strings_and_lambdas",
            tangent_numerical_lim="numerical_lim = lambda f, x, h: (f(x + h) - f(x)) / h",
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 3*x**2 + c*x**-2",
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = "3*x^2 + " + str(c) + "*x^(-2)"',
            tangent_line="slope = 3*a**2 + c/a**2\nintercept = -2*a**3 - 2*c/a\n"
                         "tangent = lambda x: slope*x + intercept",
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
    correct("sympy_everything",
            tangent_f_df="""
xs_ = sp.Symbol("x", positive=True)
f = sp.lambdify(xs_, xs_**3 - c/xs_, "numpy")
df = sp.lambdify(xs_, sp.diff(xs_**3 - c/xs_, xs_), "numpy")
""",
            tangent_f_prime="""
x = sp.Symbol("x", positive=True)
f_prime = sp.diff(x**3 - c/x, x)
""",
            tangent_line="""
slope = f_prime.subs(x, a)
intercept = (x**3 - c/x).subs(x, a) - slope * a
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
    correct("rearranged",
            tangent_numerical_lim="""
def numerical_lim(f, x, h):
    return (f(x + h) - f(x)) * (1 / h)
""",
            tangent_f_df="""
def f(x):
    return np.power(x, 3) - c * np.reciprocal(x)

def df(x):
    return (3 * x**4 + c) / x**2
""",
            tangent_f_prime='x = sp.Symbol("x", real=True)\nf_prime = (3*x**4 + c) / x**2',
            tangent_line="""
slope = np.float64(3 * a**2 + c / a**2)
intercept = np.float64(-2 * a**3 - 2 * c / a)
def tangent(x):
    return slope * (x - a) + a**3 - c / a
""",
            tangent_plot="""
xs = np.linspace(0.5, 3, 50)
fig, (left, right) = plt.subplots(1, 2)
left.plot(xs, xs**2)
right.plot(xs, f(xs))
right.plot(xs, tangent(xs))
fig.legend(["f", "tangent"])
"""),
    correct("float_exponents_and_noise",
            tangent_f_df="""
import warnings
def f(x):
    return x**3.0 - c * x**-1.0

def df(x):
    warnings.warn("computing the derivative")
    print("df called")
    return 3.0 * x**2.0 + c * x**-2.0
""",
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = 3*x**2.0 + c*x**(-2.0)',
            tangent_line="""
slope = float(df(a))
intercept = float(f(a) - slope * a)
tangent = lambda x: slope * x + intercept
""",
            tangent_plot="""
xs = np.linspace(0.25, 3.0, 30)
fig = plt.figure()
ax = fig.add_subplot()
ax.plot(xs, f(xs), linestyle="None", marker="x", label="$x^3 - 1/x$")
ax.plot([0.25, 3.0], [tangent(0.25), tangent(3.0)], label="tangent")
ax.legend()
"""),

    # Typical mistakes: each loses exactly the test cells it names, keeps the rest.
    mistake("centred_quotient", "test-numerical-lim", says="centred difference quotient",
            hides=["f(x + h) - f(x)) / h"],
            tangent_numerical_lim="def numerical_lim(f, x, h):\n    return (f(x + h) - f(x - h)) / (2 * h)"),
    mistake("df_sign", "test-df", says="sign of the derivative of -1/x", hides=["1/x**2"],
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 3*x**2 - c/x**2\n"
                         "slope_df = lambda x: 3*x**2 + c/x**2",
            tangent_line=TANGENT_LINE),
    mistake("df_finite_difference", "test-df",
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: numerical_lim(f, x, 1e-6)",
            tangent_line=TANGENT_LINE),
    mistake("f_prime_sign", "test-f-prime", says="sign of the derivative of -1/x",
            hides=["1/x**2"],
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = 3*x**2 - c/x**2'),
    mistake("f_prime_unknown_name", "test-f-prime",
            tangent_f_prime='y = sp.Symbol("y")\nf_prime = 3*y**2 + c/y**2'),
    # The plot draws the student's own tangent right: carried forward from tangent, it keeps its
    # points (slope, intercept and tangent are wrong on their own: f and df are right).
    mistake("tangent_at_2", "test-slope test-intercept test-tangent",
            says={"test-plot": "`fig` is right for your `tangent`"},
            tangent_line="slope = df(a + 1.0)\nintercept = f(a + 1.0) - slope * (a + 1.0)\n"
                         "tangent = lambda x: slope * x + intercept"),
    mistake("intercept_sign", "test-intercept test-tangent",
            says={"test-plot": "`fig` is right for your `tangent`",
                  "test-intercept": "must pass through the point (1, f(1))"}, hides=["-4"],
            tangent_line="slope = df(a)\nintercept = slope * a - f(a)\n"
                         "tangent = lambda x: slope * x + intercept"),
    # The plot still passes: a tangent 3e-4 off in slope is the same picture.
    mistake("finite_difference_slope", "test-slope test-intercept test-tangent",
            tangent_line="slope = numerical_lim(f, a, 1e-4)\nintercept = f(a) - slope * a\n"
                         "tangent = lambda x: slope * x + intercept"),
    # intercept, tangent and the plot are right for the student's own f: carried forward.
    mistake("f_plus", "test-f",
            says={"test-intercept": "`intercept` is right for your `f`",
                  "test-tangent": "`tangent` is right for your `f`",
                  "test-plot": "`fig` is right for your `f` and `tangent`, which fail their "
                               "own checks"},
            tangent_f_df="f = lambda x: x**3 + c/x\ndf = lambda x: 3*x**2 + c/x**2"),
    mistake("f_not_vectorized", "test-f test-plot",
            tangent_f_df="import math\nf = lambda x: math.pow(x, 3) - c/x\n"
                         "df = lambda x: 3*x**2 + c/x**2"),
    # New with the messages that point at the bug (issue 14): each is told what to look at.
    mistake("df_drops_reciprocal_term", "test-df",
            says="derivative of the term -1/x is missing", hides=["1/x**2", "x**-2", "x⁻²"],
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 3*x**2",
            tangent_line=TANGENT_LINE),
    mistake("f_prime_power_rule", "test-f-prime", says="derivative of x³ (the power rule)",
            hides=["3*x**2", "3x²"],
            tangent_f_prime='x = sp.Symbol("x")\nf_prime = 3*x + c/x**2'),
    # The intercept taken to be f(x0), the height where the tangent touches: the tangent itself
    # is written point-slope and right, so only the intercept is lost.
    mistake("intercept_is_f_at_1", "test-intercept", says="crosses the y-axis",
            hides=["-4", "−4"],
            tangent_line="slope = df(a)\nintercept = f(a)\n"
                         "tangent = lambda x: slope * (x - a) + f(a)"),
    # Error carried forward (calcgrade.checks.carried): slope, intercept, tangent and the plot
    # are computed from f and df (the plot from f and tangent); a later part right for the
    # student's own earlier answer keeps its points, and says the mistake came from there.
    mistake("df_sign_carried", "test-df",
            says={"test-df": "sign of the derivative of -1/x",
                  "test-slope": "`slope` is right for your `df`, which fails its own check",
                  "test-intercept": "`intercept` is right for your `df`",
                  "test-tangent": "`tangent` is right for your `df`",
                  "test-plot": "`fig` is right for your `tangent`"},
            hides=["1/x**2"],
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 3*x**2 - c/x**2"),
    # ... but a later part wrong for the student's own df too still fails, and says so.
    mistake("df_sign_and_intercept_sign", "test-df test-intercept test-tangent",
            says={"test-slope": "`slope` is right for your `df`",
                  "test-plot": "`fig` is right for your `tangent`",
                  "test-intercept": "not right for your own `df` either",
                  "test-tangent": "look at `tangent` too"},
            hides=["-4", "−4"],
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 3*x**2 - c/x**2",
            tangent_line="slope = df(a)\nintercept = slope * a - f(a)\n"
                         "tangent = lambda x: slope * x + intercept"),
    # Nothing is carried forward from a degenerate df (zeros everywhere): the flat line it makes
    # is not a tangent of anything.
    mistake("df_zeros_not_carried", "test-df test-slope test-intercept test-tangent test-plot",
            says={"test-slope": "nothing is carried forward from your `df`",
                  "test-plot": "nothing is carried forward from your `tangent`"},
            tangent_f_df="f = lambda x: x**3 - c/x\ndf = lambda x: 0 * x"),
    mistake("no_legend", "test-plot", tangent_plot=TANGENT_PLOT_NO_LEGEND),
    mistake("no_tangent_line", "test-plot",
            tangent_plot="xs = np.linspace(0.2, 3, 100)\nfig, ax = plt.subplots()\n"
                         "ax.plot(xs, f(xs), label='f')\nax.plot(xs, 0 * xs, label='axis')\nax.legend()"),
]
