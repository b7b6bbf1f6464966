"""Numeric answers: student values and functions compared with a reference at fresh random points.

Student results are converted to plain float arrays before any comparison, so nothing the student
returns gets to decide equality (no ``==`` of theirs is ever called). Complex numbers, NaN and
wrong shapes are refused with a message that says so. Warnings and stderr raised while the
student's function runs are captured here, because nbgrader scores a test cell 0 for any text
on stderr: noise next to a right answer must not cost points.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import operator
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable, Sequence

import numpy as np

from calcgrade.checks.errors import CheckFailed, passed
from calcgrade.grading import seeds


def call(fn, *args, part: str, what: str, **kwargs):
    """Call a student function; its exceptions become a message, its warnings are returned."""
    if not callable(fn):
        raise CheckFailed(part, f"{what} should be a function, not {type(fn).__name__}")
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except CheckFailed:
            raise
        except NotImplementedError:
            raise CheckFailed(part, f"{what} is not written yet "
                                    "(it raises NotImplementedError)") from None
        except Exception as exc:  # the student's error is the verdict, reported in their terms
            raise CheckFailed(part, f"{what} raised {type(exc).__name__}: {exc}") from None
    return result, [str(w.message) for w in caught]


def expected(reference: Callable, *args) -> np.ndarray:
    """The reference's value as a float array; its own warnings never reach the cell's stderr."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.asarray(reference(*args), dtype=np.float64)


def _number(value) -> complex:
    """One entry of an array of objects as a number: a number of any type (the `numbers` ABCs:
    int, float, bool, Fraction, numpy and sympy numbers; Decimal), an integer by `__index__`, or a
    sympy constant expression (pi, sqrt(2)); anything else (a string, an object that only has
    `__float__`) raises TypeError."""
    import sympy as sp

    # a subclass of a built-in number type is read as the value it stores, not through methods
    # it may override (an object of the student's when the checker runs in their kernel)
    if isinstance(value, (str, bytes)):
        raise TypeError("a string is not a number")
    if isinstance(value, bool):
        return complex(bool(value))
    if isinstance(value, int):
        return complex(int.__index__(value))
    if isinstance(value, float):
        return complex(float.__float__(value))
    if isinstance(value, complex):
        return complex(complex.real.__get__(value), complex.imag.__get__(value))
    if isinstance(value, Fraction):
        return complex(int.__index__(Fraction.numerator.__get__(value))
                       / int.__index__(Fraction.denominator.__get__(value)))
    if isinstance(value, Decimal):
        return complex(Decimal.__float__(value))
    if isinstance(value, numbers.Number):
        # typeshed's Number declares no methods; complex() raises TypeError for one it cannot read
        return complex(value)  # type: ignore[call-overload]
    if isinstance(value, sp.Basic):
        if not value.is_number:
            raise TypeError("an expression with symbols is not a number")
        return complex(value)
    if hasattr(type(value), "__index__"):
        return complex(operator.index(value))
    raise TypeError(f"{type(value).__name__} is not a number")


def as_float_array(value, part: str, what: str, shape: tuple | None = None) -> np.ndarray:
    """`value` as a float64 array, refusing what is not a real, finite number array."""
    try:
        array = np.asarray(value)
    except Exception:
        raise CheckFailed(part, f"{what} is not a number or an array of numbers") from None
    if array.dtype == object:
        try:
            array = np.array([_number(v) for v in array.ravel()],
                             dtype=np.complex128).reshape(array.shape)
        except Exception:
            raise CheckFailed(part, f"{what} contains something that is not a number") from None
    if np.iscomplexobj(array):
        if np.any(np.imag(array) != 0):
            raise CheckFailed(part, f"{what} contains complex numbers; a real result is expected")
        array = np.real(array)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise CheckFailed(part, f"{what} is not a number or an array of numbers "
                                f"(got {type(value).__name__})")
    array = array.astype(np.float64)
    if shape is not None and array.shape != tuple(shape):
        raise CheckFailed(part, f"{what} has shape {array.shape}, expected shape {tuple(shape)}")
    if not np.all(np.isfinite(array)):
        raise CheckFailed(part, f"{what} contains NaN or infinite values")
    return array


def _refuse_warnings(forbid: bool, caught: list[str], part: str, what: str) -> None:
    if forbid and caught:
        raise CheckFailed(part, f"{what} raised a warning ({caught[0]}); it should not")


