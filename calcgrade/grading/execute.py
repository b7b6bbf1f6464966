"""TrustedExecute: nbgrader's Execute step, with the verdict reached outside the student's process.

It takes the place of `Execute` in `Autograde.autograde_preprocessors` (see `calcgrade autograde`),
so nbgrader still sanitizes, restores the official test cells, writes the gradebook and the
autograded notebook. The student's cells run in a fresh sandboxed process
(`calcgrade.sandbox.process.StudentProcess`); the test cells run here, in the grader, where
each name the student defined is fetched as data, or as a handle to a function called remotely.
"""

from __future__ import annotations

import ast
import atexit
import builtins
import contextlib
import dis
import inspect
import io
import multiprocessing.util
import os
import re
import shutil
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path
from typing import cast

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Float, Integer, Unicode

from calcgrade import variants
from calcgrade.checks.errors import CheckFailed
from calcgrade.grading import seeds
from calcgrade.grading.child import CheckTooLong, cpu_limit, run_bounded
from calcgrade.limits import Limits
from calcgrade.sandbox.process import ForkServer, StudentGone, StudentProcess, StudentTimeout, shown
from calcgrade.sandbox.student_side import MAX_MESSAGE, MAX_OUTPUT
from calcgrade.sandbox.submission import copy_regular

BUILTIN_NAMES = set(dir(builtins))
_fork_servers: dict[tuple, ForkServer] = {}  # one warm fork server per grading process and course
_scratch: list[Path] = []  # this process's scratch folder, if it had to make one


def scratch_root() -> Path:
    """Where this process stages submissions: the run's folder (`CALCGRADE_SCRATCH`, made and
    removed by `calcgrade autograde`, even after Ctrl-C), or a folder of its own removed at exit."""
    given = os.environ.get("CALCGRADE_SCRATCH")
    if given and Path(given).is_dir():
        return Path(given)
    if not _scratch:
        _scratch.append(Path(tempfile.mkdtemp(prefix="calcgrade-")))
    return _scratch[0]


def _discard_fork_server(key) -> None:
    """Close the warm fork server kept under `key` (if any) and remove its scratch folder."""
    server = _fork_servers.pop(key, None)
    if server is not None:
        server.close()
        shutil.rmtree(server.scratch, ignore_errors=True)


def _close_fork_servers() -> None:
    for key in list(_fork_servers):
        _discard_fork_server(key)
    for folder in _scratch:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_close_fork_servers)
# pool workers skip atexit
multiprocessing.util.Finalize(None, _close_fork_servers, exitpriority=10)


class TestNamespace(dict):
    """The one mapping a notebook's test cells run in, as globals and locals at once (so names
    resolve the same in comprehensions, lambdas and nested functions as at the top level).

    Its own entries are the grader's: numpy, sympy, calcgrade, the instructor's fixtures (the
    notebook's locked provided cells, run here), and what earlier test cells defined. A name
    not there and not a builtin is the student's, fetched from their process once per test
    cell. A student's `len`, `np` or `X` can never stand in for the grader's."""

    student: StudentProcess | None
    stopped: str | None
    fetched: dict[str, object]

    def __init__(self, grader: dict):
        super().__init__(grader)
        self.student, self.stopped, self.fetched = None, None, {}

    def for_cell(self, student: StudentProcess | None, stopped: str | None) -> "TestNamespace":
        self.student, self.stopped, self.fetched = student, stopped, {}
        return self

    def __missing__(self, name):
        if name in BUILTIN_NAMES:
            raise KeyError(name)
        if name not in self.fetched:
            if self.stopped or self.student is None or not self.student.alive:
                raise StudentGone(self.stopped or "it stopped before this part")
            self.fetched[name] = self.student.get(name)
            if self.student.journal is not None:
                self.student.journal.append(f"{name} = {shown(self.fetched[name])}")
        return self.fetched[name]

    @contextlib.contextmanager
    def class_bodies_see(self, code):
        """A class body looks names up in the plain dict (never `__missing__`): the student's
        names such a body uses are put there for the cell, and taken away after it."""
        names: set[str] = set()

        def walk(outer):
            for const in outer.co_consts:
                if isinstance(const, types.CodeType):
                    if not const.co_flags & inspect.CO_OPTIMIZED:  # a class body
                        names.update(i.argval for i in dis.get_instructions(const)
                                     if i.opname in ("LOAD_NAME", "LOAD_GLOBAL")
                                     and not str(i.argval).startswith("__"))
                    walk(const)

        walk(code)
        planted = {}
        for name in sorted(names - set(dict.keys(self)) - BUILTIN_NAMES):
            try:
                planted[name] = self[name]
            except Exception:  # not the student's either: the body will say so itself
                continue
            dict.__setitem__(self, name, planted[name])
        try:
            yield
        finally:
            for name, value in planted.items():
                if dict.get(self, name) is value:
                    dict.__delitem__(self, name)

    def __contains__(self, name):
        try:
            self[name]
            return True
        except KeyError:
            return False

    def get(self, name, default=None):
        return self[name] if name in self else default


