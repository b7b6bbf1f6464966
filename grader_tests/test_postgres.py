"""The whole pipeline with nbgrader's gradebook on a real PostgreSQL server (the `pgserver`
package: PostgreSQL 16 in a wheel) instead of the embedded SQLite default.

A course whose nbgrader_config.py sets `c.CourseDirectory.db_url` to a fresh database on that
server goes through the real apps, as an instructor would run them: `nbgrader
generate_assignment`, `nbgrader autograde`, `calcgrade autograde --force`, `calcgrade scores`,
`calcgrade report`, `calcgrade export`. The scores read back from PostgreSQL (through nbgrader's
Gradebook and with plain SQL) must be those the same submissions get from stock nbgrader on the
default SQLite gradebook, and those the corpus expects; nothing may land in a gradebook.db.

The URL is a bare `postgresql://`, as an instructor writes it: SQLAlchemy 2.1 connects it with
psycopg 3, which the course depends on.
"""

import csv
import json
import secrets
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from calcgrade.course.directory import Course
from grader_tests import REPO
from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES

# pgserver, imported as root without XDG_RUNTIME_DIR, says it falls back to /tmp/runtime-0.
pytestmark = pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set")

ASSIGNMENT = "backprop"
RIGHT = BACKPROP[0]
TRANSPOSED = next(v for v in BACKPROP_MISTAKES if v.name == "transposed_weight_gradient")
# Loses forward, backward and train. (The backward check compares with finite differences at
# fresh unseeded random points, and about once in 2,000 checks their noise fails a right
# gradient; a third student who loses backward anyway leaves only RIGHT exposed to that.)
NO_BIAS = next(v for v in BACKPROP_MISTAKES if v.name == "forward_without_bias")
CLASS = [RIGHT, TRANSPOSED, NO_BIAS]

SCORES_SQL = """
    SELECT sa.student_id, n.name, bc.name, g.auto_score, g.manual_score, gc.max_score
    FROM grade g
    JOIN submitted_notebook sn ON g.notebook_id = sn.id
    JOIN submitted_assignment sa ON sn.assignment_id = sa.id
    JOIN assignment a ON sa.assignment_id = a.id
    JOIN notebook n ON sn.notebook_id = n.id
    JOIN grade_cells gc ON g.cell_id = gc.id
    JOIN base_cell bc ON gc.id = bc.id
    WHERE a.name = %s
"""


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own, listening on a socket in a temporary directory only.
    pgserver missing: skip; the server failing to start: the test errors (never skipped)."""
    try:
        import pgserver
    except ImportError as exc:
        pytest.skip(f"the pgserver package is not installed ({exc}); "
                    "pip install pgserver==0.1.4 to run the gradebook on PostgreSQL")
    # Not under pytest's tmp dir: pgserver, as root, runs the server as its own system user and
    # opens every parent directory of the data to others (chmod o+rx).
    base = Path(tempfile.mkdtemp(prefix="calcgrade-pg-"))
    try:
        server = pgserver.get_server(base / "data", cleanup_mode="stop")
        try:
            yield server
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _connect(server, database: str = "postgres"):
    import psycopg

    return psycopg.connect(server.get_uri(database))  # libpq reads pgserver's socket URI


@pytest.fixture
def database(postgres):
    """A fresh database on the server: its URL and name."""
    name = f"calcgrade_test_{secrets.token_hex(4)}"
    admin = _connect(postgres)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        url = postgres.get_uri(name)
        yield url, name
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        admin.close()


def _scores(course: Course) -> dict:
    """(student, notebook, cell) -> (score, max score), through nbgrader's Gradebook API."""
    return {(student, nb, cell): (grade.score, grade.max_score)
            for student, by_nb in course.grades(ASSIGNMENT).items()
            for nb, cells in by_nb.items() for cell, grade in cells.items()}


def _parts(course: Course) -> dict[str, float]:
    """The graded parts (test cells) of the source notebook, in order, with their points."""
    source = course.root / "source" / ASSIGNMENT / "backprop.ipynb"
    cells = json.loads(source.read_text())["cells"]
    return {meta["grade_id"]: float(meta["points"]) for meta in
            (c["metadata"].get("nbgrader", {}) for c in cells)
            if meta.get("grade") and not meta.get("solution")}


def _graded_class(course: Course) -> Course:
    course.release(ASSIGNMENT)
    for v in CLASS:
        course.submit(v.student, ASSIGNMENT, "backprop", v.answers)
    course.autograde(ASSIGNMENT)  # stock nbgrader autograde
    return course


def _table(text: str) -> tuple[list[str], dict[str, list[str]]]:
    header, _rule, *rows = text.strip().splitlines()
    return header.split(), {r.split()[0]: r.split()[1:] for r in rows}


