"""The data-only channel between the trusted grader and a student's process.

Messages are length-prefixed JSON. Values cross as plain data only: numbers, strings, numpy
arrays (raw bytes of a whitelisted dtype), lists, tuples, dicts with string keys, sympy
expressions as text (re-parsed on the grader's side with the whitelist parser), a summary of a
matplotlib Figure's artists and legends. Functions and anything opaque stay where they live and
cross as numbered references. Nothing is ever unpickled or evaluated, so the student's side can
send only data, however it is patched.

Numbers of any type cross as what they are (`student_data`, on the student's side): `Fraction`
as its numerator and denominator, `Decimal` as its text, other numbers through the standard
protocols (the `numbers` ABCs, `__index__`), array-likes (`__array__`) as arrays. An instance of
a subclass of a built-in number type crosses as the value it stores, never as what its
overridden methods say; the receiving side rebuilds plain `int`, `float`, `Fraction`,
`Decimal`, arrays, within bounds, and calls nothing of the sender's.
"""

from __future__ import annotations

import base64
import json
import numbers
import operator
import re
import struct
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

import numpy as np

MAX_MESSAGE = 64 * 2 ** 20
MAX_DEPTH = 32
DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex128", "complex64"}
MAX_INT_DIGITS = 400  # an int, or a Fraction's numerator or denominator, at most this long
MAX_DECIMAL_CHARS = 200  # a Decimal's text
MAX_DECIMAL_EXPONENT = 1233  # |exponent| of a Decimal: about 4,096 bits, the answers' own bound
MAX_ARRAY_BYTES = 16 * 2 ** 20  # an array-like converted on the student's side (`__array__`)
_INT_LIMIT = 10 ** MAX_INT_DIGITS
_INT_TEXT = re.compile(r"-?[0-9]{1,%d}" % MAX_INT_DIGITS)
_DECIMAL_TEXT = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,9})?"
                           r"|Infinity|s?NaN[0-9]{0,%d})" % MAX_DECIMAL_CHARS)


class ChannelError(Exception):
    """The other side sent something that is not a well-formed message (or nothing at all)."""


def send(stream, message: dict) -> None:
    data = json.dumps(message, allow_nan=True).encode()
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[stream.write(view) or 0:]
    stream.flush()


