"""`calcgrade report` per variant (issue 12): a class whose gradebook is written with nbgrader's
own API (`report_class.write_class`), with variants on in its nbgrader_config.py and the
repository's tangent notebook (parameters a and c, 15 variants). A part that one variant's
students all lose while everyone else keeps it is flagged, there only, in the text and on the
page; failures independent of the variant are not; with variants off the report is what it was.
The students' variants the report shows are `variants.of_student`'s."""

import html
import random
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from calcgrade import variants
from calcgrade.course.directory import Course
from calcgrade.course.items import ALPHA, MIN_VARIANT_STUDENTS
from calcgrade.course.report import collect, fairness, format_report, html_report
from grader_tests.report_class import ASSIGNMENT, write_class

STUDENTS = 240  # 15 variants: about 16 students each
UNFAIR = ("tangent", "test-slope")
ON = Config({"Variants": {"enabled": True}})


def _variant(root, student, config, notebook="tangent") -> str:
    return variants.label(variants.of_student(root, ASSIGNMENT, notebook, student, config))


def _declaring(root) -> set[str]:
    """The notebooks of the assignment that declare parameters."""
    return {path.stem for path in (root / "source" / ASSIGNMENT).glob("*.ipynb")
            if variants.declaration_of(nbformat.read(path, as_version=4)) is not None}


def _unfair_to_first_variant(root, chosen: dict):
    """Test-slope lost by every student of s000's variant (with variants on), kept by all the
    others; `chosen["label"]` is set to that variant."""
    def forced(student, notebook, grade_id):
        if (notebook, grade_id) != UNFAIR:
            return None
        mine = _variant(root, student, ON)
        chosen.setdefault("label", mine)  # s000 comes first
        return mine != chosen["label"]
    return forced


@pytest.mark.slow  # runs the `calcgrade report` command
def test_a_part_one_variant_all_lose_is_flagged_there_only(tmp_path, monkeypatch):
    root = tmp_path / "course"
    chosen: dict = {}
    course, _ = write_class(root, STUDENTS, variants=True,
                            forced=_unfair_to_first_variant(root, chosen))
    reads: Counter = Counter()
    read = nbformat.read

    def counted(path, *args, **kwargs):
        reads[Path(path).name] += 1
        return read(path, *args, **kwargs)

    monkeypatch.setattr(nbformat, "read", counted)
    parts, totals = collect(course, ASSIGNMENT)
    monkeypatch.undo()
    # The source notebook is read a few times per report (its cells' order, its declaration),
    # not once per student.
    assert 1 <= reads["tangent.ipynb"] <= 3, reads
    slope = next(p for p in parts if (p.notebook, p.cell) == UNFAIR)
    # The report's variants are of_student's, read with the course's own configuration.
    assert slope.variants is not None
    config = Course(root).config()
    for notebook in _declaring(root):  # tangent, and any other notebook declaring parameters
        shown = next(p.variants for p in parts if p.notebook == notebook)
        assert shown is not None
        assert shown.of == {s: _variant(root, s, config, notebook) for s in totals}
    assert "tangent" in _declaring(root)
    assert all(p.variants is slope.variants for p in parts if p.notebook == "tangent")
    assert all(p.variants is None for p in parts if p.notebook not in _declaring(root))
    members = sorted(s for s, v in slope.variants.of.items() if v == chosen["label"])
    others = len(totals) - len(members)
    assert len(members) >= MIN_VARIANT_STUDENTS
    assert {slope.scores[s] for s in members} == {0.0}
    assert {slope.scores[s] for s in totals if s not in members} == {slope.max_score}

    fair = fairness(parts)
    assert 0 < len(fair.tests) <= sum(len(p.variants.labels) for p in parts if p.variants)
    assert fair.threshold == pytest.approx(ALPHA / len(fair.tests))
    assert [(parts[t.part].name, t.variant) for t in fair.flagged] == [
        ("tangent:slope", chosen["label"])]

    out = course.run("calcgrade.cli", "report", ASSIGNMENT, "--html", "report.html").stdout
    flag = (f"variant {chosen['label']}: 0/{len(members)} full marks on tangent:slope vs "
            f"{others}/{others} elsewhere (Fisher exact p = ")
    line = next(line for line in out.splitlines() if flag in line)
    assert re.search(rf"p = [0-9.e-]+ < 0\.05/{len(fair.tests)}, Bonferroni\): unfair\?$",
                     line), line
    assert out.count("unfair?") == 1
    assert "Fisher exact test (two-sided)" in out and "Bonferroni: family-wise α = 0.05" in out
    # The per-variant table: the variant's row, its slope cell marked.
    section = out.split("\nper variant")[1]
    rows = [r for r in section.splitlines() if r.startswith("  a=")]
    assert len(rows) == len(slope.variants.labels)
    row = next(r for r in rows if r.startswith(f"  {chosen['label']}  "))
    assert re.match(rf"  {re.escape(chosen['label'])} +{len(members)} ", row), row
    assert f"0.00 0/{len(members)}!" in row and sum(r.count("!") for r in rows) == 1

    page = (course.root / "report.html").read_text()
    assert 'id="variants-tangent"' in page and html.escape(flag) in page
    assert page.count('class="n flag"') == 1
    flagged_cell = re.search(r'<td class="n flag">([^<]*)</td>', page)
    assert flagged_cell and flagged_cell.group(1) == f"0.00 0/{len(members)}"


