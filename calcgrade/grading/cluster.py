"""Grading on a Dask distributed cluster: `calcgrade autograde ASSIGNMENT --scheduler tcp://HOST:PORT`.

The coordinator (the machine with the course directory) runs nbgrader's Autograde converter for
every student as on one machine: sanitizing, restoring the official test cells, writing the
autograded notebook and every gradebook read and write. One preprocessor differs:
`RemoteExecute`, in place of `TrustedExecute`, ships the sanitized notebook and the submission's
other files to a Dask worker, where `TrustedExecute` runs it exactly as it does locally (student
cells in a sandbox, test cells in a grading process), and takes the executed notebook back. The
workers never see the gradebook, `source/` or another student's files.

nbgrader's converters and the gradebook are not made for threads, so the coordinator does its own
work for one student at a time under `_COORDINATOR`, and lets go of it while that student's
notebook is on the cluster: many students are in flight, one is being written.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path, PurePosixPath

import nbformat
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

MAX_SHIPPED_BYTES = 64 * 2 ** 20  # a submission's folder larger than this is not sent out

_COORDINATOR = threading.Lock()
_waited = threading.local()  # per coordinator thread: seconds its notebooks spent on the cluster
_worked = [0.0]  # seconds the workers spent grading this run's notebooks (under _COORDINATOR)
_client = None  # the coordinator's dask Client while a run is on

_child: subprocess.Popen | None = None  # per Dask worker process: its grading process
_child_lock = threading.Lock()


class RemoteExecute(NbGraderPreprocessor):
    """Run the notebook on a Dask worker (with TrustedExecute there); keep the verdict's
    bookkeeping here. Configured like TrustedExecute: its settings travel with the notebook."""

    retries = Integer(1, help="Times a notebook is sent again when its worker was lost."
                      ).tag(config=True)

    def preprocess(self, nb, resources):
        if _client is None:
            raise RuntimeError("RemoteExecute runs only inside `calcgrade autograde --scheduler`")
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        info = resources.get("nbgrader", {})
        request = {"notebook": nbformat.writes(nb), "files": _files(folder),
                   "settings": dict(self.config.get("TrustedExecute", {})),
                   # whose notebook it is: each part's seed is derived from it
                   "nbgrader": {k: str(info.get(k, "")) for k in
                                ("assignment", "notebook", "student")}}
        future = _client.submit(execute_on_worker, request, pure=False, retries=self.retries)
        _COORDINATOR.release()  # other students' bookkeeping goes on while this one runs
        started = time.monotonic()
        try:
            reply = future.result()
        finally:
            _COORDINATOR.acquire()
            _waited.seconds = getattr(_waited, "seconds", 0.0) + time.monotonic() - started
        _worked[0] += reply.get("seconds", 0.0)
        if "error" in reply:
            raise RuntimeError(f"the worker could not grade this notebook: {reply['error']}")
        return nbformat.reads(reply["notebook"], as_version=4), resources


class ClusterAutograde(Autograde):
    """nbgrader's Autograde, step for step, but for one line: nbgrader wraps execution in
    `utils.setenv(NBGRADER_EXECUTION=...)`, which deletes the variable afterwards whatever it
    was (it looks the old value up by the wrong key), so with several students in flight the
    second deletion fails. Here the variable is set once for the whole run instead."""

    def convert_single_notebook(self, notebook_filename: str) -> None:
        self._sanitizing = True
        self._init_preprocessors()
        BaseConverter.convert_single_notebook(self, notebook_filename)
        notebook_filename = os.path.join(self.writer.build_directory,
                                         os.path.basename(notebook_filename))
        self._sanitizing = False
        self._init_preprocessors()
        try:
            BaseConverter.convert_single_notebook(self, notebook_filename)
        finally:
            self._sanitizing = True


@contextlib.contextmanager
def one_engine_per_database():
    """nbgrader opens a new SQLAlchemy engine for every Gradebook (several per student), and an
    engine's cache of compiled queries goes with it: compiling SQL took a third of the
    coordinator's time (py-spy). While the coordinator grades, one student at a time, its
    Gradebooks share one engine per database URL."""
    import nbgrader.api

    original, engines = nbgrader.api.create_engine, {}

    def shared(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original(url, **kwargs)
        return engines[key]

    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()


def _files(folder: Path) -> dict[str, str]:
    """The submission's files beside its notebooks (data files, modules), as base64; links are
    not followed (one could point at the gradebook)."""
    files, size = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
            size += path.stat().st_size
            if size > MAX_SHIPPED_BYTES:
                raise RuntimeError(f"the submission's files exceed {MAX_SHIPPED_BYTES >> 20} MB "
                                   "and are not sent to the cluster")
            files[path.relative_to(folder).as_posix()] = base64.b64encode(
                path.read_bytes()).decode()
    return files


def sandbox_fails(sandbox: bool) -> str | None:
    """Run on every worker before grading, as the local run checks its own machine: a worker
    where bubblewrap cannot start would otherwise score every notebook it gets 0."""
    from calcgrade.grading.autograde import check_sandbox

    try:
        if sandbox:
            check_sandbox(Path.cwd())
    except (SystemExit, Exception) as exc:
        return str(exc)
    return None


def execute_on_worker(request: dict) -> dict:
    """The Dask task. It hands the notebook to this worker's grading process, a plain child
    process: Dask runs tasks in threads, and the grader's time limits on sympy need a main
    thread (and Dask's daemonic workers may not start multiprocessing children)."""
    global _child
    with _child_lock:
        started = time.monotonic()
        if _child is None or _child.poll() is not None:
            _child = subprocess.Popen([sys.executable, "-m", "calcgrade.grading.cluster"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        _child.stdin.write(json.dumps(request) + "\n")
        _child.stdin.flush()
        line = _child.stdout.readline()
        if not line:
            _child = None
            return {"error": "the worker's grading process stopped"}
        return {**json.loads(line), "seconds": time.monotonic() - started}


def _execute(request: dict) -> str:
    """Run one notebook with TrustedExecute in a fresh folder holding the submission's files."""
    from traitlets.config import Config

    from calcgrade.grading.execute import TrustedExecute

    with tempfile.TemporaryDirectory(prefix="calcgrade-remote-") as folder:
        for name, data in request["files"].items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"refused file name {name!r}")
            target = Path(folder, *relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(data))
        nb = nbformat.reads(request["notebook"], as_version=4)
        executor = TrustedExecute(config=Config({"TrustedExecute": request["settings"]}))
        nb, _ = executor.preprocess(nb, {"metadata": {"path": folder},
                                         "nbgrader": request.get("nbgrader", {})})
        return nbformat.writes(nb)


def _serve() -> None:
    """The grading process: one JSON request per line in, one reply per line out. Anything else
    written to stdout goes to stderr so it cannot break the protocol."""
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        try:
            reply = {"notebook": _execute(json.loads(line))}
        except Exception as exc:  # reported for this notebook; the process serves the next
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def grade_on_cluster(assignment: str, students: list[str], scheduler: str, extra: dict,
                     root: Path, stats: dict | None = None):
    """Yield (student, seconds, error, seconds writing the gradebook) as each student is done.
    Each student goes through nbgrader's Autograde here, its execution on the cluster. `stats`
    receives the number of workers and the busy seconds of the workers and the coordinator."""
    from dask.distributed import Client
    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from calcgrade.grading import autograde as local

    global _client
    if not students:
        return
    try:
        _client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SystemExit(f"calcgrade: could not reach the Dask scheduler at {scheduler} "
                         f"({exc}); nothing was graded") from None
    sandbox = extra.get("TrustedExecute", {}).get("sandbox", True)
    broken = {w: why for w, why in _client.run(sandbox_fails, sandbox).items() if why}
    if broken:
        _client.close()
        _client = None
        raise SystemExit("calcgrade: nothing was graded; on these workers "
                         + "; ".join(f"{w}: {why}" for w, why in sorted(broken.items())))
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    app = AutogradeApp()
    app.initialize([assignment, "--force", "--log-level=WARN"])
    app.update_config(Config(extra))
    workers = max(1, len(_client.scheduler_info().get("workers", {})))
    busy = [0.0]  # seconds the coordinator spent on nbgrader's side, one student at a time
    _worked[0] = 0.0

    def grade(student: str):
        with _COORDINATOR:
            held, waited = time.monotonic(), getattr(_waited, "seconds", 0.0)
            coursedir = CourseDirectory(parent=app)
            coursedir.root, coursedir.assignment_id = str(root), assignment
            coursedir.student_id = student
            result = local.grade_student(ClusterAutograde(coursedir=coursedir, parent=app),
                                         assignment, student)
            busy[0] += time.monotonic() - held - (getattr(_waited, "seconds", 0.0) - waited)
            return result

    try:
        with one_engine_per_database(), ThreadPoolExecutor(2 * workers + 2) as pool:
            for future in as_completed([pool.submit(grade, s) for s in students]):
                yield future.result()
        if stats is not None:
            stats.update(workers=workers, workers_busy=_worked[0], coordinator_busy=busy[0])
        print(f"\n{workers} Dask workers busy {_worked[0]:.1f} s in all; coordinator busy "
              f"{busy[0]:.1f} s (nbgrader's bookkeeping and the gradebook, one student at a time)",
              end="", file=sys.stderr)
    finally:
        _client.close()
        _client = None


if __name__ == "__main__":
    _serve()
