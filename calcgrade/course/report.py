"""Per-part results of a class: what an instructor reads after grading, and acts on.

Scores come from nbgrader's gradebook; the messages of failed parts from the autograded notebooks'
test-cell outputs, grouped after replacing decimals (the random inputs) by '#', so that the class's
typical mistakes appear with their counts.

What each part shows, in the assignment's own order (`part_order`: the notebooks as nbgrader has
them, by name, unless `c.CalcgradeReport.notebook_order = {"ASSIGNMENT": [notebook, ...]}` in
nbgrader_config.py gives the order they are taught in; the cells in the source notebook's order):

- the share of the graded students with full marks, partial marks, a mistake, and who did not
  attempt the part (`_not_attempted`: the answer cell left as released, or a message saying
  something is not written or not defined yet); the not-attempted are not mistakes, and their
  messages are kept out of the most common mistakes;
- how many students a hand-graded part (or a part left for grading by hand) still waits for:
  pending grades count in no share, no mean and no item statistic until a grader gives them;
- the item analysis of `calcgrade.course.items`: difficulty, and discrimination as the
  correlation with the rest of the assignment, with the parts that fail to discriminate flagged.

`format_report` prints it as text; `html_report` writes one self-contained page (no server, no
network: the plots are PNG data URIs) with the table, the score distribution, a students x
parts heat map and every part's top mistakes in one chart.

Per-student variants (issue 12, `calcgrade.variants`): with `c.Variants.enabled = True`, each
notebook that declares parameters (`cg.variant`) is also shown per variant: for every deployed
variant, its graded students and, per part, their mean score and full marks; and a variant whose
share of full marks on a part differs from the other variants' beyond what chance explains is
flagged: Fisher's exact test (two-sided) of that variant against all other variants pooled, for
every (part, variant) pair with at least `MIN_VARIANT_STUDENTS` graded students on each side,
Bonferroni-corrected over the pairs tested at family-wise α = `ALPHA` (0.05): flagged when
p < 0.05 / pairs (`calcgrade.course.items.variant_fairness`). Each student's variant is
`variants.of_student`'s, with each notebook's declaration read once per report
(`StudentVariants`). With variants off, or no notebook declaring parameters, the report is
what it was without variants (every student has the default numbers: nothing to compare).

Messages are the students' text (an exception's message can be anything), and part and assignment
names are shown too: all of it is shown literally. The page HTML-escapes it; the plots escape `$`,
since matplotlib would otherwise parse the text between two `$` as mathtext (and raise on an unknown
command such as `$\\foo$`), and are drawn with TeX off.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from calcgrade import variants as variant_rules
from calcgrade.course.directory import Course, Grade
from calcgrade.course.items import (
    ALPHA,
    MIN_STUDENTS,
    MIN_VARIANT_STUDENTS,
    TEST_NAME,
    THRESHOLD,
    Item,
    VariantFairness,
    VariantTest,
    analyse,
    variant_fairness,
)
from calcgrade.variants import StudentVariants, VariantError

# Decimals are the random inputs and values; integers (component 2, x2, x = 1) carry meaning.
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d*(e-?\d+)?")
# What a part says when the student wrote nothing for it: calcgrade's self-checks and checkers
# ("`f` is not defined yet", "not written yet (... NotImplementedError)"), or the released stub's
# NotImplementedError reaching the test cell. A NameError raised inside the student's own code is
# a mistake, and stays one.
_NOT_ATTEMPTED = re.compile(r"\bis not defined yet\b|\bnot written yet\b")
# The stubs of nbgrader_config.py (ClearSolutions), once comments and blank lines are dropped.
_STUBS = {"", "raise NotImplementedError()", "raise NotImplementedError", "YOUR ANSWER HERE"}


@dataclass(frozen=True)
class NotebookVariants:
    """A notebook's variants in a class with variants on: the deployed ones (labels, in order)
    and each student's; or, when its declaration cannot be read, why (`problem`)."""

    parameters: tuple[str, ...]
    labels: tuple[str, ...]
    of: dict[str, str] = field(default_factory=dict)  # student -> label
    problem: str | None = None


