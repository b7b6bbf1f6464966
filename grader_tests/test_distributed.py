"""`calcgrade autograde --scheduler` on a real Dask LocalCluster of worker processes: the same
scores as the local grader on every part, the notebooks run on the workers, and the gradebook
written by the coordinator only."""

import shutil

import nbformat
import pytest

from calcgrade.course.directory import Course
from calcgrade.grading import seeds
from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES

distributed = pytest.importorskip("dask.distributed")

EXITS = "import os\nos._exit(3)\n"  # the student's process dies in its second answer cell


def _worker_started_grading_process(dask_worker):
    from calcgrade.grading.cluster import PLUGIN

    return dask_worker.plugins[PLUGIN].running()


def _scores(course: Course) -> dict:
    return {(student, nb, cell): grade.score
            for student, by_nb in course.grades("backprop").items()
            for nb, cells in by_nb.items() for cell, grade in cells.items()}


def test_cluster_grades_like_the_local_run(course, tmp_path):
    variants = BACKPROP[:2] + BACKPROP_MISTAKES[:4]
    for v in variants:
        course.submit(v.student, "backprop", "backprop", v.answers)
    course.submit("exits", "backprop", "backprop", {"backprop-forward": EXITS})
    local = Course(tmp_path / "local")
    shutil.copytree(course.root, local.root)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = course.run("calcgrade.cli", "autograde", "backprop",
                            "--scheduler", cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            started = client.run(_worker_started_grading_process)
    assert "grading on the Dask cluster" in result.stdout
    assert "7 submissions in" in result.stdout and "gradebook writes" in result.stdout
    assert any(started.values()), "no worker ran a notebook"
    local.autograde("backprop", trusted=True)

    on_cluster, here = _scores(course), _scores(local)
    assert len(on_cluster) == 7 * 8 and on_cluster == here
    grades = course.grades("backprop")
    for v in variants:
        for cell, grade in grades[v.student]["backprop"].items():
            assert grade.score == (0 if cell in v.breaks else grade.max_score), (v.name, cell)
    exits = grades["exits"]["backprop"]
    assert exits["test-sigmoid"].score == 1 and exits["test-train"].score == 0
    secret = seeds.course_secret(course.root)
    for student in grades:
        path = course.root / "autograded" / student / "backprop" / "backprop.ipynb"
        recorded = {c.metadata.nbgrader["grade_id"]: c.metadata.get("calcgrade", {}).get("seed")
                    for c in nbformat.read(path, 4).cells
                    if c.metadata.get("nbgrader", {}).get("grade")}
        # each student's own draws on the cluster too, as a local run would seed them
        assert recorded["test-backward"] == str(
            seeds.seed_for(secret, "backprop", "backprop", student, "test-backward")), student

    # Resume works the same: a second run grades nobody again.
    again = course.run("calcgrade.cli", "autograde", "backprop", "--scheduler", "tcp://0:1")
    assert "7 students already graded; grading the other 0" in again.stdout


def test_unreachable_scheduler_is_a_clear_error(course):
    course.submit(BACKPROP[0].student, "backprop", "backprop", BACKPROP[0].answers)
    result = course.run("calcgrade.cli", "autograde", "backprop",
                        "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert result.returncode != 0
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert not course.grades("backprop")


def _break_sandbox():
    """On a worker: bubblewrap can no longer start there (as on a machine without user
    namespaces)."""
    import calcgrade.sandbox.process

    def refuse(*args, **kwargs):
        raise OSError("bwrap: No permissions to create new namespace")

    calcgrade.sandbox.process.check_sandbox_starts = refuse


def test_a_worker_without_a_sandbox_stops_the_run_before_any_grade(course):
    course.submit(BACKPROP[0].student, "backprop", "backprop", BACKPROP[0].answers)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            client.run(_break_sandbox)
        result = course.run("calcgrade.cli", "autograde", "backprop",
                            "--scheduler", cluster.scheduler_address, check=False)
    assert result.returncode != 0
    assert "nothing was graded" in result.stderr
    assert "No permissions to create new namespace" in result.stderr
    assert not course.grades("backprop")


def test_cluster_path_refuses_links_before_anything_copies_them(course):
    """A submission's link to the gradebook never reaches a worker: it is quarantined on the
    coordinator before nbgrader copies the submission, as on the local path."""
    import json
    import os

    reads = "print(open('grades.csv', errors='replace').read()[:40])\n"
    folder = course.submit("links", "backprop", "backprop",
                           {"backprop-sigmoid": reads + BACKPROP[0].answers["backprop-sigmoid"]}
                           ).parent
    os.symlink("../../../gradebook.db", folder / "grades.csv")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = course.run("calcgrade.cli", "autograde", "backprop",
                            "--scheduler", cluster.scheduler_address)
    assert "grades.csv (a link to ../../../gradebook.db)" in result.stderr
    assert os.path.islink(course.root / "quarantine" / "links" / "backprop" / "grades.csv")
    notebook = course.root / "autograded" / "links" / "backprop" / "backprop.ipynb"
    printed = json.dumps([c.get("outputs") for c in json.loads(notebook.read_text())["cells"]])
    assert "SQLite format" not in printed and "FileNotFoundError" in printed
