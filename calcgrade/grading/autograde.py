"""`calcgrade autograde`: nbgrader's own Autograde converter, with TrustedExecute in place of
Execute, one student at a time in a pool of worker processes.

Everything per notebook is nbgrader's: sanitizing, restoring the official test cells from the
gradebook, SaveAutoGrades, the autograded/ layout and the gradebook at `db_url`, so formgrader,
`generate_feedback` and `export` work on what it writes. What this adds: the workers (both cores
busy), a progress line, a summary, and resuming: a student whose grading finished is marked, and
a re-run after an interruption grades only the others (a student cut off mid-way is graded again
from the start, overwriting its partial entries). The executor is pluggable: local worker
processes by default, or a Dask cluster with `scheduler` (calcgrade.grading.cluster).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config import Config

from calcgrade import defences
from calcgrade.grading import seeds
from calcgrade.grading.execute import MarkFixtures, TrustedExecute
from calcgrade.grading.reference import ExcuseTestErrors, grade_sources
from calcgrade.sandbox.submission import quarantine

log = logging.getLogger("calcgrade")  # what the instructor must know of a run (the CLI: stderr)


@dataclass
class Ledger:
    """What the steps grading one student spent: SaveAutoGrades's writes to the gradebook, and
    the time its notebooks spent on Dask workers (RemoteExecute)."""

    gradebook_seconds: float = 0.0
    waited_seconds: float = 0.0  # waiting for notebooks sent to Dask workers
    worker_seconds: float = 0.0  # what those notebooks took on the workers themselves


class LedgerAutograde(Autograde):
    """nbgrader's Autograde, carrying the student's Ledger (and, on a cluster, the grading
    process's Dask client) for the steps it runs: a preprocessor finds them through its parents
    (`run_of`)."""

    def __init__(self, *args, ledger: Ledger, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ledger, self.client = ledger, client


def run_of(preprocessor) -> LedgerAutograde | None:
    """The converter running `preprocessor` (its parent's parent: nbconvert's exporter sits
    between), or None when nbgrader's own Autograde runs it."""
    parent = preprocessor.parent
    while parent is not None and not isinstance(parent, LedgerAutograde):
        parent = parent.parent
    return parent


class TimedSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, timed: a run reports how long the gradebook's writes took."""

    def preprocess(self, nb, resources):
        started = time.perf_counter()
        try:
            return super().preprocess(nb, resources)
        finally:
            run = run_of(self)
            if run is not None:
                run.ledger.gradebook_seconds += time.perf_counter() - started


def pipeline(executor) -> list:
    """nbgrader's own autograde steps (the default of `Autograde.autograde_preprocessors`), with
    `executor` in place of Execute, after the step that marks the instructor's provided cells
    (run in the grader too); SaveAutoGrades timed, and followed by the step that leaves the
    parts whose test fails on the source solution to the instructor."""
    steps: list = []
    for step in Autograde.class_traits()["autograde_preprocessors"].default():
        if step is Execute:
            steps += [*([] if defences.off("fixtures") else [MarkFixtures]), executor]
        elif step is SaveAutoGrades:
            steps += [TimedSaveAutoGrades, ExcuseTestErrors]
        else:
            steps.append(step)
    if executor not in steps or ExcuseTestErrors not in steps:
        raise RuntimeError("nbgrader's autograde steps have changed: no Execute or "
                           "SaveAutoGrades step to take the place of")
    return steps


MARKER = ".calcgrade-graded"
STOPPED = {"CellTimeoutError": "timed out", "KernelDied": "crashed", "NotRun": "crashed",
           "CheckStopped": "stopped by the grader's limits"}
RETRIES = 1  # a student whose grading worker died is graded once more, then reported
TASKS_PER_WORKER = 50


@dataclass
class Graded:
    """One student's grading, as a worker process reports it."""

    student: str
    seconds: float
    error: str | None = None  # why the student could not be graded
    refused: list[str] = field(default_factory=list)  # entries quarantined from the submission
    spent: Ledger = field(default_factory=Ledger)  # of `seconds`: gradebook writes, Dask waits


class Grader:
    """One grading process: nbgrader's AutogradeApp configured once (the course's
    nbgrader_config.py, then `extra`), and a LedgerAutograde converter per student. With a
    `scheduler`, its notebooks run on that Dask cluster (RemoteExecute in `extra`)."""

    def __init__(self, assignment: str, extra: dict, scheduler: str | None = None):
        from nbgrader.apps.autogradeapp import AutogradeApp

        self.assignment = assignment
        self.app = AutogradeApp()
        self.app.initialize([assignment, "--force", "--log-level=WARN"])
        self.app.update_config(Config(extra))
        self.app.coursedir.assignment_id = assignment
        self.client = None
        if scheduler:
            from calcgrade.grading.cluster import connect

            self.client = connect(scheduler)

    def grade(self, student: str) -> Graded:
        """Refuse the submission's links and special files, run nbgrader's Autograde for the
        student and mark the student graded."""
        started = time.monotonic()
        self.app.coursedir.student_id = student
        root = Path(self.app.coursedir.root)
        result = Graded(student, 0.0)
        try:
            result.refused = [] if defences.off("links") else quarantine(root, student,
                                                                         self.assignment)
            LedgerAutograde(coursedir=self.app.coursedir, parent=self.app, ledger=result.spent,
                            client=self.client).start()
            mark_graded(root, self.assignment, student)
        except BaseException as exc:  # nbgrader reports its own errors; keep the run going
            result.error = f"{type(exc).__name__}: {exc}"[:300]
        result.seconds = time.monotonic() - started
        return result

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def mark_graded(root: Path, assignment: str, student: str) -> None:
    (root / "autograded" / student / assignment / MARKER).write_text(str(time.time()))


def _worker(connection, assignment: str, extra: dict, scratch: str,
            scheduler: str | None) -> None:
    """A grading worker process: students in, results out, until told to stop (None)."""
    os.environ["CALCGRADE_SCRATCH"] = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    grader = Grader(assignment, extra, scheduler)
    try:
        while True:
            student = connection.recv()
            if student is None:
                return
            connection.send(grader.grade(student))
    finally:
        grader.close()


class _Worker:
    def __init__(self, context, *args):
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_worker, daemon=True, args=(theirs, *args))
        self.process.start()
        theirs.close()
        self.student, self.done = None, 0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