_TIMEIT_OPTIONS = re.compile(r"^\s*(?:-[nr]\s*\d+\s+|-[qpoc]\d*\s+)*")  # %timeit's own options


class GraderShell:
    """`get_ipython()` for the cells run in the grader (test cells, provided cells), so the
    IPython syntax nbgrader users write there means what it means in a kernel: `%time` and
    `%timeit` run their statement here (once) and print the time, `%%time` and `%%capture` run
    their cell, `%matplotlib` and `%config` do nothing (figures are read from their artists).
    Any other magic or a shell escape raises: the test is the instructor's to fix."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.user_ns = namespace

    def _run(self, code: str):
        """Run `code` here; the value of a single expression is returned, as IPython's."""
        try:
            return eval(compile(code.strip(), "<test cell>", "eval"), self.namespace)
        except SyntaxError:
            exec(_compile_cell(code, "<test cell>"), self.namespace)
            return None

    def _timed(self, code: str):
        started = time.perf_counter()
        try:
            return self._run(code)
        finally:
            print(f"Wall time: {(time.perf_counter() - started) * 1e3:.3g} ms")

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1):
        if name in ("time", "timeit"):
            return self._timed(_TIMEIT_OPTIONS.sub("", line) if name == "timeit" else line)
        if name in ("matplotlib", "config", "load_ext", "precision", "xmode"):
            return None
        raise NotImplementedError(f"the magic %{name} is not available in the grader")

    def run_cell_magic(self, name: str, line: str, cell: str):
        if name in ("time", "timeit"):
            self._timed(cell)
            return None
        if name == "capture":
            from IPython.utils.capture import capture_output

            words = line.split()
            target = next((w for w in words if not w.startswith("-")), None)
            with capture_output(stdout="--no-stdout" not in words,
                                stderr="--no-stderr" not in words, display=False) as captured:
                self._run(cell)
            if target:
                self.namespace[target] = captured
            return None
        raise NotImplementedError(f"the cell magic %%{name} is not available in the grader")

    def system(self, *args, **kwargs):
        raise NotImplementedError("shell commands (!...) are not available in the grader")

    getoutput = system


def _display(*objects, **kwargs) -> None:
    """IPython's `display` (a builtin in a kernel), for test cells: shows each object's text,
    which nbgrader does not grade."""
    for obj in objects:
        print(repr(obj))


def _split_cell(code: str):
    """The cell compiled as IPython runs it: its statements, and its last line apart when that
    is an expression (whose value the cell shows)."""
    tree = ast.parse(_as_python(code), "<test cell>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not _ends_quietly(code):
        last = compile(ast.Expression(cast(ast.Expr, tree.body.pop()).value), "<test cell>", "eval")
    return compile(tree, "<test cell>", "exec"), last


def _ends_quietly(code: str) -> bool:
    """A cell whose last token is `;` shows no value (IPython's rule)."""
    import tokenize

    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT,
                                    tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError):
        return False
    return bool(tokens) and tokens[-1].string == ";"


