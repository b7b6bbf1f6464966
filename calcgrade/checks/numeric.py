"""Numeric answers: student values and functions compared with a reference at fresh random points.

Student results are converted to plain float arrays before any comparison, so nothing the student
returns gets to decide equality (no ``==`` of theirs is ever called). Complex numbers, NaN and
wrong shapes are refused with a message that says so. Warnings and stderr raised while the
student's function runs are captured here, because nbgrader scores a test cell 0 for any text
on stderr: noise next to a right answer must not cost points.

A failing message names the call as the student would write it, with the inputs as they were
given (`grad_f([1, 2])`, `np.array([1, 2])`: `show`), and the wrong components by name and index.
A hidden test can pass known wrong forms (`mistakes=`: a message and the wrong function): a
student whose answer agrees with one on every input is told its message, what to look at. Hints
are only looked for once an answer has failed, so they never change a verdict.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import operator
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence, cast

import numpy as np

from calcgrade.checks.errors import CheckFailed, describe_error, passed
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
            raise CheckFailed(part, describe_error(what, exc)) from None
    return result, [str(w.message) for w in caught]


def quietly(fn, *args):
    """`fn(*args)` as a float array, or None where it fails: only to recognise a known mistake
    after a check has already failed, never to pass or fail anything."""
    try:
        result, _ = call(fn, *[np.copy(a) if isinstance(a, np.ndarray) else a for a in args],
                         part="", what="")
        return as_float_array(result, "", "")
    except CheckFailed:
        return None


# A known mistake, as a hidden test cell passes it: (message, the wrong answer), the wrong answer
# being a function with the reference's signature (a number, for check_value). A student whose
# answer agrees with the wrong one everywhere it is checked is told the message: what to look at.
Mistakes = Mapping[str, object] | Sequence[tuple[str, object]]


def mistake_pairs(mistakes: Mistakes | None) -> list[tuple[str, object]]:
    if not mistakes:
        return []
    return list(mistakes.items()) if isinstance(mistakes, Mapping) else list(mistakes)


def agrees(got: np.ndarray | None, want: np.ndarray, rtol: float = 1e-7,
           atol: float = 1e-10) -> bool:
    """`got` is `want` (same number of entries, within tolerance): a known mistake recognised."""
    if got is None or got.size != want.size or not np.all(np.isfinite(want)):
        return False
    return close(got.reshape(want.shape), want, rtol, atol)


def known_mistake(fn: Callable, mistakes: Mistakes | None, calls: Sequence[tuple]) -> str | None:
    """The message of the first known mistake `fn` agrees with on every argument tuple of
    `calls` (each wrong answer is a function of the same arguments), or None."""
    def same(args, wrong) -> bool:
        want = expected(cast(Callable, wrong), *args)
        got = quietly(fn, *args)
        # where the wrong answer is not finite (it divides by 0 there), so is the student's
        return got is None if not np.all(np.isfinite(want)) else agrees(got, want)

    for message, wrong in mistake_pairs(mistakes):
        if all(same(args, wrong) for args in calls):
            return message
    return None


def integer_hint(result, want: np.ndarray) -> str:
    """A note for a result held in an integer array where the right values are not whole
    numbers: the values were cut when they were stored (np.zeros_like of an integer input)."""
    try:
        kind = np.asarray(result).dtype.kind
    except Exception:
        return ""
    if kind in "iub" and np.any(np.abs(want - np.round(want)) > 1e-9):
        return (f" (your result is an array of integers ({np.asarray(result).dtype}), so every "
                "value was cut to a whole number when it was stored: make the array you fill "
                "a float array)")
    return ""


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
                rtol: float = 1e-9, atol: float = 1e-12,
                mistakes: Mistakes | None = None) -> None:
    """A number (or array) the student computed, against the expected one; `mistakes` pairs a
    message with a known wrong value."""
    what = what or f"`{part}`"
    want = np.asarray(expected, dtype=np.float64)
    got = as_float_array(answer, part, what, shape=want.shape)
    if not close(got, want, rtol, atol):
        for message, wrong in mistake_pairs(mistakes):
            if agrees(got, np.asarray(wrong, dtype=np.float64), rtol, atol):
                raise CheckFailed(part, f"{what} has the wrong value: {message}")
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


def called(what: str, arguments: str) -> str:
    """A call as the student would write it: `f` and "x=0.5" give `f(x=0.5)`."""
    if len(what) > 2 and what[0] == what[-1] == "`":
        return f"{what[:-1]}({arguments})`"
    return f"{what}({arguments})"


def check_function(fn: Callable, reference: Callable, points: Iterable, part: str, *,
                   what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12,
                   vectorized: bool = True, arg_name: str = "x",
                   forbid_warnings: bool = False, mistakes: Mistakes | None = None) -> None:
    """A scalar function of one variable: called on each point as a float, then on all at once.

    `vectorized` asks that the function also accept a numpy array and return the array of values;
    `forbid_warnings` fails a function that warns (an overflow in a naive sigmoid, say);
    `mistakes` pairs a message with a known wrong function (a sign slip, say): a function that
    agrees with it at every point is told the message.
    """
    what = what or f"`{part}`"
    points = np.asarray(list(points), dtype=np.float64)

    def wrong(message: str) -> CheckFailed:
        hint = known_mistake(fn, mistakes, [(float(x),) for x in points])
        return CheckFailed(part, f"{message}: {hint}" if hint else message)

    for x in points:
        shown = called(what, f"{arg_name}={_number_text(x)}")
        result, caught = call(fn, float(x), part=part, what=shown)
        _refuse_warnings(forbid_warnings, caught, part, shown)
        got = as_float_array(result, part, shown)
        if got.size != 1:
            raise CheckFailed(part, f"{shown} should be a single number, got shape {got.shape}")
        if not close(got.reshape(()), expected(reference, x), rtol, atol):
            raise wrong(f"{shown} has the wrong value")
    if vectorized:
        shown = f"{what} on a numpy array of shape {points.shape}"
        result, caught = call(fn, points.copy(), part=part, what=shown)
        _refuse_warnings(forbid_warnings, caught, part, f"{what} on a numpy array")
        got = as_float_array(result, part, shown)
        if got.shape != points.shape:
            raise CheckFailed(part, f"{shown} returned shape {got.shape}; one value per entry "
                                    f"(shape {points.shape}) is expected (does it work "
                                    "entry by entry?)")
        if not close(got, expected(reference, points), rtol, atol):
            raise CheckFailed(part, f"{what} gives wrong values when called on a numpy array, "
                                    "though it is right on each number alone (does it work "
                                    "entry by entry?)")
    passed(part, f"{what} gives the right values")


def _number_text(v) -> str:
    """A number as given: an int as `1`, a float always with a point (`1.0`, `-0.249`)."""
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        text = f"{float(v):.4g}"
        return text if any(c in text for c in ".eni") else text + ".0"
    return show(v)


def show(arg) -> str:
    """An argument as the student's function was given it: a list of ints as `[1, 2]`, an
    integer array as `np.array([1, 2])`, floats to 4 digits and always with a point, a large
    array by its shape, a function by its name."""
    if arg is None or isinstance(arg, (bool, int, float, np.number, np.bool_)):
        return _number_text(arg) if arg is not None else "None"
    if callable(arg) and not isinstance(arg, np.ndarray):
        name = getattr(arg, "__name__", "")
        if isinstance(arg, np.ufunc):
            return f"np.{name}"
        return name if name and name != "<lambda>" else "a function"
    if isinstance(arg, (list, tuple)):
        inner = ", ".join(show(a) for a in arg)
        return f"[{inner}]" if isinstance(arg, list) else f"({inner}{',' if len(arg) == 1 else ''})"
    if isinstance(arg, np.ndarray):
        word = {"i": "integer ", "u": "integer ", "f": "float ", "b": "boolean "}.get(
            arg.dtype.kind, "")
        if arg.size > 12 or arg.dtype.kind not in "iufb":
            return f"a {word}array of shape {arg.shape}"
        dtype = ("" if arg.dtype in (np.dtype(np.float64), np.dtype(np.int64))
                 else f", dtype={arg.dtype}")
        return f"np.array({_nested(arg.tolist())}{dtype})"
    return type(arg).__name__


def _nested(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return _number_text(value)


_show = show  # its former name


def _component_names(flat: Iterable, shape: tuple, components: Sequence[str] | None) -> str:
    """The wrong entries by name and index ("∂u/∂b (index 1)"), or by index ("the entries at
    indices 0 and 2")."""
    idx = [int(i) for i in flat]
    at = [", ".join(str(int(j)) for j in np.unravel_index(i, shape)) if len(shape) > 1
          else str(i) for i in idx]
    at = [f"({a})" if len(shape) > 1 else a for a in at]
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    if components and all(i < len(components) for i in idx):
        names = [f"{components[i]} (index {a})" for i, a in zip(idx[:5], at)]
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] + more
    if len(idx) == 1:
        return f"the entry at index {at[0]}"
    shown = at[:5]
    return (f"the entries at indices {', '.join(shown[:-1])} and {shown[-1]}{more}"
            if not more else f"the entries at indices {', '.join(shown)}{more}")


