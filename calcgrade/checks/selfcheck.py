"""Visible checks a student runs before submitting: the format of each answer (names, types,
shapes) and every requirement its task states in words (inputs it must accept, finite results and
no warning over a stated range, a legend, inputs left unchanged, a value the task itself fixes,
such as 0 where a derivative does not exist), never the answer's values.

They reveal nothing of the answers (no expected values are here, and no reference
implementation), and they fail with a one-line message naming the part, not a traceback, while an
answer is missing, has the wrong form or breaks a stated requirement. Each takes the notebook's
namespace (``globals()``) and the name to look up, so a missing name gets a message too. A test
cell's self-check ends with `summary`, which says what passing means: the format and the stated
requirements are checked, the answers are graded after the student submits.

Every check here passes on any answer the hidden tests accept (the inputs it uses are among, or
like, theirs, and its tolerances are looser), so a self-check in a graded cell never costs a
right answer its points.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from calcgrade.checks.errors import CheckFailed, describe_error, passed
from calcgrade.checks.numeric import as_float_array, call
from calcgrade.checks.symbolic import parse_expression, parse_vector

__all__ = ["CheckFailed", "SUMMARY", "defined", "elementwise", "expression", "figure",
           "float_result", "function", "leaves_inputs_alone", "number", "param_dict",
           "returns", "running", "shapes", "summary", "vector_expression", "vector_function",
           "zero_where_zero"]

SUMMARY = "format and stated requirements checked \u2014 answers are graded after you submit"


def summary(*parts: str) -> None:
    """The last line of a self-check that went through: what it did and did not check."""
    print(f"\u2713 {', '.join(parts)}: {SUMMARY}")


@contextlib.contextmanager
def running(part: str):
    """Run student code quietly: warnings and stderr are captured (nbgrader scores a test cell 0
    for any text on stderr, and noise next to a right answer must not cost points), and an
    exception becomes a one-line message naming the part instead of a traceback."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            yield
        except CheckFailed:
            raise
        except NotImplementedError:
            raise CheckFailed(part, "not written yet (something still raises "
                                    "NotImplementedError)") from None
        except NameError as exc:
            raise CheckFailed(part, f"{exc}: run the cells above first") from None
        except Exception as exc:
            raise CheckFailed(part, describe_error("your code", exc)) from None


def defined(namespace: Mapping, name: str):
    if name not in namespace:
        raise CheckFailed(name, f"`{name}` is not defined yet: write it in the answer cell above "
                                "(replacing `raise NotImplementedError()`) and run that cell")
    return namespace[name]


def _function(namespace: Mapping, name: str):
    fn = defined(namespace, name)
    if not callable(fn):
        raise CheckFailed(name, f"`{name}` should be a function, not {type(fn).__name__}")
    return fn


