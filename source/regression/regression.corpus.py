"""Answer corpus of regression.ipynb: right answers in other forms, and typical mistakes with the
test cells each one must cost (`calcgrade.corpus`; kept out of the release by
CourseDirectory.ignore). A case replaces only the answer cells it names; every other cell keeps
the source's solution, whose `gradient_descent` calls `mse_loss` and `mse_grad`.

On fairness between parts: test-gradient-descent judges the descent loop. It accepts the true
path and also the path of the student's own `mse_grad` (with the losses of the student's own
`mse_loss`), so a wrong loss or gradient costs its own part once, not gradient_descent as well,
as long as `mse_grad` returns a vector grad_w and a single number grad_b. A grad_b that is a vector
(`grad_b_not_summed`) makes b a vector, which gradient_descent may not return: that one costs both.

The notebook declares parameters (`regression-params`: the line y_demo follows, each student
their own): no case writes a number of X_demo or y_demo, so each holds under every variant
(`calcgrade check regression --variants`).
"""

from calcgrade.corpus import correct, mistake

def stub(signature):
    """An answer cell as released: the def line kept, the body a stub."""
    return f"{signature}\n    # YOUR CODE HERE\n    raise NotImplementedError()"


CASES = [
    # ---------------------------------------------------------------------------- right answers
    correct("loops_everywhere",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    total = 0.0
    for xi, yi in zip(X, y):
        prediction = sum(wj * xij for wj, xij in zip(w, xi)) + b
        total += (yi - prediction) ** 2
    return total / (2 * len(y))
""",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    n, d = len(X), len(w)
    grad_w = [0.0] * d
    grad_b = 0.0
    for xi, yi in zip(X, y):
        error = sum(w[j] * xi[j] for j in range(d)) + b - yi
        for j in range(d):
            grad_w[j] += error * xi[j] / n
        grad_b += error / n
    return np.array(grad_w), grad_b
""",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    n, d = X.shape
    w = [0.0] * d
    b = 0.0
    losses = []
    for step in range(steps):
        errors = [sum(w[j] * X[i][j] for j in range(d)) + b - y[i] for i in range(n)]
        losses.append(sum(e * e for e in errors) / (2 * n))
        grad_w = [sum(errors[i] * X[i][j] for i in range(n)) / n for j in range(d)]
        grad_b = sum(errors) / n
        w = [w[j] - lr * grad_w[j] for j in range(d)]
        b = b - lr * grad_b
    return np.array(w), b, losses
""",
            regression_relu_grad="""
def relu_grad(z):
    return np.heaviside(z, 0.0)
""",
            regression_tanh_grad="""
import math
tanh_grad = np.vectorize(lambda v: 1 - math.tanh(v) ** 2, otypes=[float])
""",
            regression_bce_grad_logit="""
import math

def _one(z, y):
    if z >= 0:
        p = 1 / (1 + math.exp(-z))
    else:
        e = math.exp(z)
        p = e / (1 + e)
    return p - y

bce_grad_logit = np.vectorize(_one, otypes=[float])
""",
            regression_l1_grad="""
def l1_grad(W):
    W = np.asarray(W, dtype=float)
    out = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        if W[idx] > 0:
            out[idx] = 1.0
        elif W[idx] < 0:
            out[idx] = -1.0
    return out
""",
            regression_l2_grad="""
def l2_grad(W):
    return W + W
"""),

    correct("vectorized_mean_own_functions",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    return 0.5 * np.mean((X @ w + b - y) ** 2)
""",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    e = X @ w + b - y
    return np.mean(e[:, None] * X, axis=0), np.array(np.mean(e))   # grad_b a 0-d array
""",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = np.zeros(steps)
    for i in range(steps):
        losses[i] = mse_loss(w, b, X, y)
        gw, gb = mse_grad(w, b, X, y)
        w = w - lr * gw
        b = b - lr * gb
    return w, b, losses
""",
            regression_relu_grad="""
def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)
""",
            regression_tanh_grad="""
def tanh_grad(z):
    e = np.exp(-2 * np.abs(z))        # tanh' = 4 e^{-2|z|} / (1 + e^{-2|z|})^2
    return 4 * e / (1 + e) ** 2
""",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float))) - y
""",
            regression_l1_grad="""