def _term_effect(alpha: float) -> str:
    if abs(alpha + 1) < 1e-6:
        return "is missing"
    if abs(alpha + 2) < 1e-6:
        return "has the wrong sign"
    return "is off by a constant factor"


def term_diagnosis(fn: Callable, reference: Callable, cases: Sequence[tuple],
                   terms: Sequence[Mapping[str, Callable]],
                   components: Sequence[str] | None = None) -> str | None:
    """Which term of which component is wrong, where each component of the right answer is a
    sum of known terms (`terms[i]`: a label, "the path through z", and the term as a function of
    the same arguments): the student's error in a component is one term times a constant, over
    every case (−1: missing, −2: wrong sign, else a wrong factor). None where that does not
    explain the error (then the checker says less, rather than point at the wrong term)."""
    got = [quietly(fn, *args) for args in cases]
    want = [expected(reference, *args) for args in cases]
    if any(g is None or g.size != w.size for g, w in zip(got, want)):
        return None
    findings = []
    for i, labelled in enumerate(terms):
        d = np.array([cast(np.ndarray, g).ravel()[i] - w.ravel()[i] for g, w in zip(got, want)])
        if np.linalg.norm(d) <= 1e-9 * (1 + max(np.linalg.norm(w.ravel()[i]) for w in want)):
            continue
        found = None
        for label, term in labelled.items():
            t = np.array([float(expected(term, *args)) for args in cases])
            if not np.linalg.norm(t) > 1e-9:
                continue
            alpha = float(d @ t / (t @ t))
            if np.linalg.norm(d - alpha * t) <= 1e-7 * np.linalg.norm(d):
                found = f"{label} {_term_effect(alpha)}"
                break
        if found is None:
            return None
        name = (f"{components[i]} (index {i})" if components and i < len(components)
                else f"the entry at index {i}")
        findings.append(f"in {name}, {found}")
    return "; ".join(findings) or None


