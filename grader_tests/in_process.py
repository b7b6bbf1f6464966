"""A source notebook run cell by cell in this process, with a corpus case's answers in place of the
source's answer cells: the fast way to read what each test cell says (the slow corpus test and
`calcgrade check` grade the same cases through both real graders)."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from calcgrade.checks.errors import CheckFailed


@dataclass
class Ran:
    message: str | None  # why the cell fails (as the student sees it), None where it passes
    printed: str  # what it printed


def run_notebook(path: Path, answers: dict[str, str]) -> dict[str, Ran]:
    """Each graded test cell of the notebook at `path`, run in order in one namespace: its failure
    (an error, or text on stderr, as nbgrader counts it) and its printed text. Line magics are
    dropped; figures are closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    result: dict[str, Ran] = {}
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id")
            source = "\n".join(line for line in answers.get(grade_id, cell.source).splitlines()
                               if not line.startswith("%"))
            out, err = io.StringIO(), io.StringIO()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    exec(compile(source, grade_id or "cell", "exec"), namespace)
                message = f"stderr: {err.getvalue()}" if err.getvalue() else None
            except CheckFailed as failed:
                message = "".join(failed._render_traceback_())
            except Exception as exc:  # a test cell's own error: shown as the student sees it
                message = f"{type(exc).__name__}: {exc}"
            if meta.get("grade") and not meta.get("solution"):
                result[grade_id] = Ran(message, out.getvalue())
    finally:
        os.chdir(here)
        plt.close("all")
    return result
