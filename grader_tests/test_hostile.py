"""Hostile submissions, graded by the real `calcgrade autograde` in one run with honest ones.

Each hostile notebook either gives a wrong answer and tries to get the points anyway (patching
numpy, sympy or calcgrade, transforming input, swallowing errors, lying objects, reading the
hidden tests or the gradebook, the network), or tries to break the run (exiting, killing itself,
looping, flooding output, exhausting memory, editing or deleting test cells). Each must lose
exactly the parts it got wrong or did not reach, and every other submission in the same run must
get exactly its normal score.
"""

import json
import sqlite3

import nbformat
import pytest

from grader_tests.corpus import TANGENT

WRONG_DF = "f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 - 1/x**2\n"
RIGHT_DF = "f = lambda x: x**3 - 1/x\ndf = lambda x: 3*x**2 + 1/x**2\n"
PLOT = TANGENT[0].answers["tangent-plot"]
# The tangent does not depend on df here, so a wrong df costs the df part only.
FIXED_LINE = {"tangent-line": "slope = 4.0\nintercept = -4.0\ntangent = lambda x: 4*x - 4"}
TIMEOUT = 6


def _df_only_if(condition_code):
    """df is right only if `condition_code` (an attack) succeeded: a leak would earn points."""
    return (f"f = lambda x: x**3 - 1/x\ntry:\n    {condition_code}\n    leaked = True\n"
            f"except Exception:\n    leaked = False\n"
            f"df = (lambda x: 3*x**2 + 1/x**2) if leaked else (lambda x: 3*x**2 - 1/x**2)")


