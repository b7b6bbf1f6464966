"""The export plugin, through the real `nbgrader export` and `calcgrade export`, on a gradebook
written with nbgrader's own API (scores set as autograde and a grader in formgrader would). The
per-part CSV's variant column (issue 12) on a class of `report_class.write_class` with variants
on and off: each student's label is `variants.of_student`'s; off, the default's."""

import csv
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from calcgrade import variants
from calcgrade.course.directory import Course
from grader_tests import REPO
from grader_tests.report_class import ASSIGNMENT, write_class

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


def _declaring(root) -> set[str]:
    return {path.stem for path in (root / "source" / ASSIGNMENT).glob("*.ipynb")
            if variants.declaration_of(nbformat.read(path, as_version=4)) is not None}


def _without_variants(rows):
    keep = [k for k, name in enumerate(rows[0]) if not name.endswith("/variant")]
    return [[row[k] for k in keep] for row in rows]


def test_per_part_csv_has_each_students_variant_on_and_the_default_off(tmp_path):
    """The same class (same seed: the same grades) in a course with variants on and one with
    them off. A column "calculus/NOTEBOOK/variant" before the parts of each notebook that
    declares parameters (tangent's a and c, and any other), holding `variants.of_student`'s
    label; with variants off the column stays, with the default variant for everyone. The scores
    and the Canvas file are the same either way."""
    exported = {}
    for name in ("on", "off"):
        course, _ = write_class(tmp_path / name, 40, variants=name == "on")
        course.run("calcgrade.cli", "export", ASSIGNMENT, "--to", "parts.csv")
        course.run("calcgrade.cli", "export", "--format", "canvas", "--to", "canvas.csv")
        exported[name] = course, _rows(course.root / "parts.csv")
    course, rows = exported["on"]
    header, maxima, *students = rows
    declaring = _declaring(course.root)
    assert "tangent" in declaring
    config = course.config()
    for notebook in course.notebooks(ASSIGNMENT):
        column = f"{ASSIGNMENT}/{notebook}/variant"
        if notebook not in declaring:
            assert column not in header
            continue
        k = header.index(column)
        # Right before the notebook's parts, with no max score.
        assert header[k + 1].startswith(f"{ASSIGNMENT}/{notebook}/test-") and maxima[k] == ""
        assert not header[k - 1].startswith(f"{ASSIGNMENT}/{notebook}/")
        labels = {row[0]: row[k] for row in students}
        assert labels == {s: variants.label(variants.of_student(
            course.root, ASSIGNMENT, notebook, s, config)) for s in labels}
        if notebook == "tangent":
            assert len(set(labels.values())) > 5 and "a=" in labels["s000"]

    off_course, off_rows = exported["off"]
    off_header = off_rows[0]
    assert off_header == header  # the same layout: the column is there with variants off
    off_config = off_course.config()
    for notebook in declaring:
        k = off_header.index(f"{ASSIGNMENT}/{notebook}/variant")
        default = variants.label(variants.of_student(
            off_course.root, ASSIGNMENT, notebook, "s000", off_config))
        assert {row[k] for row in off_rows[2:]} == {default}
        assert default == variants.label(variants.declaration_of(nbformat.read(
            off_course.root / "source" / ASSIGNMENT / f"{notebook}.ipynb", as_version=4)).default)
    # Everything else, scores and totals, as before; the Canvas file has no variant.
    assert _without_variants(off_rows) == _without_variants(rows)
    assert len(_without_variants(rows)[0]) == len(header) - len(declaring)
    canvas = {name: _rows(c.root / "canvas.csv") for name, (c, _) in exported.items()}
    assert canvas["on"] == canvas["off"]
    assert canvas["on"][0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                               ASSIGNMENT]
    # Stock nbgrader export runs the same plugin (nbgrader_config.py), variants and all.
    course.nbgrader("export", "--to=stock.csv")
    assert _rows(course.root / "stock.csv") == rows
