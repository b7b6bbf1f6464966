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

A formula (`expression`, `vector_expression`) is read by the grader's own parser and shown to
the student as it was read, typeset in the notebook (`read_as`), without a word on whether it is
right; what cannot be read (an unknown name, a typo) is named with its position in the answer
(`unreadable`), as STACK's validation step does.

Every check here passes on any answer the hidden tests accept (the inputs it uses are among, or
like, theirs, and its tolerances are looser), so a self-check in a graded cell never costs a
right answer its points.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import warnings
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from calcgrade.checks.errors import CheckFailed, describe_error, passed
from calcgrade.checks.numeric import as_float_array, call
from calcgrade.checks.symbolic import (
    CONSTANTS,
    FUNCTIONS,
    MAX_ANSWER_CHARS,
    parse_expression,
    parse_vector,
)

__all__ = ["CheckFailed", "SUMMARY", "defined", "elementwise", "expression", "figure",
           "float_result", "function", "leaves_inputs_alone", "number", "param_dict",
           "read_as", "reading", "returns", "running", "shapes", "summary", "vector_expression",
           "vector_function", "zero_where_zero"]

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
    """`name` is one formula in `symbols`, read by the grader's own parser: the student sees it
    as it was read (`read_as`), or where it cannot be read (`unreadable`), never whether it is
    right."""
    value = defined(namespace, name)
    try:
        expr = parse_expression(value, symbols, name, f"`{name}`")
    except CheckFailed as exc:
        raise _unreadable_failure(exc, [(value, "")], symbols) from None
    read_as(name, expr)
    passed(name, f"is an expression in {', '.join(symbols)}")


def vector_expression(namespace: Mapping, name: str, length: int, symbols: Sequence[str]) -> None:
    """`name` is a sequence of `length` formulas in `symbols`, shown as read (as `expression`)."""
    value = defined(namespace, name)
    try:
        items = parse_vector(value, length, symbols, name, f"`{name}`")
    except CheckFailed as exc:
        raise _unreadable_failure(exc, _components(value), symbols) from None
    read_as(name, items)
    passed(name, f"is a sequence of {length} expressions in {', '.join(symbols)}")


# -- how a formula was read (STACK's validation step): shown, never judged ----------------------
def _latex(expr) -> str:
    if isinstance(expr, list):
        return r"\left[" + r",\; ".join(sp.latex(e) for e in expr) + r"\right]"
    return sp.latex(expr)


def _plain(expr) -> str:
    if isinstance(expr, list):
        return "[" + ", ".join(sp.sstr(e) for e in expr) + "]"
    return sp.sstr(expr)


def reading(name: str, expr) -> dict[str, str]:
    """The display of a formula as read: Markdown with the formula typeset (LaTeX), and the
    same line in plain text (Python syntax) for whatever cannot show Markdown."""
    return {"text/markdown": f"`{name}` is read as: $\\displaystyle {_latex(expr)}$",
            "text/plain": f"{name} is read as: {_plain(expr)}"}


def read_as(name: str, expr) -> None:
    """Show the student their formula (a sympy expression, or a list of them) as the grader
    read it, so a misreading (1/2*x for 1/(2*x), a missing bracket) shows before submitting,
    and nothing of whether it is right (STACK's validation step).

    It is shown where the student works, in a notebook's kernel (IPython's display: Markdown
    with a plain-text form, `reading`); a display is never a cell's result and writes nothing to
    stderr, so it cannot change a grade. Run by the grader (`calcgrade autograde`, outside any
    kernel) it shows nothing: the feedback holds the verdict, and the student's answer cell
    already shows what they wrote. Whatever goes wrong in showing it is passed over in silence
    (the self-check is in a graded cell: an error or a warning there would cost the part)."""
    try:
        from IPython import get_ipython

        if get_ipython() is None:
            return
        from IPython.display import display

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bundle = reading(name, expr)
        display(bundle, raw=True)
    except Exception:  # a preview never fails the part
        return


def _components(value) -> list[tuple[object, str]]:
    """The parts of a vector answer to locate problems in, each with how it is named."""
    if isinstance(value, (list, tuple)):
        return [(item, f"component {i + 1}") for i, item in enumerate(value)]
    if isinstance(value, (sp.MatrixBase, sp.NDimArray)):
        return [(item, f"component {i + 1}") for i, item in enumerate(sp.flatten(value.tolist()))]
    return [(value, "")]


def _text_of(value) -> str | None:
    """The text a problem's position is counted in: a string answer itself, a sympy object as
    sympy prints it (the text the grader reads); None for other values (a number)."""
    if isinstance(value, str):
        return value
    if isinstance(value, sp.Basic):
        return sp.sstr(value)
    return None


def _to_python(text: str) -> tuple[str, list[int]]:
    """The text as the parser reads it (^ is **), and for each of its characters the index of
    the character of `text` it came from."""
    out, where = [], []
    for i, ch in enumerate(text):
        out.append("**" if ch == "^" else ch)
        where.extend([i, i] if ch == "^" else [i])
    return "".join(out), where