# -- how inputs are shown: as they were given (a list of ints is not an array of floats) --------
def shown(value) -> str:
    """A value as the student would write it, with its type where the type matters."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(int(value))
    if isinstance(value, list):
        kind = ("ints" if value and all(isinstance(v, int) for v in value)
                else "floats" if value and all(isinstance(v, float) for v in value) else "")
        text = "[" + ", ".join(shown(v) for v in value) + "]"
        return f"the list {text}" + (f" (of {kind})" if kind else "")
    if isinstance(value, np.ndarray):
        kind = "integer " if np.issubdtype(value.dtype, np.integer) else ""
        if value.size <= 6:
            return f"the {kind}array np.array({_nested(value.tolist())})"
        return f"a {kind}numpy array of shape {value.shape}"
    if isinstance(value, Mapping):
        return "a dict of arrays"
    if callable(value):
        return "a function"
    return type(value).__name__


def _nested(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return repr(value)


def _call(fn: Callable, args: Sequence, part: str, text: str, *, forbid_warnings: bool = False,
          stated: str = ""):
    """Call a student function (`numeric.call`: an exception becomes a plain sentence); with
    `forbid_warnings` a warning fails the part, naming the input and the stated requirement."""
    result, caught = call(fn, *args, part=part, what=text)  # an exception: a plain sentence
    if forbid_warnings and caught:
        raise CheckFailed(part, f"{text} raised a warning ({caught[0]}); the task asks for no "
                                f"warning{' ' + stated if stated else ''}")
    return result


def _single(result, part: str, text: str) -> float:
    got = as_float_array(result, part, f"the result of {text}")
    if got.size != 1:
        raise CheckFailed(part, f"{text} should be a single number, got shape {got.shape}")
    return float(got.reshape(()))


# -- the checks ---------------------------------------------------------------------------------
def function(namespace: Mapping, name: str, *example_args, shape: tuple | None = None,
             pair: bool = False, call_text: str | None = None) -> None:
    """`name` is a function; called on `example_args` it returns finite numbers of `shape`
    (with `pair`, a tuple whose first item has that shape, as `forward` returns `(y, cache)`);
    `call_text` names the call in messages (by default, with its arguments shown)."""
    fn = _function(namespace, name)
    if example_args or shape is not None:
        text = call_text or f"{name}({', '.join(shown(a) for a in example_args)})"
        result = _call(fn, example_args, name, text)
        if pair:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise CheckFailed(name, f"`{name}` should return a tuple of two items")
            result = result[0]
        as_float_array(result, name, f"the result of `{name}`", shape=shape)
    passed(name, "is a function" + (f" returning shape {shape}" if shape is not None else ""))


def elementwise(namespace: Mapping, name: str, points: Sequence[float], *,
                second: Sequence[float] | None = None, warning_free: bool = False,
                stated: str = "", also_shape: tuple | None = None, arg: str = "x") -> None:
    """`name` works on a float (a single number back) and elementwise on a numpy array (an array
    of the same shape, whose entries are the values at each float), with finite results; with
    `warning_free`, it emits no warning at any of `points` (`stated` says the range the task
    gives, e.g. "for |z| up to 1000"). With `second`, the function takes a second argument paired
    with each point (`bce_grad_logit(z, y)`); `also_shape` repeats the array call on the points
    reshaped to it (a 2-D array)."""
    fn = _function(namespace, name)
    xs = np.asarray(points, dtype=np.float64)
    ys = None if second is None else np.asarray(second, dtype=np.float64)
    singles = []
    for i, x in enumerate(xs):
        args: tuple = (float(x),) if ys is None else (float(x), float(ys[i]))
        text = f"{name}({', '.join(repr(a) for a in args)})"
        result = _call(fn, args, name, text, forbid_warnings=warning_free, stated=stated)
        singles.append(_single(result, name, text))
    shapes = [xs.shape] + ([tuple(also_shape)] if also_shape is not None else [])
    for shape in shapes:
        given: tuple = ((xs.reshape(shape).copy(),) if ys is None
                        else (xs.reshape(shape).copy(), ys.reshape(shape).copy()))
        text = f"{name} on a numpy array of shape {shape}"
        result = _call(fn, given, name, text, forbid_warnings=warning_free, stated=stated)
        got = as_float_array(result, name, f"the result of {text}", shape=shape)
        want = np.asarray(singles).reshape(shape)
        if not np.all(np.abs(got - want) <= 1e-9 + 1e-6 * np.abs(want)):
            raise CheckFailed(name, f"{text} gives other values than on each float alone: it "
                                    f"should work elementwise (each entry the value at that {arg})")
    what = "works on a float and elementwise on a numpy array, with finite results"
    if warning_free:
        what += f" and no warning{' ' + stated if stated else ''}"
    passed(name, what)


def vector_function(namespace: Mapping, name: str, inputs: Sequence, *,
                    warning_free: bool = False, stated: str = "") -> None:
    """`name(x)` accepts each of `inputs` as given (lists, integer arrays, arrays of any length n
    the task allows) and returns n finite numbers, shape (n,) (warning-free with
    `warning_free`)."""
    fn = _function(namespace, name)
    for x in inputs:
        text = f"{name}({shown(x)})"
        given = copy.deepcopy(x)
        result = _call(fn, (given,), name, text, forbid_warnings=warning_free, stated=stated)
        as_float_array(result, name, f"the result of {text}", shape=(len(x),))
    kinds = sorted({"lists" if isinstance(x, list) else
                    "integer arrays" if np.issubdtype(np.asarray(x).dtype, np.integer)
                    else "float arrays" for x in inputs})
    lengths = sorted({len(x) for x in inputs})
    length = f"length{'s' if len(lengths) > 1 else ''} {', '.join(map(str, lengths))}"
    passed(name, f"accepts {', '.join(kinds)} (of {length}) and "
                 "returns one finite number per entry"
                 + (f", with no warning{' ' + stated if stated else ''}" if warning_free else ""))


def float_result(namespace: Mapping, name: str, x) -> None:
    """`name(x)` on integer input returns floats, not integers (an integer array truncates the
    values a gradient has at such a point: use it only at points where they are not whole)."""
    fn = _function(namespace, name)
    text = f"{name}({shown(x)})"
    result = _call(fn, (copy.deepcopy(x),), name, text)
    try:
        dtype = np.asarray(result).dtype
    except Exception:
        dtype = np.dtype(object)
    if np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.bool_):
        raise CheckFailed(name, f"{text} returned an array of integers, which cuts off the "
                                "fractional part of each value: make the result a float array "
                                "(the task says integer input is allowed)")
    passed(name, f"returns floats on {shown(x)}")


def zero_where_zero(namespace: Mapping, name: str, x, *, stated: str) -> None:
    """`name(x)` is 0 wherever `x` is 0: the value the task fixes where the derivative does not
    exist (a subgradient); `stated` repeats the task's words."""
    fn = _function(namespace, name)
    text = f"{name}({shown(x)})"
    result = _call(fn, (copy.deepcopy(x),), name, text)
    zeros = np.asarray(x, dtype=np.float64) == 0
    got = as_float_array(result, name, f"the result of {text}")
    if got.size != zeros.size:
        wanted = "a single number" if zeros.ndim == 0 else f"shape {zeros.shape}"
        raise CheckFailed(name, f"the result of {text} has shape {got.shape}, expected {wanted}")
    got = got.reshape(zeros.shape)
    if np.any(got[zeros] != 0):
        raise CheckFailed(name, f"{text} is not 0 where the input is 0; {stated}")
    passed(name, f"is 0 where its input is 0 ({stated})")