def _kernel_warnings() -> None:
    """Warnings as a kernel shows them: printed on stderr once per place (not errors, not
    silenced); deprecation notices of libraries stay quiet."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning):
        warnings.simplefilter("ignore", category)


class _MainModule(types.ModuleType):
    """`sys.modules["__main__"]` while a test cell runs, a live view of the test namespace, so
    what looks there (`unittest.main()`, `pickle`) sees the cell's names, as in a kernel."""

    def __init__(self, namespace: dict):
        super().__init__("__main__")
        self._namespace = namespace

    def __getattr__(self, name):
        # Only what the grader's namespace holds: a student's `load_tests` or `__file__` must
        # never stand in for it (a plain dict lookup, no fetching from the student).
        if not dict.__contains__(self._namespace, name):
            raise AttributeError(name)
        return dict.get(self._namespace, name)

    def __dir__(self):
        return list(dict.keys(self._namespace))


@contextlib.contextmanager
def _as_main(namespace: dict):
    before = sys.modules.get("__main__")
    sys.modules["__main__"] = _MainModule(namespace)
    try:
        yield
    finally:
        # None if there was none; typeshed's sys.modules leaves out the None entries it may hold
        sys.modules["__main__"] = before  # type: ignore[assignment]


def _as_python(code: str) -> str:
    """A cell's code as IPython would run it (magics become calls of `get_ipython()`)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(code)


def _compile_cell(code: str, filename: str):
    return compile(_as_python(code), filename, "exec")


def _error(ename: str, evalue: str, lines: list[str] | None = None):
    return new_output("error", ename=ename, evalue=evalue,
                      traceback=lines or [f"{ename}: {evalue}"])


def warm_imports() -> None:
    """Import here, once per worker, what every notebook's grading child would otherwise import
    anew (children are thrown away): pyplot and IPython's transformers for the provided cells,
    calcgrade's checkers for the tests, and what sympy imports on its first sum and simplify.
    `calcgrade autograde` calls it once more up front, in the process its grading workers are
    forked from (calcgrade/grading/warm.py), so that two workers do not import all this twice."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import sympy.physics.units  # noqa: F401
    import sympy.tensor.tensor  # noqa: F401
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: F401

    import calcgrade  # noqa: F401 (its checkers and selfcheck)


def _share_font_cache(target: Path) -> None:
    """Give the student's process the grader's matplotlib font list, which it would otherwise
    rebuild on every start (about a second)."""
    import matplotlib
    from matplotlib import font_manager  # noqa: F401  (builds the grader's cache once)

    target.mkdir(exist_ok=True)
    for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(cached, target / cached.name)


def _grade_id(cell) -> str:
    return str(cell.metadata.get("nbgrader", {}).get("grade_id", ""))


def is_fixture(cell) -> bool:
    """A provided cell the instructor wrote (marked so by MarkFixtures from the gradebook)."""
    return bool(cell.metadata.get("calcgrade", {}).get("fixture"))


