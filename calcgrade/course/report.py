"""Per-part results of a class: what an instructor reads after grading.

Scores come from nbgrader's gradebook; the messages of failed parts from the autograded notebooks'
test-cell outputs, grouped after replacing decimals (the random inputs) by '#', so that the class's
typical mistakes appear with their counts. `format_report` prints it as text; `html_report`
writes one self-contained page with the tables and matplotlib plots embedded as PNG (no server,
no network).

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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from calcgrade.course.directory import Course

# Decimals are the random inputs and values; integers (component 2, x2, x = 1) carry meaning.
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d*(e-?\d+)?")


@dataclass
class Part:
    notebook: str
    cell: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    messages: Counter = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return f"{self.notebook}:{self.cell.removeprefix('test-')}"

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def full_share(self) -> float:
        if not self.scores:
            return 0.0
        return sum(s >= self.max_score for s in self.scores) / len(self.scores)

    @property
    def failed_share(self) -> float:
        return sum(s == 0 for s in self.scores) / len(self.scores) if self.scores else 0.0


def _message(outputs: list[dict]) -> str | None:
    for output in outputs:
        if output.get("output_type") == "error":
            text = output.get("evalue") or output.get("ename") or "error"
            return _NUMBER.sub("#", str(text)).strip()[:200]
    return None


def collect(course: Course, assignment: str) -> tuple[list[Part], dict[str, float]]:
    """The parts of `assignment` with every student's score and the grouped failure messages,
    and each student's total."""
    parts: dict[tuple[str, str], Part] = {}
    totals: dict[str, float] = defaultdict(float)
    for student, notebooks in course.grades(assignment).items():
        for notebook, cells in notebooks.items():
            for cell, grade in cells.items():
                part = parts.setdefault((notebook, cell), Part(notebook, cell, grade.max_score))
                if not grade.needs_manual_grade:
                    part.scores.append(float(grade.score or 0))
                    totals[student] += float(grade.score or 0)
            path = course.root / "autograded" / student / assignment / f"{notebook}.ipynb"
            if path.exists():
                for c in json.loads(path.read_text()).get("cells", []):
                    meta = c.get("metadata", {}).get("nbgrader", {})
                    key = (notebook, meta.get("grade_id"))
                    message = _message(c.get("outputs", [])) if key in parts else None
                    if message:
                        parts[key].messages[message] += 1
    return list(parts.values()), dict(totals)


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


def format_report(parts: list[Part], totals: dict[str, float], top: int = 3) -> str:
    width = max([len(p.name) for p in parts] + [4])
    lines = [f"{len(totals)} students",
             f"{'part':<{width}}  points  mean   full   failed",
             f"{'-' * width}  ------  -----  -----  ------"]
    for p in parts:
        lines.append(f"{p.name:<{width}}  {p.max_score:6g}  {p.mean:5.2f}  {p.full_share:5.0%}  "
                     f"{p.failed_share:6.0%}")
    lines.append("\nmost common failure messages")
    for p in parts:
        for message, count in p.messages.most_common(top):
            # A message of several lines stays under its part, indented.
            lines.append(f"  {p.name}: {count} x " + "\n      ".join(message.splitlines()))
    return "\n".join(lines)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(parts, totals, assignment, top) -> list[tuple[str, str]]:
    """(caption, PNG in base64) of each plot: the score distribution, the full-mark rate per part,
    and each part's most common mistakes. Every text from a name or a message goes through
    `_literal`."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    images = []
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(list(totals.values()) or [0], bins=20, color="#4477aa")
    ax.set(xlabel="total score", ylabel="students",
           title=_literal(f"{assignment}: score distribution", 60))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    images.append(("Score distribution", _png(fig)))
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(parts) + 1))
    # Positions and tick labels rather than categories: two parts alike stay two bars.
    ax.barh(range(len(parts)), [100 * p.full_share for p in parts], color="#228833")
    ax.set_yticks(range(len(parts)), [_literal(p.name, 60) for p in parts])
    ax.set(xlabel="% of students with full marks", xlim=(0, 100))
    ax.invert_yaxis()
    images.append(("Full-mark rate per part", _png(fig)))
    for p in parts:
        common = p.messages.most_common(top)
        if common:
            labels = [_literal(m, 120, wrap=45) for m, _ in common]
            height = sum(0.25 * label.count("\n") + 0.45 for label in labels) + 0.8
            fig, ax = plt.subplots(figsize=(6, height))
            ax.barh(range(len(common)), [n for _, n in common], color="#cc6677")
            ax.set_yticks(range(len(common)), labels)
            ax.set(xlabel="students", title=_literal(f"{p.name}: top mistakes", 60))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.invert_yaxis()
            images.append((f"{p.name}: top mistakes", _png(fig)))
    return images


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

    rows = "".join(f"<tr><td>{html.escape(p.name)}</td><td>{p.max_score:g}</td>"
                   f"<td>{p.mean:.2f}</td><td>{p.full_share:.0%}</td><td>{p.failed_share:.0%}</td>"
                   "</tr>" for p in parts)
    mistakes = "".join(f"<li><b>{html.escape(p.name)}</b>: {n} &times; {html.escape(m)}</li>"
                       for p in parts for m, n in p.messages.most_common(top))
    figures = "".join(f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
                      f"<figcaption>{html.escape(t)}</figcaption></figure>" for t, b in images)
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(assignment)}: class report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .6em}}
li{{white-space:pre-wrap;overflow-wrap:anywhere}}</style>
</head><body><h1>{html.escape(assignment)}: {len(totals)} students</h1>
<table id="parts"><tr><th>part</th><th>points</th><th>mean</th><th>full marks</th>
<th>failed</th></tr>{rows}</table><h2>Most common failure messages</h2><ul>{mistakes}</ul>
{figures}</body></html>""")
