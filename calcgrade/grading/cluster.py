"""Grading on a Dask distributed cluster: `calcgrade autograde ASSIGNMENT --scheduler tcp://HOST:PORT`.

The coordinator (the machine with the course directory) grades as on one machine, in a pool of
grading processes that each run nbgrader's Autograde converter for one student at a time:
sanitizing, restoring the official test cells, writing the autograded notebook and every
gradebook read and write. One preprocessor differs: `RemoteExecute`, in place of
`TrustedExecute`, ships the sanitized notebook and the submission's other files to a Dask
worker, where `TrustedExecute` runs it exactly as it does locally (student cells in a sandbox,
test cells in the worker's grading process, `GradingProcess`), and takes the executed notebook
back. The workers never see the gradebook, `source/` or another student's files.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import cast

import nbformat
from distributed import WorkerPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

MAX_SHIPPED_BYTES = 64 * 2 ** 20  # a submission's folder larger than this is not sent out
PLUGIN = "calcgrade-grading"  # the name of GradingProcess on every worker


class RemoteExecute(NbGraderPreprocessor):
    """Run the notebook on a Dask worker (with TrustedExecute there); keep the verdict's
    bookkeeping here. Configured like TrustedExecute: its settings travel with the notebook."""

    retries = Integer(1, help="Times a notebook is sent again when its worker was lost."
                      ).tag(config=True)

    def preprocess(self, nb, resources):
        from calcgrade.grading.autograde import run_of

        run = run_of(self)
        if run is None or run.client is None:
            raise RuntimeError("RemoteExecute runs only inside `calcgrade autograde --scheduler`")
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        info = resources.get("nbgrader", {})
        request = {"notebook": nbformat.writes(nb), "files": _files(folder),
                   "settings": dict(self.config.get("TrustedExecute", {})),
                   # whose notebook it is: each part's seed is derived from it
                   "nbgrader": {k: str(info.get(k, "")) for k in
                                ("assignment", "notebook", "student")}}
        started = time.monotonic()
        try:
            reply = run.client.submit(execute_on_worker, request, pure=False,
                                      retries=self.retries).result()
        finally:
            run.ledger.waited_seconds += time.monotonic() - started
        run.ledger.worker_seconds += reply.get("seconds", 0.0)
        if "error" in reply:
            raise RuntimeError(f"the worker could not grade this notebook: {reply['error']}")
        return nbformat.reads(reply["notebook"], as_version=4), resources


def connect(scheduler: str):
    """A Dask client of the scheduler at `scheduler`, or SystemExit saying it cannot be reached."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SystemExit(f"calcgrade: could not reach the Dask scheduler at {scheduler} "
                         f"({exc}); nothing was graded") from None


def prepare_cluster(scheduler: str, sandbox: bool) -> int:
    """Before any grade: every worker starts a sandbox (a worker where bubblewrap cannot start
    would otherwise score every notebook it gets 0) and gets a GradingProcess. Returns the
    number of workers; SystemExit with the reasons if any worker cannot grade."""
    client = connect(scheduler)
    try:
        broken = {w: why for w, why in client.run(sandbox_fails, sandbox).items() if why}
        if broken:
            raise SystemExit("calcgrade: nothing was graded; on these workers "
                             + "; ".join(f"{w}: {why}" for w, why in sorted(broken.items())))
        client.register_plugin(GradingProcess(), name=PLUGIN)
        return max(1, len(client.scheduler_info().get("workers", {})))
    finally:
        client.close()


class GradingProcess(WorkerPlugin):
    """A Dask worker plugin: the worker's grading process, a plain child process that runs
    TrustedExecute on one notebook at a time. Dask runs tasks in threads, and the grader's time
    limits on sympy need a main thread (and Dask's daemonic workers may not start
    multiprocessing children)."""

    process: subprocess.Popen | None = None

    def setup(self, worker=None):
        self.process, self.lock = None, threading.Lock()

    def teardown(self, worker=None):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def execute(self, request: dict) -> dict:
        with self.lock:
            started = time.monotonic()
            if not self.running():
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "calcgrade.grading.cluster"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            # running, or just started, with pipes
            assert self.process is not None
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
            if not line:
                self.process = None
                return {"error": "the worker's grading process stopped"}
            return {**json.loads(line), "seconds": time.monotonic() - started}


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
    """The Dask task: this worker's GradingProcess grades the notebook."""
    from dask.distributed import get_worker

    return cast(GradingProcess, get_worker().plugins[PLUGIN]).execute(request)


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


if __name__ == "__main__":
    _serve()
