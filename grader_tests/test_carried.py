"""Error carried forward (issue 14, `calcgrade.checks.carried`): a later part right for the
student's own earlier answer keeps its points and says where the error came from; a later part
wrong for that answer too still fails and says so; nothing is carried forward from a degenerate
earlier answer or to a do-nothing outcome; with `carry=False` (the positive control) the same
later part fails.

Fast, in-process: the mechanism with small stand-in checks and the gradient pieces it uses
(`own_loss`, `own_trajectory`). The corpus's credited parts (a case's `says=` for a cell it
keeps) are read in test_messages.py, in-process, and through both graders by the corpus test.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import calcgrade as cg
from calcgrade.checks import carried
from grader_tests import network
from grader_tests.network import SHAPES
from grader_tests.network import forward as _forward

CheckFailed = cg.CheckFailed
POINTS = np.linspace(0.3, 2.5, 12)


def ref_df(x):
    return 3 * x ** 2 + 1 / x ** 2


def wrong_df(x):  # the sign slip
    return 3 * x ** 2 - 1 / x ** 2


def slope_cell(slope, df, carry: bool = True) -> str:
    """The tangent notebook's slope cell in small: what it prints (it raises when it fails)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cg.check_carried(
            lambda: cg.check_value(slope, 4.0, part="slope"), part="slope", carry=carry,
            carried_from={"df": (lambda: cg.check_function(df, ref_df, POINTS, part="df"),
                                 lambda: [df(float(x)) for x in POINTS])},
            carried=lambda: cg.check_value(slope, cg.carried.number(df, 1.0), part="slope"))
    return out.getvalue()


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as failed:
        fn(*args, **kwargs)
    return failed.value.message


# ------------------------------------------------------------------------------ the mechanism

def test_a_later_part_right_for_the_wrong_earlier_answer_keeps_its_points_and_says_why():
    printed = slope_cell(wrong_df(1.0), wrong_df)
    assert "`slope` is right for your `df`, which fails its own check" in printed
    assert "carried forward" in printed
    assert "✓ df" not in printed  # the earlier check ran quietly


def test_positive_control_without_carry_the_same_later_part_fails():
    message = _message(slope_cell, wrong_df(1.0), wrong_df, carry=False)
    assert message == "`slope` has the wrong value"


def test_a_right_later_part_passes_as_before_whatever_the_earlier_answer():
    for df in (ref_df, wrong_df, lambda x: 0 * x):
        printed = slope_cell(4.0, df)
        assert printed.strip() == "✓ slope: `slope` is correct"


def test_a_later_part_wrong_for_both_still_fails_and_says_it_is_wrong_on_its_own():
    message = _message(slope_cell, 7.5, wrong_df)
    assert message.startswith("`slope` has the wrong value; ")
    assert "not right for your own `df` either (which fails its own check)" in message
    assert "look at `slope` too" in message


def test_with_a_right_earlier_answer_the_message_is_the_parts_own():
    assert _message(slope_cell, 2.0, ref_df) == "`slope` has the wrong value"


@pytest.mark.parametrize("df, slope, reason", [
    (lambda x: 0 * x, 0.0, "gives only zeros"),
    (lambda x: 2.0 + 0 * x, 2.0, "gives the same result whatever its inputs"),
    (lambda x: np.nan * x, 0.0, "gives NaN or infinite values"),
    (lambda x: [][0], 0.0, "raises an error"),
    (lambda x: "steep", 0.0, "not numbers"),
])
def test_nothing_is_carried_forward_from_a_degenerate_earlier_answer(df, slope, reason):
    message = _message(slope_cell, slope, df)
    assert "nothing is carried forward from your `df`: it fails its own check and " in message
    assert reason in message


