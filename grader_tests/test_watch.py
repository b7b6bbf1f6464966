"""`calcgrade watch` on nbgrader's real exchange: students in home folders of their own fetch and
submit with nbgrader's apps (subprocesses), some twice, one after the due date; the watch
collects, grades and releases; each student fetches exactly the feedback and score their last
submission earns (the late one with nbgrader's late penalty), a restart grades nothing again,
and past the rate limit (1 an hour here) a submission waits and its feedback says until when.

Three grading runs in all: the first submissions (together); with the watch running as a
service, the late one, timed from `nbgrader submit` to its feedback released; and, after a
restart, the one that waited."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import notebook_hash, parse_utc

from calcgrade.course.directory import Course
from calcgrade.course.watch import Watch, _iso
from grader_tests import REPO
from grader_tests.corpus import ALL

ASSIGNMENT = NOTEBOOK = "regression"  # one notebook: the fewest grading seconds
MISTAKE = next(c for c in ALL if c.notebook == NOTEBOOK and c.name == "grad_sign_error")
STATE = Path(".calcgrade-watch") / "state.json"


class Student:
    """A student's account: a home folder with their nbgrader config, nbgrader run there."""

    def __init__(self, course, name: str, root: Path):
        self.course, self.name, self.home = course, name, root / name
        (self.home / ".jupyter").mkdir(parents=True)
        (self.home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c.Exchange.root = {str(course.root / 'exchange')!r}\n"
            f"c.CourseDirectory.course_id = 'calcgrade'\n"
            f"c.CourseDirectory.student_id = {name!r}\n")

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "XDG_"))}
        env.update(HOME=str(self.home), PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                              env.get("PATH", "")]))
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.home,
                                env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    def fetch(self) -> None:
        self.nbgrader("fetch_assignment", ASSIGNMENT)

    def submit(self, answers: dict[str, str]) -> str:
        """Answer every part as the source does but for `answers`, submit; the submission's
        timestamp."""
        path = self.home / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        nb = nbformat.read(path, as_version=4)
        filled = {**self.course.solutions(ASSIGNMENT, NOTEBOOK), **answers}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in filled:
                cell.source = filled[grade_id]
        nbformat.write(nb, path)
        self.nbgrader("submit", ASSIGNMENT)
        return self.submissions()[-1].name.split("+")[2]

    def submissions(self) -> list[Path]:
        """What they submitted, oldest first (nbgrader's cache in their home)."""
        cache = self.home / ".local" / "share" / "jupyter" / "nbgrader_cache" / "calcgrade"
        return sorted(cache.glob(f"{self.name}+{ASSIGNMENT}+*"),
                      key=lambda p: p.name.split("+")[2])

    def feedback(self) -> dict[str, str]:
        """nbgrader fetch_feedback: submission timestamp -> the page they read."""
        self.nbgrader("fetch_feedback", ASSIGNMENT)
        return {p.parent.name: p.read_text()
                for p in (self.home / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK}.html")}


def together(*actions):
    """Students acting at the same time (each nbgrader command a process of its own)."""
    with ThreadPoolExecutor(len(actions)) as pool:
        return [future.result() for future in [pool.submit(a) for a in actions]]


def watch(course, *args: str) -> str:
    """`calcgrade watch ASSIGNMENT --once` (a fresh process each time: a restart); its log."""
    return course.run("calcgrade.cli", "watch", ASSIGNMENT, "--once", *args).stderr


def graded_in(log: str) -> list[str]:
    """The students a run's log says it graded."""
    return sorted(name for line in log.splitlines() if ": graded " in line
                  for name in re.findall(r"(\w+) \(submitted ", line))


def scores(course) -> dict[str, tuple[float, float]]:
    """student -> (score after any late penalty, late penalty), from the gradebook."""
    with Gradebook(course.db_url) as gb:
        return {s.student_id: (s.score - s.late_submission_penalty, s.late_submission_penalty)
                for s in gb.assignment_submissions(ASSIGNMENT)}


def wait_for(condition, service, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert service.poll() is None, f"the service stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)


@pytest.mark.slow
def test_graded_as_they_submit(course, tmp_path):
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("c.Watch.limit = 1\n"                         # 1 grading an hour
                     "c.LateSubmissionPlugin.penalty_method = 'zero'\n"
                     "c.ExchangeCollect.check_owner = False\n")  # students: this one account
    course.nbgrader("release_assignment", ASSIGNMENT)
    with Gradebook(course.db_url) as gb:
        full = gb.find_assignment(ASSIGNMENT).max_score
    alice, bob, dave = students = [Student(course, n, tmp_path / "home")
                                   for n in ("alice", "bob", "dave")]
    together(*[s.fetch for s in students])
    wrong = MISTAKE.answers

    # First submissions; bob submits twice before the watch looks: his second one counts.
    _, bob_last = together(lambda: alice.submit(wrong),
                           lambda: (bob.submit({}), bob.submit(wrong))[1])
    log = watch(course)
    assert graded_in(log) == ["alice", "bob"], log
    first = scores(course)
    assert first["alice"][0] == first["bob"][0] < full, first
    autograded = course.root / "autograded"
    marks = {s: (autograded / s / ASSIGNMENT / ".calcgrade-graded").stat().st_mtime
             for s in ("alice", "bob")}

    # A restart with nothing new grades nothing again.
    state = json.loads((course.root / STATE).read_text())
    assert graded_in(watch(course)) == []
    assert json.loads((course.root / STATE).read_text()) == state
    assert marks == {s: (autograded / s / ASSIGNMENT / ".calcgrade-graded").stat().st_mtime
                     for s in marks}

    # The watch as a service (started again: still nothing graded twice). alice resubmits, on
    # time but past her 1 grading an hour: she is told when it will be graded. The due date
    # passes (set as `nbgrader db assignment add --duedate` sets it); dave submits late, and we
    # time how soon his feedback is released.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    service = subprocess.Popen([sys.executable, "-m", "calcgrade.cli", "watch", ASSIGNMENT,
                                "--interval", "1"], cwd=course.root, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "MPLBACKEND": "Agg", "PATH": path})
    try:
        alice_last = alice.submit({})
        stamp = parse_utc(alice_last).replace(tzinfo=timezone.utc).isoformat()
        wait_for(lambda: json.loads((course.root / STATE).read_text())[ASSIGNMENT]["alice"]
                 .get("notified") == stamp, service, "notice to alice")
        with Gradebook(course.db_url) as gb:
            gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime.now(timezone.utc)
                                           .replace(tzinfo=None))
        time.sleep(0.05)
        started = time.monotonic()
        dave_last = dave.submit({})
        submitted = time.monotonic()
        secret = (dave.submissions()[-1] / "submission_secret.txt").read_text()
        released = (course.root / "exchange" / "calcgrade" / "feedback"
                    / f"{notebook_hash(secret=secret, notebook_id=NOTEBOOK)}.html")
        wait_for(released.exists, service, "feedback for dave", seconds=60)
        done = time.monotonic()
        print(f"\nnbgrader submit took {submitted - started:.1f} s; its feedback was released "
              f"{done - submitted:.1f} s after it returned ({done - started:.1f} s in all)")
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=120)
    assert service.returncode == 0 and "stopped" in err, err
    assert graded_in(err) == ["dave"], err
    assert scores(course)["dave"] == (0.0, full), "the late one: nbgrader's zero penalty"
    waiting = alice.feedback()
    assert len(waiting) == 2 and "is waiting to be graded" in waiting[alice_last]
    assert "at most 1 time per hour" in waiting[alice_last] and " UTC" in waiting[alice_last]
    assert "is waiting to be graded" not in [p for ts, p in waiting.items() if ts != alice_last][0]

    # An hour later (her grading's time moved back an hour), the one that waited is graded:
    # after the due date, but submitted before it, so not late.
    state = json.loads((course.root / STATE).read_text())
    state[ASSIGNMENT]["alice"]["gradings"] = [t - 3600 for t in
                                              state[ASSIGNMENT]["alice"]["gradings"]]
    (course.root / STATE).write_text(json.dumps(state))
    assert graded_in(watch(course)) == ["alice"]

    final = scores(course)
    assert final == {"alice": (full, 0.0), "bob": (first["bob"][0], 0.0),
                     "dave": (0.0, full)}, final
    lasts = {"alice": alice_last, "bob": bob_last, "dave": dave_last}
    fetched = dict(zip(lasts, together(alice.feedback, bob.feedback, dave.feedback)))
    for name, last in lasts.items():
        # what they read for their last submission is the page of what the gradebook holds
        graded = course.root / "feedback" / name / ASSIGNMENT
        assert parse_utc((graded / "timestamp.txt").read_text()) == parse_utc(last)
        assert fetched[name][last] == (graded / f"{NOTEBOOK}.html").read_text(), name
    assert "penalty" in fetched["dave"][dave_last].lower()
    assert sorted(fetched["bob"]) == [bob_last], "his first submission was never graded"