def _read_exact(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise ChannelError("the other process closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(stream) -> dict:
    (size,) = struct.unpack(">I", _read_exact(stream, 4))
    if size > MAX_MESSAGE:
        raise ChannelError(f"a message of {size} bytes is over the limit")
    data = _read_exact(stream, size)
    try:
        message = json.loads(data)
    except (ValueError, RecursionError, MemoryError) as exc:  # nested too deep, say
        raise ChannelError(f"malformed message: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise ChannelError("malformed message")
    return message


class Ref:
    """An object that stays on the other side, known by its number."""

    def __init__(self, ref: int, kind: str = "object", name: str = ""):
        self.ref, self.kind, self.name = ref, kind, name

    def __repr__(self):
        return f"<{self.kind} {self.name or self.ref} in the student's process>"


# -- numbers ------------------------------------------------------------------------------------
def _int_data(n: int) -> Any:
    """An exact int as data, or None when it is too large to send."""
    if abs(n) < 2 ** 53:
        return n
    return {"$bigint": str(n)} if abs(n) < _INT_LIMIT else None


def _rational_data(numerator: int, denominator: int) -> Any:
    """A rational as {"$fraction": [numerator, denominator]} (each an int, or its digits when
    above 2**53); too large to send exactly, its nearest float; None if even that fails."""
    if denominator == 0:
        return None
    if abs(numerator) < _INT_LIMIT and abs(denominator) < _INT_LIMIT:
        value = Fraction(numerator, denominator)
        return {"$fraction": [n if abs(n) < 2 ** 53 else str(n)
                              for n in (value.numerator, value.denominator)]}
    try:
        return numerator / denominator  # int / int: the correctly rounded float
    except OverflowError:
        return None


def _decimal_data(value: Decimal) -> Any:
    text = Decimal.__str__(value)
    huge = Decimal.is_finite(value) and Decimal.__bool__(value) \
        and abs(Decimal.adjusted(value)) > MAX_DECIMAL_EXPONENT
    if len(text) <= MAX_DECIMAL_CHARS and not huge:
        return {"$decimal": text}
    try:
        return Decimal.__float__(value)
    except (ValueError, OverflowError):
        return None


def _exact_int(n) -> int:
    """An int stored in an object (a Fraction's numerator, say): the stored value, or TypeError."""
    if not isinstance(n, int):
        raise TypeError("not an int")
    return int.__index__(n)


def _array_data(array: np.ndarray, scalar: bool = False) -> dict:
    return {"$array": base64.b64encode(array.tobytes()).decode(), "dtype": str(array.dtype),
            "shape": list(array.shape), "scalar": scalar}


def _number_data(value) -> Any:
    """A number of a known type or registered with the `numbers` ABCs, as data; None if it is
    not one. Instances of subclasses of the built-in types are read through the base type, so an
    overridden method cannot change the value sent."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, Fraction):
        return _rational_data(_exact_int(Fraction.numerator.__get__(value)),
                              _exact_int(Fraction.denominator.__get__(value)))
    if isinstance(value, Decimal):
        return _decimal_data(value)
    if isinstance(value, int):
        return _int_data(int.__index__(value))
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, complex):
        return {"$complex": [complex.real.__get__(value), complex.imag.__get__(value)]}
    if isinstance(value, np.generic):  # a dtype not sent as it is (longdouble, say)
        return _cast_array(np.asarray(value), scalar=True)
    if isinstance(value, numbers.Integral):
        return _int_data(_exact_int(operator.index(value)))
    if isinstance(value, numbers.Rational):
        return _rational_data(_exact_int(operator.index(value.numerator)),
                              _exact_int(operator.index(value.denominator)))
    if isinstance(value, numbers.Real):
        return float.__float__(float(value))
    if isinstance(value, numbers.Complex):
        number = complex(value)
        return {"$complex": [complex.real.__get__(number), complex.imag.__get__(number)]}
    return None


def _cast_array(array: np.ndarray, scalar: bool = False) -> dict | None:
    """A numeric array in a dtype the channel carries (long doubles as float64, other byte orders
    as native), bounded in size; None for anything else."""
    if type(array) is not np.ndarray:
        array = np.asarray(array).view(np.ndarray)
    kind = array.dtype.kind
    if str(array.dtype) not in DTYPES:
        if kind == "f":
            array = array.astype(np.float64)
        elif kind == "c":
            array = array.astype(np.complex128)
        elif kind in "biu":
            array = array.astype(array.dtype.newbyteorder("="))
    if str(array.dtype) not in DTYPES or array.nbytes > MAX_ARRAY_BYTES:
        return None
    return _array_data(array, scalar)


def student_data(value) -> Any:
    """What an object of the student's is as data, through the standard protocols: a number
    (`_number_data`), an array-like (`__array__`, `__array_interface__`, an ndarray subclass such
    as np.matrix) as an array of a whitelisted dtype, an integer by `__index__`. None when it is
    none of these (it then stays in the student's process). Used on the student's side only:
    it calls the student's methods."""
    if isinstance(value, type):
        return None
    try:
        data = _number_data(value)
        if data is not None:
            return data
        kind = type(value)
        if isinstance(value, np.ndarray) or hasattr(kind, "__array__") \
                or hasattr(kind, "__array_interface__"):
            data = _cast_array(np.asarray(value))
            if data is not None:
                return data
        if hasattr(kind, "__index__"):
            return _int_data(_exact_int(operator.index(value)))
    except Exception:  # a number or array-like that cannot say what it is stays where it is
        return None
    return None


# -- values --------------------------------------------------------------------------------------
def encode(value: Any, keep: Callable[[Any], int], depth: int = 0,
           summarize: Callable[[Any], Any] | None = None) -> Any:
    """`value` as JSON-able data; `keep(obj)` stores what cannot cross and returns its number.

    `summarize(obj)` may turn any other object into data of its own (a Figure's summary, a
    number through `student_data`), or return None.
    """
    if depth > MAX_DEPTH:
        return {"$ref": keep(value), "kind": "object"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is float:
        return value
    if type(value) is int:
        data = _int_data(value)
        return data if data is not None else {"$ref": keep(value), "kind": "object",
                                              "name": "int"}
    if type(value) in (Fraction, Decimal):
        data = _number_data(value)
        if data is not None:
            return data
    if type(value) is complex:
        return {"$complex": [value.real, value.imag]}
    if isinstance(value, (np.ndarray, np.generic)) and str(np.asarray(value).dtype) in DTYPES:
        return _array_data(np.asarray(value), isinstance(value, np.generic))
    if isinstance(value, np.ndarray) and value.dtype == object:
        return {"$objects": [encode(v, keep, depth + 1, summarize)
                             for v in np.asarray(value).ravel()],
                "shape": list(value.shape)}
    if type(value) in (list, tuple):
        items = [encode(v, keep, depth + 1, summarize) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": [[k, encode(v, keep, depth + 1, summarize)] for k, v in value.items()]}
    summary = summarize(value) if summarize else None
    if summary is not None:
        return summary
    kind = "function" if callable(value) else "object"
    return {"$ref": keep(value), "kind": kind,
            "name": str(getattr(value, "__name__", type(value).__name__))[:80]}


def _malformed(what: str = "value") -> ChannelError:
    return ChannelError(f"malformed {what}")


def _items(data: Any, what: str) -> list:
    if not isinstance(data, list):
        raise _malformed(what)
    return data


def _int_item(item: Any) -> int:
    """A numerator or denominator: an int (not bool) within bounds, or its digits."""
    if type(item) is int and abs(item) < _INT_LIMIT:
        return item
    if type(item) is str and _INT_TEXT.fullmatch(item):
        return int(item)
    raise ChannelError("integer malformed or too large")


def _real_item(item: Any) -> float:
    if type(item) not in (int, float):
        raise _malformed("number")
    try:
        return float(item)
    except OverflowError:
        raise ChannelError("number too large") from None


def _decode_array(data: dict) -> np.ndarray:
    dtype = data.get("dtype")
    if dtype not in DTYPES:
        raise ChannelError(f"dtype {dtype!r} is not allowed")
    try:
        shape = tuple(int(n) for n in _items(data.get("shape"), "array shape"))
        if any(n < 0 for n in shape) or not isinstance(data["$array"], str):
            raise _malformed("array")
        array = np.frombuffer(base64.b64decode(data["$array"], validate=True), dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ChannelError("array data does not match its shape")
        array = array.reshape(shape).copy()
    except (TypeError, ValueError, OverflowError):
        raise _malformed("array") from None
    return array[()] if data.get("scalar") else array


def decode(data: Any, resolve: Callable[[dict], Any], depth: int = 0) -> Any:
    """The value that `encode` sent; `resolve(tagged)` turns references and summaries into
    objects of the receiving side. Data of the wrong shape, or over the bounds, raises
    ChannelError."""
    if depth > MAX_DEPTH:
        raise ChannelError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, resolve, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise ChannelError("malformed value")
    if "$array" in data:
        return _decode_array(data)
    if "$objects" in data:
        items = [decode(v, resolve, depth + 1) for v in _items(data["$objects"], "array")]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        try:
            return array.reshape(tuple(int(n) for n in _items(data.get("shape"), "array shape")))
        except (TypeError, ValueError, OverflowError):
            raise _malformed("array") from None
    if "$tuple" in data:
        return tuple(decode(v, resolve, depth + 1) for v in _items(data["$tuple"], "tuple"))
    if "$dict" in data:
        pairs = _items(data["$dict"], "dict")
        if not all(isinstance(p, list) and len(p) == 2 and type(p[0]) is str for p in pairs):
            raise _malformed("dict")
        return {k: decode(v, resolve, depth + 1) for k, v in pairs}
    if "$complex" in data:
        parts = _items(data["$complex"], "complex number")
        if len(parts) != 2:
            raise _malformed("complex number")
        return complex(_real_item(parts[0]), _real_item(parts[1]))
    if "$bigint" in data:
        text = data["$bigint"]
        if type(text) is not str or not _INT_TEXT.fullmatch(text):
            raise ChannelError("integer malformed or too large")
        return int(text)
    if "$fraction" in data:
        parts = _items(data["$fraction"], "fraction")
        if len(parts) != 2:
            raise _malformed("fraction")
        numerator, denominator = _int_item(parts[0]), _int_item(parts[1])
        if denominator == 0:
            raise ChannelError("a fraction with denominator 0")
        return Fraction(numerator, denominator)
    if "$decimal" in data:
        text = data["$decimal"]
        if type(text) is not str or len(text) > MAX_DECIMAL_CHARS \
                or not _DECIMAL_TEXT.fullmatch(text):
            raise ChannelError("decimal malformed or too long")
        number = Decimal(text)
        if number.is_finite() and number and abs(number.adjusted()) > MAX_DECIMAL_EXPONENT:
            raise ChannelError("decimal too large or too small")  # int() of it would hold us
        return number
    if any(tag in data for tag in SUMMARY_TAGS):
        return rebuild_summary(data)
    return resolve(data)


# -- summaries: what the student's figures and sympy objects cross as ---------------------------
SUMMARY_TAGS = ("$figure", "$sympy", "$sympy_matrix", "$sympy_array")
MAX_SYMPY_ENTRIES = 1000  # a sympy matrix larger than this is not re-read (each entry is parsed)


def summarize(value) -> Any:
    """Encoder on the student's side for what is not plain data: a Figure as the summary of its
    artists, a sympy object as its text (both re-read by the grader, `rebuild_summary`); numbers
    of any other type and array-likes through `student_data`; None for anything else (it stays
    in the student's process, as a reference)."""
    import sympy as sp
    from matplotlib.figure import Figure

    from calcgrade.checks.plots import summarize_figure

    if isinstance(value, Figure):
        return {"$figure": summarize_figure(value).to_data()}
    if isinstance(value, sp.MatrixBase):
        return {"$sympy_matrix": [[sp.sstr(v) for v in row] for row in value.tolist()]}
    if isinstance(value, sp.NDimArray):
        return {"$sympy_array": [sp.sstr(v) for v in sp.flatten(value.tolist())],
                "shape": [int(n) for n in value.shape]}
    if isinstance(value, sp.Basic):
        return {"$sympy": sp.sstr(value)}
    return student_data(value)


def rebuild_summary(tagged: dict) -> Any:
    """Decoder on the grader's side of what `summarize` sent: a FigureSummary, sympy objects
    re-read with the whitelist parser. Data of the wrong shape raises ChannelError."""
    try:
        return _rebuild_summary(tagged)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise ChannelError(f"malformed value ({type(exc).__name__})") from None


def _rebuild_summary(tagged: dict) -> Any:
    import sympy as sp

    from calcgrade.checks.plots import FigureSummary

    if "$figure" in tagged:
        return FigureSummary.from_data(tagged["$figure"])
    if "$sympy" in tagged:
        return reread_sympy(str(tagged["$sympy"]))
    entries = tagged.get("$sympy_matrix") or tagged.get("$sympy_array") or []
    if sum(len(row) if isinstance(row, list) else 1 for row in entries) > MAX_SYMPY_ENTRIES:
        return SympyText(f"<a sympy matrix of more than {MAX_SYMPY_ENTRIES} entries>")
    if "$sympy_matrix" in tagged:
        return sp.Matrix([[reread_sympy(str(v)) for v in row] for row in tagged["$sympy_matrix"]])
    items = [reread_sympy(str(v)) for v in tagged["$sympy_array"]]
    return sp.Array(items, tuple(int(n) for n in tagged["shape"]))


class SympyText(str):
    """A sympy answer whose text names something outside the whitelist; the checkers re-read it
    and say what is wrong with it."""


def reread_sympy(text: str):
    """The student's sympy object, rebuilt here from its text with the whitelist parser; every
    identifier is allowed as a symbol at this stage (the checker narrows them down)."""
    import ast

    from calcgrade.checks.symbolic import (
        CONSTANTS,
        FUNCTIONS,
        MAX_ANSWER_CHARS,
        parse_expression,
    )

    if len(text) > MAX_ANSWER_CHARS:  # refused by the checker, with its length; never parsed
        return SympyText(text)
    try:
        names = {n.id for n in ast.walk(ast.parse(text.replace("^", "**"), mode="eval"))
                 if isinstance(n, ast.Name)}
        symbols = [n for n in names if n not in FUNCTIONS and n not in CONSTANTS
                   and not n.startswith("_")]
        return parse_expression(text, symbols)
    except Exception:
        return SympyText(text)
