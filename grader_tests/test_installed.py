"""calcgrade installed as a user installs it (`pip install .`, not editable, into a fresh venv)
works in a course directory of the instructor's own, far from this repository, for every
command: check, autograde, scores, report, export, feedback, replay.

The fresh venv borrows the dependencies already installed for the tests (a `.pth` file naming
their site-packages; Python reads no `.pth` file found there, so the checkout's editable install
stays out) and pip installs calcgrade alone, `--no-deps`: the wheel, its modules and its
`calcgrade` command are what is tested here. Resolving the dependencies from pyproject.toml on a
fresh machine is what scripts/setup.sh does before any test runs.
"""

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from calcgrade.course.directory import Course
from grader_tests import REPO

pytestmark = pytest.mark.slow

WRONG = {"gradient-exp-numeric": "def grad_f(x):\n    return np.array([6 * x[0], 5.0])"}


def test_every_command_works_installed_in_a_course_of_ones_own(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # on the base Python
    # Built from a copy of what a release holds, so no build/ or egg-info lands in the repo (a
    # stale build/lib would put modules moved or deleted since into the wheel).
    package = tmp_path / "package"
    shutil.copytree(REPO / "calcgrade", package / "calcgrade",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, package / name)
    site = subprocess.run([str(venv / "bin/python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "calcgrade-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "--no-deps", str(package)],
                   check=True, capture_output=True)
    # The dependencies' commands (nbgrader runs `alembic`) after the venv's own `calcgrade`,
    # and their data files (nbconvert's templates).
    env = {"PATH": f"{venv / 'bin'}:{sysconfig.get_paths()['scripts']}:/usr/bin:/bin",
           "JUPYTER_PATH": str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"),
           "HOME": str(tmp_path),
           "MPLBACKEND": "Agg"}

    def run(*args, check=True):
        result = subprocess.run(list(args), cwd=course, env=env, capture_output=True, text=True)
        assert not check or result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        return result.stdout

    located = subprocess.run([str(venv / "bin/python"), "-c",
                              "import calcgrade; print(calcgrade.__file__)"],
                             capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert located.startswith(str(venv)), located  # the installed copy, not this checkout

    course = tmp_path / "mycourse"
    (course / "source/week1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    for name in ("gradient_exp.ipynb", "gradient_exp.corpus.py"):
        (course / "source/week1" / name).write_bytes((REPO / "source/calculus" / name).read_bytes())

    run(str(venv / "bin/python"), "-m", "nbgrader", "generate_assignment", "week1", "--force")
    assert not list((course / "release").rglob("*.corpus.py"))
    checked = run("calcgrade", "check", "week1", "--grader", "calcgrade")
    assert "all checks passed" in checked and "numeric_sign" in checked
    # Submissions made from the release by the test harness (not the installed copy's code).
    Course(course).submit("alice", "week1", "gradient_exp")
    Course(course).submit("bob", "week1", "gradient_exp", WRONG)
    run("calcgrade", "autograde", "week1")
    scores = run("calcgrade", "scores", "week1")
    assert re.search(r"alice\s+2/2\s+2/2\s+4/4", scores), scores
    assert re.search(r"bob\s+2/2\s+0/2\s+2/4", scores), scores
    assert "is wrong in ∂f/∂x2" in run("calcgrade", "report", "week1")
    run("calcgrade", "export", "week1", "--to", "grades.csv")
    assert "week1/gradient_exp/test-grad-f" in (course / "grades.csv").read_text()
    run("calcgrade", "feedback", "week1")
    assert (course / "feedback/bob/week1/gradient_exp.html").exists()
    replayed = run("calcgrade", "replay", "week1", "bob", "grad-f")
    assert "grad_f([1, 2]) returned" in replayed and "verdict now:      failed" in replayed
