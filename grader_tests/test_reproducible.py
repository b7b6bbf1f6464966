"""Verdicts are reproducible: each part's random draws come from a seed derived from the course's
secret, the assignment, the notebook, the student and the part; a regrade gives the same seeds
and scores, and `calcgrade replay` reruns a part with the recorded seed and prints its inputs."""

import re

import nbformat
import pytest

from calcgrade.grading import seeds

pytestmark = pytest.mark.slow

ASSIGNMENT, NOTEBOOK = "calculus", "gradient_exp"
WRONG_GRAD_F = "def grad_f(x):\n    return np.array([6 * x[0], 5 * np.exp(x[1]) + 1e-3])"


def _graded(course, student):
    nb = nbformat.read(course.root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)
    return {c.metadata.nbgrader["grade_id"]: c.metadata.get("calcgrade", {}).get("seed")
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def _replay(course, student, part="grad-f"):
    return course.run("calcgrade.cli", "replay", ASSIGNMENT, student, part).stdout


def _drawn(replayed):
    """The lines of a replay that show a call with drawn inputs (the random points, not the
    test's literal ones such as [1, 2])."""
    return [line for line in replayed.splitlines()
            if re.search(r"grad_f\(array\(\[\s*-?\d+\.\d{6,}", line)]


def test_regrading_draws_the_same_inputs_and_replay_shows_them(course):
    path = course.submit("alice", ASSIGNMENT, NOTEBOOK)
    planted = nbformat.read(path, 4)  # a seed of her choosing in the metadata changes nothing
    for cell in planted.cells:
        cell.metadata["calcgrade"] = {"seed": "1", "fixture": True}
    nbformat.write(planted, path)
    course.submit("carol", ASSIGNMENT, NOTEBOOK)
    course.submit("bob", ASSIGNMENT, NOTEBOOK, {"gradient-exp-numeric": WRONG_GRAD_F})

    course.autograde(ASSIGNMENT, trusted=True)
    first = {s: _graded(course, s) for s in ("alice", "bob", "carol")}
    scores = course.grades(ASSIGNMENT)
    secret = (course.root / seeds.SECRET_FILE).read_text().strip()
    assert first["alice"]["test-grad-f"] == str(
        seeds.seed_for(secret, ASSIGNMENT, NOTEBOOK, "alice", "test-grad-f"))
    assert len({first[s]["test-grad-f"] for s in first}) == 3  # each student their own draws
    assert first["alice"]["test-grad-f"] != first["alice"]["test-grad-f-expr"]

    course.run("calcgrade.cli", "autograde", ASSIGNMENT, "--force")
    assert {s: _graded(course, s) for s in first} == first
    assert course.grades(ASSIGNMENT) == scores
    assert scores["bob"][NOTEBOOK]["test-grad-f"].score == 0
    assert scores["alice"][NOTEBOOK]["test-grad-f"].score == 2

    replayed = _replay(course, "alice")
    assert f"seed {first['alice']['test-grad-f']}" in replayed
    assert len(_drawn(replayed)) >= 5, replayed  # the uniform draws of the hidden test
    assert "verdict now:      passed" in replayed and "verdict recorded: passed" in replayed
    assert _replay(course, "alice") == replayed  # the same inputs every time
    assert set(_drawn(_replay(course, "carol"))).isdisjoint(_drawn(replayed))
    bob = _replay(course, "bob")
    assert "verdict now:      failed" in bob and "is wrong in ∂f/∂x2" in bob

    # Control: the inputs come from the course's secret; another secret draws others.
    (course.root / seeds.SECRET_FILE).write_text("another secret\n")
    other = _replay(course, "alice")
    assert "the course's secret changed" in other
    assert set(_drawn(other)).isdisjoint(_drawn(replayed))