def test_degenerate_names_each_kind_and_passes_an_honest_wrong_answer():
    assert carried.degenerate(lambda: [wrong_df(x) for x in POINTS]) is None
    assert carried.degenerate(lambda: [{"W": np.zeros((2, 2)), "b": np.zeros(2)}] * 3) \
        == "gives only zeros"
    assert carried.degenerate(lambda: [{"W": np.ones((2, 2))}, {"W": np.ones((2, 2))}]) \
        == "gives the same result whatever its inputs"
    assert carried.degenerate(lambda: [np.array([1.0]), np.array([2.0])]) is None
    assert carried.degenerate(lambda: [5.0]) is None  # one input: "constant" says nothing


def test_a_trivial_outcome_is_not_carried_forward():
    message = _message(
        cg.check_carried, lambda: cg.check_value(1.0, 2.0, part="p"), part="p",
        carried_from={"e": (lambda: cg.check_value(0.5, 1.0, part="e"), None)},
        carried=lambda: None, trivial=lambda: "nothing moves")
    assert message == ("`p` has the wrong value (nothing is carried forward from your `e`, "
                       "which fails its own check: with it, nothing moves)")


def test_a_carried_reference_that_cannot_be_worked_out_carries_nothing():
    def broken():
        raise ValueError("shapes")

    message = _message(
        cg.check_carried, lambda: cg.check_value(1.0, 2.0, part="p"), part="p",
        carried_from={"e": lambda: cg.check_value(0.5, 1.0, part="e")}, carried=broken)
    assert "nothing is carried forward from your `e`" in message
    assert "cannot be checked with it" in message


def test_an_error_of_the_cell_itself_is_not_turned_into_a_verdict():
    def missing():
        raise NameError("name 'slope' is not defined")

    with pytest.raises(NameError):
        cg.check_carried(missing, part="slope", carried_from={}, carried=lambda: None)


def test_nothing_reaches_stderr(capsys):
    import warnings

    def noisy_df(x):
        warnings.warn("noise")
        print("debugging", file=__import__("sys").stderr)
        return wrong_df(x)

    slope_cell(wrong_df(1.0), noisy_df)
    assert capsys.readouterr().err == ""


def test_fails_its_own_check_reports_the_earlier_message_quietly(capsys):
    assert cg.fails_its_own_check(lambda: cg.check_value(4.0, 4.0, part="slope")) is None
    assert cg.fails_its_own_check(lambda: cg.check_value(2.0, 4.0, part="slope")) \
        == "`slope` has the wrong value"
    assert cg.fails_its_own_check(lambda: undefined_name) == (  # noqa: F821
        "NameError: name 'undefined_name' is not defined")
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------- the gradient pieces

def linear_output_forward(params, x):
    a = [np.asarray(x, dtype=float)]
    for k in "12":
        a.append(network.sigmoid(params["W" + k] @ a[-1] + params["b" + k]))
    a.append(params["W3"] @ a[-1] + params["b3"])
    return a[-1], a


def backward_for(output_prime: bool):
    return lambda params, a, target: network.backward(params, a, target,
                                                      output_prime=output_prime)


def test_backward_is_checked_against_the_students_own_forward_when_carried():
    rng = np.random.default_rng(3)
    sets = [cg.random_params(SHAPES, rng, scale=0.5) for _ in range(2)]
    cases = [(rng.normal(size=2), rng.uniform(size=1))]
    consistent = backward_for(output_prime=False)  # right for a linear output layer
    cg.check_backward(linear_output_forward, consistent, sets, cases, part="backward",
                      reference_loss=cg.gradients.own_loss(linear_output_forward))
    with pytest.raises(CheckFailed):  # the control: against the true network it is wrong
        cg.check_backward(linear_output_forward, consistent, sets, cases, part="backward",
                          reference_loss=network.loss)
    with pytest.raises(CheckFailed):  # and the true backward is wrong for that forward
        cg.check_backward(linear_output_forward, backward_for(output_prime=True), sets, cases,
                          part="backward",
                          reference_loss=cg.gradients.own_loss(linear_output_forward))


def _loss(y, t):
    return 0.5 * float(np.sum((y - t) ** 2))


