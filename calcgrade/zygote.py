"""A fork server inside the sandbox: numpy, sympy, matplotlib, IPython and calcgrade imported once,
a freshly forked child for each submission.

Started by the grader as ``python -m calcgrade.zygote SOCKET_FD [--sandboxed]`` inside bubblewrap. Requests
arrive on a SOCK_SEQPACKET socket as JSON, with the child's two pipe ends attached as file
descriptors: ``spawn`` forks a child that applies the submission's limits, enters its working
directory and serves the grader (:mod:`calcgrade.student_process`); ``kill`` ends one child;
``sweep`` ends every process in the sandbox but this one, so nothing a submission leaves behind
meets the next. The server is not dumpable, so a child cannot read or patch its memory.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import sys

PR_SET_DUMPABLE = 4


def _sweep(children: set[int], isolated: bool) -> int:
    """SIGKILL what the submissions left: in the sandbox's own pid namespace every process but
    this one; without a sandbox only the children's process groups (never the host's)."""
    me, found = os.getpid(), 0
    for _ in range(20):
        if isolated:
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        else:
            pids = []
            for pid in list(children):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    children.discard(pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()
        found = max(found, len(pids))
        if not pids:
            break
    return found


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: limits, working directory, then serve the grader until killed."""
    os.setsid()
    limits = request["limits"]
    for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"])):
        resource.setrlimit(getattr(resource, name), (int(value), int(value)))
    os.chdir(request["workdir"])
    os.environ["HOME"] = request["workdir"]
    os.environ["MPLCONFIGDIR"] = os.path.join(request["workdir"], ".matplotlib")
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from .student_process import StudentSide

    side = StudentSide(os.fdopen(fds[0], "rb", buffering=0), os.fdopen(fds[1], "wb", buffering=0))
    side.wire.send(side.writer, {"ready": True})
    side.serve()


def main(argv) -> None:
    control = socket.socket(fileno=int(argv[1]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import sympy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    from . import answers, plots, student_process, wire  # noqa: F401

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    isolated = "--sandboxed" in argv and os.getpid() <= 3  # its own pid namespace: bwrap is 1
    children: set[int] = set()
    control.send(json.dumps({"ready": True}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(control, 65536, 2)
        if not data:
            return
        request = json.loads(data)
        op = request.get("op")
        if op == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    _child(request, fds)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            reply = {"pid": pid}
        elif op == "kill":
            for kill in (os.killpg, os.kill):  # the child may not have its own group yet
                try:
                    kill(int(request["pid"]), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _reap()
            reply = {"killed": True}
        elif op == "sweep":
            reply = {"swept": _sweep(children, isolated)}
        else:
            reply = {"failed": f"unknown request {op!r}"}
        control.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main(sys.argv)
