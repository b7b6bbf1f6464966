"""A course directory, as nbgrader sees it: its assignments, its gradebook, its apps.

`Course` finds a course's assignments and notebooks where nbgrader keeps them (the folders of
`source/`, and the gradebook), runs nbgrader's apps in the course root as an instructor would,
fills released notebooks with answers to make submissions, and reads the scores back through
nbgrader's Gradebook API. The commands, the demo and the grader tests all go through it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

_DELIMITER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _env() -> dict[str, str]:
    """nbgrader calls `alembic` (and the kernel) from PATH: put this Python's scripts first."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    return env


@dataclass
class Grade:
    score: float | None
    max_score: float
    needs_manual_grade: bool


class Course:
    def __init__(self, root: Path):
        self.root = Path(root)

    def assignments(self) -> list[str]:
        """Every assignment of the course: the folders of source/ holding a notebook, and those
        the gradebook knows (released elsewhere, say), in name order."""
        names = {p.parent.name for p in (self.root / "source").glob("*/*.ipynb")}
        if self.has_gradebook():
            from nbgrader.api import Gradebook

            with Gradebook(self.db_url) as gb:
                names |= {a.name for a in gb.assignments}
        return sorted(names)

    def notebooks(self, assignment: str) -> list[str]:
        """The notebooks of `assignment` in name order: as the gradebook has them once the
        assignment is released, else as source/ has them."""
        names: set[str] = set()
        if self.has_gradebook():
            from nbgrader.api import Gradebook, MissingEntry

            with Gradebook(self.db_url) as gb:
                try:
                    names = {nb.name for nb in gb.find_assignment(assignment).notebooks}
                except MissingEntry:
                    pass
        if not names:
            names = {p.stem for p in (self.root / "source" / assignment).glob("*.ipynb")}
        return sorted(names)

    def has_gradebook(self) -> bool:
        """False only for an SQLite gradebook that does not exist yet (nbgrader would create an
        empty one just by being asked)."""
        url = self.db_url
        return not url.startswith("sqlite") or Path(url.removeprefix("sqlite:///")).exists()

    @classmethod
    def copy_of(cls, target: Path, origin: Path) -> "Course":
        """A fresh course at `target` with `origin`'s source/ and nbgrader_config.py."""
        target = Path(target)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(origin / "source", target / "source", dirs_exist_ok=True)
        shutil.copy(origin / "nbgrader_config.py", target / "nbgrader_config.py")
        return cls(target)

    def run(self, module: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`python -m module args` in the course root, as an instructor would run it."""
        result = subprocess.run([sys.executable, "-m", module, *args], cwd=self.root,
                                env=_env(), capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{module} {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("nbgrader", *args, check=check)

    def release(self, assignment: str) -> None:
        self.nbgrader("generate_assignment", assignment, "--force")

    def autograde(self, assignment: str, *students: str,
                  trusted: bool = False) -> subprocess.CompletedProcess:
        """Stock `nbgrader autograde`, or with `trusted` our `calcgrade autograde`."""
        selection = [f"--student={s}" for s in students]
        if trusted:
            return self.run("calcgrade.cli", "autograde", assignment, *selection)
        return self.nbgrader("autograde", assignment, "--force", *selection)

    def solutions(self, assignment: str, notebook: str) -> dict[str, str]:
        """The source's answer cells (grade_id -> text) as a student would type them."""
        nb = nbformat.read(self.root / "source" / assignment / f"{notebook}.ipynb", as_version=4)
        return {c.metadata.nbgrader["grade_id"]: _DELIMITER.sub("", c.source).strip()
                for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}

    def submit(self, student: str, assignment: str, notebook: str,
               answers: dict[str, str] | None = None) -> Path:
        """A submission made from the released notebook: every answer cell holds the source's
        solution, except those in `answers` (grade_id -> code), which replace it."""
        nb = nbformat.read(self.root / "release" / assignment / f"{notebook}.ipynb", as_version=4)
        filled = {**self.solutions(assignment, notebook), **(answers or {})}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in filled:
                cell.source = filled[grade_id]
        path = self.root / "submitted" / student / assignment / f"{notebook}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def config(self):
        """The course's nbgrader_config.py, as traitlets reads it (empty if there is none)."""
        from traitlets.config import Config
        from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

        try:
            return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        except ConfigFileNotFound:
            return Config()

    @property
    def db_url(self) -> str:
        """The gradebook's URL as nbgrader_config.py sets it (`CourseDirectory.db_url`): SQLite in
        the course root by default, or a PostgreSQL server. A relative SQLite path is taken from
        the course root, as nbgrader's apps (which run there) take it."""
        url = self.config().CourseDirectory.get("db_url") or ""
        if not url:
            return f"sqlite:///{self.root / 'gradebook.db'}"
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            return f"sqlite:///{self.root / url.removeprefix('sqlite:///')}"
        return url

    def cell_order(self, assignment: str, notebook: str) -> dict[str, int]:
        """grade_id -> position in the source notebook (empty if there is no source)."""
        path = self.root / "source" / assignment / f"{notebook}.ipynb"
        if not path.exists():
            return {}
        nb = nbformat.read(path, as_version=4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        return {grade_id: i for i, grade_id in enumerate(ids) if grade_id}

    def grades(self, assignment: str) -> dict[str, dict[str, dict[str, Grade]]]:
        """student -> notebook -> grade cell -> Grade, from nbgrader's gradebook at `db_url`.

        Students and notebooks in name order, each notebook's cells in the source notebook's
        order: nbgrader's queries of them have no ORDER BY; SQLite happens to return rows as
        inserted, PostgreSQL as stored, and an UPDATE (a score set by hand in formgrader, say)
        moves a row to the end."""
        from nbgrader.api import Gradebook

        table: dict[str, dict[str, dict[str, Grade]]] = {}
        orders: dict[str, dict[str, int]] = {}
        with Gradebook(self.db_url) as gb:
            submissions = gb.assignment_submissions(assignment)
            for submission in sorted(submissions, key=lambda s: s.student_id):
                for nb in sorted(submission.notebooks, key=lambda n: n.name):
                    if nb.name not in orders:
                        orders[nb.name] = self.cell_order(assignment, nb.name)
                    order = orders[nb.name]
                    cells = sorted(nb.grades, key=lambda g: order.get(g.name, len(order)))
                    table.setdefault(submission.student_id, {})[nb.name] = {
                        g.name: Grade(g.score, g.max_score, bool(g.needs_manual_grade))
                        for g in cells}
        return table