def l1_grad(W):
    W = np.asarray(W, dtype=float)
    return np.where(W == 0, 0.0, W / np.abs(W))   # 0/0 warns where W == 0, but the value is right
""",
            regression_l2_grad="""
def l2_grad(W):
    return 2.0 * np.asarray(W)
"""),

    correct("einsum_and_folded_bias",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    r = y - np.einsum("nd,d->n", X, w) - b
    return np.einsum("n,n->", r, r) / (2 * len(y))
""",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = np.einsum("nd,d->n", X, w) + b - y
    return np.einsum("nd,n->d", X, r) / len(y), r.sum() / len(y)
""",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    A = np.hstack([X, np.ones((len(X), 1))])     # the bias as a last weight on a column of ones
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(steps):
        r = A @ theta - y
        losses.append(r @ r / (2 * len(y)))
        theta = theta - lr * A.T @ r / len(y)
    return theta[:-1], theta[-1], losses
""",
            regression_relu_grad="""
def relu_grad(z):
    return np.maximum(np.sign(z), 0.0)
""",
            regression_tanh_grad="""
def tanh_grad(z):
    return 1 / np.cosh(np.clip(z, -300, 300)) ** 2
""",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1 + e) - y
""",
            regression_l1_grad="""
def l1_grad(W):
    return np.where(W > 0, 1, np.where(W < 0, -1, 0))
""",
            regression_l2_grad="""
def l2_grad(W):
    return np.multiply(2, W)
"""),

    correct("errstate_in_place_and_prints",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    return float(np.sum(np.square(y - (X.dot(w) + b))) / len(y) / 2)
""",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    n = len(y)
    r = y - (X.dot(w) + b)
    return -(X.T.dot(r)) / n, float(-r.sum() / n)
""",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w = np.zeros(X.shape[1])
    b = 0.0
    losses = []
    for step in range(steps):
        losses.append(mse_loss(w, b, X, y))
        gw, gb = mse_grad(w, b, X, y)
        w -= lr * gw          # w is a new float array: updating it in place is fine
        b -= lr * gb
        print(f"step {step}: loss {losses[-1]:.4f}")
    return w, b, losses
""",
            regression_relu_grad="""
relu_grad = np.vectorize(lambda v: 1.0 if v > 0 else 0.0, otypes=[float])
""",
            regression_tanh_grad="""
def tanh_grad(z):
    return 1 - np.tanh(z) * np.tanh(z)
""",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    with np.errstate(over="ignore"):    # e^{-z} overflows to inf, and 1 / (1 + inf) = 0 is right
        p = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return p - y
""",
            regression_l1_grad="""
def l1_grad(W):
    return np.sign(W)
""",
            regression_l2_grad="""
def l2_grad(W):
    return 2 * W
"""),

    correct("clip_tanh_and_noise",
            regression_mse_loss="""
import warnings

def mse_loss(w, b, X, y):
    warnings.warn("debugging mse_loss")
    residuals = [float(yi - (np.dot(w, xi) + b)) for xi, yi in zip(X, y)]
    return sum(r * r for r in residuals) / len(residuals) / 2
""",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    X = X.astype(float)
    pred = X @ w + b
    grad_w = (pred - y) @ X / X.shape[0]
    grad_b = np.sum(pred - y) / X.shape[0]
    return grad_w, grad_b
""",
            regression_relu_grad="""
def relu_grad(z):
    return np.asarray(np.asarray(z) > 0, dtype=float)
""",
            regression_tanh_grad="""
def tanh_grad(z):
    t = np.tanh(z)
    return (1 - t) * (1 + t)
""",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    s = 1 / (1 + np.exp(-np.clip(z, -500, 500)))
    return s - y
""",
            regression_l2_grad="""
def l2_grad(W):
    W = np.array(W, dtype=float)
    W *= 2          # on its own copy
    return W
"""),

    correct("sigmoid_by_tanh",
            regression_bce_grad_logit="""
def sigmoid(z):
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))

def bce_grad_logit(z, y):
    return sigmoid(z) - y
""",
            regression_relu_grad="""
