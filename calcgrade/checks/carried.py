"""Error carried forward: a later part computed from an earlier one earns its points when it is
right for the student's own earlier answer, so that one mistake is charged once, where it is.

A hidden test cell turns it on for its part (``carry=True``) by wrapping its usual check::

    cg.check_carried(
        lambda: cg.check_value(slope, 4.0, part="slope"),          # the part's own check
        part="slope", carry=True,
        carried_from={"df": (lambda: cg.check_function(df, ref_df, points, part="df"),
                             lambda: [df(x) for x in points])},   # its check, and a probe
        carried=lambda: cg.check_value(slope, cg.carried.number(df, 1.0), part="slope"))

Everything is decided inside that one cell, the same way under stock ``nbgrader autograde`` and
``calcgrade autograde``: the earlier parts' checks are run again, quietly (nothing remembered
from the earlier cells, nothing kept in this module between students). The part's own check runs
first and unchanged, so a right answer passes exactly as before; the rest runs only when it fails:

1. Each earlier part's own check is run again (`fails_its_own_check`). If every one passes, the
   later part is wrong on its own: its message is the one it always was.
2. **The degenerate rule.** Nothing is carried forward from an earlier answer that fails its
   check and is degenerate (`degenerate`): probed on a few of the check's inputs it raises or
   gives something that is not numbers, gives NaN or infinite values, gives only zeros, or gives
   the same result whatever its inputs. Nor when the later answer, worked out with the student's
   own earlier answers, comes to the trivial outcome the cell names (`trivial`: for ``train``,
   params that never move). A ``backward`` that returns zeros, or an ``sgd_step`` that returns
   its params, makes a ``train`` that does nothing look right; it still fails, and its message
   says that nothing is carried forward, and why.
3. Otherwise the part is checked against what its reference would be with the student's earlier
   answers (`carried`: the same checker, the student's earlier functions in place of the
   instructor's). Right for them: the part passes, and says so ("`train` is right for your
   `backward`, which fails its own check"). Wrong for them too: it fails with its own message and
   says that the mistake is not only in the earlier part. Where the carried reference cannot
   even be worked out with the student's earlier answers (they raise on the inputs it needs),
   nothing is carried forward either.

A later part never gains points from this unless it matches the carried reference, and never
loses any: with ``carry=False`` the cell is exactly its own check.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from calcgrade.checks.errors import CheckFailed, passed
from calcgrade.checks.numeric import as_float_array

Check = Callable[[], None]
Probe = Callable[[], Iterable]
# An earlier part, as a later cell names it: its own check, and a probe (its answer's results on a
# few inputs, for the degenerate rule; None: not probed).
Earlier = tuple[Check, Probe | None] | Check

ZERO = 1e-12  # results within this of 0 (all of them) count as zeros
SAME_RTOL = 1e-12  # results within this of each other (all of them) count as the same result


@contextlib.contextmanager
def _quiet():
    """Nothing printed, warned or written to stderr reaches the cell (nbgrader scores a test cell
    0 for any text on stderr; the re-run checks' ✓ lines are not the student's to read)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def fails_its_own_check(check: Check) -> str | None:
    """Run an earlier part's own check again, quietly: None where it passes, else what it says
    (an error of the student's code or of a missing name counts as failing)."""
    try:
        with _quiet():
            check()
    except CheckFailed as failure:
        return failure.message
    except Exception as exc:  # the earlier part cannot even be checked: it fails its own check
        return f"{type(exc).__name__}: {exc}"
    return None


def _flat(value) -> np.ndarray:
    """A result as one float vector: a dict's arrays in key order, a tuple's items in order."""
    if isinstance(value, Mapping):
        parts = [_flat(value[k]) for k in sorted(value, key=str)]
    elif isinstance(value, (tuple, list)) and any(
            isinstance(v, (Mapping, tuple, list, np.ndarray)) for v in value):
        parts = [_flat(v) for v in value]
    else:
        return as_float_array(value, "", "the result").ravel()
    return np.concatenate(parts) if parts else np.zeros(0)


