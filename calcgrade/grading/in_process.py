"""A source notebook run cell by cell in this process, with given answers in place of the
source's answer cells and, optionally, the parameters of one variant: the fast way to grade the
instructor's own corpus many times over (`calcgrade check --variants`) and to read what each test
cell says (the grader tests). Only for the instructor's code: a student's runs sandboxed
(`TrustedExecute`). A test cell fails as under nbgrader: an error, or anything on stderr (a
warning included)."""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from calcgrade import variants
from calcgrade.checks.errors import CheckFailed
from calcgrade.grading import seeds


@dataclass
class Ran:
    message: str | None  # why the cell fails (as the student sees it), None where it passes
    printed: str  # what it printed


_QUIET = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run_notebook(path: Path, answers: dict[str, str], *, given: dict | None = None,
                 seed: int | None = None) -> dict[str, Ran]:
    """Each graded test cell of the notebook at `path`, run in order in one namespace: its failure
    and its printed text. `given`: the variant's parameters (the declaration's default without);
    `seed`: each test cell's random draws seeded from it. Line magics are dropped; figures are
    closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    result: dict[str, Ran] = {}
    shown: set = set()  # a kernel shows a warning once per place (the "default" action)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id")
            source = answers.get(grade_id, cell.source)
            if given is not None:
                source = variants.give(source, given)
            source = "\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith("%"))
            tested = bool(meta.get("grade") and not meta.get("solution"))
            out, err = io.StringIO(), io.StringIO()
            cell_seed = seeds.seed_for(str(seed), "", path.stem, "", grade_id or str(index)) \
                if seed is not None and tested else None
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                        warnings.catch_warnings(record=True) as caught, \
                        (seeds.seeded(cell_seed) if cell_seed is not None
                         else contextlib.nullcontext()):
                    warnings.simplefilter("always")
                    for category in _QUIET:
                        warnings.simplefilter("ignore", category)
                    exec(compile(source, grade_id or "cell", "exec"), namespace)
                for w in caught:
                    place = (w.category, str(w.message), w.filename, w.lineno)
                    if place not in shown:
                        shown.add(place)
                        err.write(f"{w.category.__name__}: {w.message}\n")
                message = f"stderr: {err.getvalue()}" if err.getvalue() else None
            except CheckFailed as failed:
                message = "".join(failed._render_traceback_())
            except Exception as exc:  # a test cell's own error: shown as the student sees it
                message = f"{type(exc).__name__}: {exc}"
            if tested:
                result[grade_id] = Ran(message, out.getvalue())
    finally:
        os.chdir(here)
        plt.close("all")
    return result
