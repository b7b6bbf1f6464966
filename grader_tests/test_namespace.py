"""Hidden tests see the student's names as they would under nbgrader: in comprehensions, lambdas
and nested functions too, with the instructor's fixtures (provided cells) taking precedence over
anything the student rebinds. Real sandbox, real fork server, TrustedExecute run directly."""

from nbformat.v4 import new_code_cell, new_notebook

from calcgrade.trusted import TrustedExecute

TEST = """
assert all(double(v) == 2 * v for v in range(3))
assert [double(v) for v in DATA] == [2, 4, 6]
check = lambda: double(5) == 10
def nested():
    return double(DATA[0])
assert check() and nested() == 2
"""


def _notebook(student_code: str):
    fixture = new_code_cell("%matplotlib inline\nimport numpy as np\nDATA = [1, 2, 3]",
                            metadata={"calcgrade": {"fixture": True}})
    answer = new_code_cell(student_code, metadata={"nbgrader": {"solution": True,
                                                                "grade_id": "answer"}})
    test = new_code_cell(TEST, metadata={"nbgrader": {"grade": True, "solution": False,
                                                      "grade_id": "test", "points": 1}})
    return new_notebook(cells=[fixture, answer, test])


def _run(tmp_path, monkeypatch, student_code: str) -> list:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    nb, _ = TrustedExecute().preprocess(_notebook(student_code),
                                        {"metadata": {"path": str(folder)}})
    return nb.cells[2].outputs


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
from calcgrade.student_process import StudentSide
side = next(o for o in gc.get_objects() if isinstance(o, StudentSide))
data = json.dumps({"stdout": "x" * 30_000_000, "error": ["E" * 10**6, "m" * 10**7]}).encode()
side.writer.write(struct.pack('>I', len(data)) + data)
os._exit(0)
"""


def test_a_forged_reply_is_cut_to_the_grader_s_own_limits(tmp_path, monkeypatch):
    """A student side that writes its own reply frame (30 MB of output, a 10 MB message) gets
    into the notebook only what an honest one could: the grader cuts what it receives."""
    from calcgrade.sandbox import StudentProcess, Zygote
    from calcgrade.student_process import MAX_MESSAGE, MAX_OUTPUT

    # The attack reaches the grader's side of the channel whole (the control) ...
    staged, scratch = tmp_path / "staged", tmp_path / "scratch"
    staged.mkdir()
    scratch.mkdir()
    zygote = Zygote(scratch)
    try:
        student = StudentProcess(staged, zygote=zygote)
        assert len(student.run_cell(FORGED_REPLY)["stdout"]) == 30_000_000
        student.close()
    finally:
        zygote.close()
    # ... and TrustedExecute keeps only what an honest reply may hold.
    monkeypatch.chdir(tmp_path)
    nb = new_notebook(cells=[new_code_cell(FORGED_REPLY)])
    nb, _ = TrustedExecute().preprocess(nb, {"metadata": {"path": str(staged)}})
    outputs = nb.cells[0].outputs
    assert len(outputs[0]["text"]) <= MAX_OUTPUT + 200
    assert len(outputs[1]["ename"]) <= 200 and len(outputs[1]["evalue"]) <= MAX_MESSAGE
