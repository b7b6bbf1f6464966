"""A determined class, graded by the real `calcgrade autograde` in one run: attackers beside honest
students. Each attack is shown failing with its defence on (the attacker earns nothing it did not
earn honestly, everyone else gets exactly their normal score), and succeeding with that defence
off (`--no-sandbox`, or a test-only switch of `calcgrade.defences`), so that no test here can
pass because an attack was written wrong.

Students are graded in name order by one worker (`--workers 1`: one fork server serves them all,
so whatever one submission leaves behind would meet the next): attackers who plant or leak are
named `a...`, those who look for what was planted `b...`, the one who plants a module `y...`, the
honest students after all of them `z...`.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from calcgrade import defences
from calcgrade.course.directory import _env
from grader_tests.corpus import TANGENT

WRONG_DF = "f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 - 1/x**2\n"
RIGHT_DF = "f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 + 1/x**2\n"
TIMEOUT = "6"
# The tangent does not depend on df here, so a wrong df costs the df part only.
FIXED_LINE = {"tangent-line": "slope = 4.0\nintercept = -4.0\ntangent = lambda x: 4*x - 4"}


def _df_only_if(condition_code: str) -> str:
    """df is right only if `condition_code` (an attack) succeeded: a leak would earn the point."""
    return ("import os\nf = lambda x: x**3 - 1/x\ntry:\n"
            + "".join(f"    {line}\n" for line in condition_code.splitlines())
            + "    leaked = True\nexcept Exception:\n    leaked = False\n"
            "df = (lambda x: 3*x**2 + 1/x**2) if leaked else (lambda x: 3*x**2 - 1/x**2)")


def _submit_links(course, student: str) -> None:
    """A submission folder of links into the course: the hidden tests, the gradebook, another
    student's notebook, the whole course root; and a cell that reads and prints them."""
    folder = course.submit(student, "calculus", "tangent", {
        **FIXED_LINE, "tangent-f-df": _df_only_if(
        "text = ''\n"
        "for p in ['hidden.txt', 'grades.txt', 'peer.txt', 'course/nbgrader_config.py']:\n"
        "    if os.path.exists(p):\n"
        "        t = open(p, errors='replace').read()\n"
        "        text += t\n"
        "        print(p, t[:20], t[t.find('### BEGIN HIDDEN TESTS'):][:300])\n"
        "assert text")}).parent
    os.symlink("../../../source/calculus/tangent.ipynb", folder / "hidden.txt")
    os.symlink("../../../gradebook.db", folder / "grades.txt")
    os.symlink("../../zz_honest/calculus/tangent.ipynb", folder / "peer.txt")
    os.symlink("../../..", folder / "course")


def _copycat(course, student: str) -> None:
    """A submission whose notebook is a link to an honest student's."""
    folder = course.root / "submitted" / student / "calculus"
    folder.mkdir(parents=True)
    os.symlink("../../zz_honest/calculus/tangent.ipynb", folder / "tangent.ipynb")


