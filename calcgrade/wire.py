"""The data-only channel between the trusted grader and a student's process.

Messages are length-prefixed JSON. Values cross as plain data only: numbers, strings, numpy
arrays (raw bytes of a whitelisted dtype), lists, tuples, dicts with string keys, sympy
expressions as text (re-parsed on the grader's side with the whitelist parser), a summary of a
matplotlib Figure's lines and legends. Functions and anything opaque stay where they live and
cross as numbered references. Nothing is ever unpickled or evaluated, so the student's side can
send only data, however it is patched.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, Callable

import numpy as np

MAX_MESSAGE = 64 * 2 ** 20
MAX_DEPTH = 32
DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex128", "complex64"}


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


def encode(value: Any, keep: Callable[[Any], int], depth: int = 0,
           summarize: Callable[[Any], dict | None] | None = None) -> Any:
    """`value` as JSON-able data; `keep(obj)` stores what cannot cross and returns its number.

    `summarize(obj)` may turn an object into a tagged dict of its own (a Figure's summary).
    """
    if depth > MAX_DEPTH:
        return {"$ref": keep(value), "kind": "object"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) in (int, float):
        return value if type(value) is float or abs(value) < 2 ** 53 else {"$bigint": str(value)}
    if type(value) is complex:
        return {"$complex": [value.real, value.imag]}
    if isinstance(value, (np.ndarray, np.generic)) and str(np.asarray(value).dtype) in DTYPES:
        array = np.asarray(value)
        return {"$array": base64.b64encode(array.tobytes()).decode(), "dtype": str(array.dtype),
                "shape": list(array.shape), "scalar": isinstance(value, np.generic)}
    if isinstance(value, np.ndarray) and value.dtype == object:
        return {"$objects": [encode(v, keep, depth + 1, summarize) for v in value.ravel()],
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


def decode(data: Any, resolve: Callable[[dict], Any], depth: int = 0) -> Any:
    """The value that `encode` sent; `resolve(tagged)` turns references and summaries into
    objects of the receiving side."""
    if depth > MAX_DEPTH:
        raise ChannelError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, resolve, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise ChannelError("malformed value")
    if "$array" in data:
        dtype = data.get("dtype")
        if dtype not in DTYPES:
            raise ChannelError(f"dtype {dtype!r} is not allowed")
        shape = tuple(int(n) for n in data["shape"])
        array = np.frombuffer(base64.b64decode(data["$array"]), dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ChannelError("array data does not match its shape")
        array = array.reshape(shape).copy()
        return array[()] if data.get("scalar") else array
    if "$objects" in data:
        items = [decode(v, resolve, depth + 1) for v in data["$objects"]]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(tuple(int(n) for n in data["shape"]))
    if "$tuple" in data:
        return tuple(decode(v, resolve, depth + 1) for v in data["$tuple"])
    if "$dict" in data:
        return {str(k): decode(v, resolve, depth + 1) for k, v in data["$dict"]}
    if "$complex" in data:
        re, im = data["$complex"]
        return complex(float(re), float(im))
    if "$bigint" in data:
        text = str(data["$bigint"])
        if len(text) > 400:
            raise ChannelError("integer too large")
        return int(text)
    return resolve(data)
