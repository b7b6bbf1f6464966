"""Hidden tests see the student's names as they would under nbgrader: in comprehensions, lambdas
and nested functions too, with the instructor's fixtures (provided cells) taking precedence over
anything the student rebinds. Real sandbox, real fork server, TrustedExecute run directly."""

from nbformat.v4 import new_code_cell, new_notebook

from calcgrade.grading.execute import TrustedExecute

TEST = """
assert all(double(v) == 2 * v for v in range(3))
assert [double(v) for v in DATA] == [2, 4, 6]
check = lambda: double(5) == 10
def nested():
    return double(DATA[0])
assert check() and nested() == 2
"""


def _notebook(student_code: str, tests: list[str]):
    fixture = new_code_cell("%matplotlib inline\nimport numpy as np\nDATA = [1, 2, 3]",
                            metadata={"calcgrade": {"fixture": True}})
    answer = new_code_cell(student_code, metadata={"nbgrader": {"solution": True,
                                                                "grade_id": "answer"}})
    cells = [new_code_cell(code, metadata={"nbgrader": {"grade": True, "solution": False,
                                                        "grade_id": f"test-{i}", "points": 1}})
             for i, code in enumerate(tests)]
    return new_notebook(cells=[fixture, answer, *cells])


def _run_all(tmp_path, monkeypatch, student_code: str, tests: list[str]) -> list[list]:
    """The outputs of each test cell, graded by TrustedExecute in the real sandbox."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    nb, _ = TrustedExecute().preprocess(_notebook(student_code, tests),
                                        {"metadata": {"path": str(folder)}})
    return [cell.outputs for cell in nb.cells[2:]]


def _run(tmp_path, monkeypatch, student_code: str) -> list:
    return _run_all(tmp_path, monkeypatch, student_code, [TEST])[0]


def test_nested_scopes_see_the_students_names(tmp_path, monkeypatch):
    assert _run(tmp_path, monkeypatch, "def double(x):\n    return 2 * x") == []


def test_the_instructors_data_wins_over_a_rebinding(tmp_path, monkeypatch):
    outputs = _run(tmp_path, monkeypatch, "def double(x):\n    return 2 * x\nDATA = [0, 0, 0]")
    assert outputs == []


def test_a_wrong_answer_still_fails(tmp_path, monkeypatch):
    outputs = _run(tmp_path, monkeypatch, "def double(x):\n    return x + 1")
    assert outputs and outputs[0]["ename"] == "AssertionError"


def test_control_two_mappings_hide_names_from_nested_scopes():
    """Positive control: the old way (globals and locals apart) raises NameError here."""
    try:
        exec(compile(TEST, "<test>", "exec"), {"__builtins__": __builtins__},
             {"double": lambda x: 2 * x, "DATA": [1, 2, 3]})
    except NameError as exc:
        assert "double" in str(exc)
    else:
        raise AssertionError("nested scopes saw names in a separate locals mapping")


FORGED_REPLY = r"""
import gc, json, os, struct
from calcgrade.sandbox.student_side import StudentSide
side = next(o for o in gc.get_objects() if isinstance(o, StudentSide))
data = json.dumps({"stdout": "x" * 30_000_000, "error": ["E" * 10**6, "m" * 10**7]}).encode()
side.writer.write(struct.pack('>I', len(data)) + data)
os._exit(0)
"""


def test_a_forged_reply_is_cut_to_the_grader_s_own_limits(tmp_path, monkeypatch):
    """A student side that writes its own reply frame (30 MB of output, a 10 MB message) gets
    into the notebook only what an honest one could: the grader cuts what it receives."""
    from calcgrade.sandbox.process import ForkServer, StudentProcess
    from calcgrade.sandbox.student_side import MAX_MESSAGE, MAX_OUTPUT

    # The attack reaches the grader's side of the channel whole (the control) ...
    staged, scratch = tmp_path / "staged", tmp_path / "scratch"
    staged.mkdir()
    scratch.mkdir()
    server = ForkServer(scratch)
    try:
        student = StudentProcess(staged, fork_server=server)
        assert len(student.run_cell(FORGED_REPLY)["stdout"]) == 30_000_000
        student.close()
    finally:
        server.close()
    # ... and TrustedExecute keeps only what an honest reply may hold.
    monkeypatch.chdir(tmp_path)
    nb = new_notebook(cells=[new_code_cell(FORGED_REPLY)])
    nb, _ = TrustedExecute().preprocess(nb, {"metadata": {"path": str(staged)}})
    outputs = nb.cells[0].outputs
    assert len(outputs[0]["text"]) <= MAX_OUTPUT + 200
    assert len(outputs[1]["ename"]) <= 200 and len(outputs[1]["evalue"]) <= MAX_MESSAGE


UNITTEST = """
import sys
import unittest