def grade_in_pool(assignment: str, students: list[str], workers: int, extra: dict,
                  scratch: Path, scheduler: str | None = None):
    """Yield each student's Graded from `workers` grading processes: they run the notebooks
    themselves, or on the Dask cluster at `scheduler`. A process that dies (killed, out of
    memory) is replaced; its student is graded once more, then reported as failed."""
    if not students:
        return
    context = multiprocessing.get_context("forkserver")
    # imported once, in the process the workers are forked from, not once per worker
    context.set_forkserver_preload(["calcgrade.grading.autograde", "nbgrader.apps.autogradeapp",
                                    "calcgrade.grading.warm"])
    tries: Counter[str]
    todo, tries = deque(students), Counter()
    args = (assignment, extra, str(scratch), scheduler)
    try:
        pool = [_Worker(context, *args) for _ in range(max(1, min(workers, len(students))))]
    except OSError as exc:  # the fork server's UNIX socket lives in the temporary directory
        if "path too long" not in str(exc):
            raise
        raise SystemExit(f"calcgrade autograde: the temporary directory {tempfile.gettempdir()} "
                         "has too long a path for the grading processes' socket (at most about "
                         "80 characters): set TMPDIR to a shorter one") from None
    try:
        while todo or any(w.student for w in pool):
            for i, worker in enumerate(pool):
                if worker.student is None and todo:
                    if worker.done >= TASKS_PER_WORKER:  # a fresh process now and then
                        worker.stop()
                        worker = pool[i] = _Worker(context, *args)
                    worker.student = todo.popleft()
                    worker.connection.send(worker.student)
            busy = [w for w in pool if w.student]
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for i, worker in enumerate(pool):
                if not worker.student or not (worker.connection in ready
                                              or worker.process.sentinel in ready):
                    continue
                student, worker.student = worker.student, None
                try:
                    result = worker.connection.recv()
                    worker.done += 1
                except (EOFError, OSError):  # the worker died with this student
                    worker.stop()
                    pool[i] = _Worker(context, *args)
                    tries[student] += 1
                    if tries[student] <= RETRIES:
                        todo.appendleft(student)
                        continue
                    result = Graded(student, 0.0, "its grading worker died twice (killed, or "
                                    "out of memory); not graded")
                yield result
        for worker in pool:
            worker.connection.send(None)
    finally:
        for worker in pool:
            worker.stop()


def submitted_students(root: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}")
                  if p.is_dir() or p.is_symlink())


def already_graded(root: Path, assignment: str, student: str) -> bool:
    """Graded after the submission last changed; links are not followed and files that vanish
    or cannot be read are skipped (nothing in a submission can stop a resume)."""
    submitted = root / "submitted" / student / assignment
    try:
        done = (root / "autograded" / student / assignment / MARKER).stat().st_mtime
        newest = os.lstat(submitted).st_mtime
    except OSError:
        return False
    for dirpath, dirnames, filenames in os.walk(submitted, onerror=lambda e: None):
        for name in dirnames + filenames:
            try:
                newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                continue
    return done >= newest