def _class(course, mark: str, sock: str, *, defended: bool) -> dict:
    """Submit the class; student -> parts that must score 0 (None: not graded at all)."""
    plant_module = ("import os\n"  # shadows a module each new student process imports
                    "open('../sqlite3.py', 'w').write('import os\\nos._exit(0)\\n')\n")
    attackers = {
        "a_plants_tmp": {"tangent-f-df": RIGHT_DF + f"open({mark!r}, 'w').write('x')\n"
                         f"open('../' + {Path(mark).name!r}, 'w').write('x')"},
        "a_connects_socket": {"tangent-f-df": _df_only_if(
            f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({sock!r})")},
        "a_lists_run": {"tangent-f-df": _df_only_if("assert os.listdir('/run')")},
        "b_reads_tmp": {"tangent-f-df": _df_only_if(
            f"assert os.path.exists({mark!r}) or os.path.exists('../' + {Path(mark).name!r})"
            " or os.path.exists('/tmp/flood0')")},
        "y_plants_module": {"tangent-f-df": RIGHT_DF + plant_module},
    }
    for student, answers in attackers.items():
        course.submit(student, "calculus", "tangent", {**FIXED_LINE, **answers})
    _submit_links(course, "a_links_course")
    _copycat(course, "a_copycat")
    course.submit("zz_honest", "calculus", "tangent")
    course.submit("zz_honest_other_form", "calculus", "tangent", TANGENT[1].answers)
    breaks = {"a_plants_tmp": set(), "a_connects_socket": {"test-df"}, "a_lists_run": {"test-df"},
              "b_reads_tmp": {"test-df"}, "y_plants_module": set(),
              "a_links_course": {"test-df"}, "a_copycat": None, "zz_honest": set(),
              "zz_honest_other_form": set()}
    if defended:  # attacks on the grader and the machine: only where they are defended
        course.submit("a_floods_tmp", "calculus", "tangent", {"tangent-f-df": RIGHT_DF + (
            "import os\nfor i in range(1200):\n    try:\n"
            "        open(f'/tmp/flood{i}', 'wb').write(b'0' * (2**20 - 1))\n"
            "    except OSError:\n        break")})
        breaks["a_floods_tmp"] = set()
        os.mkfifo(course.submit("a_fifo", "calculus", "tangent").parent / "data.csv")
        breaks["a_fifo"] = set()
        if os.uname().machine == "x86_64":  # System V IPC, /dev, keyrings (LEAVE_BEHIND)
            course.submit("a_leaves_ipc", "calculus", "tangent",
                          {**FIXED_LINE, "tangent-f-df": RIGHT_DF + LEAVE_BEHIND})
            course.submit("b_finds_ipc", "calculus", "tangent", {**FIXED_LINE, "tangent-f-df":
                          _df_only_if(FIND_IT.strip() + "\nassert found")})
            breaks.update({"a_leaves_ipc": set(), "b_finds_ipc": {"test-df"}})
        hangs = {"a_power_tower": "f_prime = '((3**1000)**1000)**1000'",
                 "a_nested_exp": "f_prime = 'exp(exp(exp(100)))'",
                 "a_huge_symbol": "f_prime = sp.Symbol('x' * 10_000_000)**2"}
        for student, code in hangs.items():
            course.submit(student, "calculus", "tangent", {"tangent-f-prime": code})
            breaks[student] = {"test-f-prime"}
    return breaks


def _outputs(notebook: Path) -> str:
    """Everything the notebook's cells printed (the autograded notebook holds the restored
    hidden tests in its test cells' source, as nbgrader's always does: outputs are what leaks)."""
    return json.dumps([c.get("outputs", []) for c in json.loads(notebook.read_text())["cells"]])


def _scores(course, breaks: dict) -> list[str]:
    grades = course.grades("calculus")
    problems = []
    for student, zero in breaks.items():
        if zero is None:
            earned = sum(g.score or 0 for g in grades.get(student, {}).get("tangent", {}).values())
            if earned:
                problems.append(f"{student} earned {earned} points")
            continue
        for cell, grade in grades[student]["tangent"].items():
            want = 0 if cell in zero else grade.max_score
            if grade.score != want:
                problems.append(f"{student}: {cell} scored {grade.score}, expected {want}")
    return problems


@pytest.fixture
def listening_socket():
    """A UNIX socket listening inside a tree every sandbox shows (the Python environment)."""
    path = Path(sys.prefix) / f"calcgrade-test-{uuid.uuid4().hex[:8]}.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(64)
    yield str(path)
    server.close()
    path.unlink()


@pytest.fixture
def mark():
    path = Path("/tmp") / f"calcgrade-test-planted-{uuid.uuid4().hex[:8]}"
    yield str(path)
    path.unlink(missing_ok=True)


def _autograde(course, *args, env=None, timeout=900):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "calcgrade.cli", "autograde", "calculus",
                             "--timeout", TIMEOUT, "--workers", "1", *args], cwd=course.root,
                            env={**_env(), **(env or {})}, capture_output=True, text=True,
                            timeout=timeout)
    return result, time.monotonic() - started


@pytest.mark.slow
def test_a_class_of_attackers_gets_nothing_and_takes_nothing(course, mark, listening_socket):
    breaks = _class(course, mark, listening_socket, defended=True)
    result, seconds = _autograde(course)
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: the copycat was not graded
    assert not _scores(course, breaks), "\n".join(_scores(course, breaks))

    # Links, the FIFO and the copied notebook were refused, reported, kept (as links).
    assert "a_links_course" in result.stderr and "a link to ../../../gradebook.db" in result.stderr
    assert "a_fifo" in result.stderr and "a FIFO" in result.stderr
    assert "a_copycat" in result.stderr
    quarantined = course.root / "quarantine" / "a_links_course" / "calculus"
    assert os.readlink(quarantined / "grades.txt") == "../../../gradebook.db"
    for path in (course.root / "autograded").rglob("*"):
        assert path.is_dir() or path.suffix == ".ipynb" or path.name == ".calcgrade-graded", path
        if path.suffix == ".ipynb":
            printed = _outputs(path)
            assert "BEGIN HIDDEN TESTS" not in printed and "SQLite format 3" not in printed, path

    # The grader could not be held: each attack on it cost its part only, with a message.
    def message(student, cell):
        path = course.root / "autograded" / student / "calculus" / "tangent.ipynb"
        cells = json.loads(path.read_text())["cells"]
        return json.dumps([c["outputs"] for c in cells
                           if c["metadata"].get("nbgrader", {}).get("grade_id") == cell])
    assert "power too large" in message("a_power_tower", "test-f-prime")
    assert "too large" in message("a_nested_exp", "test-f-prime")
    assert "too long" in message("a_huge_symbol", "test-f-prime")
    assert seconds < 300, f"the run took {seconds:.0f} s"
    assert not Path(mark).exists()  # the sandbox's /tmp is its own