class TestDouble(unittest.TestCase):
    def test_small(self):
        self.assertEqual(double(3), 6)

runner = unittest.TextTestRunner(stream=sys.stdout)
result = unittest.main(argv=["tests"], exit=False, testRunner=runner).result
assert result.wasSuccessful()
"""
EMPTYING = """
def double(x):
    return x + 1

def load_tests(loader, tests, pattern):  # unittest.main asks __main__ for this
    import unittest
    return unittest.TestSuite()
"""


def test_a_students_load_tests_cannot_empty_unittest_main(tmp_path, monkeypatch):
    outputs = _run_all(tmp_path, monkeypatch, EMPTYING, [UNITTEST])[0]
    assert any(o.get("ename") == "AssertionError" for o in outputs), outputs


def test_control_a_main_that_falls_back_to_the_student_runs_no_test(tmp_path, monkeypatch):
    """Positive control: were `__main__` to fall back to the student's names (through the
    namespace's fetching), the student's `load_tests` would run no test and pass."""
    from calcgrade.grading import execute as trusted

    monkeypatch.setattr(trusted._MainModule, "__getattr__",
                        lambda self, name: self._namespace[name])
    outputs = _run_all(tmp_path, monkeypatch, EMPTYING, [UNITTEST])[0]
    assert not any(o.get("output_type") == "error" for o in outputs), outputs


def test_kernel_behaviours_of_test_cells(tmp_path, monkeypatch):
    """A quiet last line shows nothing (no partial credit of 0), a test that exits fails alone
    and the next cell runs, `%%capture NAME` binds NAME, `%time` gives the value back."""
    tests = ["assert double(3) == 6\n0.0;",
             "assert double(3) == 6\nraise SystemExit(0)",
             "%%capture captured\nprint(double(4))",
             "assert captured.stdout.strip() == '8'\nt = %time double(5)\nassert t == 10",
             "0.5"]
    outputs = _run_all(tmp_path, monkeypatch, "def double(x):\n    return 2 * x", tests)
    assert outputs[0] == []
    assert [o.get("ename") for o in outputs[1]] == ["SystemExit"]
    assert not [o for o in outputs[2] + outputs[3] if o["output_type"] == "error"], outputs
    assert outputs[4][-1]["data"]["text/plain"] == "0.5"  # partial credit, as nbgrader reads it


def test_warnings_count_as_in_a_kernel(tmp_path, monkeypatch):
    """A warning of the student's function lands on the test cell's stderr and costs the part,
    as under nbgrader; the kinds Python keeps quiet by default (a deprecation notice) do not."""
    student = ("import warnings\n"
               "def double(x):\n"
               "    warnings.warn('old spelling', DeprecationWarning)\n"
               "    return 2 * x\n"
               "def loud(x):\n"
               "    warnings.warn('x is large', UserWarning)\n"
               "    return 2 * x\n")
    quiet, charged = _run_all(tmp_path, monkeypatch, student,
                              ["assert double(3) == 6", "assert loud(3) == 6"])
    assert quiet == []
    assert [o["name"] for o in charged if o["output_type"] == "stream"] == ["stderr"]
