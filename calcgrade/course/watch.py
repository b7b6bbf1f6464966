"""`calcgrade watch ASSIGNMENT`: each submission graded as it arrives, its feedback handed back.

A long-running service in the course directory (or `--once`: what is pending, then exit). Every
`interval` seconds it lists nbgrader's exchange inbound folder, each entry read by the course's
own collect plugin (`ExchangeFactory.collect`, as `nbgrader collect` reads it; an entry it cannot
read is reported and skipped, never stopping the others), and for every student whose newest
submission has not been graded yet it

1. collects it with nbgrader's CollectApp (`--update --student=ID`, the course's
   `CollectRegularFiles`), so `submitted/` holds it with its `timestamp.txt`;
2. grades it with `calcgrade autograde` (`calcgrade.grading.autograde.autograde`, sandboxed; the
   students of one poll together, in the grading pool); nbgrader's Autograde records the
   timestamp, and its `AssignLatePenalties` step charges a submission made after the due date
   (the gradebook's, `nbgrader db assignment add ASSIGNMENT --duedate=...`) the late penalty the
   course configures (`LateSubmissionPlugin.penalty_method`, or its own plugin);
3. generates its feedback (GenerateFeedbackApp, `--student=ID`) and releases it
   (ReleaseFeedbackApp), so `nbgrader fetch_feedback` (and the Assignment List) has it.

What has been done is kept per assignment and student in `.calcgrade-watch/state.json`, keyed by
the submission's timestamp (`graded`, then `released`), written atomically after each step: a
restart grades nothing that was graded (a submission graded but not yet released gets its
feedback only) and loses nothing (the exchange keeps every submission until it is collected).
One service at a time per course (a lock file).

The rate limit (`Watch.limit` gradings per `Watch.period` seconds per student, default 5 an
hour): a submission past it waits for the student's next slot, when their newest submission is
graded; meanwhile it gets a notice as its feedback (released through nbgrader's
ReleaseFeedbackApp from `.calcgrade-watch/notices/`), saying when it will be graded. Its
timestamp, not the time it is graded, decides whether it was late.
"""

from __future__ import annotations

import fcntl
import glob
import html
import io
import json
import logging
import os
import re
import signal
import stat
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

log = logging.getLogger("calcgrade")

FOLDER = ".calcgrade-watch"  # in the course root: the state, the lock, the notices
NOTICES = f"{FOLDER}/notices"  # a feedback directory of its own, for ReleaseFeedbackApp
STUDENT_ID = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]*")  # nothing glob or path-like


