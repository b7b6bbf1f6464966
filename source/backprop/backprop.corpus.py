"""The instructor's answer corpus for `source/backprop/backprop.ipynb`: right answers in other
forms and typical mistakes, each mistake with the test cells it must cost.

`calcgrade check backprop` grades every case with both graders (format: `calcgrade/corpus.py`).

The notebook declares parameters (`backprop-params`: the seed `init_params` draws with by default
and the targets `T`, each student their own): no case writes a number of the data or of the
initial params, so each holds under every variant (`calcgrade check backprop --variants`).
"""

from calcgrade.corpus import correct, mistake

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


CASES = [
    # Right answers in other forms: every part keeps its points.
    correct("tanh_and_dict_cache",
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
    correct("neuron_by_neuron",
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
    correct("copies_and_own_loop",
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
    correct("noisy",
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

    # Typical mistakes: each loses exactly the test cells it names, keeps the rest.
    # sigmoid_grad is built on the naive sigmoid, so it warns too.
    mistake("naive_sigmoid_overflows", "test-sigmoid test-sigmoid-grad",
            backprop_sigmoid="def sigmoid(z):\n    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n\n"
                             "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * (1 - s)"),
    mistake("sigmoid_grad_missing_factor", "test-sigmoid-grad", says="σ(z) itself",
            backprop_sigmoid="def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))\n\n"
                             "def sigmoid_grad(z):\n    return sigmoid(z)"),
    mistake("sigmoid_grad_of_activation", "test-sigmoid-grad",
            says="as if it were already the activation",
            backprop_sigmoid="def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z)))\n\n"
                             "def sigmoid_grad(z):\n    return z * (1 - z)"),
    # train is right for the student's own forward and backward (error carried forward); backward
    # is not right for their own forward either (it gives b's gradients a forward without b
    # cannot have), so it still fails, and says so.
    mistake("forward_without_bias", "test-forward test-backward",
            says={"test-train": "`train` is right for your `forward` and `backward`",
                  "test-backward": "not right for your own `forward` either"},
            backprop_forward="""
def forward(params, x):
    activations = [np.asarray(x, dtype=float)]
    for k in "123":
        activations.append(sigmoid(params["W" + k] @ activations[-1]))
    return activations[-1], activations

def loss(y, target):
    return 0.5 * float(np.sum((y - target) ** 2))
"""),
    # train records the losses of the student's own loss: carried forward, only loss is charged.
    mistake("loss_without_half", "test-loss",
            says={"test-train": "`train` is right for your `loss`"},
            backprop_forward="""
def forward(params, x):
    activations = [np.asarray(x, dtype=float)]
    for k in "123":
        activations.append(sigmoid(params["W" + k] @ activations[-1] + params["b" + k]))
    return activations[-1], activations

def loss(y, target):
    return float(np.sum((y - target) ** 2))
"""),
    mistake("transposed_weight_gradient", "test-backward test-train",
            backprop_backward=_backward(weight_grad="np.outer(a[k - 1], delta)")),
    # Each wrong backward below costs backward only: train is right for it (carried forward).
    mistake("missing_hidden_sigma_prime", "test-backward",
            says={"test-train": "`train` is right for your `backward`",
                  "test-backward": "the delta passed back to a hidden layer"},
            hides=["a[k - 1] * (1 - a[k - 1])", "a(1 - a)", "a(1 − a)"],
            backprop_backward=_backward(hidden_factor="")),
    mistake("output_error_sign", "test-backward",
            says={"test-train": "`train` is right for your `backward`, which fails its own check",
                  "test-backward": "check the sign of the output error"},
            backprop_backward=_backward(output_delta="(target - a[3]) * a[3] * (1 - a[3])")),
    mistake("one_sided_difference", "test-numerical-gradient",
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
    correct("restores_by_arithmetic",  # +h, -2h, +h: the params come back within an ulp or two
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
            v[i] += h
            g[i] = (up - down) / (2 * h)
        grads[k] = g
    return grads
"""),
    mistake("numerical_gradient_mutates", "test-numerical-gradient",
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
    mistake("sgd_step_in_place", "test-sgd-step",
            backprop_train=_train(step="for k in params:\n        params[k] -= lr * grads[k]\n"
                                       "    return params")),
    # train is right for the student's own sgd_step (carried forward): only sgd_step is charged.
    mistake("sgd_step_ascent", "test-sgd-step",
            says={"test-train": "`train` is right for your `sgd_step`",
                  "test-sgd-step": "which way does a descent step go"},
            backprop_train=_train(step="return {k: params[k] + lr * grads[k] for k in params}")),
    mistake("losses_after_update", "test-train",
            backprop_train=_train(epoch_loss="""
            params = sgd_step(params, backward(params, cache, t), lr)
            epoch_losses.append(loss(forward(params, x)[0], t))""")),
    mistake("full_batch", "test-train", says="a step after each row",
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
    # train's own arguments renamed, its loop over the notebook's global X and T: right on the
    # notebook's data, wrong on any other (the test trains on a second data set too).
    mistake("train_reads_global_data", "test-train",
            backprop_train=_train().replace("def train(params, X, T, lr, epochs)",
                                            "def train(params, inputs, targets, lr, epochs)")),
    # New with the messages that point at the bug (issue 14): each is told what to look at.
    # The output delta without σ'(z3): every layer's gradient off by the same factor.
    mistake("missing_output_sigma_prime", "test-backward",
            says={"test-train": "`train` is right for your `backward`",
                  "test-backward": "the derivative of the output layer's activation"},
            hides=["a[3] * (1 - a[3])", "a(1 - a)", "a(1 − a)"],
            backprop_backward=_backward(output_delta="a[3] - target")),
    # Error carried forward (calcgrade.checks.carried): backward is computed from forward, train
    # from forward, loss, backward and sgd_step; a later part right for the student's own
    # earlier answers keeps its points. A linear output layer (no sigmoid), and a backward
    # without the output σ' that is exactly right for it: only forward is charged.
    mistake("linear_output_carried", "test-forward",
            says={"test-backward": "`backward` is right for your `forward`, which fails its own check",
                  "test-train": "`train` is right for your `forward` and `backward`"},
            backprop_forward="""
def forward(params, x):
    a = [np.asarray(x, dtype=float)]
    for k in "12":
        a.append(sigmoid(params["W" + k] @ a[-1] + params["b" + k]))
    a.append(params["W3"] @ a[-1] + params["b3"])
    return a[-1], a

def loss(y, target):
    return 0.5 * float(np.sum((np.asarray(y) - np.asarray(target)) ** 2))
""",
            backprop_backward=_backward(output_delta="a[3] - target")),
    # ... a train wrong for the student's own backward too still fails, and says so.
    mistake("output_sigma_prime_and_train_ascent", "test-backward test-train",
            says={"test-train": ["not right for your own `backward` either",
                                 "look at `train` too"]},
            backprop_backward=_backward(output_delta="a[3] - target"),
            backprop_train=RIGHT_TRAIN_STEP + """
def train(params, X, T, lr, epochs):
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for x, t in zip(X, T):
            y, cache = forward(params, x)
            epoch_losses.append(loss(y, t))
            grads = backward(params, cache, t)
            params = {k: params[k] + lr * grads[k] for k in params}
        losses.append(float(np.mean(epoch_losses)))
    return params, losses
"""),
    # Nothing is carried forward from a degenerate backward (zeros): a train that never moves
    # the params is right for it, and still fails.
    mistake("backward_zeros_not_carried", "test-backward test-train",
            says={"test-train": ["nothing is carried forward from your `backward`",
                                 "gives only zeros"]},
            backprop_backward="""
def backward(params, cache, target):
    return {k: np.zeros_like(v) for k, v in params.items()}
"""),
    # ... nor from an sgd_step that returns its params: with it, train never moves them.
    mistake("sgd_step_returns_params_not_carried", "test-sgd-step test-train",
            says={"test-train": "nothing is carried forward from your `sgd_step`"},
            backprop_train=_train(step="return dict(params)")),
    # A right sgd_step, but train steps uphill on its own.
    mistake("train_ascent_inline", "test-train", says="move uphill",
            backprop_train=RIGHT_TRAIN_STEP + """
def train(params, X, T, lr, epochs):
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for x, t in zip(X, T):
            y, cache = forward(params, x)
            epoch_losses.append(loss(y, t))
            grads = backward(params, cache, t)
            params = {k: params[k] + lr * grads[k] for k in params}
        losses.append(float(np.mean(epoch_losses)))
    return params, losses
"""),
]