def hostile_cases(root):
    """student -> (answer cells, parts that must score 0)."""
    return {
        "patches_numpy": ({"tangent-f-df": WRONG_DF + "np.allclose = lambda *a, **k: True\n"
                           "np.isclose = lambda *a, **k: True\nnp.abs = lambda x: 0 * x"},
                          {"test-df"}),
        "patches_calcgrade": ({"tangent-f-df": WRONG_DF + "import calcgrade, calcgrade.numeric\n"
                               "calcgrade.check_function = lambda *a, **k: None\n"
                               "calcgrade.numeric.close = lambda *a: True"}, {"test-df"}),
        "patches_sympy": ({"tangent-f-prime": "x = sp.Symbol('x')\nf_prime = 3*x**2 - 1/x**2\n"
                           "sp.simplify = lambda e, *a, **k: sp.Integer(0)"}, {"test-f-prime"}),
        "strips_asserts": ({"tangent-numerical-lim": TANGENT[0].answers["tangent-numerical-lim"]
                            + "\nimport ast\nclass Strip(ast.NodeTransformer):\n"
                            "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                            "get_ipython().ast_transformers.append(Strip())",
                            "tangent-f-df": WRONG_DF}, {"test-df"}),
        "input_transformer": ({"tangent-numerical-lim": TANGENT[0].answers["tangent-numerical-lim"]
                               + "\nget_ipython().input_transformers_post.append("
                               "lambda lines: ['pass\\n'] if any('check' in l for l in lines) "
                               "else lines)",
                               "tangent-f-df": WRONG_DF}, {"test-df"}),
        "custom_exception_handler": ({"tangent-f-df": WRONG_DF + "get_ipython().set_custom_exc("
                                      "(BaseException,), lambda *a, **k: None)"}, {"test-df"}),
        "always_equal_slope": ({"tangent-line": "class AlwaysEqual:\n"
                                "    def __eq__(self, other): return True\n"
                                "    def __float__(self): return 4.0\n"
                                "    __hash__ = object.__hash__\n"
                                "slope = AlwaysEqual()\nintercept = -4.0\n"
                                "tangent = lambda x: 4*x - 4"}, {"test-slope"}),
        "lying_float": ({"tangent-line": "class Liar(float):\n"
                         "    def __float__(self): return 4.0\n"
                         "    def __eq__(self, other): return True\n"
                         "    __hash__ = float.__hash__\n"
                         "slope = Liar(3.0)\nintercept = -4.0\ntangent = lambda x: 4*x - 4"},
                        {"test-slope"}),
        "sys_exit": ({"tangent-f-df": WRONG_DF + "import sys\nsys.exit(0)"}, {"test-df"}),
        "os_exit": ({"tangent-plot": "import os\nos._exit(0)\n" + PLOT}, {"test-plot"}),
        "kills_itself": ({"tangent-plot": "import os, signal\n"
                          "os.kill(os.getpid(), signal.SIGKILL)\n" + PLOT}, {"test-plot"}),
        "infinite_loop_cell": ({"tangent-plot": "while True:\n    pass\n" + PLOT}, {"test-plot"}),
        "loop_ignoring_alarm": ({"tangent-plot": "import signal\n"
                                 "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                 "while True:\n    pass\n" + PLOT}, {"test-plot"}),
        "infinite_loop_function": ({"tangent-f-df": "f = lambda x: x**3 - 1/x\n"
                                    "def df(x):\n    while True:\n        pass"}, {"test-df"}),
        "floods_output": ({"tangent-f-df": RIGHT_DF + "print('x' * 20_000_000)\n"
                           "import os\nos.write(1, b'y' * 20_000_000)"}, set()),
        "prints_all_tests_passed": ({"tangent-f-df": WRONG_DF + "print('All tests passed')\n"
                                     "print('\u2713 df: `df` gives the right values')"},
                                    {"test-df"}),
        "reads_source": (
            {"tangent-f-df": _df_only_if(f"open({str(root / 'source/calculus/tangent.ipynb')!r})")},
            {"test-df"}),
        "reads_other_student": (
            {"tangent-f-df": _df_only_if(
                f"open({str(root / 'submitted/honest/calculus/tangent.ipynb')!r})")}, {"test-df"}),
        "reads_gradebook": (
            {"tangent-f-df": _df_only_if(f"open({str(root / 'gradebook.db')!r}, 'rb').read(1)")},
            {"test-df"}),
        "writes_gradebook": ({"tangent-f-df": RIGHT_DF + "try:\n"
                              f"    open({str(root / 'gradebook.db')!r}, 'w').write('gone')\n"
                              "except OSError:\n    pass"}, set()),
        "uses_network": ({"tangent-f-df": _df_only_if(
            "import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)")}, {"test-df"}),
        "exhausts_memory": ({"tangent-f-df": RIGHT_DF + "big = bytearray(8 * 2**30)"}, set()),
        "shadows_grader_names": ({"tangent-plot": PLOT + "\nnp = None\ncg = None\n"
                                  "len = lambda x: 0\nisinstance = lambda *a: True"}, set()),
        # A process left running to kill whatever it can later: its own notebook may suffer
        # (None: not checked), the next submissions must not.
        "leaves_a_killer_behind": ({"tangent-numerical-lim": "import os, signal, time\n"
                                    "if os.fork() == 0:\n    time.sleep(2)\n"
                                    "    while True:\n        os.kill(-1, signal.SIGKILL)\n"
                                    + TANGENT[0].answers["tangent-numerical-lim"]}, None),
        "noise_with_right_answers": ({"tangent-f-df": "import sys, warnings\n"
                                      "def f(x):\n    sys.stderr.write('noise\\n')\n"
                                      "    warnings.warn('careful')\n    return x**3 - 1/x\n"
                                      "def df(x):\n    print('df called')\n"
                                      "    try:\n        raise ValueError('ignored')\n"
                                      "    except ValueError:\n        pass\n"
                                      "    return 3*x**2 + 1/x**2"}, set()),
    }


def _cells_by_id(path):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c
            for c in nbformat.read(path, as_version=4).cells}


def test_hostile_submissions_lose_only_what_they_got_wrong(course):
    root = course.root
    cases = hostile_cases(root)
    course.submit("honest", "calculus", "tangent")
    course.submit("honest_other_form", "calculus", "tangent", TANGENT[1].answers)
    for student, (answers, _) in cases.items():
        course.submit(student, "calculus", "tangent", {**FIXED_LINE, **answers})
    # Deleting one test cell and emptying another: nbgrader restores both from the gradebook.
    edited = course.submit("edits_test_cells", "calculus", "tangent",
                           {**FIXED_LINE, "tangent-f-df": WRONG_DF,
                            "tangent-f-prime": "x = sp.Symbol('x')\nf_prime = 3*x**2"})
    nb = nbformat.read(edited, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test-df"]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test-f-prime":
            cell.source = "pass"
    nbformat.write(nb, edited)
    cases["edits_test_cells"] = ({}, {"test-df", "test-f-prime"})
    cases["honest"] = ({}, set())
    cases["honest_other_form"] = ({}, set())

    course.run("calcgrade.cli", "autograde", "calculus", "--timeout", str(TIMEOUT))

    grades = course.grades("calculus")
    problems = []
    for student, (_, breaks) in cases.items():
        if breaks is None:
            continue
        for cell_id, grade in grades[student]["tangent"].items():
            want = 0 if cell_id in breaks else grade.max_score
            if grade.score != want:
                problems.append(f"{student}: {cell_id} scored {grade.score}, expected {want}")
    assert not problems, "\n".join(problems)

    # The gradebook is whole: a plain SQLite file nbgrader reads, every student in it.
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert set(grades) == set(cases)


def test_feedback_says_what_happened(course):
    cases = hostile_cases(course.root)
    for student in ("infinite_loop_cell", "kills_itself", "floods_output",
                    "infinite_loop_function"):
        course.submit(student, "calculus", "tangent", {**FIXED_LINE, **cases[student][0]})
    course.run("calcgrade.cli", "autograde", "calculus", "--timeout", str(TIMEOUT))

    def outputs(student, grade_id):
        path = course.root / "autograded" / student / "calculus" / "tangent.ipynb"
        return json.dumps(_cells_by_id(path)[grade_id].get("outputs", []))

    assert "time limit" in outputs("infinite_loop_cell", "tangent-plot")
    assert "stopped" in outputs("kills_itself", "test-plot")
    assert "more characters of output cut" in outputs("floods_output", "tangent-f-df")
    assert len(outputs("floods_output", "tangent-f-df")) < 100_000
    assert "time limit" in outputs("infinite_loop_function", "test-df")


@pytest.mark.parametrize("fork_server", [False, True], ids=["cold", "forked"])
@pytest.mark.parametrize("attack, message", [
    ("import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)", "OSError"),
    ("open({root!r} + '/source/calculus/tangent.ipynb')", "FileNotFoundError"),
    ("import os; os.listdir({root!r} + '/submitted')", "FileNotFoundError"),
    ("open({root!r} + '/gradebook.db', 'rb')", "FileNotFoundError"),
    ("open('/usr/new_file', 'w')", "OSError"),
    ("bytearray(8 * 2**30)", "MemoryError"),
])
def test_the_sandbox_holds(course, tmp_path, attack, message, fork_server):
    from calcgrade.sandbox.process import ForkServer, StudentProcess

    (course.root / "gradebook.db").write_bytes(b"")
    (course.root / "submitted" / "other").mkdir(parents=True)
    scratch = tmp_path / "scratch"
    workdir = scratch / "work"
    workdir.mkdir(parents=True)
    server = ForkServer(scratch, hidden=[course.root]) if fork_server else None
    student = StudentProcess(workdir, hidden=[course.root], fork_server=server)
    try:
        reply = student.run_cell(attack.format(root=str(course.root)))
    finally:
        student.close()
        if server:
            server.close()
    assert reply.get("error"), f"{attack} succeeded inside the sandbox"
    assert message in reply["error"][0] or message in reply["error"][1] or \
        (message == "OSError" and reply["error"][0] in {"PermissionError", "OSError",
                                                         "ConnectionRefusedError"})
