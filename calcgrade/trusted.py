"""TrustedExecute: nbgrader's Execute step, with the verdict reached outside the student's process.

It takes the place of `Execute` in `Autograde.autograde_preprocessors` (see `calcgrade autograde`),
so nbgrader still sanitizes, restores the official test cells, writes the gradebook and the
autograded notebook. The student's cells run in a fresh sandboxed process
(:class:`calcgrade.sandbox.StudentProcess`); the test cells run here, in the grader, where each
name the student defined is fetched as data, or as a handle to a function called remotely.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import io
import multiprocessing.util
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Float, Integer

from .errors import CheckFailed
from .sandbox import Limits, StudentGone, StudentProcess, StudentTimeout, Zygote

BUILTIN_NAMES = set(dir(builtins))
_zygotes: dict[tuple, Zygote] = {}  # one warm fork server per grading process and course


def _close_zygotes() -> None:
    for zygote in _zygotes.values():
        zygote.close()
        shutil.rmtree(zygote.scratch, ignore_errors=True)


atexit.register(_close_zygotes)
multiprocessing.util.Finalize(None, _close_zygotes, exitpriority=10)  # pool workers skip atexit


class StudentNamespace(dict):
    """The names a test cell sees: the grader's own first (numpy, sympy, calcgrade, what earlier
    test cells defined), builtins next, and only then the student's, fetched from their process.
    A student's `len` or `np` can never stand in for the grader's."""

    def __init__(self, trusted: dict, student: StudentProcess | None, stopped: str | None = None):
        super().__init__()
        self.trusted, self.student, self.stopped = trusted, student, stopped

    def __getitem__(self, name):
        if name in self.trusted:
            return self.trusted[name]
        if name in BUILTIN_NAMES:
            raise KeyError(name)
        if self.stopped or self.student is None or not self.student.alive:
            raise StudentGone(self.stopped or "it stopped before this part")
        if not dict.__contains__(self, name):
            dict.__setitem__(self, name, self.student.get(name))
        return dict.__getitem__(self, name)

    def __setitem__(self, name, value):
        self.trusted[name] = value

    def __contains__(self, name):
        try:
            self[name]
            return True
        except KeyError:
            return False

    def get(self, name, default=None):
        return self[name] if name in self else default


def _error(ename: str, evalue: str, lines: list[str] | None = None):
    return new_output("error", ename=ename, evalue=evalue, traceback=lines or [f"{ename}: {evalue}"])


def _share_font_cache(target: Path) -> None:
    """Give the student's process the grader's matplotlib font list, which it would otherwise
    rebuild on every start (about a second)."""
    import matplotlib
    from matplotlib import font_manager  # noqa: F401  (builds the grader's cache once)

    target.mkdir(exist_ok=True)
    for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(cached, target / cached.name)


class TrustedExecute(NbGraderPreprocessor):
    """Run student cells in a sandboxed process and test cells in the grader."""

    sandbox = Bool(True, help="Run the student's code in a bubblewrap sandbox.").tag(config=True)
    cell_timeout = Float(30.0, help="Wall-clock seconds per student cell and per call of a "
                                    "student function.").tag(config=True)
    notebook_timeout = Float(300.0, help="Wall-clock seconds per notebook.").tag(config=True)
    memory_limit_mb = Integer(2048, help="Address-space limit of the student's process."
                              ).tag(config=True)
    cpu_limit = Integer(300, help="CPU seconds for the student's process.").tag(config=True)
    output_limit_kb = Integer(1024, help="Largest file the student's process may write."
                              ).tag(config=True)
    fork_server = Bool(True, help="Fork each submission's fresh process from a warm server in "
                                  "its own sandbox (imports done once) instead of starting a new "
                                  "interpreter.").tag(config=True)

    def _zygote(self, course_root: Path) -> Zygote:
        key = (self.sandbox, str(course_root))
        zygote = _zygotes.get(key)
        if zygote is None or not zygote.alive:
            if zygote is not None:
                zygote.close()
                shutil.rmtree(zygote.scratch, ignore_errors=True)
            scratch = Path(tempfile.mkdtemp(prefix="calcgrade-scratch-"))
            zygote = _zygotes[key] = Zygote(scratch, sandbox=self.sandbox, hidden=[course_root])
        return zygote

    def preprocess(self, nb, resources):
        source_dir = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        course_root = Path.cwd().resolve()
        limits = Limits(self.cell_timeout, self.notebook_timeout, self.memory_limit_mb * 2 ** 20,
                        self.cpu_limit, self.output_limit_kb * 1024)
        zygote = self._zygote(course_root) if self.fork_server else None
        scratch = zygote.scratch if zygote else Path(tempfile.mkdtemp(prefix="calcgrade-"))
        workdir = scratch / uuid.uuid4().hex
        shutil.copytree(source_dir, workdir, ignore=shutil.ignore_patterns("*.ipynb"))
        _share_font_cache(workdir / ".matplotlib")
        student, stopped = None, None
        try:
            try:
                student = StudentProcess(workdir, sandbox=self.sandbox, limits=limits,
                                         hidden=[course_root, source_dir], zygote=zygote)
            except (StudentGone, StudentTimeout) as exc:
                stopped = f"the notebook's process could not start ({exc})"
            trusted = self._trusted_globals()
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                if is_grade(cell) and not is_solution(cell):
                    cell.outputs = self._run_test(cell.source, trusted, student, stopped)
                elif stopped:
                    cell.outputs = [_error("NotRun", f"not run: {stopped}")]
                else:
                    cell.outputs, stopped = self._run_student(cell.source, student)
        finally:
            if student is not None:
                student.close()
            if zygote is not None and zygote.alive:
                with contextlib.suppress(StudentGone):
                    zygote.sweep()  # nothing this submission started meets the next one
            shutil.rmtree(workdir if zygote else scratch, ignore_errors=True)
        return nb, resources

    def _trusted_globals(self) -> dict:
        import numpy
        import sympy

        import calcgrade
        from calcgrade import selfcheck

        trusted = {"__builtins__": builtins, "__name__": "__grader__", "np": numpy,
                   "sp": sympy, "cg": calcgrade, "calcgrade": calcgrade, "selfcheck": selfcheck}
        return trusted

    def _run_student(self, code: str, student: StudentProcess):
        try:
            reply = student.run_cell(code)
        except StudentTimeout:
            message = f"this cell ran over the time limit of {self.cell_timeout:g} s and was stopped"
            if student.alive:  # stopped by the soft limit: the rest of the notebook runs on
                return [_error("CellTimeoutError", message)], None
            reason = f"a cell ran over the time limit of {self.cell_timeout:g} s"
            return [_error("CellTimeoutError", message)], reason
        except StudentGone as exc:
            reason = (f"the notebook's process stopped ({exc}): it exited, was killed, or ran "
                      "out of memory or CPU time")
            return [_error("KernelDied", reason)], reason
        outputs = []
        if reply.get("stdout"):
            outputs.append(new_output("stream", name="stdout", text=str(reply["stdout"])))
        if "error" in reply:
            ename, evalue = (list(reply["error"]) + ["", ""])[:2]
            outputs.append(_error(str(ename), str(evalue)))
        return outputs, None

    def _run_test(self, code: str, trusted: dict, student, stopped):
        namespace = StudentNamespace(trusted, student, stopped)
        trusted["globals"] = lambda: namespace
        out = io.StringIO()
        outputs = []
        try:
            compiled = compile(code, "<test cell>", "exec")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compiled, trusted, namespace)
        except CheckFailed as exc:
            outputs.append(_error("CheckFailed", str(exc), exc._render_traceback_()))
        except StudentTimeout:
            outputs.append(_error("CellTimeoutError", "your code ran over the time limit of "
                                  f"{self.cell_timeout:g} s while this part was checked"))
        except StudentGone as exc:
            outputs.append(_error("NotRun", f"this part could not be checked: the notebook "
                                  f"stopped before it ({exc})"))
        except Exception as exc:  # the grader's own check failed on what the student gave
            outputs.append(_error(type(exc).__name__, str(exc)[:2000]))
        if out.getvalue():
            outputs.insert(0, new_output("stream", name="stdout", text=out.getvalue()))
        return outputs
