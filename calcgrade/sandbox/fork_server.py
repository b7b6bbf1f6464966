"""A fork server inside the sandbox: numpy, sympy, matplotlib, IPython and calcgrade imported once,
a freshly forked child for each submission.

Started by the grader as ``python -P -m calcgrade.sandbox.fork_server SOCKET_FD ROOT --sandboxed``
inside bubblewrap, with ROOT the sandbox's private /tmp (RAM, bounded): the only place anything
in the sandbox can write, and not on any import path. Requests arrive on a SOCK_SEQPACKET socket as
JSON with file descriptors attached: ``spawn`` (the child's two pipe ends and the grader's
staging folder, open) copies the submission's files into a fresh folder under ROOT and forks a
child that applies the submission's limits, enters that folder and serves the grader
(:mod:`calcgrade.sandbox.student_side`); ``kill`` ends one child; ``sweep`` ends every process in
the sandbox but this one and empties ROOT, so nothing a submission leaves behind, running or
written, meets the next. The server is not dumpable, so a child cannot read or patch its memory.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import stat
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


def _empty(root: str) -> None:
    """Remove everything in `root`, whatever permissions or depth the student left on it (an
    explicit stack: no recursion limit; folders made writable again before they are read).
    What is mounted inside it (the Python environment, when it lives under /tmp) is left."""
    device = os.lstat(root).st_dev
    stack = [(os.path.join(root, name), False) for name in _names(root)]
    while stack:
        path, listed = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            continue
        folder = stat.S_ISDIR(info.st_mode)
        if info.st_dev != device:
            continue
        if not folder:
            _quietly(os.unlink, path)
        elif listed:
            _quietly(os.rmdir, path)
        else:
            _quietly(os.chmod, path, stat.S_IRWXU)
            stack.append((path, True))
            stack.extend((os.path.join(path, name), False) for name in _names(path))


def _names(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _quietly(function, *args) -> None:
    try:
        function(*args)
    except OSError:
        pass


def _stage(root: str, name: str, folder_fd: int) -> str:
    """Copy the staged submission (an open folder of the grader's) to a fresh folder in ROOT."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"refused folder name {name!r}")
    workdir = os.path.join(root, name)
    shutil.copytree(f"/proc/self/fd/{folder_fd}", workdir, symlinks=True)
    return workdir


def _child(request: dict, workdir: str, fds: list[int]) -> None:
    """In the forked child: limits, working directory, then serve the grader until killed."""
    os.setsid()
    from calcgrade.limits import Limits

    Limits.from_data(request["limits"]).apply()
    os.chdir(workdir)
    os.environ["HOME"] = workdir
    os.environ["MPLCONFIGDIR"] = os.path.join(workdir, ".matplotlib")
    sys.path.insert(0, workdir)  # as in Jupyter: the notebook's own folder is importable
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from calcgrade.sandbox.student_side import StudentSide

    side = StudentSide(os.fdopen(fds[0], "rb", buffering=0), os.fdopen(fds[1], "wb", buffering=0))
    side.codec.send(side.writer, {"ready": True})
    side.serve()


def main(argv) -> None:
    control = socket.socket(fileno=int(argv[1]))
    root = argv[2]
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import sympy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    from calcgrade.checks import plots, symbolic  # noqa: F401
    from calcgrade.sandbox import codec, student_side  # noqa: F401

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    isolated = "--sandboxed" in argv and os.getpid() <= 3  # its own pid namespace: bwrap is 1
    children: set[int] = set()
    workdirs: set[str] = set()
    control.send(json.dumps({"ready": True}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(control, 65536, 3)
        if not data:
            return
        request = json.loads(data)
        op = request.get("op")
        if op == "spawn":
            try:
                workdir = _stage(root, str(request.get("name", "")), fds[2])
            except Exception as exc:  # a full /tmp, say
                for fd in fds:
                    os.close(fd)
                control.send(json.dumps({"failed": "its files could not be copied into the "
                                         f"sandbox ({type(exc).__name__}: {exc})"[:500]}).encode())
                continue
            workdirs.add(workdir)
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    os.close(fds[2])
                    _child(request, workdir, fds[:2])
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            reply: dict[str, object] = {"pid": pid}
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
            if isolated:  # the sandbox's /tmp and /dev/shm are ours alone: empty them
                _empty(root)
                _empty("/dev/shm")
            else:  # no sandbox: only what this server made
                for workdir in workdirs:
                    shutil.rmtree(workdir, ignore_errors=True)
            workdirs.clear()
        else:
            reply = {"failed": f"unknown request {op!r}"}
        control.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main(sys.argv)
