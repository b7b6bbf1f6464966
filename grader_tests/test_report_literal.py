"""A student's message is shown literally in `calcgrade report`: matplotlib reads the text
between two `$` as mathtext and raises on an unknown command (`ValueError: $\\foo$` made `--html`
abort), and the page is HTML. Part, notebook, student and assignment names can hold the same
text. Built from `Part`s and totals directly (and once through `collect`
on notebooks written here), without running nbgrader; the matplotlib drawing and the HTML are the
real ones."""

import base64
import html
import io
import json
import re
from collections import Counter

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from calcgrade.course.directory import Grade  # noqa: E402
from calcgrade.course.report import Part, _literal, collect, format_report, html_report  # noqa: E402
from grader_tests.report_class import GivenGrades  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"

BAD_MATH = [r"ValueError: $\notacommand{x}$", "$$", r"KeyError: $\foo$ and $\bar{y}$"]
HOSTILE = BAD_MATH + [
    "costs $5",  # a lone $
    "$x$",  # valid mathtext, still to be shown with its dollars
    r"already \$ escaped $x$ and \\$",
    "<script>alert(1)</script>",
    "&amp; is not &",
    'quotes " and \' in <b>bold</b>',
    "100% wrong, %s %d {0} {}",
    "first line\nsecond line\n\n  indented third",
    "$" * 300,  # one long word of dollars: cut and wrapped, never split inside a `\$`
    "x" * 10_000,
    "long words " * 1000,
]


def _saves(label: str) -> None:
    """Draw `label` as a title and as a tick label, as the report does, and save the figure."""
    fig, ax = plt.subplots(figsize=(3, 2))
    try:
        ax.barh([0], [1])
        ax.set_yticks([0], [label])
        ax.set_title(label)
        fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)


@pytest.mark.parametrize("text", BAD_MATH)
def test_matplotlib_raises_on_the_raw_text_and_draws_it_once_escaped(text):
    # The attack: with math parsing on (matplotlib's default), the raw text aborts the drawing.
    with pytest.raises(ValueError):
        _saves(text)
    # The difference is the escaping.
    _saves(_literal(text))


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_labels_show_the_text_as_it_is(text):
    """What matplotlib draws for `_literal(text)` is the text itself (whitespace collapsed, and
    cut with "…" when long), never mathtext."""
    for wrap in (None, 45):
        label = _literal(text, 120, wrap=wrap)
        shown, math = Text(text=label)._preprocess_math(label)
        assert math is False
        flat = " ".join(text.split())
        if wrap is None:
            assert "\n" not in shown
        if len(flat) <= 120:
            assert shown == flat if wrap is None else _squash(shown) == _squash(flat)
        else:
            assert shown.endswith("…") and len(shown.replace("\n", "")) <= 120
            assert _squash(flat).startswith(_squash(shown[:-1]))
    # The raw text of some is mathtext: what the escaping prevents.
    assert Text(text="$x$")._preprocess_math("$x$") == ("$x$", True)


# Student names too: the heat map's rows name the students of a small class.
STUDENTS = ["<script>s</script>", "$\\alpha$", "student %"]


def _parts():
    parts = [Part(f"nb{i}", f"test-{i}", 2, dict(zip(STUDENTS, [0, 2, 1])),
                  Counter({text: 3 - i % 3})) for i, text in enumerate(HOSTILE)]
    # Names can carry the same text: notebook and cell names, shown in the table and the plots.
    parts.append(Part("nb$", r"test-$\notacommand{x}$", 1, dict(zip(STUDENTS, [1, 0])),
                      Counter({m: 1 for m in HOSTILE[:3]})))
    parts.append(Part("<i>nb</i>", "test-&amp;", 1, {STUDENTS[0]: 1}, Counter()))
    return parts


def test_html_report_shows_hostile_text_literally_with_its_plots(tmp_path):
    parts = _parts()
    totals = dict(zip(STUDENTS, [1.0, 2.0, 3.0]))
    assignment = r"hw $\notacommand{a}$ <b>"
    path = tmp_path / "report.html"
    html_report(parts, totals, assignment, path, top=len(HOSTILE))

    page = path.read_text()
    for text in HOSTILE:
        assert html.escape(text) in page, text[:60]
    for p in parts:
        assert f"<td>{html.escape(p.name)}</td>" in page
    # Every part's top mistakes in one chart (it used to be a chart per part).
    assert page.count("<figcaption>Top mistakes per part</figcaption>") == 1
    assert f"<h1>{html.escape(assignment)}: 3 students</h1>" in page
    assert "&amp;amp; is not &amp;" in page
    # Nothing of the students' text became markup.
    assert "<script>" not in page and "<b>bold" not in page and "<i>nb" not in page
    assert page.count("<b>") == page.count("<li>")  # only the page's own, one per message
    assert page.count("<li>") == sum(len(p.messages) for p in parts)
    assert "li{white-space:pre-wrap;" in page  # a message's lines and spaces shown as they are

    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)">', page)
    assert len(images) == 3  # the score distribution, the heat map, the top mistakes
    assert all(base64.b64decode(i).startswith(PNG) for i in images)


def test_format_report_keeps_hostile_text(tmp_path):
    parts = _parts()
    out = format_report(parts, {"a": 1.0, "b": 2.0}, top=len(HOSTILE))
    lines = out.splitlines()
    assert lines[0] == "2 students"
    for text in HOSTILE:
        for line in text.splitlines():
            assert line in out
    # A message of several lines stays under its part: its further lines are indented.
    first = lines.index(next(x for x in lines if x.endswith("x first line")))
    assert lines[first + 1:first + 4] == ["      second line", "      ", "        indented third"]
    assert r"  nb$:$\notacommand{x}$: 1 x ValueError: $\notacommand{x}$" in lines


def test_collect_and_report_on_autograded_notebooks_with_hostile_errors(tmp_path):
    """The path of `calcgrade report --html`: the messages come from the error outputs of the
    autograded notebooks' test cells."""
    errors = [("ValueError", r"$\notacommand{x}$ at 0.25"), ("KeyError", "$$"),
              ("RuntimeError", "<script>alert(1)</script>\nsecond line 100%")]
    table = {}
    for i, (ename, evalue) in enumerate(errors):
        student = f"s{i}"
        table[student] = {"nb": {"test-a": Grade(0, 1, False), "test-b": Grade(1, 1, False)}}
        cells = [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test-a"}},
                  "outputs": [{"output_type": "error", "ename": ename, "evalue": evalue,
                               "traceback": []}], "source": ""},
                 {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test-b"}},
                  "outputs": [], "source": ""}]
        notebook = tmp_path / "autograded" / student / "hw" / "nb.ipynb"
        notebook.parent.mkdir(parents=True)
        notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                        "nbformat_minor": 5}))

    parts, totals = collect(GivenGrades(tmp_path, table), "hw")
    messages = {r"$\notacommand{x}$ at #", "$$", "<script>alert(1)</script>\nsecond line 100%"}
    assert set(parts[0].messages) == messages and not parts[1].messages
    assert "nb:a: 1 x $$" in format_report(parts, totals)

    html_report(parts, totals, "hw", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert all(html.escape(m) in page for m in messages)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(PNG) for i in images)