def degenerate(probe: Probe) -> str | None:
    """Why an earlier answer is degenerate, from its results on a few inputs (`probe` returns
    them), or None where it is not: it raises or gives something that is not numbers, gives NaN
    or infinite values, gives only zeros, or (given at least two inputs) the same result for
    every one of them. Such an answer makes a later part that does nothing look right."""
    try:
        with _quiet():
            results = [_flat(r) for r in probe()]
    except CheckFailed as failure:  # as_float_array refuses NaN and infinities too
        return ("gives NaN or infinite values" if "NaN or infinite" in failure.message
                else "gives something that is not numbers")
    except Exception:
        return "raises an error on the inputs it is used on"
    if not results:
        return None
    every = np.concatenate(results)
    if not np.all(np.isfinite(every)):
        return "gives NaN or infinite values"
    if np.all(np.abs(every) <= ZERO):
        return "gives only zeros"
    first = results[0]
    if len(results) > 1 and all(r.shape == first.shape and np.all(
            np.abs(r - first) <= SAME_RTOL * np.maximum(np.abs(first), 1.0)) for r in results):
        return "gives the same result whatever its inputs"
    return None


def number(fn: Callable, *args) -> float:
    """The student's `fn(*args)` as one float, quietly (for a carried reference: `slope` against
    the student's own `df(1.0)`). Raises ValueError where it is not one finite number."""
    with _quiet():
        value = fn(*args)
    try:
        array = as_float_array(value, "", "")
    except CheckFailed as failure:
        raise ValueError(failure.message) from None
    if array.size != 1:
        raise ValueError("not a single number")
    return float(array.reshape(()))


def curve(fn: Callable) -> Callable[[np.ndarray], np.ndarray]:
    """The student's function of x as a curve for `check_curves_plot` (a plot right for the
    student's own `f`): called on the whole array quietly, or point by point where it does not
    work entry by entry; NaN where it gives no finite number (a pole: no line follows it there),
    and ValueError where it gives none anywhere."""
    def one(v: float) -> float:
        try:
            return number(fn, v)
        except Exception:  # the student's function fails or gives no number at this point
            return np.nan

    def values(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        try:
            with _quiet():
                got = as_float_array(fn(x.copy()), "", "")
            if got.shape == x.shape:
                return got
        except Exception:  # CheckFailed included: not finite numbers of its shape
            pass
        got = np.array([one(float(v)) for v in x.ravel()]).reshape(x.shape)
        if x.size and not np.any(np.isfinite(got)):
            raise ValueError("no finite values")
        return got
    return values


def _names(names: Sequence[str]) -> str:
    shown = [f"`{n}`" for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _fail(names: Sequence[str]) -> str:
    return ("which fails its own check" if len(names) == 1
            else "which fail their own checks")


def check_carried(check: Check, part: str, *, carried_from: Mapping[str, Earlier],
                  carried: Check, trivial: Callable[[], str | None] | None = None,
                  carry: bool = True) -> None:
    """`check` (the part's own check, against the instructor's reference), with error carried
    forward from the earlier parts `carried_from` (name -> (its own check, a probe of its answer
    or None)) when `carry` is on; `carried` is the same check against what the reference would be
    with the student's own earlier answers, and `trivial` (optional) says what the part comes to
    with them when that is the do-nothing outcome (a reason), else None. The rules, degenerate
    answers included, are in this module's docstring."""
    try:
        check()
        return
    except CheckFailed as exc:
        if not carry:
            raise
        failure = exc
    earlier = {name: (e if isinstance(e, tuple) else (e, None)) for name, e in carried_from.items()}
    failing = [name for name, (own, _) in earlier.items() if fails_its_own_check(own) is not None]
    if not failing:
        raise failure
    names, which = _names(failing), _fail(failing)
    for name in failing:
        probe = earlier[name][1]
        reason = degenerate(probe) if probe is not None else None
        if reason:
            raise CheckFailed(part, f"{failure.message} (nothing is carried forward from your "
                                    f"`{name}`: it fails its own check and {reason})") from None
    try:
        with _quiet():
            outcome = trivial() if trivial is not None else None
            if outcome is None:
                carried()
    except CheckFailed:
        raise CheckFailed(part, f"{failure.message}; it is not right for your own {names} either "
                                f"({which}), so `{part}` has a mistake of its own as well: look "
                                f"at `{part}` too, not only at {names}") from None
    except Exception:
        raise CheckFailed(part, f"{failure.message} (nothing is carried forward from your "
                                f"{names}, {which}: `{part}` cannot be checked with "
                                f"{'it' if len(failing) == 1 else 'them'})") from None
    if outcome is not None:
        raise CheckFailed(part, f"{failure.message} (nothing is carried forward from your "
                                f"{names}, {which}: with "
                                f"{'it' if len(failing) == 1 else 'them'}, {outcome})")
    passed(part, f"`{part}` is right for your {names}, {which}: the error is carried forward "
                 f"from there, and `{part}` keeps its points")
