"""The export plugin, through the real `nbgrader export` and `calcgrade export`, on a gradebook
written with nbgrader's own API (scores set as autograde and a grader in formgrader would)."""

import csv
import os
import shutil
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from calcgrade.course.directory import Course
from grader_tests import REPO

PARTS = {"tangent": {"test-df": 1.0, "test-plot": 2.0}, "chain_rule": {"test-du-da": 1.0}}
SCORES = {"ann": {"test-df": 1.0, "test-plot": 2.0, "test-du-da": 0.0},
          "ben": {"test-df": 0.0, "test-plot": 2.0, "test-du-da": 1.0}}


@pytest.fixture(autouse=True)
def _alembic_on_path(monkeypatch):
    """A new gradebook runs `alembic` from PATH, as nbgrader's apps do."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _course(tmp_path) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment("calculus")
        for nb, cells in PARTS.items():
            gb.add_notebook(nb, "calculus")
            for cell, points in cells.items():
                gb.add_grade_cell(cell, nb, "calculus", max_score=points, cell_type="code")
        for student in ("ann", "ben", "cat"):  # cat never submitted
            gb.add_student(student, last_name=student.upper(), first_name="X")
        for student, scores in SCORES.items():
            gb.add_submission("calculus", student)
            for nb, cells in PARTS.items():
                for cell in cells:
                    gb.find_grade(cell, nb, "calculus", student).auto_score = scores[cell]
        gb.find_grade("test-plot", "tangent", "calculus", "ben").manual_score = 1.0  # regraded
        gb.db.commit()
    return Course(root)


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_per_part_csv_lists_every_student_and_part(tmp_path):
    course = _course(tmp_path)
    course.run("calcgrade.cli", "export", "calculus", "--to", "parts.csv")
    header, maxima, *rows = _rows(course.root / "parts.csv")
    table = {r[0]: dict(zip(header, r)) for r in rows}
    assert set(table) == {"ann", "ben", "cat"}
    assert maxima[header.index("calculus (total)")] == "4"
    assert table["ann"]["calculus/tangent/test-df"] == "1"
    assert table["ann"]["calculus/chain_rule/test-du-da"] == "0"
    assert table["ben"]["calculus/tangent/test-plot"] == "1"  # the manual score wins
    assert table["ben"]["total"] == "2"
    assert table["cat"]["total"] == "0" and table["cat"]["last_name"] == "CAT"


def test_canvas_file_and_stock_nbgrader_export_agree(tmp_path):
    course = _course(tmp_path)
    course.run("calcgrade.cli", "export", "--format", "canvas", "--to", "canvas.csv")
    rows = _rows(course.root / "canvas.csv")
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1] == ["Points Possible", "", "", "", "", "4"]
    assert {r[2]: r[5] for r in rows[2:]} == {"ann": "3", "ben": "2", "cat": "0"}

    course.run("calcgrade.cli", "export", "--to", "ours.csv")
    course.nbgrader("export", "--to=stock.csv")  # nbgrader_config.py selects the plugin
    assert _rows(course.root / "ours.csv") == _rows(course.root / "stock.csv")