def test_pipeline_on_a_postgresql_gradebook(tmp_path, postgres, database):
    url, name = database
    course = Course.copy_of(tmp_path / "course", REPO)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
    assert course.db_url == url
    # The same class graded by stock nbgrader on the default SQLite gradebook, alongside.
    with ThreadPoolExecutor(1) as pool:
        on_sqlite = pool.submit(_graded_class, Course.copy_of(tmp_path / "sqlite", REPO))
        _graded_class(course)
        sqlite = on_sqlite.result()
    assert (sqlite.root / "gradebook.db").exists()

    parts = _parts(course)
    expected = {(v.student, "backprop", cell): (0.0 if cell in v.breaks else max_score, max_score)
                for v in CLASS for cell, max_score in parts.items()}
    assert len(expected) == 3 * 8
    assert _scores(sqlite) == expected
    assert _scores(course) == expected  # stock nbgrader autograde, on PostgreSQL

    # Blank every score on the server, so what follows can only come from calcgrade autograde.
    with closing(_connect(postgres, name)) as conn, conn, conn.cursor() as cursor:
        cursor.execute("UPDATE grade SET auto_score = NULL")
        assert cursor.rowcount == 3 * 8
    result = course.run("calcgrade.cli", "autograde", ASSIGNMENT, "--force")
    assert "3 submissions in" in result.stdout, result.stdout + result.stderr
    assert _scores(course) == expected

    # The rows are on the server: plain SQL, no nbgrader in between.
    with closing(_connect(postgres, name)) as conn, conn.cursor() as cursor:
        cursor.execute(SCORES_SQL, (ASSIGNMENT,))
        rows = cursor.fetchall()
    assert {(s, nb, cell): (auto, max_score) for s, nb, cell, auto, manual, max_score in rows
            } == expected
    assert all(manual is None for *_, manual, _ in rows)

    # calcgrade scores: one column per part in the notebook's order, "score/max" per student.
    header, table = _table(course.run("calcgrade.cli", "scores", ASSIGNMENT).stdout)
    assert header == ["student"] + [p.removeprefix("test-") for p in parts] + ["total"]
    for v in CLASS:
        cells = [expected[v.student, "backprop", p] for p in parts]
        assert table[v.student] == [f"{s:g}/{m:g}" for s, m in cells] + [
            f"{sum(s for s, _ in cells):g}/{sum(m for _, m in cells):g}"], v.name
    assert table[RIGHT.student][-1] == "13/13" and table[TRANSPOSED.student][-1] == "8/13"

    # calcgrade report: per part, the mean and the shares with full marks, partial credit and a
    # mistake (every student of this class answered every part: none not attempted or pending).
    report = course.run("calcgrade.cli", "report", ASSIGNMENT).stdout
    assert report.startswith("3 students")
    for part in parts:
        scores = [expected[v.student, "backprop", part][0] for v in CLASS]
        max_score = expected[RIGHT.student, "backprop", part][1]
        full, zero = sum(s == max_score for s in scores), sum(s == 0 for s in scores)
        row = next(line for line in report.splitlines()
                   if line.startswith(f"backprop:{part.removeprefix('test-')} "))
        assert row.split()[1:8] == [f"{max_score:g}", f"{sum(scores) / 3:.2f}", f"{full / 3:.0%}",
                                    f"{(3 - full - zero) / 3:.0%}", f"{zero / 3:.0%}", "0%",
                                    "0"], row
    assert ("backprop:backward: 1 x backward: the result of `backward`['W1'] has shape (2, 3), "
            "expected shape (3, 2)") in report

    # calcgrade export: the per-part CSV.
    course.run("calcgrade.cli", "export", ASSIGNMENT, "--to", "grades.csv")
    with open(course.root / "grades.csv", newline="") as handle:
        columns, maxima, *students = list(csv.reader(handle))
    exported = {r[0]: dict(zip(columns, r)) for r in students}
    # the notebook's variant (its parameters: the default, variants being off), then its parts
    # in the notebook's order
    assert columns[4:-2] == ["backprop/backprop/variant"] + [f"backprop/backprop/{p}"
                                                             for p in parts]
    assert {r[columns.index("backprop/backprop/variant")] for r in students} == {
        "seed=0, t00=0.1, t01=0.9, t10=0.9, t11=0.1"}
    assert set(exported) == {v.student for v in CLASS}
    assert maxima[columns.index("backprop (total)")] == "13"
    for (student, nb, cell), (score, _) in expected.items():
        assert exported[student][f"backprop/{nb}/{cell}"] == f"{score:g}", (student, cell)
    assert exported[TRANSPOSED.student]["total"] == "8"

    # A grader gives a part back by hand (formgrader's write): shown everywhere, and the
    # columns keep their order although PostgreSQL now returns that row last.
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        grade = gb.find_grade("test-forward", "backprop", ASSIGNMENT, NO_BIAS.student)
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    again, table = _table(course.run("calcgrade.cli", "scores", ASSIGNMENT).stdout)
    assert again == header
    assert table[NO_BIAS.student][header.index("forward") - 1] == "1/2"
    given_back = sum(score for (student, _, _), (score, _) in expected.items()
                     if student == NO_BIAS.student) + 1
    assert table[NO_BIAS.student][-1] == f"{given_back:g}/13"
    course.run("calcgrade.cli", "export", ASSIGNMENT, "--to", "grades.csv")
    with open(course.root / "grades.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student_id"] == NO_BIAS.student)
    assert row["backprop/backprop/test-forward"] == "1" and row["total"] == f"{given_back:g}"

    # Nothing went to SQLite on the way.
    assert not (course.root / "gradebook.db").exists()
    assert not [p for p in course.root.rglob("*") if p.suffix in {".db", ".sqlite"}]
