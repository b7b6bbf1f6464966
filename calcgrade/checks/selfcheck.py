"""Visible checks a student runs before submitting: names exist, types, shapes.

They reveal nothing of the answers (no expected values are here), and they fail with a message,
not a traceback, while an answer is missing or has the wrong form. Each takes the notebook's
namespace (``globals()``) and the name to look up, so a missing name gets a message too.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Mapping, Sequence

import numpy as np

from calcgrade.checks.errors import CheckFailed, passed
from calcgrade.checks.numeric import as_float_array, call
from calcgrade.checks.symbolic import parse_expression, parse_vector


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
            raise CheckFailed(part, f"your code raised {type(exc).__name__}: {exc}") from None


def defined(namespace: Mapping, name: str):
    if name not in namespace:
        raise CheckFailed(name, f"`{name}` is not defined yet: write it in the answer cell above "
                                "(replacing `raise NotImplementedError()`) and run that cell")
    return namespace[name]


def function(namespace: Mapping, name: str, *example_args, shape: tuple | None = None,
             pair: bool = False) -> None:
    """`name` is a function; called on `example_args` it returns finite numbers of `shape`
    (with `pair`, a tuple whose first item has that shape, as `forward` returns `(y, cache)`)."""
    fn = defined(namespace, name)
    if not callable(fn):
        raise CheckFailed(name, f"`{name}` should be a function, not {type(fn).__name__}")
    if example_args or shape is not None:
        result, _ = call(fn, *example_args, part=name, what=f"`{name}`")
        if pair:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise CheckFailed(name, f"`{name}` should return a tuple of two items")
            result = result[0]
        as_float_array(result, name, f"the result of `{name}`", shape=shape)
    passed(name, "is a function" + (f" returning shape {shape}" if shape is not None else ""))


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


def figure(namespace: Mapping, name: str) -> None:
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
    passed(name, f"is a Figure with {lines} lines")


def param_dict(value, like: Mapping[str, np.ndarray], name: str) -> None:
    """`value` is a dict with the keys and shapes of `like` (a gradient, new parameters)."""
    from calcgrade.checks.gradients import as_param_dict

    as_param_dict(value, like, name, f"the result of `{name}`")
    passed(name, "returns a dict with the right keys and shapes")