def _index(text: str, lineno: int, column: int, *, utf8: bool) -> int:
    """The index in `text` of a (1-based line, 0-based column) position from Python's parser
    (the AST counts columns in UTF-8 bytes, a SyntaxError in characters)."""
    lines = text.splitlines(keepends=True)
    before = sum(len(line) for line in lines[:lineno - 1])
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    if utf8:
        column = len(line.encode()[:column].decode(errors="ignore"))
    return before + column


def unreadable(value, symbols: Sequence[str]) -> tuple[list[str], list[int], str] | None:
    """What in an answer the grader cannot read, each named with its position (1-based
    character of the answer's text), like STACK's validation: a typo where Python's parser
    stops, or every name that is not one of the problem's symbols, a constant or an allowed
    function. Returns (problems, their positions, the text), or None when none is found there
    (the parser's own message then says what is wrong: a number too large, a wrong type)."""
    text = _text_of(value)
    if text is None or len(text) > MAX_ANSWER_CHARS:
        return None
    python, origin = _to_python(text)
    lead = len(python) - len(python.lstrip())
    body = python.strip()

    def original(index: int) -> int:
        index += lead
        return origin[index] if 0 <= index < len(origin) else len(text)

    def character(index: int) -> str:
        return f"character {index + 1}" if index < len(text) else "the end"

    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        at = (original(_index(body, exc.lineno or 1, exc.offset - 1, utf8=False))
              if exc.offset and exc.offset > 0 else len(text))
        why = str(exc.msg or "a typo").rstrip(".")
        if "decimal literal" in why or "forgot a comma" in why:
            why += "; write products with *, e.g. 2*x"
        return [f"it cannot be read as a formula at {character(at)} ({why})"], [at], text
    except (ValueError, RecursionError, MemoryError):
        return None

    known = set(symbols) | set(CONSTANTS)
    names: dict[str, list[int]] = {}      # a name not a symbol or constant -> where
    functions: dict[str, list[int]] = {}  # a function an answer cannot call -> where
    uncalled: dict[str, list[int]] = {}   # an allowed function written without a call -> where

    def note(found: dict[str, list[int]], node: ast.expr, name: str) -> None:
        found.setdefault(name, []).append(
            original(_index(body, node.lineno, node.col_offset, utf8=True)))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
                note(functions, node.func, ast.unparse(node.func))
            for child in [*node.args, *(k.value for k in node.keywords)]:
                visit(child)
        elif isinstance(node, ast.Attribute):
            note(names, node, ast.unparse(node))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                note(uncalled, node, node.id)
            elif node.id not in known:
                note(names, node, node.id)
        else:
            for inner in ast.iter_child_nodes(node):
                visit(inner)

    try:
        visit(tree)
    except RecursionError:
        return None

    def where(positions: list[int]) -> str:
        ats = [character(i) for i in sorted(positions)]
        if len(ats) == 1:
            return ats[0]
        return "characters " + ", ".join(a.split()[-1] for a in ats[:-1]) + \
            f" and {ats[-1].split()[-1]}"

    def listed(found: dict[str, list[int]]) -> str:
        return ", ".join(f"`{name}` ({where(at)})"
                         for name, at in sorted(found.items(), key=lambda item: min(item[1])))

    problems = []
    if names:
        verb = "is not one of" if len(names) == 1 else "are not among"
        problems.append(f"{listed(names)} {verb} this problem's symbols "
                        f"({', '.join(symbols) or 'none'}) or the constants pi and E")
    if functions:
        verb = "is not a function" if len(functions) == 1 else "are not functions"
        problems.append(f"{listed(functions)} {verb} an answer can use (those it can: "
                        f"{', '.join(sorted(FUNCTIONS))})")
    for name in sorted(uncalled, key=lambda n: min(uncalled[n])):
        problems.append(f"the function `{name}` ({where(uncalled[name])}) is not called: "
                        f"write its argument in brackets, e.g. {name}(x)")
    if not problems:
        return None
    positions = sorted({i for found in (names, functions, uncalled)
                        for at in found.values() for i in at})
    return problems, positions, text


def _pointer(text: str, positions: Sequence[int]) -> str:
    """The answer's text on a line of its own with a caret under each position (as STACK
    shows it), when it fits on one line."""
    if "\n" in text or len(text) > 120:
        return ""
    marks = "".join("^" if i in set(positions) else " " for i in range(len(text) + 1))
    return f"\n    {text}\n    {marks.rstrip()}"


def _unreadable_failure(exc: CheckFailed, parts: Sequence[tuple[object, str]],
                        symbols: Sequence[str]) -> CheckFailed:
    """The parser's failure, with what it cannot read named at its position where that can be
    found in the answer's text (otherwise the parser's own message, as it was)."""
    said = []
    for value, label in parts:
        found = unreadable(value, symbols)
        if found is None:
            continue
        problems, positions, text = found
        sympy_text = not isinstance(value, str)
        where = ", ".join(w for w in (label, "as sympy prints it" if sympy_text else "") if w)
        said.append((f"{where}: " if where else "") + "; ".join(problems)
                    + _pointer(text, positions))
    if not said:
        return exc
    return CheckFailed(exc.part, f"`{exc.part}` cannot be read: " + "\n".join(said))


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
