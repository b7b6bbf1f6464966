"""The untrusted side: runs one student's notebook cells, inside the sandbox, on request.

Started by the grader as ``python -m calcgrade.sandbox.student_side READ_FD WRITE_FD``. It runs the
student's cells in an IPython shell (magics and all) and answers three requests over the
data-only channel of :mod:`calcgrade.codec`: ``exec`` a cell, ``get`` a name's value, ``call`` a
function it holds with arguments the grader chose. It never sees a hidden test or an expected
answer, and it decides nothing: whatever it sends back is only the student's answer.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import sys
import warnings
from typing import Any

# What one reply may carry: printed output per cell, an exception's message. The grader cuts
# what it receives to the same sizes (its side of the channel trusts no sender).
MAX_OUTPUT = 20_000
MAX_MESSAGE = 2000
MAX_ITEMS = 100_000  # items of an iterable object of the student's read at most


class BoundedText(io.TextIOBase):
    """A stdout that keeps the first MAX_OUTPUT characters and counts the rest."""

    def __init__(self):
        self.parts, self.kept, self.dropped = [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = MAX_OUTPUT - self.kept
        self.parts.append(text[:max(room, 0)])
        self.kept += min(len(text), max(room, 0))
        self.dropped += max(len(text) - max(room, 0), 0)
        return len(text)

    def value(self):
        tail = f"\n... [{self.dropped} more characters of output cut]\n" if self.dropped else ""
        return "".join(self.parts) + tail


class TimeLimitReached(Exception):
    pass


def time_limit(seconds):
    """A soft limit, so a looping cell or function stops and the process lives on; the grader
    kills the process if this one is disabled by the student's code."""
    from calcgrade.limits import time_limit as limit

    return limit(seconds, lambda: TimeLimitReached(f"the time limit of {seconds:g} s was reached"))


class StudentSide:
    def __init__(self, reader, writer):
        from IPython.core.interactiveshell import InteractiveShell

        from calcgrade.sandbox import codec

        self.codec, self.reader, self.writer = codec, reader, writer
        self.shell = InteractiveShell.instance()
        # Figures are read from their artists; no display is needed or wanted.
        # IPython wraps this method with functools.wraps, and typeshed's _Wrapped does not bind
        # as a method: mypy takes the lambda for `self`
        self.shell.register_magic_function(
            lambda line: None, "line", "matplotlib")  # type: ignore[arg-type]
        self.objects: dict[int, object] = {}

    def keep(self, obj) -> int:
        self.objects[id(obj)] = obj
        return id(obj)

    def encode(self, value):
        return self.codec.encode(value, self.keep, summarize=self.codec.summarize)

    def resolve(self, tagged):
        if "$own" in tagged:
            return self.objects[int(tagged["$own"])]
        if "$ref" in tagged:  # a function of the grader's, called back over the channel
            ref = int(tagged["$ref"])
            return lambda *args: self.callback(ref, args)
        raise self.codec.ChannelError("unknown value")

    def callback(self, ref, args):
        self.codec.send(self.writer, {"op": "callback", "ref": ref,
                                     "args": [self.encode(a) for a in args]})
        reply = self.codec.receive(self.reader)
        if "raised" in reply:
            raise RuntimeError(reply["raised"])
        return self.codec.decode(reply["value"], self.resolve)

    @contextlib.contextmanager
    def captured(self):
        out, err = BoundedText(), BoundedText()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            # Every warning of the student's code reaches the grader (a check that a function is
            # warning-free must see the second overflow too), but not the kinds Python and a
            # kernel keep quiet.
            warnings.simplefilter("always")
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                          ResourceWarning):
                warnings.simplefilter("ignore", quiet)
            yield out, err, caught

    def run_cell(self, code, seconds):
        with self.captured() as (out, _, _), time_limit(seconds):
            result = self.shell.run_cell(code, store_history=False)
        error = result.error_before_exec or result.error_in_exec
        reply = {"stdout": out.value()}
        if error is not None:
            reply["error"] = [type(error).__name__, str(error)[:MAX_MESSAGE]]
        return reply

    def get(self, name):
        if name not in self.shell.user_ns or name.startswith("_"):
            return {"missing": True}
        return {"value": self.encode(self.shell.user_ns[name])}

    def call(self, request):
        fn = self.objects[int(request["fn"])]
        args = [self.codec.decode(a, self.resolve) for a in request["args"]]
        kwargs = {str(k): self.codec.decode(v, self.resolve)
                  for k, v in (request.get("kwargs") or {}).items()}
        return self.invoke(fn, args, kwargs, request)

    def inspect(self, request):
        """An attribute of an object of the student's (`counter.count`, a method), or the items
        of one that is iterable (a generator), as a test cell asks for them."""
        obj: Any  # the student's: iter() raises for one that is not iterable, answered so
        obj, name = self.objects[int(request["obj"])], str(request.get("name", ""))
        if request["op"] == "getattr":
            return self.invoke(lambda: getattr(obj, name), [], {}, request)
        return self.invoke(lambda: list(itertools.islice(iter(obj), MAX_ITEMS)), [], {}, request)

    def invoke(self, fn, args, kwargs, request):
        with self.captured() as (out, err, caught):
            try:
                with time_limit(float(request["seconds"])):
                    value = fn(*args, **kwargs)
            except BaseException as exc:  # SystemExit too: the grader reports it as raised
                return {"raised": [type(exc).__name__, str(exc)[:MAX_MESSAGE]],
                        "stdout": out.value(), "stderr": err.value()}
        # The arguments as the function left them, so the grader sees any mutation.
        return {"value": self.encode(value), "stdout": out.value(), "stderr": err.value(),
                "args_after": [self.encode(a) for a in [*args, *kwargs.values()]],
                "warnings": [str(w.message)[:500] for w in caught]}

    def serve(self):
        while True:
            request = self.codec.receive(self.reader)
            op = request.get("op")
            try:
                if op == "exec":
                    reply = self.run_cell(request["code"], float(request["seconds"]))
                elif op == "get":
                    reply = self.get(request["name"])
                elif op == "call":
                    reply = self.call(request)
                elif op in ("getattr", "iterate"):
                    reply = self.inspect(request)
                else:
                    reply = {"failed": f"unknown request {op!r}"}
            except self.codec.ChannelError:
                raise
            except Exception as exc:  # a value that cannot be sent, say
                reply = {"failed": f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]}
            try:
                self.codec.send(self.writer, reply)
            except (TypeError, ValueError) as exc:  # a value JSON cannot carry
                failed = f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]
                self.codec.send(self.writer, {"failed": failed})


def main(argv):
    os.environ.setdefault("MPLBACKEND", "Agg")
    reader = os.fdopen(int(argv[1]), "rb", buffering=0)
    writer = os.fdopen(int(argv[2]), "wb", buffering=0)
    import matplotlib
    import numpy  # noqa: F401  (warm the imports before the student's first cell)
    import sympy  # noqa: F401

    matplotlib.use("Agg")
    side = StudentSide(reader, writer)
    side.codec.send(writer, {"ready": True})
    side.serve()


if __name__ == "__main__":
    main(sys.argv)