def notebook_variants(lookup: StudentVariants, assignment: str, notebook: str,
                      students: Sequence[str]) -> NotebookVariants | None:
    """The notebook's variants in a class with variants on (None: variants off, or the
    notebook declares no parameters)."""
    if not lookup.enabled:
        return None
    try:
        declaration = lookup.declaration(assignment, notebook)
        if declaration is None:
            return None
        labels = tuple(variant_rules.label(v) for v in lookup.deployed(assignment, notebook))
        of = {s: variant_rules.label(lookup.of(assignment, notebook, s)) for s in students}
    except VariantError as exc:
        return NotebookVariants((), (), problem=str(exc))
    return NotebookVariants(tuple(declaration.choices), labels, of)


@dataclass
class Part:
    """One graded cell of the assignment, and what the class did with it. `scores` holds the
    students whose score is known (student -> score); `pending` those whose grade waits for a
    grader; `not_attempted` the students of `scores` who did not attempt it; `messages` the
    failure messages of the others, grouped; `variants` the variants of the part's notebook
    (None: variants off, or the notebook declares no parameters)."""

    notebook: str
    cell: str
    max_score: float
    scores: dict[str, float] = field(default_factory=dict)
    messages: Counter = field(default_factory=Counter)
    pending: set[str] = field(default_factory=set)
    not_attempted: set[str] = field(default_factory=set)
    variants: NotebookVariants | None = None

    @property
    def name(self) -> str:
        return f"{self.notebook}:{self.cell.removeprefix('test-')}"

    @property
    def graded(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0

    def outcome(self, student: str) -> str:
        """"pending", "not attempted", "full", "partial", "mistake", or "missing" (no grade)."""
        if student in self.pending:
            return "pending"
        if student not in self.scores:
            return "missing"
        score = self.scores[student]
        if score >= self.max_score:
            return "full"
        if student in self.not_attempted:
            return "not attempted"
        return "partial" if score > 0 else "mistake"

    def counts(self) -> Counter:
        return Counter(self.outcome(s) for s in self.scores)

    def share(self, outcome: str) -> float:
        """The share of the graded students with `outcome`."""
        return self.counts()[outcome] / self.graded if self.graded else 0.0

    @property
    def full_share(self) -> float:
        return self.share("full")

    @property
    def failed_share(self) -> float:
        """Scored 0 after an attempt: a mistake, not a blank."""
        return self.share("mistake")


# -- reading the class back --------------------------------------------------------------------
@dataclass
class _Outcome:
    message: str | None  # the test cell's error, numbers replaced by '#'
    not_attempted: bool


def _error(outputs: list[dict]) -> tuple[str, str] | None:
    """The (exception name, message) of a cell's first error output."""
    for output in outputs:
        if output.get("output_type") == "error":
            ename = str(output.get("ename") or "")
            text = output.get("evalue") or ename or "error"
            return ename, _NUMBER.sub("#", str(text)).strip()[:200]
    return None


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _bare(source: str, code: bool) -> str:
    """`source` without blank lines, and without comment lines in a code cell."""
    lines = [line.strip() for line in source.splitlines()]
    return "\n".join(line for line in lines if line and not (code and line.startswith("#")))


def _untouched(cell: dict, released: dict[str, str]) -> bool:
    """An answer cell left as the student got it: the stub, empty, or as released."""
    code = cell.get("cell_type") == "code"
    text = _bare(_source(cell), code)
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    if grade_id in released and text == _bare(released[grade_id], code):
        return True
    if code:  # a released function stub: its `def` lines and the raise
        text = "\n".join(line for line in text.splitlines()
                         if not (line.startswith("def ") and line.endswith(":")))
    return text in _STUBS


def _not_attempted(error: tuple[str, str] | None) -> bool:
    if error is None:
        return False
    ename, message = error
    if "not available in the grader" in message:  # the grader's refusal of a magic, not a blank
        return False
    return ename == "NotImplementedError" or bool(_NOT_ATTEMPTED.search(message))


def _outcomes(path: Path, released: dict[str, str]) -> dict[str, _Outcome]:
    """grade_id -> what the autograded notebook at `path` says of each graded cell. A test cell's
    answer is the nearest run of answer cells above it (nbgrader's layout: the answer cells, then
    the test cells that check them); a graded answer cell (a hand-graded written answer) is its
    own answer."""
    if not path.exists():
        return {}
    outcomes: dict[str, _Outcome] = {}
    answers: list[dict] = []
    previous_was_answer = False
    for cell in json.loads(path.read_text()).get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers = answers + [cell] if previous_was_answer else [cell]
            previous_was_answer = True
        elif meta:
            previous_was_answer = False
        if not meta.get("grade_id"):  # the gradebook says which cells are graded
            continue
        own = [cell] if meta.get("solution") else answers
        error = _error(cell.get("outputs", [])) if cell.get("cell_type") == "code" else None
        blank = bool(own) and all(_untouched(c, released) for c in own)
        outcomes[meta["grade_id"]] = _Outcome(error[1] if error else None,
                                              blank or _not_attempted(error))
    return outcomes


def _notebook_cells(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text()).get("cells", [])
    except (OSError, ValueError):
        return []


def _released(course: Course, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> the source of each cell as released to the students."""
    cells = _notebook_cells(course.root / "release" / assignment / f"{notebook}.ipynb")
    return {c["metadata"]["nbgrader"]["grade_id"]: _source(c) for c in cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def _cell_order(course: Course, assignment: str, notebook: str) -> dict[str, int]:
    """grade_id -> position in the source notebook, or in the released one without a source."""
    order = course.cell_order(assignment, notebook)
    if order:
        return order
    cells = _notebook_cells(course.root / "release" / assignment / f"{notebook}.ipynb")
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
    return {grade_id: i for i, grade_id in enumerate(ids) if grade_id}


def notebook_order(course: Course, assignment: str, seen: Sequence[str] = ()) -> list[str]:
    """The notebooks of `assignment` in the order they are taught: as nbgrader_config.py's
    `c.CalcgradeReport.notebook_order[assignment]` lists them, then the others as nbgrader has
    them (the gradebook's order, by name; source/ before release), then any other in `seen`."""
    configured = course.config().CalcgradeReport.get("notebook_order") or {}
    names = list(configured.get(assignment, [])) if isinstance(configured, dict) else []
    ordered: list[str] = []
    for name in [*names, *course.notebooks(assignment), *seen]:
        if name not in ordered:
            ordered.append(name)
    return ordered


def part_order(course: Course, assignment: str,
               grades: dict[str, dict[str, dict[str, Grade]]]) -> list[tuple[str, str]]:
    """(notebook, cell) of every graded cell in `grades`: notebooks by `notebook_order`, each
    notebook's cells in the source notebook's order (cells it does not have after, as seen)."""
    seen: dict[str, list[str]] = {}
    for notebooks in grades.values():
        for notebook, cells in notebooks.items():
            listed = seen.setdefault(notebook, [])
            listed += [cell for cell in cells if cell not in listed]
    keys = []
    for notebook in notebook_order(course, assignment, list(seen)):
        if notebook in seen:
            order = _cell_order(course, assignment, notebook)
            listed = seen[notebook]
            keys += [(notebook, c) for c in sorted(
                listed, key=lambda c: (order.get(c, len(order)), listed.index(c)))]
    return keys


def collect(course: Course, assignment: str) -> tuple[list[Part], dict[str, float]]:
    """The parts of `assignment` in its own order, with every student's score, pending and
    not-attempted students, the grouped mistakes and (variants on) each student's variant; and
    each student's total (of the scores known so far)."""
    grades = course.grades(assignment)
    first: dict[tuple[str, str], Grade] = {}
    for notebooks in grades.values():
        for notebook, cells in notebooks.items():
            for cell, grade in cells.items():
                first.setdefault((notebook, cell), grade)
    parts = {key: Part(*key, first[key].max_score)
             for key in part_order(course, assignment, grades)}
    totals: dict[str, float] = {}
    released: dict[str, dict[str, str]] = {}
    for student, notebooks in grades.items():
        totals[student] = 0.0
        for notebook, cells in notebooks.items():
            if notebook not in released:
                released[notebook] = _released(course, assignment, notebook)
            outcomes = _outcomes(
                course.root / "autograded" / student / assignment / f"{notebook}.ipynb",
                released[notebook])
            for cell, grade in cells.items():
                part = parts[(notebook, cell)]
                if grade.needs_manual_grade:
                    part.pending.add(student)
                    continue
                score = float(grade.score or 0)
                part.scores[student] = score
                totals[student] += score
                outcome = outcomes.get(cell)
                if outcome is None or score >= part.max_score:
                    continue
                if outcome.not_attempted:
                    part.not_attempted.add(student)
                elif outcome.message:
                    part.messages[outcome.message] += 1
    lookup = StudentVariants(course.root, course.config())
    if lookup.enabled:
        for notebook in dict.fromkeys(nb for nb, _ in parts):
            found = notebook_variants(lookup, assignment, notebook, sorted(grades))
            for (name, _), part in parts.items():
                if name == notebook:
                    part.variants = found
    return list(parts.values()), totals


# -- the text report -----------------------------------------------------------------------------
def _literal(text: str, width: int = 120, wrap: int | None = None) -> str:
    """`text` for a matplotlib label, shown as it is: on one line (or wrapped at `wrap`), cut at
    `width` characters (a label of thousands would make an image too large to save), and every `$`
    escaped, so that matplotlib never reads it as mathtext (it shows `\\$` as `$`, and leaves text
    with no unescaped `$` alone). Escaped last, so that wrapping never splits a `\\$`."""
    text = " ".join(text.split())
    if len(text) > width:
        text = text[:width - 1].rstrip() + "…"
    if wrap:
        text = "\n".join(textwrap.wrap(text, wrap))
    return text.replace("$", r"\$")


def _share(part: Part, outcome: str) -> str:
    return f"{part.share(outcome):.0%}" if part.graded else "-"


def _number(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


# (header, width) of the table's columns after the part's name.
_COLUMNS = [("points", 6), ("mean", 5), ("full", 5), ("partial", 7), ("mistake", 7),
            ("not attempted", 13), ("pending", 7), ("difficulty", 10), ("discrimination", 14)]

LEGEND = (f"difficulty: mean score / points (1 = everyone had full marks). discrimination: "
          f"correlation (r) of the part's score with the rest of the assignment (total minus "
          f"the part), over the students graded on it (at least {MIN_STUDENTS}); * flags a "
          f"part that fails to discriminate: r < {THRESHOLD:g}, or no spread (every student "
          f"scored the same: r undefined); r is noisy in a small class (about 1/sqrt(n)): "
          f"there a flag is a hint. Shares are of the graded students; pending grades "
          f"(hand-graded parts nobody has graded yet) count nowhere until they are given.")


def _row(part: Part, item: Item) -> list[str]:
    return [f"{part.max_score:g}", _number(part.mean if part.graded else None),
            _share(part, "full"), _share(part, "partial"), _share(part, "mistake"),
            _share(part, "not attempted"),
            str(len(part.pending)), _number(item.difficulty),
            _number(item.discrimination) + ("*" if item.flagged else "")]


def format_report(parts: list[Part], totals: dict[str, float], top: int = 3) -> str:
    items = analyse([p.scores for p in parts], [p.max_score for p in parts])
    width = max([len(p.name) for p in parts] + [4])
    lines = [f"{len(totals)} students",
             f"{'part':<{width}}  " + "  ".join(f"{h:>{w}}" for h, w in _COLUMNS),
             f"{'-' * width}  " + "  ".join("-" * w for _, w in _COLUMNS)]
    for p, item in zip(parts, items):
        lines.append(f"{p.name:<{width}}  " + "  ".join(
            f"{v:>{w}}" for v, (_, w) in zip(_row(p, item), _COLUMNS)))
    lines += textwrap.wrap(LEGEND, 100)
    pending = [p for p in parts if p.pending]
    if pending:
        lines.append("\nwaiting for a grader (formgrader)")
        lines += [f"  {p.name}: {len(p.pending)} of {len(p.pending) + p.graded} left"
                  for p in pending]
    flagged = [(p, item) for p, item in zip(parts, items) if item.flagged]
    if flagged:
        lines.append(f"\nparts that fail to discriminate (r < {THRESHOLD:g} or no spread)")
        lines += [f"  {p.name}: {item.flag}" for p, item in flagged]
    blank = sum(len(p.not_attempted) for p in parts)
    lines.append("\nmost common mistakes" + (
        f" (not counting {blank} answers not attempted)" if blank else ""))
    for p in parts:
        for message, count in p.messages.most_common(top):
            # A message of several lines stays under its part, indented.
            lines.append(f"  {p.name}: {count} x " + "\n      ".join(message.splitlines()))
    lines += _variant_lines(parts)
    return "\n".join(lines)


# -- per variant ---------------------------------------------------------------------------------
def fairness(parts: list[Part]) -> VariantFairness:
    """The variants' test over the parts with variants (`items.variant_fairness`)."""
    return variant_fairness([p.scores for p in parts], [p.max_score for p in parts],
                            [p.variants.of if p.variants else None for p in parts])


def _by_notebook(parts: list[Part]) -> list[tuple[str, NotebookVariants, list[int]]]:
    """(notebook, its variants, the indices of its parts) of each notebook with variants."""
    found: dict[str, tuple[NotebookVariants, list[int]]] = {}
    for j, p in enumerate(parts):
        if p.variants is not None:
            found.setdefault(p.notebook, (p.variants, []))[1].append(j)
    return [(nb, v, js) for nb, (v, js) in found.items()]


def _variant_cell(part: Part, students: list[str]) -> str:
    """A variant's result on a part: mean score, full marks / graded ("-": nobody graded)."""
    scores = [part.scores[s] for s in students if s in part.scores]
    if not scores:
        return "-"
    full = sum(score >= part.max_score for score in scores)
    return f"{sum(scores) / len(scores):.2f} {full}/{len(scores)}"


def _variant_table(parts: list[Part], variants: NotebookVariants,
                   indices: list[int]) -> list[tuple[str, str, list[str]]]:
    """(label, students, the cells of the notebook's parts) of every variant: the deployed ones
    in order, then any other a student has (a pinned list changed after grading, say)."""
    labels = list(dict.fromkeys([*variants.labels, *variants.of.values()]))
    members: dict[str, list[str]] = {label: [] for label in labels}
    for student, label in variants.of.items():
        members[label].append(student)
    return [(label, str(len(members[label])),
             [_variant_cell(parts[j], members[label]) for j in indices]) for label in labels]


def _variant_test_text(fair: VariantFairness) -> str:
    if not fair.tests:
        return (f"no (part, variant) pair has at least {MIN_VARIANT_STUDENTS} graded students "
                f"in the variant and in the others: no variant tested")
    return (f"{TEST_NAME} test (two-sided) of each variant's share of full marks on each part "
            f"against all other variants pooled, over the {len(fair.tests)} (part, variant) "
            f"pairs with at least {MIN_VARIANT_STUDENTS} graded students on each side; a pair "
            f"is flagged when p < {ALPHA:g}/{len(fair.tests)} = {fair.threshold:.2g} "
            f"(Bonferroni: family-wise α = {ALPHA:g})")


def _flag_text(parts: list[Part], fair: VariantFairness, test: VariantTest) -> str:
    return (f"variant {test.variant}: {test.full}/{test.students} full marks on "
            f"{parts[test.part].name} vs {test.others_full}/{test.others} elsewhere "
            f"({TEST_NAME} p = {test.p:.1g} < {ALPHA:g}/{len(fair.tests)}, Bonferroni): unfair?")


def _variant_lines(parts: list[Part]) -> list[str]:
    """The report's per-variant section ([] when no notebook has variants)."""
    notebooks = _by_notebook(parts)
    if not notebooks:
        return []
    fair = fairness(parts)
    flagged = {(t.part, t.variant) for t in fair.flagged}
    lines = ["\nper variant (c.Variants.enabled): each part's mean score and full marks / "
             "graded students; ! flags a variant unlike the others"]
    for notebook, variants, indices in notebooks:
        if variants.problem:
            lines.append(f"{notebook}: variants not shown: {variants.problem}")
            continue
        rows = _variant_table(parts, variants, indices)
        lines.append(f"{notebook}: {len(variants.labels)} variants of "
                     f"{', '.join(variants.parameters)}")
        headers = ["variant", "students", *(parts[j].cell.removeprefix("test-")
                                            for j in indices)]
        cells = [[label, n, *(value + ("!" if (j, label) in flagged else "")
                              for j, value in zip(indices, values))]
                 for label, n, values in rows]
        widths = [max(len(row[k]) for row in [headers, *cells]) for k in range(len(headers))]
        for row in [headers, ["-" * w for w in widths], *cells]:
            lines.append("  " + "  ".join(f"{v:<{w}}" if k == 0 else f"{v:>{w}}"
                                          for k, (v, w) in enumerate(zip(row, widths))))
    lines.append("variants that differ from the others beyond chance")
    lines += ["  " + line for line in textwrap.wrap(_variant_test_text(fair), 98)]
    if fair.flagged:
        lines += [f"  {_flag_text(parts, fair, t)}" for t in fair.flagged]
    elif fair.tests:
        lines.append("  none: no variant's share of full marks on a part differs from the "
                     "others' beyond chance")
    return lines


# -- the page ------------------------------------------------------------------------------------
DPI = 90
# Heat-map colours besides the score's (viridis: dark = 0, yellow = full marks).
NOT_ATTEMPTED_RGB = (0.80, 0.80, 0.80)
PENDING_RGB = (0.78, 0.87, 0.97)
MISSING_RGB = (0.97, 0.90, 0.90)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return base64.b64encode(buffer.getvalue()).decode()


def heat_map_students(totals: dict[str, float]) -> list[str]:
    """The heat map's rows: the students by total, best first (name order among equals)."""
    return sorted(totals, key=lambda s: (-totals[s], s))


def _heat_map(parts: list[Part], totals: dict[str, float]):
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    students = heat_map_students(totals)
    n, m = len(students), len(parts)
    cmap = plt.get_cmap("viridis")
    grid = np.ones((max(n, 1), max(m, 1), 3))
    for j, p in enumerate(parts):
        for i, s in enumerate(students):
            outcome = p.outcome(s)
            if outcome == "pending":
                grid[i, j] = PENDING_RGB
            elif outcome == "missing":
                grid[i, j] = MISSING_RGB
            elif outcome == "not attempted":
                grid[i, j] = NOT_ATTEMPTED_RGB
            else:
                grid[i, j] = cmap(p.scores[s] / p.max_score if p.max_score else 1.0)[:3]
    named = n <= 40  # above that, rows of a few pixels: ranks instead of names
    rows_px = 14 * n if named else min(2 * n, 900)
    fig, ax = plt.subplots(figsize=(9.5, (max(rows_px, 60) + 40) / DPI))
    ax.imshow(grid, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(m), [_literal(p.name, 40) for p in parts], rotation=60, ha="left",
                  fontsize=8, rotation_mode="anchor")
    if named:
        ax.set_yticks(range(n), [_literal(s, 30) for s in students], fontsize=7)
        ax.set_ylabel("students, best total first")
    else:
        ax.set_ylabel(f"{n} students, best total first (rank)")
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    fig.colorbar(ScalarMappable(Normalize(0, 1), cmap), ax=ax, fraction=0.03, pad=0.01,
                 label="score / points")
    ax.legend(handles=[Patch(facecolor=NOT_ATTEMPTED_RGB, edgecolor="grey", label="not attempted"),
                       Patch(facecolor=PENDING_RGB, edgecolor="grey", label="pending (by hand)"),
                       Patch(facecolor=MISSING_RGB, edgecolor="grey", label="no grade")],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8, frameon=False)
    return fig


def _mistakes_chart(parts: list[Part], top: int):
    """Every part's `top` most common mistakes in one chart: a bold row naming the part, then a
    bar per message with its count. None when no part has a mistake."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rows: list[tuple[str, int | None, int]] = []  # label, count (None: the part's row), group
    for p in parts:
        common = p.messages.most_common(top)
        if common:
            group = len({g for _, _, g in rows})
            rows.append((_literal(p.name, 60), None, group))
            rows += [(_literal(msg, 95), count, group) for msg, count in common]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9.5, 0.21 * len(rows) + 0.6))
    colours = ["#cc6677", "#aa4499"]
    counts = [c or 0 for _, c, _ in rows]
    ax.barh(range(len(rows)), counts, height=0.7,
            color=[colours[g % 2] for _, _, g in rows])
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize=8)
    for tick, (_, count, _) in zip(ax.get_yticklabels(), rows):
        if count is None:
            tick.set_fontweight("bold")
    for y, (_, count, _) in enumerate(rows):
        if count is not None:
            ax.text(count, y, f" {count}", va="center", fontsize=8)
    ax.set_xlim(0, max(counts) * 1.12 + 0.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("students")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _plots(parts, totals, assignment, top) -> list[tuple[str, str]]:
    """(caption, PNG in base64) of each plot: the score distribution, the students x parts heat
    map, and every part's most common mistakes. Every text from a name or a message goes through
    `_literal`."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    images = []
    fig, ax = plt.subplots(figsize=(9.5, 2.2))
    ax.hist(list(totals.values()) or [0], bins=20, color="#4477aa")
    ax.set(xlabel="total score (graded parts)", ylabel="students",
           title=_literal(f"{assignment}: score distribution", 60))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    images.append(("Score distribution", _png(fig)))
    plt.close(fig)
    fig = _heat_map(parts, totals)
    images.append(("Students × parts", _png(fig)))
    plt.close(fig)
    fig = _mistakes_chart(parts, top)
    if fig is not None:
        images.append(("Top mistakes per part", _png(fig)))
        plt.close(fig)
    return images


_STYLE = """body{font-family:sans-serif;max-width:75em;margin:1.5em auto;padding:0 1em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.15em .5em}
td.n{text-align:right}tr.flag td,td.flag{background:#fff3cd}tr.pending td.p{background:#e7f0fb}
p.legend{font-size:.85em;color:#444}figure{margin:1em 0}img{max-width:100%}
li{white-space:pre-wrap;overflow-wrap:anywhere}"""


def html_report(parts: list[Part], totals: dict[str, float], assignment: str, path: Path,
                top: int = 3) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        with matplotlib.rc_context({"text.usetex": False}):  # TeX would parse the text too
            images = _plots(parts, totals, assignment, top)
    finally:
        plt.close("all")

    items = analyse([p.scores for p in parts], [p.max_score for p in parts])
    rows = []
    for p, item in zip(parts, items):
        values = _row(p, item)
        values[6] = f"{len(p.pending)} of {len(p.pending) + p.graded} left" if p.pending else "–"
        values[8] = values[8].rstrip("*")
        classes = " ".join(c for c, on in (("flag", item.flagged), ("pending", p.pending)) if on)
        cells = "".join(f'<td class="{"p" if k == 6 else "n"}">{html.escape(v)}</td>'
                        for k, v in enumerate(values))
        rows.append(f'<tr class="{classes}"><td>{html.escape(p.name)}</td>{cells}'
                    f"<td>{html.escape(item.flag or '')}</td></tr>")
    header = "".join(f"<th>{h}</th>" for h, _ in _COLUMNS)
    mistakes = "".join(f"<li><b>{html.escape(p.name)}</b>: {n} &times; {html.escape(m)}</li>"
                       for p in parts for m, n in p.messages.most_common(top))
    count = sum(min(top, len(p.messages)) for p in parts)
    figures = "".join(f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
                      f"<figcaption>{html.escape(t)}</figcaption></figure>" for t, b in images)
    variants = _variant_html(parts)
    points = sum(p.max_score for p in parts)
    mean = sum(totals.values()) / len(totals) if totals else 0.0
    waiting = sum(len(p.pending) for p in parts)
    blank = sum(len(p.not_attempted) for p in parts)
    summary = (f"{len(parts)} parts, {points:g} points; mean total {mean:.2f} (of the parts "
               "graded so far). "
               f"{waiting} grades wait for a grader; {blank} answers were not attempted "
               "(counted apart from mistakes).")
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(assignment)}: class report</title>
<style>{_STYLE}</style>
</head><body><h1>{html.escape(assignment)}: {len(totals)} students</h1>
<p id="summary">{html.escape(summary)}</p>
<table id="parts"><tr><th>part</th>{header}<th>note</th></tr>{"".join(rows)}</table>
<p class="legend">{html.escape(LEGEND.replace("; * flags", "; highlighted rows flag"))}</p>
{variants}{figures}
<details id="messages"><summary>Most common failure messages, in full ({count})</summary>
<ul>{mistakes}</ul></details>
</body></html>""")


def _variant_html(parts: list[Part]) -> str:
    """The page's per-variant section: a table per notebook with variants, the flagged
    (part, variant) pairs highlighted and listed with the test ("" when no notebook has
    variants)."""
    notebooks = _by_notebook(parts)
    if not notebooks:
        return ""
    fair = fairness(parts)
    flagged = {(t.part, t.variant) for t in fair.flagged}
    tables = []
    for notebook, variants, indices in notebooks:
        name = html.escape(notebook)
        if variants.problem:
            tables.append(f"<p>{name}: variants not shown: {html.escape(variants.problem)}</p>")
            continue
        header = "".join(f"<th>{html.escape(parts[j].cell.removeprefix('test-'))}</th>"
                         for j in indices)
        rows = []
        for label, n, values in _variant_table(parts, variants, indices):
            cells = "".join(
                f'<td class="n{" flag" if (j, label) in flagged else ""}">{html.escape(v)}</td>'
                for j, v in zip(indices, values))
            rows.append(f'<tr><td>{html.escape(label)}</td><td class="n">{n}</td>{cells}</tr>')
        tables.append(f"<h3>{name}: {len(variants.labels)} variants of "
                      f"{html.escape(', '.join(variants.parameters))}</h3>"
                      f'<table class="variants" id="variants-{name}"><tr><th>variant</th>'
                      f"<th>students</th>{header}</tr>{''.join(rows)}</table>")
    if fair.flagged:
        flags = "".join(f"<li>{html.escape(_flag_text(parts, fair, t))}</li>"
                        for t in fair.flagged)
    elif fair.tests:
        flags = "<li>none: no variant's share of full marks on a part differs from the " \
                "others' beyond chance</li>"
    else:
        flags = ""
    return (f'<h2 id="variants">Per variant</h2><p class="legend">Each cell: the variant\'s '
            f"mean score on the part and its full marks / graded students; highlighted cells "
            f"differ from the other variants beyond chance.</p>{''.join(tables)}"
            f"<h3>Variants that differ from the others beyond chance</h3>"
            f'<p class="legend">{html.escape(_variant_test_text(fair))}</p>'
            f'<ul id="variant-flags">{flags}</ul>\n')