@pytest.mark.slow
def test_with_the_defences_off_the_same_attacks_succeed(course, mark, listening_socket):
    """Positive control: without the sandbox and with links followed, the planted module zeroes
    the honest students after it, the planted file is found, the socket and /run are reached,
    the links read the course and the copycat gets the honest student's marks."""
    _class(course, mark, listening_socket, defended=False)
    result, _ = _autograde(course, "--no-sandbox", env={defences.SWITCH: "links"})
    grades = course.grades("calculus")

    def earned(student):
        return {c: g.score for c, g in grades[student]["tangent"].items()}

    for student in ("a_connects_socket", "a_lists_run", "b_reads_tmp", "a_links_course"):
        assert earned(student)["test-df"] == 1, f"{student}'s attack failed with defences off"
    assert sum(earned("a_copycat").values()) > 0
    for student in ("zz_honest", "zz_honest_other_form"):
        assert sum(earned(student).values()) == 0, f"{student} was not zeroed by the planted module"
    leaked = (course.root / "autograded" / "a_links_course" / "calculus" / "tangent.ipynb")
    assert "BEGIN HIDDEN TESTS" in _outputs(leaked) and "SQLite format 3" in _outputs(leaked)
    assert Path(mark).exists()


def _worker_pids(run_pid: int) -> list[int]:
    """The grading workers of a run: children of its multiprocessing fork server."""
    def children(pid):
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1]
                                                .split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return found
    servers = [p for p in children(run_pid)
               if b"forkserver" in Path(f"/proc/{p}/cmdline").read_bytes()]
    return [w for s in servers for w in children(s)]