def shapes(namespace: Mapping, name: str, cases: Sequence[tuple[tuple, tuple]],
           arg_names: Sequence[str]) -> None:
    """`name(*args)` returns finite numbers of the given shape for each `(args, shape)` case
    (inputs of several sizes, where the task says "any shape" or "any m, n"); the inputs are
    named in messages by `arg_names` and their shapes, or their values for numbers."""
    fn = _function(namespace, name)
    for args, shape in cases:
        described = [f"{label} of shape {np.shape(a)}" if isinstance(a, np.ndarray) else shown(a)
                     for label, a in zip(arg_names, args)]
        text = f"{name}({', '.join(described)})"
        result = _call(fn, tuple(copy.deepcopy(a) for a in args), name, text)
        as_float_array(result, name, f"the result of {text}", shape=shape)
    passed(name, f"returns finite numbers of the right shape on each of {len(cases)} inputs")


def returns(namespace: Mapping, name: str, args: Sequence, items: Sequence[tuple[str, Any]], *,
            call_text: str | None = None) -> tuple:
    """`name(*args)` returns a tuple of len(items) items, each `(label, shape)` with shape a
    tuple (an array of that shape), None (a single number), or a Mapping of arrays (a dict with
    those keys and shapes); returns the result for further checks."""
    fn = _function(namespace, name)
    text = call_text or f"{name}({', '.join(shown(a) for a in args)})"
    result = _call(fn, tuple(args), name, text)
    labels = ", ".join(label for label, _ in items)
    if not (isinstance(result, (tuple, list)) and len(result) == len(items)):
        raise CheckFailed(name, f"{text} should return a tuple ({labels})")
    for (label, shape), value in zip(items, result):
        if isinstance(shape, Mapping):
            from calcgrade.checks.gradients import as_param_dict

            as_param_dict(value, shape, name, f"{label} from {text}")
        elif shape is None:
            _single(value, name, f"{label} from {text}")
        else:
            as_float_array(value, name, f"{label} from {text}", shape=shape)
    passed(name, f"returns ({labels}) of the right kinds and shapes")
    return tuple(result)