@pytest.mark.parametrize("spread", ["every 15th student", "at random"])
def test_failures_independent_of_the_variant_are_not_flagged(tmp_path, spread):
    """The control: about as many failures on the same part, spread over the variants (every
    15th student by number, or 30% drawn with a fixed seed; the variant is a hash of the id)."""
    rng = random.Random(7)
    lost = ({f"s{k:03d}" for k in range(STUDENTS) if k % 15 == 0} if spread.startswith("every")
            else {f"s{k:03d}" for k in range(STUDENTS) if rng.random() < 0.3})

    def forced(student, notebook, grade_id):
        return student not in lost if (notebook, grade_id) == UNFAIR else None

    course, _ = write_class(tmp_path / "course", STUDENTS, variants=True, forced=forced)
    parts, totals = collect(course, ASSIGNMENT)
    slope = next(p for p in parts if (p.notebook, p.cell) == UNFAIR)
    assert {s for s, score in slope.scores.items() if score == 0} == lost
    fair = fairness(parts)
    assert fair.tests and not fair.flagged
    assert any(t.variant and parts[t.part] is slope for t in fair.tests)
    out = format_report(parts, totals)
    assert "\nper variant" in out and "unfair?" not in out
    assert "  none: no variant's share of full marks on a part differs" in out
    html_report(parts, totals, ASSIGNMENT, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert 'id="variants-tangent"' in page and 'class="n flag"' not in page


def test_with_variants_off_the_report_is_as_before(tmp_path):
    """The same gradebook (the students of one would-be variant lose a part) in a course with
    variants off and one with them on: the report with variants off is the other's without its
    per-variant section; off, nothing is shown or tested per variant (everyone has the default
    numbers)."""
    classes = {}
    for name in ("off", "on"):
        root = tmp_path / name
        course, _ = write_class(root, 60, variants=name == "on",
                                forced=_unfair_to_first_variant(root, {}))
        classes[name] = collect(course, ASSIGNMENT)
    parts, totals = classes["off"]
    assert all(p.variants is None for p in parts)
    assert not fairness(parts).tests
    off, on = format_report(parts, totals), format_report(*classes["on"])
    assert "\nper variant" in on and "variant" not in off
    assert off == on.split("\n\nper variant")[0]
    html_report(parts, totals, ASSIGNMENT, tmp_path / "off.html")
    page = (tmp_path / "off.html").read_text()
    assert "variant" not in page.lower()
    assert 'id="variants"' not in page and page.count("<table") == 1