def close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def check_value(answer, expected: float | Sequence[float], part: str, *, what: str | None = None,
                rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """A number (or array) the student computed, against the expected one."""
    what = what or f"`{part}`"
    want = np.asarray(expected, dtype=np.float64)
    got = as_float_array(answer, part, what, shape=want.shape)
    if not close(got, want, rtol, atol):
        raise CheckFailed(part, f"{what} has the wrong value")
    passed(part, f"{what} is correct")


def random_points(intervals: Sequence[tuple[float, float]], count: int,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """`count` fresh points drawn uniformly from randomly chosen intervals."""
    rng = rng or seeds.rng()
    choice = rng.integers(len(intervals), size=count)
    low = np.array([intervals[i][0] for i in choice])
    high = np.array([intervals[i][1] for i in choice])
    return rng.uniform(low, high)


def check_function(fn: Callable, reference: Callable, points: Iterable, part: str, *,
                   what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12,
                   vectorized: bool = True, arg_name: str = "x",
                   forbid_warnings: bool = False) -> None:
    """A scalar function of one variable: called on each point as a float, then on all at once.

    `vectorized` asks that the function also accept a numpy array and return the array of values;
    `forbid_warnings` fails a function that warns (an overflow in a naive sigmoid, say).
    """
    what = what or f"`{part}`"
    points = np.asarray(list(points), dtype=np.float64)
    for x in points:
        result, caught = call(fn, float(x), part=part, what=what)
        _refuse_warnings(forbid_warnings, caught, part, f"{what}({arg_name}={x:.4g})")
        got = as_float_array(result, part, f"{what}({arg_name}={x:.4g})")
        if got.size != 1:
            raise CheckFailed(part, f"{what}({arg_name}={x:.4g}) should be a single number, "
                                    f"got shape {got.shape}")
        if not close(got.reshape(()), expected(reference, x), rtol, atol):
            raise CheckFailed(part, f"{what}({arg_name}={x:.4g}) has the wrong value")
    if vectorized:
        result, caught = call(fn, points.copy(), part=part, what=f"{what} on a numpy array")
        _refuse_warnings(forbid_warnings, caught, part, f"{what} on a numpy array")
        got = as_float_array(result, part, f"{what} on a numpy array of shape {points.shape}",
                             shape=points.shape)
        if not close(got, expected(reference, points), rtol, atol):
            raise CheckFailed(part, f"{what} gives wrong values when called on a numpy array "
                                    "(does it work elementwise?)")
    passed(part, f"{what} gives the right values")


def _show(arg) -> str:
    if callable(arg):
        return getattr(arg, "__name__", "a function")
    return np.array2string(np.asarray(arg, dtype=float), precision=3, separator=", ")


def check_cases(fn: Callable, reference: Callable, cases: Iterable[tuple], part: str, *,
                what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """A function of several arguments, called on each tuple of `cases`, against `reference`.

    The result must have the reference's shape; a scalar reference accepts any single number.
    """
    what = what or f"`{part}`"
    for args in cases:
        want = expected(reference, *args)
        shown = f"{what}({', '.join(_show(a) for a in args)})"
        given = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
        result, _ = call(fn, *given, part=part, what=shown)
        got = as_float_array(result, part, shown)
        if want.ndim == 0 and got.size == 1:
            got = got.reshape(())
        if got.shape != want.shape:
            wanted = "a single number" if want.ndim == 0 else f"shape {want.shape}"
            raise CheckFailed(part, f"{shown} has shape {got.shape}, expected {wanted}")
        if not close(got, want, rtol, atol):
            raise CheckFailed(part, f"{shown} has the wrong value")
    passed(part, f"{what} gives the right values")


def check_vector_function(fn: Callable, reference: Callable, inputs: Iterable, part: str, *,
                          what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12,
                          components: Sequence[str] | None = None,
                          forbid_warnings: bool = False) -> None:
    """A function of one vector argument whose result must match `reference` in shape and values.

    Each input is passed as given (a list of ints stays a list of ints); the message names the
    input and the wrong components, never the expected values.
    """
    what = what or f"`{part}`"
    for x in inputs:
        shown = _show(x)
        want = expected(reference, np.asarray(x, dtype=np.float64))
        result, caught = call(fn, x, part=part, what=f"{what}({shown})")
        _refuse_warnings(forbid_warnings, caught, part, f"{what}({shown})")
        got = as_float_array(result, part, f"{what}({shown})", shape=want.shape)
        bad = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
        if np.any(bad):
            idx = [int(i) for i in np.flatnonzero(bad)]
            names = [components[i] if components and i < len(components) else f"component {i + 1}"
                     for i in idx[:5]]
            raise CheckFailed(part, f"{what}({shown}) is wrong in {', '.join(names)}")
    passed(part, f"{what} gives the right values")