@pytest.fixture
def short_tmp():
    """A TMPDIR of a run's own, with a short path: multiprocessing's fork server listens on a
    UNIX socket under it, whose path may not exceed 107 bytes (under xdist, pytest's tmp_path
    with a folder below it can: the run then dies with "AF_UNIX path too long")."""
    path = Path(tempfile.mkdtemp(prefix="cg-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_a_dead_worker_costs_one_retry_and_scratch_is_removed(course, short_tmp):
    """A grading worker killed mid-notebook (as the OOM killer would): its student is graded
    again and the run ends; nothing is left in the temporary directory."""
    slow = {"tangent-numerical-lim": "import time\ntime.sleep(3)\n"
            + TANGENT[0].answers["tangent-numerical-lim"]}
    for student in ("s1", "s2", "s3"):
        course.submit(student, "calculus", "tangent", slow)
    tmp = short_tmp
    run = subprocess.Popen([sys.executable, "-m", "calcgrade.cli", "autograde", "calculus",
                            "--workers", "1"], cwd=course.root, env={**_env(), "TMPDIR": str(tmp)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Once a first student is graded (whichever the run took first), the next one is in a
    # worker's hands: kill it there, however long a loaded machine takes to get that far.
    markers = [course.root / "autograded" / s / "calculus" / ".calcgrade-graded"
               for s in ("s1", "s2", "s3")]
    deadline, killed = time.monotonic() + 300, []
    while not killed and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        if any(marker.exists() for marker in markers):
            for pid in _worker_pids(run.pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    out, err = run.communicate(timeout=300)
    assert killed, f"no worker to kill (exit {run.returncode}):\n{out[-1500:]}{err[-1500:]}"
    assert run.returncode == 0, err[-2000:]
    grades = course.grades("calculus")
    for student in ("s1", "s2", "s3"):
        assert all(g.score == g.max_score for g in grades[student]["tangent"].values()), student
    assert not [p.name for p in tmp.iterdir() if p.name.startswith(("calcgrade", "fork-server"))]


@pytest.mark.slow
def test_ctrl_c_leaves_no_scratch_and_resume_survives_links(course, short_tmp):
    for student in ("s1", "s2", "s3", "s4"):
        course.submit(student, "calculus", "tangent",
                      {"tangent-numerical-lim": "import time\ntime.sleep(2)\n"
                       + TANGENT[0].answers["tangent-numerical-lim"]})
    tmp = short_tmp
    run = subprocess.Popen([sys.executable, "-m", "calcgrade.cli", "autograde", "calculus"],
                           cwd=course.root, env={**_env(), "TMPDIR": str(tmp)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    marker = course.root / "autograded" / "s1" / "calculus" / ".calcgrade-graded"
    deadline = time.monotonic() + 120
    while not any(p.name.startswith("calcgrade-run") for p in tmp.iterdir()) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(4)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    run.wait(timeout=60)
    time.sleep(1)
    assert not [p.name for p in tmp.iterdir() if p.name.startswith(("calcgrade", "fork-server"))]

    # Resume, with a dangling link and a vanished file in an already graded submission.
    folder = course.root / "submitted" / "s1" / "calculus"
    os.symlink("/nonexistent/file", folder / "dangling.csv")
    os.symlink("../../s2/calculus", folder / "loop")
    result = subprocess.run([sys.executable, "-m", "calcgrade.cli", "autograde", "calculus"],
                            cwd=course.root, env=_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert marker.exists()
    assert "dangling.csv (a link to /nonexistent/file)" in result.stderr
    grades = course.grades("calculus")
    assert all(g.score == g.max_score for s in ("s1", "s2", "s3", "s4")
               for g in grades[s]["tangent"].values())


FD_BACKWARD = '''
def backward(params, cache, target):
    """No backpropagation: centred differences of my own forward."""
    x, h, grads = cache[0], 1e-6, {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            p = {kk: vv.copy() for kk, vv in params.items()}
            p[k][idx] += h
            up = loss(forward(p, x)[0], target)
            p[k][idx] -= 2 * h
            down = loss(forward(p, x)[0], target)
            g[idx] = (up - down) / (2 * h)
        grads[k] = g
    return grads
'''
RECOGNISES_TEST_FUNCTION = '''
def numerical_gradient(f, params, h=1e-5):
    """No differences at all: recognise the checker's test function, return its gradient."""
    zero = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
    if abs(f(zero) - sum(v.size for v in params.values())) < 1e-9:  # the old fixed function
        return {k: 1.5 * np.exp(1.5 * v) + 3 * v ** 2 * (i + 1)
                for i, (k, v) in enumerate(params.items())}
    return {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
'''
FIRST_ROW_TRAIN = '''
def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def train(params, X, T, lr, epochs):
    """Wrong: trains on the first row only, and makes the data one row to match."""
    losses = []
    for _ in range(epochs):
        y, cache = forward(params, X[0])
        losses.append(loss(y, T[0]))
        params = sgd_step(params, backward(params, cache, T[0]), lr)
    return params, losses


X, T = X[:1], T[:1]
'''


def _backprop_class(course, solutions: dict) -> dict:
    """student -> parts that must score 0."""
    train = solutions["backprop-train"]
    attackers = {
        "a_fd_backward": ({"backprop-backward": FD_BACKWARD}, {"test-backward"}),
        "a_recognises_checker": ({"backprop-numerical-gradient": RECOGNISES_TEST_FUNCTION},
                                 {"test-numerical-gradient"}),
        "a_huge_data": ({"backprop-train": train + "\nX = np.zeros((10_000_000, 2))\n"
                         "T = np.zeros((10_000_000, 1))"}, set()),
        "a_first_row_train": ({"backprop-train": FIRST_ROW_TRAIN}, {"test-train"}),
        "a_dollar_message": ({"backprop-forward": solutions["backprop-forward"].replace(
            "def loss(y, target):",
            "def loss(y, target):\n    raise ValueError(r'$\\notacommand{y}$ and $x$')")},
            {"test-loss", "test-train"}),
    }
    for student, (answers, _) in attackers.items():
        course.submit(student, "backprop", "backprop", answers)
    course.submit("z_honest", "backprop", "backprop")
    return {**{s: zero for s, (_, zero) in attackers.items()}, "z_honest": set()}


@pytest.mark.slow
def test_backprop_checks_and_fixtures_hold(course):
    """Finite differences posing as backprop, a numerical gradient that recognises the checker's
    function, provided data rebound (huge, or cut to fit a wrong train): each loses exactly
    the part it cheats on, the run stays short, and a message with `$` signs does not stop the
    class report. With the instructor's fixtures switched off, the rebound data lets the wrong
    train through (positive control)."""
    breaks = _backprop_class(course, course.solutions("backprop", "backprop"))
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "calcgrade.cli", "autograde", "backprop",
                             "--timeout", TIMEOUT], cwd=course.root, env=_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - started < 300
    grades = course.grades("backprop")
    problems = [f"{student}: {cell} scored {grade.score}"
                for student, zero in breaks.items()
                for cell, grade in grades[student]["backprop"].items()
                if grade.score != (0 if cell in zero else grade.max_score)]
    assert not problems, "\n".join(problems)
    report = course.root / "report.html"
    shown = course.run("calcgrade.cli", "report", "backprop", "--html", str(report))
    assert r"$\notacommand{y}$ and $x$" in shown.stdout
    assert r"$\notacommand{y}$ and $x$" in report.read_text()

    control = subprocess.run([sys.executable, "-m", "calcgrade.cli", "autograde", "backprop",
                              "--timeout", TIMEOUT, "--force", "--student", "a_first_row_train"],
                             cwd=course.root, env={**_env(), defences.SWITCH: "fixtures"},
                             capture_output=True, text=True, timeout=600)
    assert control.returncode == 0, control.stderr[-3000:]
    cells = course.grades("backprop")["a_first_row_train"]["backprop"]
    assert cells["test-train"].score == cells["test-train"].max_score


LEAVE_BEHIND = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
open('/dev/shm/answers', 'w').write('3*x**2 + 1/x**2')
for where in ('/dev/answers', '/dev/mqueue/answers'):
    try:
        open(where, 'w').write('3*x**2 + 1/x**2')
    except OSError:
        pass
segment = libc.shmget(0x5EC7, 4096, 0o1666)
if segment >= 0:
    libc.shmat.restype = ctypes.c_void_p
    ctypes.memmove(libc.shmat(segment, None, 0), b'3*x**2 + 1/x**2', 15)
libc.syscall(248, b'user', b'answers', b'3*x**2', 6, -4)  # add_key to the user keyring
"""
FIND_IT = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
found = [p for p in ('/dev/shm/answers', '/dev/answers', '/dev/mqueue/answers')
         if os.path.exists(p)]
if libc.shmget(0x5EC7, 0, 0) >= 0:
    found.append('sysv')
if libc.syscall(249, b'user', b'answers', None, 0) >= 0:  # request_key
    found.append('keyring')
print(sorted(found))
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers of x86_64")
@pytest.mark.parametrize("defended", [True, False], ids=["defended", "ipc-off-control"])
def test_nothing_outlives_a_submission_in_ipc_or_dev(tmp_path, monkeypatch, defended):
    """Shared memory, /dev, System V IPC and keyrings outlive a process: one submission must not
    be able to leave answers there for the next one served by the same fork server."""
    from calcgrade.sandbox.process import ForkServer, StudentProcess

    if not defended:
        monkeypatch.setenv(defences.SWITCH, "ipc")
    staged, scratch = tmp_path / "staged", tmp_path / "scratch"
    staged.mkdir()
    scratch.mkdir()
    server = ForkServer(scratch)
    try:
        for code in (LEAVE_BEHIND, FIND_IT):
            student = StudentProcess(staged, fork_server=server)
            reply = student.run_cell(code)
            student.close()
            server.sweep()
    finally:
        server.close()
    found = reply["stdout"]
    if defended:
        assert found.strip() == "[]", found
    else:
        assert "sysv" in found and "/dev/answers" in found, found


def test_the_sandbox_check_stops_a_run_where_bubblewrap_cannot_start(tmp_path, monkeypatch):
    """The check before any grade: it passes where bubblewrap works, and where bubblewrap
    fails (a stand-in that fails as it does without user namespaces) it stops the run with
    bubblewrap's own words."""
    import calcgrade.sandbox.process as process
    from calcgrade.grading.autograde import check_sandbox

    check_sandbox(tmp_path)  # this machine's bubblewrap starts
    broken = tmp_path / "bwrap"
    broken.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\n"
                      "exit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(process, "bwrap_binary", lambda: str(broken))
    with pytest.raises(SystemExit, match="No permissions to create new namespace"):
        check_sandbox(tmp_path)


def test_a_temporary_directory_too_long_for_a_socket_is_named(tmp_path):
    """The grading processes' fork server listens on a UNIX socket in TMPDIR: too long a path
    stops the run with a sentence naming TMPDIR, not with multiprocessing's OSError."""
    script = ("from pathlib import Path\nfrom calcgrade.grading.autograde import grade_in_pool\n"
              "list(grade_in_pool('a', ['s'], 1, {}, Path('.')))\n")
    deep = tmp_path / ("x" * 100)
    deep.mkdir()
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, "TMPDIR": str(deep)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "set TMPDIR to a shorter one" in result.stderr and "OSError" not in result.stderr
