"""`calcgrade report` on a class graded by the real `nbgrader autograde`: the per-part table, the
typical mistakes grouped with their counts, and a self-contained HTML page with its plots."""

import base64
import re

from grader_tests.corpus import BACKPROP, BACKPROP_MISTAKES

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
    assert row.split()[1:] == ["3", "1.50", "50%", "50%"]
    # Both wrong students fail at the visible self-check, which names the shape.
    assert re.search(r"backprop:backward: 2 x .*\['W1'\] has shape \(2, 3\), expected "
                     r"shape \(3, 2\)", out), out

    page = (course.root / "report.html").read_text()
    assert '<table id="parts">' in page and "backprop:train" in page
    assert "http://" not in page and "https://" not in page  # needs no network
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 3  # distribution, full-mark rate, and the parts with mistakes
    assert all(base64.b64decode(i).startswith(PNG) for i in images)

    # Feedback: the failed part's message, never the hidden test code or the reference.
    course.run("calcgrade.cli", "feedback", "backprop")
    feedback = (course.root / "feedback" / "wrong_1" / "backprop" / "backprop.html").read_text()
    assert "has shape (2, 3), expected shape (3, 2)" in feedback
    assert "test-backward (3 points)" in feedback
    for secret in ("HIDDEN TESTS", "check_backward", "_ref_forward", "reference_loss", "tanh"):
        assert secret not in feedback, secret
