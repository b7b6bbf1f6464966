"""Grades out of nbgrader's gradebook, per part: an nbgrader export plugin.

`PartsExportPlugin` is configured in nbgrader_config.py (`ExportApp.plugin_class`), so
`nbgrader export` and `calcgrade export` write the same file. Two formats:

- ``csv``: one row per student, one column per graded part ("calculus/tangent/test-df"), a total
  per assignment and overall (nbgrader's built-in CSV has totals only: its issues #938, #1007);
- ``canvas``: Canvas's gradebook import layout, one column per assignment and a "Points
  Possible" row.

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

    def _per_part(self, writer, assignments, students, parts, scores):
        header = ["student_id", "last_name", "first_name", "email"]
        for a in assignments:
            header += [f"{a.name}/{nb}/{cell}" for nb, cell, _ in parts[a.name]]
            header.append(f"{a.name} (total)")
        writer.writerow(header + ["total"])
        maxima = []
        for a in assignments:
            maxima += [m for _, _, m in parts[a.name]] + [sum(m for _, _, m in parts[a.name])]
        total = sum(m for a in assignments for _, _, m in parts[a.name])
        writer.writerow(["max_score", "", "", ""] + [f"{m:g}" for m in maxima] + [f"{total:g}"])
        for s in students:
            row, total = [s.id, s.last_name or "", s.first_name or "", s.email or ""], 0.0
            for a in assignments:
                values = [scores.get((s.id, a.name, nb, cell), 0.0)
                          for nb, cell, _ in parts[a.name]]
                row += [f"{v:g}" for v in values] + [f"{sum(values):g}"]
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
