"""Grades out of nbgrader's gradebook, per part: an nbgrader export plugin.

`PartsExportPlugin` is configured in nbgrader_config.py (`ExportApp.plugin_class`), so
`nbgrader export` and `calcgrade export` write the same file. Two formats:

- ``csv``: one row per student, one column per graded part ("calculus/tangent/test-df"), a total
  per assignment and overall (nbgrader's built-in CSV has totals only: its issues #938, #1007);
  and, before the parts of each notebook that declares parameters (`cg.variant`, issue 12), a
  column "ASSIGNMENT/NOTEBOOK/variant" (the header's last component is ``variant``) with the
  variant each student is graded under as `calcgrade.variants.label` prints it
  (``a=1.5, c=2``): `variants.of_student`'s, each notebook's declaration read once per export.
  With variants off (``c.Variants.enabled = False``) the column is there all the same, with the
  default variant's label for everyone: that is what they were graded under, and the file keeps
  its layout when the course turns variants on. A notebook that declares no parameters has no
  such column; a declaration that cannot be read leaves its column empty (with a warning);
- ``canvas``: Canvas's gradebook import layout, one column per assignment and a "Points
  Possible" row (Canvas imports numbers per assignment: no variant, no parts).

Students without a submission get 0 and are listed. All scores are read with one query, so a
class of thousands exports in seconds (nbgrader's exporter queries student by student, #799).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from nbgrader.api import (
    Assignment,
    Grade,
    Gradebook,
    GradeCell,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.plugins import ExportPlugin
from traitlets import Enum

from calcgrade.course.directory import Course
from calcgrade.variants import StudentVariants, VariantError, label


def _score(auto, manual, extra) -> float:
    return float((manual if manual is not None else auto) or 0) + float(extra or 0)


class PartsExportPlugin(ExportPlugin):
    """Per-part CSV or a Canvas import file, for every student in the gradebook."""

    format = Enum(["csv", "canvas"], default_value="csv",
                  help="csv: a column per part; canvas: Canvas's gradebook import").tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or f"grades-{self.format}.csv"
        wanted = {str(a) for a in self.assignment}
        chosen = {str(s) for s in self.student}
        assignments = [a for a in gradebook.assignments if not wanted or a.name in wanted]
        students = [s for s in gradebook.students if not chosen or s.id in chosen]
        parts = self._parts(gradebook, assignments)
        scores = self._scores(gradebook, {a.name for a in assignments})
        with open(dest, "w", newline="") as handle:
            writer = csv.writer(handle)
            if self.format == "canvas":
                self._canvas(writer, assignments, students, parts, scores)
            else:
                self._per_part(writer, assignments, students, parts, scores)
        self.log.info("Exported %d students to %s", len(students), dest)

    @staticmethod
    def _parts(gradebook, assignments):
        """assignment -> [(notebook, grade cell, max score)]: notebooks by name, each one's parts
        in the order of its source notebook (nbgrader runs in the course root), else by name."""
        rows = (gradebook.db.query(Assignment.name, Notebook.name, GradeCell.name,
                                   GradeCell.max_score)
                .join(Notebook, Notebook.assignment_id == Assignment.id)
                .join(GradeCell, GradeCell.notebook_id == Notebook.id)
                .filter(Assignment.name.in_([a.name for a in assignments]))
                .order_by(Assignment.name, Notebook.name, GradeCell.name).all())
        parts, orders, course = defaultdict(list), {}, Course(Path.cwd())
        for assignment, notebook, cell, max_score in rows:
            parts[assignment].append((notebook, cell, float(max_score or 0)))
        for assignment, cells in parts.items():
            for notebook in {nb for nb, _, _ in cells}:
                orders[assignment, notebook] = course.cell_order(assignment, notebook)
            cells.sort(key=lambda c: (c[0], orders[assignment, c[0]].get(c[1], float("inf"))))
        return parts

    @staticmethod
    def _scores(gradebook, names):
        """(student, assignment, notebook, cell) -> score, in one query."""
        rows = (gradebook.db.query(SubmittedAssignment.student_id, Assignment.name, Notebook.name,
                                   GradeCell.name, Grade.auto_score, Grade.manual_score,
                                   Grade.extra_credit)
                .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
                .join(GradeCell, Grade.cell_id == GradeCell.id)
                .filter(Assignment.name.in_(list(names))).all())
        return {(s, a, nb, cell): _score(auto, manual, extra)
                for s, a, nb, cell, auto, manual, extra in rows}

    def _with_variants(self, assignments, parts) -> dict[str, list]:
        """assignment -> its columns in order: (notebook, cell, max score) of each part, and
        (notebook, None, None) before the parts of a notebook that declares parameters."""
        self._variants = StudentVariants(Path.cwd(), self.config)
        self._broken: set[tuple[str, str]] = set()  # declarations that cannot be read
        columns: dict[str, list] = {}
        for a in assignments:
            columns[a.name] = []
            for notebook in dict.fromkeys(nb for nb, _, _ in parts[a.name]):
                if self._declares(a.name, notebook):
                    columns[a.name].append((notebook, None, None))
                columns[a.name] += [c for c in parts[a.name] if c[0] == notebook]
        return columns

    def _declares(self, assignment: str, notebook: str) -> bool:
        """Whether the notebook declares parameters (a declaration that cannot be read does,
        and its column stays empty)."""
        try:
            declares = self._variants.declaration(assignment, notebook) is not None
            if declares and self._variants.enabled:
                self._variants.deployed(assignment, notebook)
        except VariantError as exc:
            self.log.warning("%s/%s: the variant column is left empty: %s", assignment,
                             notebook, exc)
            self._broken.add((assignment, notebook))
            return True
        return declares

    def _variant(self, assignment: str, notebook: str, student: str) -> str:
        """The label of the student's variant ("" where it cannot be told)."""
        if (assignment, notebook) in self._broken:
            return ""
        try:
            values = self._variants.of(assignment, notebook, student)
        except VariantError as exc:
            self.log.warning("%s/%s: the variant column is left empty: %s", assignment,
                             notebook, exc)
            self._broken.add((assignment, notebook))
            return ""
        return "" if values is None else label(values)

    def _per_part(self, writer, assignments, students, parts, scores):
        columns = self._with_variants(assignments, parts)
        header = ["student_id", "last_name", "first_name", "email"]
        for a in assignments:
            header += [f"{a.name}/{nb}/{cell or 'variant'}" for nb, cell, _ in columns[a.name]]
            header.append(f"{a.name} (total)")
        writer.writerow(header + ["total"])
        maxima = []
        for a in assignments:
            maxima += [f"{m:g}" if cell else "" for _, cell, m in columns[a.name]]
            maxima.append(f"{sum(m for _, _, m in parts[a.name]):g}")
        total = sum(m for a in assignments for _, _, m in parts[a.name])
        writer.writerow(["max_score", "", "", ""] + maxima + [f"{total:g}"])
        for s in students:
            row, total = [s.id, s.last_name or "", s.first_name or "", s.email or ""], 0.0
            for a in assignments:
                values = [scores.get((s.id, a.name, nb, cell), 0.0)
                          for nb, cell, _ in parts[a.name]]
                row += [f"{scores.get((s.id, a.name, nb, cell), 0.0):g}" if cell
                        else self._variant(a.name, nb, s.id) for nb, cell, _ in columns[a.name]]
                row.append(f"{sum(values):g}")
                total += sum(values)
            writer.writerow(row + [f"{total:g}"])

    def _canvas(self, writer, assignments, students, parts, scores):
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
                        + [a.name for a in assignments])
        writer.writerow(["Points Possible", "", "", "", ""]
                        + [f"{sum(m for _, _, m in parts[a.name]):g}" for a in assignments])
        for s in students:
            name = ", ".join(n for n in (s.last_name, s.first_name) if n) or s.id
            totals = [sum(scores.get((s.id, a.name, nb, cell), 0.0)
                          for nb, cell, _ in parts[a.name]) for a in assignments]
            writer.writerow([name, "", s.id, s.id, ""] + [f"{t:g}" for t in totals])
