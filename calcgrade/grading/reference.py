"""The instructor's own solution, graded: what tells an error of a test from a student's mistake.

Before a class is graded, each source notebook (solutions in place, hidden tests in place; both
kinds of delimiter lines are comments) is graded by TrustedExecute exactly as a submission is. A
test cell that does not give the instructor's solution full marks has an error of its own (a
NameError in the test, a reference that raises...): `calcgrade autograde` reports it and leaves
that part of every submission to the instructor (`ExcuseTestErrors`) instead of charging the
students. The same run records which names each test cell read from the "student", which
`calcgrade check` compares with the task text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import determine_grade, is_grade, is_solution
from traitlets import List, Unicode
from traitlets.config import Config

REFERENCE_STUDENT = "(the source solution)"
CACHE = ".calcgrade-reference.json"  # in the course root: results per source notebook's hash


@dataclass
class NotebookReference:
    notebook: str
    errors: dict[str, str] = field(default_factory=dict)  # grade id -> what the test raised
    names: dict[str, list[str]] = field(default_factory=dict)  # grade id -> names it read


def _mark_fixtures(nb) -> None:
    """The source's provided cells (locked code, neither graded nor a solution) run in the
    grader too, as MarkFixtures arranges for a submission from the gradebook."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade") \
                and not meta.get("solution"):
            cell.metadata["calcgrade"] = {"fixture": True}


def grade_source(path: Path, assignment: str, *, sandbox: bool = True, secret: str = "",
                 settings: dict | None = None) -> NotebookReference:
    """Grade the source notebook at `path` as a submission; its failing test cells and the
    names every test cell read from the answers."""
    from calcgrade.grading.execute import TrustedExecute

    nb = nbformat.read(path, as_version=4)
    _mark_fixtures(nb)
    resources = {"nbgrader": {"assignment": assignment, "notebook": path.stem,
                              "student": REFERENCE_STUDENT},
                 "metadata": {"path": str(path.parent)}}
    executor = TrustedExecute(config=Config({"TrustedExecute": {
        **(settings or {}), "sandbox": sandbox, "seed_secret": secret or "reference",
        "fork_server": False, "grading_child": False}}))
    executor.names_read = {}
    nb, _ = executor.preprocess(nb, resources)
    result = NotebookReference(path.stem, names=executor.names_read)
    for cell in nb.cells:
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            score, max_score = determine_grade(cell, None)
            if score is not None and score < max_score:
                errors = [o for o in cell.outputs if o.output_type == "error"]
                result.errors[cell.metadata.nbgrader["grade_id"]] = (
                    f"{errors[0].ename}: {errors[0].evalue}" if errors
                    else "it printed to stderr or gave partial credit")[:500]
    return result


def grade_sources(root: Path, assignment: str, *, sandbox: bool = True, secret: str = "",
                  notebooks: list[str] | None = None) -> dict[str, NotebookReference]:
    """`grade_source` for every notebook of source/ASSIGNMENT, remembered per notebook's content
    (and calcgrade's own code) in the course root, so a class is graded against its source once."""
    from calcgrade.course.directory import Course

    root = Path(root)
    folder = root / "source" / assignment
    settings = dict(Course(root).config().get("TrustedExecute", {}))  # the course's limits
    cache_path = root / CACHE
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        if notebooks and path.stem not in notebooks:
            continue
        key = _key(path, assignment, sandbox, settings)
        if key in cache:
            entry = cache[key]
            found[path.stem] = NotebookReference(path.stem, entry["errors"], entry["names"])
            continue
        with contextlib.chdir(root):
            found[path.stem] = grade_source(path, assignment, sandbox=sandbox, secret=secret,
                                            settings=settings)
        cache[key] = {"errors": found[path.stem].errors, "names": found[path.stem].names}
    with contextlib.suppress(OSError):
        cache_path.write_text(json.dumps(cache, indent=1))
    return found


def _key(path: Path, assignment: str, sandbox: bool, settings: dict) -> str:
    """What the verdicts on the source solution depend on: the notebook and the files beside it
    (data, helpers), the course's limits, calcgrade's code (a new checker may change a verdict)
    and the versions of the libraries the tests use."""
    import matplotlib
    import numpy
    import sympy

    digest = hashlib.sha256(json.dumps([sorted((k, repr(v)) for k, v in settings.items()),
                                        numpy.__version__, sympy.__version__,
                                        matplotlib.__version__]).encode())
    for file in sorted(p for p in path.parent.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path.parent)).encode() + file.read_bytes())
    for module in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):  # all of calcgrade
        digest.update(module.read_bytes())
    return f"{assignment}/{path.stem}/{sandbox}/{digest.hexdigest()}"


class ExcuseTestErrors(NbGraderPreprocessor):
    """After SaveAutoGrades: a part whose test fails on the instructor's own solution is not the
    student's to lose. Its grade is set to need manual grading (no automatic score), and the
    cell says so in the student's feedback instead of showing the test's error."""

    cells = List(Unicode(), help="notebook/grade id of each test cell with an error of its own "
                                 "(found by grading the source solution)").tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        excused = {c.split("/", 1)[1] for c in self.cells
                   if c.split("/", 1)[0] == info["notebook"]}
        if not excused:
            return nb, resources
        note = ("This part is waiting for your instructor: its test could not be run as "
                "written, so it is graded by hand.\n")
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") in excused:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=note)]
        with Gradebook(info["db_url"]) as gb:
            for grade_id in excused:
                try:
                    grade = gb.find_grade(grade_id, info["notebook"], info["assignment"],
                                          info["student"])
                except MissingEntry:  # a part of the source that was never released
                    continue
                grade.auto_score = None
                grade.needs_manual_grade = True
            gb.db.commit()
        return nb, resources