def leaves_inputs_alone(namespace: Mapping, name: str, args: Sequence, inputs: Mapping[int, str],
                        *, call_text: str | None = None, hint: str = "",
                        like: Mapping[str, np.ndarray] | None = None):
    """`name(*args)` leaves the arguments at the positions in `inputs` (position -> the name the
    task gives it) as they were: a dict of arrays or an array, compared entry by entry. Restoring
    a perturbed entry by arithmetic (+h, -2h, +h) leaves rounding of an ulp or two, which is no
    change (`RESTORE_ULPS`, as the grader allows). With `like`, the result must be a dict with its
    keys and shapes (`param_dict`). Returns the result."""
    from calcgrade.checks.gradients import RESTORE_ULPS, params_unchanged

    fn = _function(namespace, name)
    given = [copy.deepcopy(a) for a in args]
    before = {i: _as_params(copy.deepcopy(args[i])) for i in inputs}
    text = call_text or f"{name}({', '.join(shown(a) for a in args)})"
    result = _call(fn, given, name, text)
    for i, label in inputs.items():
        after = _as_params(given[i])
        if not params_unchanged(before[i], after, ulps=RESTORE_ULPS):
            keys = [k for k in before[i] if not params_unchanged({k: before[i][k]}, after,
                                                                 ulps=RESTORE_ULPS)]
            where = (f" ({label}[{keys[0]!r}] differs)"
                     if isinstance(args[i], Mapping) and keys else "")
            raise CheckFailed(name, f"{name} changed the {label} it was given{where}; the task "
                                    f"asks to leave it as it was" + (f": {hint}" if hint else ""))
    passed(name, f"leaves its {' and '.join(inputs.values())} unchanged")
    if like is not None:
        param_dict(result, like, name)
    return result


def _as_params(value) -> dict:
    if isinstance(value, Mapping):
        return {k: np.array(v, dtype=np.float64, copy=True) for k, v in value.items()}
    return {"": np.array(value, dtype=np.float64, copy=True)}


def number(namespace: Mapping, name: str) -> None:
    value = defined(namespace, name)
    as_float_array(value, name, f"`{name}`", shape=())
    passed(name, "is a real number")


def expression(namespace: Mapping, name: str, symbols: Sequence[str]) -> None:
    parse_expression(defined(namespace, name), symbols, name, f"`{name}`")
    passed(name, f"is an expression in {', '.join(symbols)}")


def vector_expression(namespace: Mapping, name: str, length: int, symbols: Sequence[str]) -> None:
    parse_vector(defined(namespace, name), length, symbols, name, f"`{name}`")
    passed(name, f"is a sequence of {length} expressions in {', '.join(symbols)}")


def figure(namespace: Mapping, name: str, *, legend: bool = False,
           covering: float | None = None) -> None:
    """`name` is a matplotlib Figure (or its summary, in the grader) with an axes drawing at least
    two lines; with `covering`, two of them drawn over an interval containing x = `covering`;
    with `legend`, a legend (of that axes or of the figure) naming at least two lines."""
    from matplotlib.figure import Figure

    from calcgrade.checks.plots import FigureSummary, summarize_figure

    fig = defined(namespace, name)
    if isinstance(fig, Figure):
        fig = summarize_figure(fig)
    if not isinstance(fig, FigureSummary):
        raise CheckFailed(name, f"`{name}` should be a matplotlib Figure, not {type(fig).__name__}")
    lines = sum(len(ax.lines) for ax in fig.axes)
    if lines < 2:
        raise CheckFailed(name, f"`{name}` should draw at least two lines; it has {lines}")

    def over(line) -> bool:
        x = np.asarray(line[0], dtype=np.float64)
        x = x[np.isfinite(x)]
        return covering is None or bool(x.size and x.min() <= covering <= x.max())

    axes = [ax for ax in fig.axes if sum(over(line) for line in ax.lines) >= 2]
    if not axes:
        where = f" over an interval containing x = {covering:g}" if covering is not None else ""
        raise CheckFailed(name, f"`{name}` should show both lines in one axes{where}; no axes "
                                "of it does")
    if legend:
        named = max(len(ax.labels) + len(fig.labels) for ax in axes)
        if named < 2:
            raise CheckFailed(name, f"`{name}` needs a legend naming both lines: give each line "
                                    "a label (label=...) and call ax.legend(); its legend names "
                                    f"{named} line{'' if named == 1 else 's'}")
    passed(name, f"is a Figure with {lines} lines"
           + (f", two of them drawn around x = {covering:g}" if covering is not None else "")
           + (", and a legend naming them" if legend else ""))


def param_dict(value, like: Mapping[str, np.ndarray], name: str) -> None:
    """`value` is a dict with the keys and shapes of `like` (a gradient, new parameters)."""
    from calcgrade.checks.gradients import as_param_dict

    as_param_dict(value, like, name, f"the result of `{name}`")
    passed(name, "returns a dict with the right keys and shapes")