def check_cases(fn: Callable, reference: Callable, cases: Iterable[tuple], part: str, *,
                what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12,
                components: Sequence[str] | None = None,
                mistakes: Mistakes | None = None,
                terms: Sequence[Mapping[str, Callable]] | None = None) -> None:
    """A function of several arguments, called on each tuple of `cases`, against `reference`.

    The result must have the reference's shape; a scalar reference accepts any single number.
    A wrong vector result is named by its wrong entries (`components` names them: "∂u/∂a");
    `mistakes` pairs a message with a known wrong function of the same arguments; `terms` gives,
    per component, the labelled terms the right answer sums (see `term_diagnosis`), so that a
    message can say which term is wrong.
    """
    what = what or f"`{part}`"
    cases = [tuple(args) for args in cases]
    for args in cases:
        want = expected(reference, *args)
        shown = called(what, ", ".join(show(a) for a in args))
        given = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
        result, _ = call(fn, *given, part=part, what=shown)
        got = as_float_array(result, part, shown)
        if want.ndim == 0 and got.size == 1:
            got = got.reshape(())
        if got.shape != want.shape:
            wanted = "a single number" if want.ndim == 0 else f"shape {want.shape}"
            raise CheckFailed(part, f"{shown} returned shape {got.shape} where {wanted} is "
                                    "expected")
        if not close(got, want, rtol, atol):
            hint = known_mistake(fn, mistakes, cases)
            located = (term_diagnosis(fn, reference, cases, terms, components)
                       if terms and not hint else None)
            if located:
                raise CheckFailed(part, f"{shown} is wrong: {located}")
            if want.ndim == 0:
                message = f"{shown} has the wrong value"
            else:
                bad = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
                message = (f"{shown} is wrong in "
                           f"{_component_names(np.flatnonzero(bad), want.shape, components)}")
            raise CheckFailed(part, (f"{message}: {hint}" if hint
                                     else message + integer_hint(result, want)))
    passed(part, f"{what} gives the right values")


def _on_floats(reference) -> Callable:
    """A reference of check_vector_function's kind, given its input as a float array."""
    return lambda v: cast(Callable, reference)(np.asarray(v, dtype=np.float64))


def check_vector_function(fn: Callable, reference: Callable, inputs: Iterable, part: str, *,
                          what: str | None = None, rtol: float = 1e-9, atol: float = 1e-12,
                          components: Sequence[str] | None = None,
                          forbid_warnings: bool = False,
                          mistakes: Mistakes | None = None) -> None:
    """A function of one vector argument whose result must match `reference` in shape and values.

    Each input is passed as given (a list of ints stays a list of ints) and shown as given; the
    message names the input and the wrong components, never the expected values. `mistakes`
    pairs a message with a known wrong function: one that agrees with it on every input is told
    the message.
    """
    what = what or f"`{part}`"
    inputs = list(inputs)
    for x in inputs:
        shown = called(what, show(x))
        want = expected(reference, np.asarray(x, dtype=np.float64))
        result, caught = call(fn, x, part=part, what=shown)
        _refuse_warnings(forbid_warnings, caught, part, shown)
        got = as_float_array(result, part, shown, shape=want.shape)
        bad = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
        if np.any(bad):
            hint = known_mistake(fn, [(m, _on_floats(r)) for m, r in mistake_pairs(mistakes)],
                                 [(v,) for v in inputs])
            message = (f"{shown} is wrong in "
                       f"{_component_names(np.flatnonzero(bad), want.shape, components)}")
            raise CheckFailed(part, f"{message}: {hint}" if hint
                              else message + integer_hint(result, want))
    passed(part, f"{what} gives the right values")