class MarkFixtures(NbGraderPreprocessor):
    """Before execution: mark the notebook's provided cells (locked, neither graded nor a
    solution, according to the gradebook, with the gradebook's source) so TrustedExecute runs
    them in the grader as well. Whatever marks the submission carried are removed first: only
    the gradebook decides what runs in the grader."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        for cell in nb.cells:
            cell.metadata.pop("calcgrade", None)
        info = resources.get("nbgrader", {})
        with Gradebook(info["db_url"]) as gb:
            try:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
            graded = {c.name for c in notebook.grade_cells} | {
                c.name for c in notebook.solution_cells}
            provided = {c.name: c.source for c in notebook.source_cells
                        if c.locked and c.cell_type == "code" and c.name not in graded}
        seen = set()
        # the parameters' cell runs with the student's variant (never what the submission says)
        values = variants.variant_for(info, settings=variants.Variants(parent=self))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and grade_id in provided and grade_id not in seen:
                seen.add(grade_id)
                cell.source = variants.give(provided[grade_id], values)
                cell.metadata["calcgrade"] = {"fixture": True}
        return nb, resources


class TrustedExecute(NbGraderPreprocessor):
    """Run student cells in a sandboxed process and test cells in the grader."""

    journal: list[str] | None = None  # with replay_part: what that test cell asked the student
    names_read: dict[str, list[str]] | None = None  # if a dict: test cell -> names it fetched

    sandbox = Bool(True, help="Run the student's code in a bubblewrap sandbox.").tag(config=True)
    # The student's limits: defaults from calcgrade.limits.Limits, the one home of their values.
    cell_timeout = Float(Limits.cell_seconds, help="Wall-clock seconds per student cell and per "
                                                   "call of a student function.").tag(config=True)
    notebook_timeout = Float(Limits.notebook_seconds,
                             help="Wall-clock seconds per notebook.").tag(config=True)
    memory_limit_mb = Integer(Limits.memory_bytes // 2 ** 20,
                              help="Address-space limit of the student's process.").tag(config=True)
    cpu_limit = Integer(Limits.cpu_seconds,
                        help="CPU seconds for the student's process.").tag(config=True)
    output_limit_kb = Integer(Limits.file_bytes // 1024,
                              help="Largest file the student's process may write.").tag(config=True)
    tmp_limit_mb = Integer(Limits.tmp_bytes // 2 ** 20,
                           help="Size of the sandbox's private /tmp (RAM), which holds the "
                                "submission's files and all the student's code writes."
                           ).tag(config=True)
    fork_server = Bool(True, help="Fork each submission's fresh process from a warm server in "
                                  "its own sandbox (imports done once) instead of starting a new "
                                  "interpreter.").tag(config=True)
    grading_timeout = Float(600.0, help="Hard wall-clock budget for one notebook, the student's "
                                        "cells and the checks together; past it, the grading "
                                        "of that notebook is stopped.").tag(config=True)
    grader_memory_mb = Integer(2048, help="Memory the checks of one notebook may use in the "
                                          "grader.").tag(config=True)
    check_cpu_seconds = Float(60.0, help="The grader's own CPU seconds for one test cell; past "
                                         "it, that part fails.").tag(config=True)
    seed_secret = Unicode("", help="The course's secret the seeds of the checks' random draws "
                                   "are derived from (default: the course's .calcgrade-secret)."
                          ).tag(config=True)
    replay_part = Unicode("", help="`calcgrade replay`: record the calls of this test cell "
                                   "(grade id) into the student's process.").tag(config=True)
    grading_child = Bool(True, help="Grade each notebook in a forked child under the limits "
                                    "above (off: in this process, without a hard stop)."
                         ).tag(config=True)

    def _warm_fork_server(self, course_root: Path, tmp_bytes: int) -> ForkServer:
        key = (self.sandbox, str(course_root), tmp_bytes)
        server = _fork_servers.get(key)
        if server is None or not server.alive:
            if server is not None:
                _discard_fork_server(key)
            scratch = Path(tempfile.mkdtemp(prefix="fork-server-", dir=scratch_root()))
            server = _fork_servers[key] = ForkServer(scratch, sandbox=self.sandbox,
                                                     hidden=[course_root], tmp_bytes=tmp_bytes)
        return server

    def preprocess(self, nb, resources):
        source_dir = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        course_root = Path.cwd().resolve()
        limits = Limits(self.cell_timeout, self.notebook_timeout, self.memory_limit_mb * 2 ** 20,
                        self.cpu_limit, self.output_limit_kb * 1024, self.tmp_limit_mb * 2 ** 20)
        server = self._warm_fork_server(course_root, limits.tmp_bytes) if self.fork_server else None
        warm_imports()
        staged = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch_root()))
        hidden = [course_root, source_dir, scratch_root()]
        try:
            copy_regular(source_dir, staged)
            _share_font_cache(staged / ".matplotlib")

            part_seeds = self._part_seeds(nb, resources)

            def work(emit):
                self._grade(nb, staged, server, limits, hidden, part_seeds, emit)

            if self.grading_child and not self.replay_part:
                results, stopped = run_bounded(
                    work, seconds=self.grading_timeout,
                    memory_bytes=self.grader_memory_mb * 2 ** 20,
                    cpu_seconds=int(self.grading_timeout) + 1)
            else:
                results, stopped = {}, None
                work(lambda index, outputs: results.__setitem__(index, outputs))
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        if stopped and server is not None:  # it may be mid-conversation: start afresh
            _discard_fork_server((self.sandbox, str(course_root), limits.tmp_bytes))
        self._fill_in(nb, results, stopped)
        return nb, resources

    def _fill_in(self, nb, results: dict, stopped: str | None) -> None:
        """Each code cell gets the outputs its grading produced; after a stop, the cell being
        graded is charged with the reason and the ones after it are marked as not reached."""
        at = None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if index in results:
                cell.outputs = [nbformat.from_dict(o) for o in results[index]]
            elif at is None:
                at = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
                if is_grade(cell) and not is_solution(cell):
                    cell.outputs = [_error("CheckStopped", f"this part could not be checked: "
                                                           f"the grader's check {stopped}")]
                else:
                    cell.outputs = [_error("NotRun", f"not run: the grading {stopped}")]
            else:
                cell.outputs = [_error("NotRun", f"not checked: the grading of this notebook "
                                                 f"was stopped at {at} ({stopped})")]

    def _grade(self, nb, staged: Path, server: ForkServer | None, limits: Limits,
               hidden: list[Path], part_seeds: dict[int, int], emit) -> None:
        """Start the student's process, run every code cell in order, emit each one's outputs."""
        student, stopped = None, None
        try:
            try:
                student = StudentProcess(staged, sandbox=self.sandbox, limits=limits,
                                         hidden=hidden, fork_server=server)
            except (StudentGone, StudentTimeout) as exc:
                stopped = f"the notebook's process could not start ({exc})"
            namespace = TestNamespace(self._trusted_globals())
            namespace["get_ipython"] = lambda shell=GraderShell(namespace): shell
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if is_grade(cell) and not is_solution(cell):
                    replayed = self.replay_part and self.replay_part == _grade_id(cell)
                    if replayed and student is not None:
                        student.journal = self.journal = []
                    with seeds.seeded(part_seeds.get(index, 0)):
                        outputs = self._run_test(cell.source, namespace.for_cell(student, stopped))
                    if replayed and student is not None:
                        student.journal = None
                    if self.names_read is not None:
                        self.names_read[_grade_id(cell)] = sorted(namespace.fetched)
                elif stopped:
                    outputs = [_error("NotRun", f"not run: {stopped}")]
                else:
                    assert student is not None  # it started: nothing has stopped
                    outputs, stopped = self._run_student(cell.source, student)
                    if is_fixture(cell):
                        with contextlib.chdir(staged):  # its data files, as the student's see
                            self._run_fixture(cell.source, namespace.for_cell(student, stopped))
                emit(index, outputs)
        finally:
            if student is not None:
                student.close()
            if server is not None and server.alive:
                with contextlib.suppress(StudentGone):
                    server.sweep()  # nothing this submission started or wrote meets the next one

    def _trusted_globals(self) -> dict:
        import numpy
        import sympy

        import calcgrade
        from calcgrade.checks import selfcheck

        return {"__builtins__": builtins, "__name__": "__main__", "np": numpy,
                "sp": sympy, "cg": calcgrade, "calcgrade": calcgrade, "selfcheck": selfcheck,
                "display": _display}

    def _part_seeds(self, nb, resources) -> dict[int, int]:
        """cell index -> the seed of that test cell's random draws (see calcgrade.grading.seeds),
        recorded in the cell's metadata (`calcgrade.seed`) for `calcgrade replay`."""
        info = resources.get("nbgrader", {})
        secret = self.seed_secret or seeds.course_secret(Path.cwd())
        found = {}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
                found[index] = seeds.seed_for(secret, str(info.get("assignment", "")),
                                              str(info.get("notebook", "")),
                                              str(info.get("student", "")), _grade_id(cell))
                cell.metadata.setdefault("calcgrade", {})["seed"] = str(found[index])
        return found

    def _run_student(self, code: str, student: StudentProcess):
        try:
            reply = student.run_cell(code)
        except StudentTimeout:
            message = (f"this cell ran over the time limit of {self.cell_timeout:g} s "
                       "and was stopped")
            if student.alive:  # stopped by the soft limit: the rest of the notebook runs on
                return [_error("CellTimeoutError", message)], None
            reason = f"a cell ran over the time limit of {self.cell_timeout:g} s"
            return [_error("CellTimeoutError", message)], reason
        except StudentGone as exc:
            reason = (f"the notebook's process stopped ({exc}): it exited, was killed, or ran "
                      "out of memory or CPU time")
            return [_error("KernelDied", reason)], reason
        outputs = []
        try:
            if reply.get("stdout"):
                outputs.append(new_output("stream", name="stdout",
                                          text=str(reply["stdout"])[:MAX_OUTPUT + 200]))
            if "error" in reply:
                ename, evalue = (list(reply["error"]) + ["", ""])[:2]
                outputs.append(_error(str(ename)[:200], str(evalue)[:MAX_MESSAGE]))
        except Exception:  # only a tampered student side sends a reply of another shape
            student.kill()
            reason = "the notebook's process sent a malformed reply and was stopped"
            return [_error("KernelDied", reason)], reason
        return outputs, None

    def _run_fixture(self, code: str, namespace: TestNamespace) -> None:
        """The instructor's provided cell, run again here, so the tests use the instructor's
        data and helpers (`X`, `init_params`) whatever the student rebinds in their process.
        Its failure is the instructor's to see (logged), never the student's."""
        try:
            compiled = _compile_cell(code, "<provided cell>")
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compiled, namespace)
        except (Exception, SystemExit) as exc:
            self.log.warning("a provided cell failed in the grader (%s: %s); the tests after it "
                             "may see the student's names instead", type(exc).__name__, exc)

    def _run_test(self, code: str, namespace: TestNamespace):
        """One test cell, as a kernel runs it under nbgrader: its stdout and stderr become
        outputs (anything on stderr, a warning included, costs the part, as in nbgrader), and
        a value its last line shows becomes its result (nbgrader's partial credit)."""
        out, err = io.StringIO(), io.StringIO()
        outputs, shown, caught = [], None, []
        try:
            body, last = _split_cell(code)
            # Warnings are recorded and written to the cell's stderr here, whatever shows
            # warnings in the process grading (its showwarning may be a test runner's).
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    warnings.catch_warnings(record=True) as caught, \
                    cpu_limit(self.check_cpu_seconds), _as_main(namespace), \
                    namespace.class_bodies_see(body):
                _kernel_warnings()
                exec(body, namespace)
                if last is not None:
                    shown = eval(last, namespace)
        except CheckFailed as exc:
            outputs.append(_error("CheckFailed", str(exc), exc._render_traceback_()))
        except StudentTimeout:
            outputs.append(_error("CellTimeoutError", "your code ran over the time limit of "
                                  f"{self.cell_timeout:g} s while this part was checked"))
        except StudentGone as exc:
            outputs.append(_error("NotRun", f"this part could not be checked: the notebook "
                                  f"stopped before it ({exc})"))
        except CheckTooLong:
            outputs.append(_error("CheckStopped", "this part could not be checked: checking it "
                                  f"took more than {self.check_cpu_seconds:g} s of the grader's "
                                  "time (is a value given too large?)"))
        except MemoryError:
            outputs.append(_error("CheckStopped", "this part could not be checked: checking it "
                                  "needed more memory than the grader allows (is a value given "
                                  "too large?)"))
        except (Exception, SystemExit) as exc:  # raised by the test's code, as in a kernel
            outputs.append(_error(type(exc).__name__, str(exc)[:MAX_MESSAGE]))
        for w in caught[:100]:
            err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
        streams = [new_output("stream", name=name, text=text.getvalue()[:MAX_OUTPUT])
                   for name, text in (("stdout", out), ("stderr", err)) if text.getvalue()]
        if shown is not None and not outputs:
            outputs.append(new_output("execute_result", data={"text/plain": repr(shown)[:10_000]},
                                      execution_count=None))
        return streams + outputs
