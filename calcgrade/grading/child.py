"""The grader's own work on one notebook, in a forked child under limits of its own.

The checks that run in the grader (re-reading a student's expression, simplifying it, evaluating
it, reference computations on the student's values) are bounded one by one (input sizes, soft time
limits), but some work sympy and Python do in C cannot be interrupted. So the whole of one
notebook's grading runs in a child forked from the grading worker: an address-space limit and a
CPU-time limit it cannot raise, and a wall-clock budget after which the worker kills it. The child
reports each cell's outputs as it finishes them, so a notebook stopped mid-way keeps what was
decided before the stop; the cell it was working on and those after it are reported as stopped,
and the run goes on with the next notebook.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from typing import Callable

from calcgrade.limits import time_limit

Emit = Callable[[int, list], None]
PR_SET_PDEATHSIG = 1


def _virtual_memory() -> int:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    """In the child: its address space may grow by `memory_bytes` beyond what it inherited."""
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with its worker
    limit = _virtual_memory() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class GraderFailed(RuntimeError):
    """The grader itself failed on this notebook (a bug, not the student's doing)."""


def _why(status: int, memory_bytes: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return "used up the grader's CPU time"
        if number == signal.SIGKILL:
            return (f"was killed (out of memory? the grader allows {memory_bytes >> 20} MB "
                    "for checking one notebook)")
        return f"was stopped by signal {signal.Signals(number).name}"
    return f"stopped unexpectedly (exit status {os.WEXITSTATUS(status)})"


def run_bounded(work: Callable[[Emit], None], *, seconds: float, memory_bytes: int,
                cpu_seconds: int) -> tuple[dict[int, list], str | None]:
    """Run `work(emit)` in a forked child; return what it emitted (index -> outputs) and None,
    or what it emitted before it was stopped and the reason, in words.

    Raises GraderFailed when `work` itself raised (the grader's error, reported as such)."""
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_fd)
            _apply_limits(memory_bytes, cpu_seconds)
            out = os.fdopen(write_fd, "w")

            def emit(index: int, outputs: list) -> None:
                out.write(json.dumps({"cell": index, "outputs": outputs}) + "\n")
                out.flush()

            try:
                work(emit)
                out.write(json.dumps({"done": True}) + "\n")
            except MemoryError:  # over the address-space limit, outside any one check
                out.write(json.dumps({"stopped": "ran out of the memory the grader allows "
                                      f"for one notebook ({memory_bytes >> 20} MB)"}) + "\n")
            except BaseException as exc:
                out.write(json.dumps({"error": "".join(traceback.format_exception(exc))[-3000:]})
                          + "\n")
            out.flush()
        except BaseException:
            code = 1
        finally:
            os._exit(code)

    os.close(write_fd)
    results: dict[int, list] = {}
    reason, error, done, pending = None, None, False, b""
    deadline = time.monotonic() + seconds
    try:
        while not done:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = f"ran over the grading budget of {seconds:g} s per notebook"
                break
            if not select.select([read_fd], [], [], left)[0]:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "cell" in message:
                    results[int(message["cell"])] = message["outputs"]
                elif "error" in message:
                    error = message["error"]
                elif "stopped" in message:
                    reason = str(message["stopped"])
                done = done or "done" in message or "error" in message or "stopped" in message
    finally:
        os.close(read_fd)
        if not done:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
    if error:
        raise GraderFailed(f"the grader failed on this notebook:\n{error}")
    if not done and reason is None:
        reason = _why(status, memory_bytes)
    return results, reason


class CheckTooLong(Exception):
    """A test cell used more of the grader's CPU time than it may."""


def cpu_limit(seconds: float):
    """Soft limit on the grader's own CPU time (not time spent waiting for the student's
    process) for one test cell: past it, CheckTooLong is raised in the check."""
    return time_limit(seconds, CheckTooLong, clock="cpu")