class Decisions(Watch):
    """The watch's decisions on a listed inbound folder, its collect, grading and feedback
    steps recorded instead of run (the slow test above runs them for real)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.did: list[tuple] = []

    def grade(self, assignment, students, now):
        self.did.append(("grade", sorted(students)))
        for student, stamp in students.items():
            done = self.record(assignment, student)
            done["graded"] = stamp
            done.setdefault("gradings", []).append(now)
        return sorted(students)

    def hand_back(self, assignment, students):
        self.did.append(("feedback", students))
        for student in students:
            done = self.record(assignment, student)
            done["released"] = done["graded"]

    def notify(self, assignment, student, rec, slot):
        self.did.append(("notify", student, slot))
        self.record(assignment, student)["notified"] = _iso(rec["timestamp"])


def _inbound(root: Path, name: str) -> None:
    folder = root / "exchange" / "calcgrade" / "inbound" / name
    folder.mkdir(parents=True)
    (folder / f"{NOTEBOOK}.ipynb").write_text("{}")


def test_decisions_restart_rate_limit_and_unreadable_entries(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_bytes((REPO / "nbgrader_config.py").read_bytes())
    monkeypatch.chdir(tmp_path)
    for name in ["ann+regression+2026-12-01 10:00:00.000000 UTC+abc",
                 "ann+regression+2026-12-01 10:05:00.000000 UTC+def",  # her newest
                 "ben+regression+2026-12-01 10:01:00.000000 UTC+ghi",
                 "ben+regression+not a time+jkl",                    # anyone can write there
                 "*+regression+2026-12-01 10:01:00.000000 UTC+mno",  # not a student id
                 "ann+calculus+2026-12-01 10:09:00.000000 UTC+pqr"]:  # another assignment
        _inbound(tmp_path, name)
    watch = Decisions(tmp_path, [ASSIGNMENT], config=Course(tmp_path).config())
    assert watch.limit == 5 and watch.period == 3600  # nbgrader_config.py's
    watch.limit = 2
    watch.folder.mkdir()
    now = 1_000_000.0
    assert watch.poll(now) == ["ann", "ben"]
    assert watch.did == [("grade", ["ann", "ben"]), ("feedback", ["ann", "ben"])]
    assert watch.state[ASSIGNMENT]["ann"]["graded"].startswith("2026-12-01T10:05:00")

    # A restart: nothing new, nothing done; graded but not released: feedback only.
    again = Decisions(tmp_path, [ASSIGNMENT], config=Course(tmp_path).config())
    again.state, again.limit = json.loads(json.dumps(watch.state)), 2
    del again.state[ASSIGNMENT]["ben"]["released"]
    assert again.poll(now + 10) == [] and again.did == [("feedback", ["ben"])]

    # ann submits twice more: the first is graded (her 2nd grading this hour), the next waits
    # for the hour after her first grading, and she is told once.
    _inbound(tmp_path, "ann+regression+2026-12-01 10:20:00.000000 UTC+stu")
    again.did.clear()
    assert again.poll(now + 20) == ["ann"]
    _inbound(tmp_path, "ann+regression+2026-12-01 10:30:00.000000 UTC+vwx")
    again.did.clear()
    assert again.poll(now + 30) == [] and again.did == [("notify", "ann", now + 3600)]
    assert again.poll(now + 40) == [] and again.did == [("notify", "ann", now + 3600)]
    assert again.poll(now + 3601) == ["ann"]