@dataclass
class RunSummary:
    """What one `calcgrade autograde` run did, for the instructor (`text()`) and for programs
    (`to_data()`, printed by `--json`): benchmarks and tests read this, not the progress lines."""

    assignment: str
    students: list[str]  # every student with a submission (or those asked for)
    graded: list[str] = field(default_factory=list)  # graded by this run
    failures: dict[str, str] = field(default_factory=dict)  # student -> why not graded
    refused: dict[str, list[str]] = field(default_factory=dict)  # student -> quarantined entries
    errors_of_tests: dict[str, str] = field(default_factory=dict)  # notebook/grade id -> error
    seconds: float = 0.0
    gradebook_seconds: float = 0.0
    parts_failed: dict[str, int] = field(default_factory=dict)  # notebook:grade id -> students
    stopped: dict[str, list[str]] = field(default_factory=dict)  # timed out/crashed -> students
    cluster: dict[str, float] = field(default_factory=dict)  # workers, busy seconds (Dask)

    @property
    def problems(self) -> int:
        """Students not graded plus errors of the tests: the run's exit status is 1 if any."""
        return len(self.failures) + len(self.errors_of_tests)

    def read_outcomes(self, root: Path) -> None:
        """The parts failed most and the submissions stopped, from the autograded notebooks."""
        failed: Counter[str]
        stopped: dict[str, set[str]]
        failed, stopped = Counter(), {}
        for student in self.students:
            for path in sorted((root / "autograded" / student / self.assignment).glob("*.ipynb")):
                for cell in json.loads(path.read_text()).get("cells", []):
                    meta = cell.get("metadata", {}).get("nbgrader", {})
                    errors = [o.get("ename") for o in cell.get("outputs", [])
                              if o.get("output_type") == "error"]
                    if meta.get("grade") and not meta.get("solution") and errors:
                        failed[f"{path.stem}:{meta.get('grade_id')}"] += 1
                    for ename in errors:
                        if ename in STOPPED:
                            stopped.setdefault(STOPPED[ename], set()).add(student)
        self.parts_failed = dict(failed.most_common())
        self.stopped = {what: sorted(who) for what, who in sorted(stopped.items())}

    def text(self) -> str:
        """Students graded, the parts failed most, and submissions that timed out or crashed."""
        lines = []
        if self.graded:
            lines.append(f"{len(self.graded)} submissions in {self.seconds:.1f} s "
                         f"({len(self.graded) / max(self.seconds, 1e-9):.2f} per second); "
                         f"gradebook writes {self.gradebook_seconds:.1f} s")
        lines.append(f"{len(self.students)} students graded")
        if self.parts_failed:
            lines.append("parts failed most: " + ", ".join(
                f"{part} ({n})" for part, n in list(self.parts_failed.items())[:5]))
        for what, who in self.stopped.items():
            lines.append(f"{what}: {', '.join(who)}")
        if self.cluster:
            lines.append(f"{self.cluster['workers']} Dask workers busy "
                         f"{self.cluster['workers_busy']:.1f} s in all; the coordinator's "
                         f"grading processes {self.cluster['coordinator_busy']:.1f} s "
                         "(nbgrader's bookkeeping and the gradebook)")
        return "\n".join(lines)

    def to_data(self) -> dict:
        return {**asdict(self), "problems": self.problems}


def check_sandbox(root: Path) -> None:
    """Start one sandbox now, so that a machine where bubblewrap cannot run stops the whole
    run with one clear message instead of failing every student."""
    from calcgrade.sandbox.process import bwrap_binary, check_sandbox_starts

    try:
        bwrap_binary()
        check_sandbox_starts(hidden=[root])
    except (RuntimeError, OSError) as exc:
        raise SystemExit(f"calcgrade: the sandbox could not start ({exc}); grading stopped. "
                         "Run with --no-sandbox to grade without it (unsafe).") from None