def relu_grad(z):
    z = np.asarray(z, dtype=float)
    out = np.zeros_like(z)
    out[z > 0] = 1.0              # a boolean mask
    return out
"""),

    # ---------------------------------------------------------------------------- mistakes
    # The loss: only its own part (gradient_descent records the student's own mse_loss).
    mistake("loss_missing_half", "test-mse-loss",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    return np.mean((X @ w + b - y) ** 2)
"""),
    mistake("loss_sum_not_mean", "test-mse-loss",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    return 0.5 * np.sum((X @ w + b - y) ** 2)
"""),
    mistake("loss_without_bias", "test-mse-loss",
            regression_mse_loss="""
def mse_loss(w, b, X, y):
    return 0.5 * np.mean((y - X @ w) ** 2)
"""),

    # The gradient: only its own part while gradient_descent follows it faithfully (see the top).
    mistake("grad_sign_error", "test-mse-grad",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = y - (X @ w + b)
    return X.T @ r / len(y), np.mean(r)
"""),
    mistake("grad_missing_mean", "test-mse-grad",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = X @ w + b - y
    return X.T @ r, np.sum(r)
"""),
    mistake("grad_twice", "test-mse-grad",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * np.mean(r)
"""),
    # grad_b per example: b becomes a vector in gradient_descent, which costs that part too.
    mistake("grad_b_not_summed", "test-mse-grad test-gradient-descent",
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = X @ w + b - y
    return X.T @ r / len(y), r / len(y)
"""),

    # Carried forward from the student's own mse_grad, credited and said (grad_sign_error's
    # descent goes uphill with it, and follows it faithfully) ...
    mistake("grad_sign_error_carried", "test-mse-grad",
            says={"test-gradient-descent": "right for your own `mse_grad`"},
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    r = y - (X @ w + b)
    return X.T @ r / len(y), np.mean(r)
"""),
    # ... but never from a degenerate one: a gradient of zeros makes a descent that stands still.
    mistake("grad_zeros_not_carried", "test-mse-grad test-gradient-descent",
            says={"test-gradient-descent": "nothing is carried forward from your `mse_grad`"},
            regression_mse_grad="""
def mse_grad(w, b, X, y):
    return np.zeros(X.shape[1]), 0.0
"""),

    # The descent loop.
    mistake("losses_after_step", "test-gradient-descent",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        gw, gb = mse_grad(w, b, X, y)
        w, b = w - lr * gw, b - lr * gb
        losses.append(mse_loss(w, b, X, y))
    return w, b, losses
"""),
    mistake("sequential_update", "test-gradient-descent",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        losses.append(mse_loss(w, b, X, y))
        w = w - lr * mse_grad(w, b, X, y)[0]
        b = b - lr * mse_grad(w, b, X, y)[1]      # the gradient at the new w
    return w, b, losses
"""),
    mistake("ascent_inline", "test-gradient-descent",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    n = len(y)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        r = X @ w + b - y
        losses.append(r @ r / (2 * n))
        w = w + lr * X.T @ r / n
        b = b + lr * r.mean()
    return w, b, losses
"""),
    mistake("shuffles_in_place", "test-gradient-descent",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    order = np.random.default_rng(0).permutation(len(y))
    X[:] = X[order]        # shuffle the examples as SGD would: the caller's arrays change
    y[:] = y[order]
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps):
        losses.append(mse_loss(w, b, X, y))
        gw, gb = mse_grad(w, b, X, y)
        w, b = w - lr * gw, b - lr * gb
    return w, b, losses
"""),
    mistake("one_step_too_many", "test-gradient-descent",
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w, b = np.zeros(X.shape[1]), 0.0
    losses = []
    for _ in range(steps + 1):
        losses.append(mse_loss(w, b, X, y))
        gw, gb = mse_grad(w, b, X, y)
        w, b = w - lr * gw, b - lr * gb
    return w, b, losses[:steps]
"""),
    mistake("int_weights_in_place", "test-gradient-descent", says="make them float arrays",
            hides=["UFuncTypeError", "casting rule"],
            regression_gradient_descent="""
def gradient_descent(X, y, lr, steps):
    w, b = np.zeros_like(X[0]), 0.0      # integers when X holds integers
    losses = []
    for _ in range(steps):
        losses.append(mse_loss(w, b, X, y))
        gw, gb = mse_grad(w, b, X, y)
        w -= lr * gw
        b -= lr * gb
    return w, b, losses
"""),

    # Activations and the cross-entropy.
    mistake("relu_grad_one_at_zero", "test-relu-grad", says="z = 0",
            regression_relu_grad="""
def relu_grad(z):
    return np.where(np.asarray(z) >= 0, 1.0, 0.0)
"""),
    mistake("relu_grad_not_elementwise", "test-relu-grad", says="a single True or False",
            hides=["ValueError", "a.any()"],
            regression_relu_grad="""
def relu_grad(z):
    return 1.0 if z > 0 else 0.0
"""),
    mistake("tanh_grad_no_square", "test-tanh-grad", says="power of tanh(z)",
            hides=["tanh(z) ** 2", "tanh(z)**2", "cosh"],
            regression_tanh_grad="""
def tanh_grad(z):
    return 1 - np.tanh(z)
"""),
    mistake("tanh_grad_cosh_overflows", "test-tanh-grad",
            regression_tanh_grad="""
def tanh_grad(z):
    return 1 / np.cosh(z) ** 2
"""),
    mistake("bce_naive_sigmoid_overflows", "test-bce-grad-logit",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float))) - y
"""),
    mistake("bce_where_computes_both_branches", "test-bce-grad-logit",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    z = np.asarray(z, dtype=float)
    # np.where evaluates both branches everywhere: exp(z) still overflows for z = 1000
    p = np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
    return p - y
"""),
    mistake("bce_sign_flipped", "test-bce-grad-logit",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    return y - 0.5 * (1 + np.tanh(np.asarray(z) / 2))
"""),
    mistake("bce_grad_wrt_probability", "test-bce-grad-logit",
            regression_bce_grad_logit="""
def bce_grad_logit(z, y):
    p = 0.5 * (1 + np.tanh(np.asarray(z) / 2))
    return (p - y) / (p * (1 - p))
"""),

    # The penalties.
    mistake("l1_nan_at_zero", "test-l1-grad",
            regression_l1_grad="""
def l1_grad(W):
    return W / np.abs(W)
"""),
    mistake("l1_one_at_zero", "test-l1-grad",
            regression_l1_grad="""
def l1_grad(W):
    return np.where(np.asarray(W) >= 0, 1.0, -1.0)
"""),
    mistake("l2_missing_two", "test-l2-grad", says="constant factor", hides=["2 * W", "2W"],
            regression_l2_grad="""
def l2_grad(W):
    return np.asarray(W, dtype=float)
"""),
    mistake("l2_norm_not_squared", "test-l2-grad", says="not of the squared norm",
            regression_l2_grad="""
def l2_grad(W):
    return W / np.linalg.norm(W)
"""),

    # New with the messages that point at the bug (issue 14): each is told what to look at.
    mistake("relu_grad_returns_relu", "test-relu-grad", says="relu itself, not its derivative",
            regression_relu_grad="""
def relu_grad(z):
    return np.maximum(z, 0.0)
"""),
    mistake("l1_grad_is_abs", "test-l1-grad", says="|W| itself, not its derivative",
            hides=["np.sign", "sign(W)"],
            regression_l1_grad="""
def l1_grad(W):
    return np.abs(W)
"""),

    # A student who answered nothing: every part 0, and the notebook still runs to the end.
    mistake("nothing_answered",
            "test-mse-loss test-mse-grad test-gradient-descent test-relu-grad test-tanh-grad "
            "test-bce-grad-logit test-l1-grad test-l2-grad",
            regression_mse_loss=stub("def mse_loss(w, b, X, y):"),
            regression_mse_grad=stub("def mse_grad(w, b, X, y):"),
            regression_gradient_descent=stub("def gradient_descent(X, y, lr, steps):"),
            regression_relu_grad=stub("def relu_grad(z):"),
            regression_tanh_grad=stub("def tanh_grad(z):"),
            regression_bce_grad_logit=stub("def bce_grad_logit(z, y):"),
            regression_l1_grad=stub("def l1_grad(W):"),
            regression_l2_grad=stub("def l2_grad(W):")),
]
