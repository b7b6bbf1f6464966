"""`calcgrade report` on a class graded by the real `nbgrader autograde`: the per-part table, the
typical mistakes grouped with their counts, and a self-contained HTML page with its plots; and
on a class of 300 whose gradebook is written with nbgrader's API (`report_class.py`): every
count of the report against what was written."""

import base64
import re
import time

from calcgrade.course.items import THRESHOLD
from calcgrade.course.report import collect, format_report
from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES
from grader_tests.report_class import (
    COIN_FLIP,
    EVERYONE_RIGHT,
    HAND_GRADED,
    TAUGHT,
    layout,
    write_class,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_report_groups_the_class_mistakes_and_writes_a_self_contained_page(course):
    transposed = next(v for v in BACKPROP_MISTAKES if v.name == "transposed_weight_gradient")
    class_ = [("right_1", BACKPROP[0]), ("right_2", BACKPROP[1]),
              ("wrong_1", transposed), ("wrong_2", transposed)]
    for student, variant in class_:
        course.submit(student, "backprop", "backprop", variant.answers)
    course.autograde("backprop")

    out = course.run("calcgrade.cli", "report", "backprop", "--html", "report.html").stdout
    assert "4 students" in out
    row = next(line for line in out.splitlines() if line.startswith("backprop:backward "))
    # points, mean, full, partial, mistake, not attempted, pending, difficulty (discrimination
    # after: r of [3, 3, 0, 0] with the rest of the assignment)
    assert row.split()[1:9] == ["3", "1.50", "50%", "0%", "50%", "0%", "0", "0.50"]
    # Both wrong students fail at the visible self-check, which names the shape.
    assert re.search(r"backprop:backward: 2 x .*\['W1'\] has shape \(2, 3\), expected "
                     r"shape \(3, 2\)", out), out

    page = (course.root / "report.html").read_text()
    assert '<table id="parts">' in page and "backprop:train" in page
    assert "http://" not in page and "https://" not in page  # needs no network
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3  # distribution, heat map, the parts' top mistakes in one chart
    assert all(base64.b64decode(i).startswith(PNG) for i in images)

    # Feedback: the failed part's message, never the hidden test code or the reference.
    course.run("calcgrade.cli", "feedback", "backprop")
    feedback = (course.root / "feedback" / "wrong_1" / "backprop" / "backprop.html").read_text()
    assert "has shape (2, 3), expected shape (3, 2)" in feedback
    assert "test-backward (3 points)" in feedback
    for secret in ("HIDDEN TESTS", "check_backward", "_ref_forward", "reference_loss", "tanh"):
        assert secret not in feedback, secret


def test_report_of_300_students_counts_what_the_gradebook_holds(tmp_path):
    """No grading: the gradebook and autograded notebooks are written (a few seconds), and the
    report's every count is checked against what was written."""
    began = time.perf_counter()
    course, truth = write_class(tmp_path / "course", 300)
    written = time.perf_counter() - began
    parts, totals = collect(course, "calculus")
    assert len(totals) == 300
    cells = layout(course.root)
    # The taught order of the notebooks (nbgrader_config.py), each notebook's cells as in source/.
    assert [(p.notebook, p.cell) for p in parts] == [
        (nb, c.grade_id) for nb in TAUGHT for c in cells[nb] if c.points is not None]
    for p in parts:
        expected = truth[(p.notebook, p.cell)]
        counts = p.counts()
        counts["pending"] = len(p.pending)
        for outcome in ("full", "partial", "mistake", "not attempted", "pending"):
            assert counts[outcome] == expected[outcome], (p.name, outcome)
        # The mistakes' messages, grouped with their counts; never a blank's "not defined yet".
        assert dict(p.messages) == {m: n for m, n in expected.items() if ": " in m}, p.name
    hand = next(p for p in parts if (p.notebook, p.cell) == HAND_GRADED)
    assert hand.pending and hand.graded + len(hand.pending) == 300

    out = format_report(parts, totals)
    flagged = out.split("parts that fail to discriminate")[1].split("most common mistakes")[0]
    everyone, coin_flip = (f"{nb}:{cell.removeprefix('test-')}"
                           for nb, cell in (EVERYONE_RIGHT, COIN_FLIP))
    assert f"  {everyone}: no spread: every student scored full marks" in flagged
    coin = next(line for line in flagged.splitlines() if line.startswith(f"  {coin_flip}: "))
    assert f"< {THRESHOLD:g}" in coin
    # The parts that follow ability are not flagged.
    assert flagged.count("\n  ") <= 4, flagged
    assert f"  gradient_norm:gradient-norm-at-zero: {len(hand.pending)} of 300 left" in out
    assert "not defined yet" not in out.split("most common mistakes")[1]
    assert written < 30, written