def autograde(assignment: str, students: list[str] | None = None, *,
              workers: int | None = None,
              timeout: float | None = None, sandbox: bool = True, force: bool = False,
              root: Path | None = None, scheduler: str | None = None,
              progress=sys.stdout) -> RunSummary:
    """Grade every submission of `assignment` (or `students`) in `workers` grading processes
    (default 2), their notebooks run by themselves or on the Dask cluster at `scheduler`
    (default 2 per cluster worker, plus 2); what the run did, in a RunSummary. Progress lines go
    to `progress`."""
    root = (root or Path.cwd()).resolve()
    if os.environ.get(defences.SWITCH):
        log.warning("defences switched off for a test: %s", os.environ[defences.SWITCH])
    if not sandbox:
        log.warning("grading WITHOUT the sandbox: student code can read and write everything "
                    "the grader can")
    elif not scheduler:  # on a cluster, each worker's grading process starts its own sandbox
        check_sandbox(root)
    everyone = [s for s in submitted_students(root, assignment) if not students or s in students]
    todo = [s for s in everyone if force or not already_graded(root, assignment, s)]
    if len(todo) < len(everyone):
        print(f"{len(everyone) - len(todo)} students already graded; grading the other "
              f"{len(todo)} (use --force to grade everyone again)", file=progress)
    secret = seeds.course_secret(root)
    test_errors = errors_of_the_tests(root, assignment, sandbox, secret)
    extra: dict[str, dict[str, Any]]
    extra = {"Autograde": {"autograde_preprocessors": pipeline(TrustedExecute)},
             "TrustedExecute": {"sandbox": sandbox, "seed_secret": secret},
             "ExcuseTestErrors": {"cells": sorted(test_errors)}}
    if timeout is not None:
        extra["TrustedExecute"]["cell_timeout"] = float(timeout)
    # Everything staged for the sandboxes lives here, and goes at the end, Ctrl-C or not.
    scratch = Path(tempfile.mkdtemp(prefix="calcgrade-run-"))
    run = RunSummary(assignment, everyone, errors_of_tests=test_errors)
    started = time.monotonic()
    results = None
    processes = workers or 2
    try:
        if scheduler and todo:
            from calcgrade.grading.cluster import RemoteExecute, prepare_cluster

            cluster_workers = prepare_cluster(scheduler, sandbox)
            extra["Autograde"]["autograde_preprocessors"] = pipeline(RemoteExecute)
            # Grading processes here do nbgrader's part (sanitizing, restoring the tests,
            # writing the gradebook) while their notebooks run on the workers: each waits for
            # the cluster about 60% of the time, so twice as many as workers keep them busy.
            processes = workers or 2 * cluster_workers + 2
            run.cluster.update(workers=cluster_workers, workers_busy=0.0, coordinator_busy=0.0)
            print(f"grading on the Dask cluster at {scheduler} ({cluster_workers} workers); "
                  "the gradebook is written here", file=progress)
        results = grade_in_pool(assignment, todo, processes, extra, scratch, scheduler)
        for done, result in enumerate(results, start=1):
            run.gradebook_seconds += result.spent.gradebook_seconds
            run.graded.append(result.student)
            if result.error:
                run.failures[result.student] = result.error
            if result.refused:
                run.refused[result.student] = result.refused
            if run.cluster:
                run.cluster["workers_busy"] += result.spent.worker_seconds
                run.cluster["coordinator_busy"] += result.seconds - result.spent.waited_seconds
            elapsed = time.monotonic() - started
            left = elapsed / done * (len(todo) - done)
            print(f"\r[{done}/{len(todo)}] {result.student:<24.24} {result.seconds:5.1f}s  "
                  f"elapsed {elapsed:5.0f}s  left ~{left:4.0f}s  failures {len(run.failures)}",
                  end="", flush=True, file=progress)
    finally:
        if results is not None:
            results.close()  # stops the workers (and their sandboxes) before their files go
        shutil.rmtree(scratch, ignore_errors=True)
    print(file=progress)
    run.seconds = time.monotonic() - started
    run.read_outcomes(root)
    for student, moved in sorted(run.refused.items()):
        log.error("refused in %s's submission (moved to quarantine/, not graded): %s",
                  student, "; ".join(moved))
    for student, error in run.failures.items():
        log.error("could not grade %s: %s", student, error)
    for cell, error in sorted(test_errors.items()):
        notebook = cell.split("/", 1)[0]
        affected = sum((root / "autograded" / s / assignment / f"{notebook}.ipynb").exists()
                       for s in everyone)
        log.error("ERROR OF THE TEST %s/%s: %s (on the source solution). Not charged: %d "
                  "students' part left for you to grade by hand. Fix the test, run nbgrader "
                  "generate_assignment, then regrade with --force.", assignment, cell, error,
                  affected)
    return run


def errors_of_the_tests(root: Path, assignment: str, sandbox: bool, secret: str) -> dict:
    """notebook/grade id -> error, for each test cell that fails on the source solution (none
    when the course has no source/ for the assignment)."""
    if not (root / "source" / assignment).is_dir():
        log.warning("no source/%s here: errors of the tests cannot be told from students' "
                    "mistakes", assignment)
        return {}
    references = grade_sources(root, assignment, sandbox=sandbox, secret=secret)
    return {f"{nb}/{grade_id}": error for nb, ref in references.items()
            for grade_id, error in ref.errors.items()}