class Watch(LoggingConfigurable):
    """The service's settings (`c.Watch.limit = 5` in nbgrader_config.py) and its loop."""

    limit = Int(5, help="Gradings per student per `period`; a submission past it waits for "
                        "the student's next slot (the student is told when); 0: no limit"
                ).tag(config=True)
    period = Float(3600.0, help="Seconds over which `limit` counts").tag(config=True)
    interval = Float(2.0, help="Seconds between two looks at the exchange").tag(config=True)

    def __init__(self, root: Path, assignments: list[str], *, sandbox: bool = True,
                 workers: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.root = Path(root).resolve()
        self.assignments = assignments
        self.sandbox, self.workers = sandbox, workers
        self.folder = self.root / FOLDER
        self.state_path = self.folder / "state.json"
        self.state: dict[str, dict[str, dict[str, Any]]] = {}
        self.stopping = False
        self._said: set[str] = set()  # messages logged once (an exchange not released yet)
        self._failed: set[tuple[str, str, str]] = set()  # feedback that failed, this run
        self.inbound = self.root
        self._listers: dict[str, Any] = {}  # assignment -> the collect plugin that lists it

    # -- state -----------------------------------------------------------------------------

    def load(self) -> None:
        try:
            self.state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            self.state = {}

    def save(self) -> None:
        """Atomically: a crash leaves the previous state or this one, never half of it."""
        part = self.state_path.with_suffix(".tmp")
        part.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(part, self.state_path)

    def record(self, assignment: str, student: str) -> dict[str, Any]:
        return self.state.setdefault(assignment, {}).setdefault(student, {})

    # -- the exchange ------------------------------------------------------------------------

    def newest(self, assignment: str) -> dict[str, dict]:
        """student -> nbgrader's record of their newest submission in the inbound folder
        (`username`, `filename`, `timestamp`), each entry read by the course's collect plugin
        (`_path_to_record`); an entry it cannot read (anyone can write there) is skipped, said
        once, instead of stopping everyone's grading."""
        from nbgrader.apps.collectapp import CollectApp
        from nbgrader.exchange import ExchangeError

        if assignment not in self._listers:  # configured once: polls are frequent
            app = _app(CollectApp, assignment)
            app.coursedir.assignment_id = assignment
            self._listers[assignment] = _factory(app).Collect(
                coursedir=app.coursedir, authenticator=None, parent=app)
        collect = self._listers[assignment]
        self.inbound = Path(collect.root) / collect.coursedir.course_id / "inbound"
        if not self.inbound.is_dir():
            self._say_once(f"inbound {assignment}", logging.WARNING,
                           f"no inbound folder in the exchange yet ({self.inbound}): run "
                           f"nbgrader release_assignment {assignment}; watching for it")
            return {}
        found: dict[str, dict] = {}
        for path in glob.glob(os.path.join(self.inbound, f"*+{glob.escape(assignment)}+*")):
            try:
                rec = collect._path_to_record(path)
                ok = (path.rsplit("+", 3)[1] == assignment
                      and STUDENT_ID.fullmatch(rec["username"]) is not None)
            except (ExchangeError, ValueError, OverflowError, IndexError):
                ok = False
            if not ok:
                self._say_once(path, logging.ERROR, f"not collected: {os.path.basename(path)}"
                               " (not a submission nbgrader can read, or not a student id)")
                continue
            if rec["username"] not in found or rec["timestamp"] > found[rec["username"]][
                    "timestamp"]:
                found[rec["username"]] = rec
        return found

    def _say_once(self, key: str, level: int, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            log.log(level, "%s", message)

    # -- one look at the exchange ----------------------------------------------------------

    def poll(self, now: float | None = None) -> list[str]:
        """Collect, grade and hand back what is new; tell the students who must wait. Returns
        the students graded."""
        graded = []
        for assignment in self.assignments:
            graded += self.poll_assignment(assignment, time.time() if now is None else now)
        return graded

    def poll_assignment(self, assignment: str, now: float) -> list[str]:
        grade: dict[str, str] = {}  # student -> the timestamp of their newest submission
        feedback_only: list[str] = []
        for student, rec in sorted(self.newest(assignment).items()):
            done = self.record(assignment, student)
            stamp = _iso(rec["timestamp"])
            if _at_least(done.get("released"), stamp) or done.get("failed") == stamp:
                continue
            if _at_least(done.get("graded"), stamp):
                # graded before a restart, its feedback not released yet
                if (assignment, student, done["graded"]) not in self._failed:
                    feedback_only.append(student)
                continue
            recent = [t for t in done.get("gradings", []) if t > now - self.period]
            if self.limit > 0 and len(recent) >= self.limit:
                if done.get("notified") != stamp:
                    self.notify(assignment, student, rec, min(recent) + self.period)
                continue
            if (assignment, student, f"collect {stamp}") not in self._failed:
                grade[student] = stamp
        graded = self.grade(assignment, grade, now) if grade else []
        if feedback_only or graded:
            self.hand_back(assignment, sorted(set(feedback_only + graded)))
        return graded

    def grade(self, assignment: str, students: dict[str, str], now: float) -> list[str]:
        """Collect and grade `students` (one grading run); those graded."""
        from calcgrade.grading.autograde import autograde

        started = time.monotonic()
        collected = {}
        for student in students:
            stamp = self.collect(assignment, student)
            if stamp is not None:
                collected[student] = stamp
            else:  # said; tried again when they submit again, or at the next start
                self._failed.add((assignment, student, f"collect {students[student]}"))
        if not collected:
            return []
        run = autograde(assignment, sorted(collected), workers=self.workers,
                        sandbox=self.sandbox, force=True, root=self.root,
                        progress=io.StringIO())
        for student, stamp in collected.items():
            done = self.record(assignment, student)
            done["gradings"] = [t for t in done.get("gradings", []) if t > now - self.period]
            done["gradings"].append(now)
            done.pop("notified", None)
            if student in run.failures:
                done["failed"] = stamp  # reported; not retried until the student submits again
                log.error("%s/%s submitted %s: could not be graded: %s", student, assignment,
                          stamp, run.failures[student])
            else:
                done["graded"] = stamp
                done.pop("failed", None)
        self.save()
        graded = sorted(s for s in collected if s not in run.failures)
        log.info("%s: graded %s in %.1f s", assignment, ", ".join(
            f"{s} (submitted {collected[s]})" for s in graded) or "nobody",
            time.monotonic() - started)
        return graded

    def collect(self, assignment: str, student: str) -> str | None:
        """nbgrader collect --update for one student; the timestamp of what submitted/ holds."""
        from nbgrader.apps.collectapp import CollectApp

        app = _app(CollectApp, assignment, "--update", f"--student={student}")
        try:
            app.start()
        except SystemExit:
            log.error("nbgrader collect failed for %s/%s", student, assignment)
            return None
        when = app.coursedir.get_existing_timestamp(
            app.coursedir.format_path(app.coursedir.submitted_directory, student, assignment))
        return _iso(when) if when else None

    def hand_back(self, assignment: str, students: list[str]) -> None:
        """nbgrader generate_feedback and release_feedback, one student at a time."""
        from nbgrader.apps.generatefeedbackapp import GenerateFeedbackApp
        from nbgrader.apps.releasefeedbackapp import ReleaseFeedbackApp

        for student in students:
            done = self.record(assignment, student)
            try:
                _app(GenerateFeedbackApp, assignment, "--force", f"--student={student}").start()
                _app(ReleaseFeedbackApp, assignment, f"--student={student}").start()
            except (SystemExit, Exception) as exc:
                # tried again at the next start, not at every poll
                self._failed.add((assignment, student, done["graded"]))
                log.error("feedback for %s/%s could not be generated or released (%s)",
                          student, assignment, exc)
                continue
            done["released"] = done["graded"]
            self.save()
            log.info("%s/%s: feedback released (submitted %s)", student, assignment,
                     done["graded"])

    def notify(self, assignment: str, student: str, rec: dict, slot: float) -> None:
        """A notice as the waiting submission's feedback: when it will be graded, and why."""
        from nbgrader.apps.releasefeedbackapp import ReleaseFeedbackApp

        submission = self.inbound / rec["filename"]
        if submission.is_symlink():
            log.warning("%s/%s: waiting submission %s is a link; no notice", student,
                        assignment, rec["filename"])
            return
        secret = _read_regular(submission / "submission_secret.txt")
        stamp = _read_regular(submission / "timestamp.txt")
        notebooks = sorted(e.name[:-len(".ipynb")] for e in os.scandir(submission)
                           if e.name.endswith(".ipynb") and e.is_file(follow_symlinks=False))
        if secret is None or stamp is None or not notebooks:
            log.warning("%s/%s: waiting submission %s has no secret, timestamp or notebook; "
                        "no notice", student, assignment, rec["filename"])
            return
        at = datetime.fromtimestamp(slot, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        folder = self.root / NOTICES / student / assignment
        if folder.exists():
            for old in folder.iterdir():
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timestamp.txt").write_text(stamp)
        (folder / "submission_secret.txt").write_text(secret)
        page = NOTICE.format(
            submitted=html.escape(stamp.strip()), at=html.escape(at),
            times=f"{self.limit} time{'' if self.limit == 1 else 's'}",
            period=_period(self.period), assignment=html.escape(assignment))
        for notebook in notebooks:
            (folder / f"{notebook}.html").write_text(page)
        try:
            _app(ReleaseFeedbackApp, assignment, f"--student={student}",
                 f"--CourseDirectory.feedback_directory={NOTICES}").start()
        except SystemExit:
            log.error("the waiting notice for %s/%s could not be released", student, assignment)
            return
        done = self.record(assignment, student)
        done["notified"] = _iso(rec["timestamp"])
        self.save()
        log.info("%s/%s: submission of %s waits (%d gradings per %s); graded at %s, told so",
                 student, assignment, stamp.strip(), self.limit, _period(self.period), at)

    # -- the service -----------------------------------------------------------------------

    def run(self, once: bool = False) -> None:
        """Poll until stopped (SIGTERM or Ctrl-C: the poll under way finishes first), or once."""
        self.folder.mkdir(exist_ok=True)
        with open(self.folder / "lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SystemExit(f"calcgrade watch: another calcgrade watch is running in "
                                 f"{self.root} ({self.folder / 'lock'})") from None
            self.load()
            if not once:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, self._stop)
                log.info("watching %s in %s every %g s (at most %d gradings per student per "
                         "%s); state in %s", ", ".join(self.assignments), self.root,
                         self.interval, self.limit, _period(self.period), self.state_path)
            while True:
                try:
                    self.poll()
                except KeyboardInterrupt:
                    log.info("stopped at once")
                    return
                except Exception:
                    if once:
                        raise
                    # a locked gradebook, a full disk: said, and tried again at the next look
                    log.exception("this look at the exchange failed; trying again")
                if once:
                    return
                deadline = time.monotonic() + self.interval
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(min(0.2, self.interval))
                if self.stopping:
                    log.info("stopped")
                    return

    def _stop(self, signum, frame) -> None:
        if self.stopping:  # a second signal: stop now
            raise KeyboardInterrupt
        self.stopping = True
        log.info("stopping after the current poll (signal %d again to stop now)", signum)


NOTICE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{assignment}: waiting to be graded</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>Your submission is waiting to be graded</h1>
<p>Your submission of <b>{submitted}</b> of {assignment} has been received. Each student is
graded at most {times} per {period}, and you have reached that limit, so it will be graded
at <b>{at}</b>, or soon after. If you submit again before then, your newest submission is the one
graded.</p>
<p>Fetch your feedback again after that time: this page is then replaced by your results. Its
submission time, not the time it is graded, decides whether it was on time.</p>
</body></html>
"""


def _app(cls, assignment: str, *argv: str):
    """One of nbgrader's apps, configured from the course's config files as on the command
    line; its own errors reach the log as nbgrader's, at WARN and above."""
    path = list(sys.path)
    app = cls()
    app.initialize([assignment, "--log-level=WARN", *argv])
    sys.path[:] = path  # nbgrader puts the course root first again at every start
    return app


def _factory(app):
    from nbgrader.exchange import ExchangeFactory

    return ExchangeFactory(parent=app)


def _iso(when: datetime) -> str:
    """nbgrader's timestamps are naive UTC (`parse_utc`): as ISO 8601 with the zone."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat()


def _at_least(recorded: str | None, stamp: str) -> bool:
    """Whether the recorded timestamp is that of `stamp` or a later submission's."""
    return (recorded is not None
            and datetime.fromisoformat(recorded) >= datetime.fromisoformat(stamp))


def _period(seconds: float) -> str:
    if seconds == 3600:
        return "hour"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} hours"
    return f"{seconds:g} seconds"


def _read_regular(path: Path, limit: int = 4096) -> str | None:
    """A small regular file of the student's folder, never through a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def watch(root: Path, assignments: list[str], *, once: bool = False,
          interval: float | None = None, sandbox: bool = True,
          workers: int | None = None) -> None:
    """`calcgrade watch`: the course's config (`c.Watch.*` in nbgrader_config.py), then the
    command line's options."""
    from calcgrade.course.directory import Course

    service = Watch(root, assignments, sandbox=sandbox, workers=workers,
                    config=Course(root).config())
    if interval is not None:
        service.interval = interval
    os.chdir(service.root)  # nbgrader's apps read the course's config where they run
    service.run(once=once)
