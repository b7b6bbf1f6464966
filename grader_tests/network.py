"""The backprop notebook's 2-3-2-1 sigmoid network, as its hidden tests build it, for the tests of
the gradient checkers: right, and with the typical mistakes as switches."""

from __future__ import annotations

import numpy as np

SHAPES = {"W1": (3, 2), "b1": (3,), "W2": (2, 3), "b2": (2,), "W3": (1, 2), "b3": (1,)}


def sigmoid(z):
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))


def forward(p, x):
    """(y, every layer's activations, the input first)."""
    acts = [np.asarray(x, dtype=float)]
    for k in "123":
        acts.append(sigmoid(p["W" + k] @ acts[-1] + p["b" + k]))
    return acts[-1], acts


def loss(p, x, t):
    """½‖y − t‖² of the network with params `p` at input `x`."""
    return 0.5 * float(np.sum((forward(p, x)[0] - t) ** 2))


def backward(p, acts, t, *, output_prime=True, hidden_prime=True, sign=1.0, transpose=False):
    """The gradient of `loss` from the activations of `forward`; each switch is a typical
    mistake: no σ′ at the output or in the hidden layers, the output error's sign flipped, the
    weight gradients transposed."""
    grads, delta = {}, sign * (acts[3] - t) * (acts[3] * (1 - acts[3]) if output_prime else 1.0)
    for k in (3, 2, 1):
        grads[f"W{k}"] = np.outer(acts[k - 1], delta) if transpose else np.outer(delta, acts[k - 1])
        grads[f"b{k}"] = delta
        if k > 1:
            factor = acts[k - 1] * (1 - acts[k - 1]) if hidden_prime else 1.0
            delta = (p[f"W{k}"].T @ delta) * factor
    return grads


def gradient(p, x, t, **mistakes):
    """`backward` at input `x`, as a function of (params, x, target)."""
    return backward(p, forward(p, x)[1], t, **mistakes)