def _step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def _train_with(backward, step=_step):
    def train(params, X, T, lr, epochs):
        losses = []
        for _ in range(epochs):
            epoch = []
            for x, t in zip(X, T):
                y, cache = _forward(params, x)
                epoch.append(_loss(y, t))
                params = step(params, backward(params, cache, t), lr)
            losses.append(float(np.mean(epoch)))
        return params, losses
    return train


X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([[0.1], [0.9], [0.9], [0.1]])


def train_cell(train, backward, step=_step, carry: bool = True) -> str:
    """The backprop notebook's train cell in small, carried forward from backward and sgd_step."""
    rng = np.random.default_rng(5)
    p0 = cg.random_params(SHAPES, rng, scale=0.5)
    sets = [cg.random_params(SHAPES, rng, scale=0.5) for _ in range(2)]
    own = cg.gradients.own_trajectory(_forward, _loss, backward, step)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cg.check_carried(
            lambda: cg.check_train(train, p0, X, T, 0.5, 2, part="train",
                                   reference_loss=network.loss),
            part="train", carry=carry,
            carried_from={
                "backward": (lambda: cg.check_backward(_forward, backward, sets, list(zip(X, T)),
                                                       part="backward",
                                                       reference_loss=network.loss),
                             lambda: [backward(p, _forward(p, x)[1], t) for p in sets
                                      for x, t in zip(X, T)]),
                "sgd_step": (lambda: cg.check_sgd_step(step, SHAPES, part="sgd_step"),
                             lambda: [step(p, g, 0.1) for p, g in zip(sets, sets[::-1])])},
            carried=lambda: cg.check_train(train, p0, X, T, 0.5, 2, part="train",
                                           reference_loss=network.loss, trajectory=own),
            trivial=lambda: ("the params never move"
                             if cg.gradients.params_unchanged(p0, own(p0, X, T, 0.5, 2)[0])
                             else None))
    return out.getvalue()


def test_train_right_for_a_wrong_backward_is_credited_and_fails_without_carry():
    wrong = backward_for(output_prime=False)
    printed = train_cell(_train_with(wrong), wrong)
    assert "`train` is right for your `backward`, which fails its own check" in printed
    message = _message(train_cell, _train_with(wrong), wrong, carry=False)
    assert "differ from per-sample SGD" in message and "your" not in message


def test_a_right_train_passes_whatever_backward_is():
    right = backward_for(output_prime=True)
    for backward in (right, backward_for(output_prime=False)):
        assert "right for your" not in train_cell(_train_with(right), backward)


def test_train_wrong_for_its_own_backward_too_still_fails():
    wrong = backward_for(output_prime=False)
    ascent = _train_with(wrong, step=lambda p, g, lr: _step(p, g, -lr))
    message = _message(train_cell, ascent, wrong)
    assert "not right for your own `backward` either" in message


def test_nothing_is_carried_forward_from_a_zero_backward_or_a_standing_sgd_step():
    def zeros(params, cache, target):
        return {k: np.zeros_like(v) for k, v in params.items()}

    message = _message(train_cell, _train_with(zeros), zeros)
    assert "nothing is carried forward from your `backward`" in message
    assert "gives only zeros" in message

    def stands(params, grads, lr):
        return dict(params)

    right = backward_for(output_prime=True)
    message = _message(train_cell, _train_with(right, step=stands), right, step=stands)
    assert "nothing is carried forward from your `sgd_step`" in message
    assert "the params never move" in message


# ------------------------------------------------------------------ selfcheck.running

def test_selfcheck_running_tells_numpy_errors_in_plain_words():
    from calcgrade import selfcheck

    with pytest.raises(CheckFailed) as failed:
        with selfcheck.running("backward"):
            np.ones(3) + np.ones(2)
    message = failed.value.message
    assert "shapes (3,) and (2,)" in message and "entry by entry" in message
    assert "broadcast" not in message and "ValueError" not in message
    with pytest.raises(CheckFailed) as failed:
        with selfcheck.running("backward"):
            {}["W1"]
    assert failed.value.message == "your code raised KeyError: 'W1'"
