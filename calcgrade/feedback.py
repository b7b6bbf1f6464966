"""Feedback that teaches without giving the answer: an nbgrader preprocessor for
`generate_feedback` that shows, for each test cell, its part, points and message, not its code,
and marks the parts waiting for the instructor as such instead of scoring them 0.

Stock feedback renders the autograded notebook, hidden tests included (nbgrader issues #917,
#1363), and an error's traceback quotes the test's source lines. `HideTestCode` replaces each
test cell's source by one line naming the part and its points, and each error in it by its
one-line message. It is listed in `GenerateFeedback.preprocessors` in nbgrader_config.py, after
nbgrader's `GetGrades`.

A part graded by hand (a written answer; a test cell left for grading by hand because the test
itself failed on the instructor's solution) has no score until the instructor grades it in
formgrader, and nbgrader's feedback template would show it as "Score: 0.0 / 2.0". The gradebook
says which parts are waiting (`Grade.needs_manual_grade`); for those, `HideTestCode` takes the
score off the cell (the cell then shows no score; the summary lists the part as to be graded by
the instructor) and says instead, where the template shows an instructor's comment, that the part
is to be graded by the instructor and is not counted yet. Once graded, the part shows its score
as usual.

What a student reads is in plain words: an error in a test cell shows its message (a failed
check's "✗ part: message"), never a Python exception's class name (`plain_message`); the
summary at the top of the page names each part and its points (`HideTestCode` lists them in
`resources["calcgrade"]["parts"]` for the template `calcgrade_feedback.html.j2`).

Formulas are typeset without network access. nbgrader's feedback and formgrade templates load
MathJax from a CDN; `nbgrader_config.py` puts calcgrade's templates (`TEMPLATES`, see
`template_dirs`) ahead of nbgrader's, where each template's `mathjax.html.j2` replaces that
macro: the feedback page embeds MathJax 3 itself (`EmbedMathJax`: the single-file SVG build
from the `django-static-mathjax` package, gzipped into the page and unpacked by the browser), so
it renders offline wherever the student opens the file; the formgrader loads MathJax 2, which its
own scripts use, from the Jupyter server (the `jupyter_server_mathjax` extension).
"""

from __future__ import annotations

import base64
import functools
import gzip
import re
from importlib import resources as package_files
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from calcgrade.checks.errors import error_in_words

PENDING = "To be graded by your instructor"
TEMPLATES = Path(__file__).parent / "templates"
# MathJax 3, TeX input and SVG output in one file (no fonts or extensions to fetch).
MATHJAX_PACKAGE, MATHJAX_FILE = "mathjax", "static/mathjax/es5/tex-svg-full.js"


def template_dirs() -> list[str]:
    """`HTMLExporter.extra_template_basedirs` for nbgrader's feedback and formgrader: calcgrade's
    templates first (`feedback/` and `formgrade/`: MathJax served locally, the summary), then
    nbgrader's own, which they extend."""
    import nbgrader

    nbgrader_templates = (Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
                          / "templates")
    return [str(TEMPLATES), str(nbgrader_templates)]


@functools.lru_cache(maxsize=1)
def packed_mathjax() -> str:
    """MathJax's single-file build, gzipped and base64-encoded (about 0.9 MB of text for 2.3 MB
    of script), as `calcgrade_feedback.html.j2` embeds it."""
    script = (package_files.files(MATHJAX_PACKAGE) / MATHJAX_FILE).read_bytes()
    return base64.b64encode(gzip.compress(script, compresslevel=9, mtime=0)).decode("ascii")


class EmbedMathJax(NbGraderPreprocessor):
    """Put MathJax in the feedback page itself (`resources["calcgrade"]["mathjax"]`), so its
    formulas render where the student opens it, with no network: from the exchange, a
    download, an e-mail attachment."""

    def preprocess(self, nb, resources):
        resources.setdefault("calcgrade", {})["mathjax"] = packed_mathjax()
        return nb, resources


# Errors whose message is already the sentence to show: a failed check, or the grader saying
# why a part was not checked (calcgrade's TrustedExecute names these).
SENTENCES = {"CheckFailed", "AssertionError", "NotRun", "CheckStopped", "CellTimeoutError",
             "KernelDied"}


def _plain_raised(text: str) -> str:
    """'raised TypeError: ...' -> 'raised an error (a value of the wrong type): ...'."""
    return re.sub(r"\b(raised|raises) ([A-Z]\w*(?:Error|Exception))\b",
                  lambda m: f"{m.group(1)} an error ({error_in_words(m.group(2))})", text)


def plain_message(ename: str, evalue: str) -> str:
    """The line a student reads for an error output: a failed check's own message, or what the
    student's code raised described in words, never an exception's class name."""
    evalue = (evalue or "").strip()
    if ename in SENTENCES:
        return "\u2717 " + _plain_raised(evalue or "a check of this part did not pass")
    if ename == "NotImplementedError":
        return "\u2717 not answered yet: the answer cell above still holds its placeholder"
    said = f": {_plain_raised(evalue)}" if evalue else ""
    return f"\u2717 your code raised an error ({error_in_words(ename)}){said}"


def part_name(cell) -> str:
    """The name a part goes by in its messages: what its self-check's summary names
    (`selfcheck.summary("f_prime")`), else its grade id."""
    meta = cell.metadata.get("nbgrader", {})
    found = re.search(r"selfcheck\.summary\(([^)]*)\)", cell.source or "")
    names = re.findall(r"[\"']([^\"']+)[\"']", found.group(1)) if found else []
    if names:
        return ", ".join(names)
    if cell.cell_type == "markdown":
        return "written answer"
    return str(meta.get("grade_id", "part"))


def pending_note(points: float) -> str:
    return (f"**{PENDING}** ({points:g} point{'' if points == 1 else 's'}): this part has no "
            "score yet; the total above counts it as 0 until your instructor has graded it.")


def pending_parts(resources: dict) -> set[str]:
    """The grade ids of this submission's parts still waiting for a grade by hand, from the
    gradebook nbgrader's GetGrades read (none when the resources name no gradebook)."""
    info = resources.get("nbgrader", {}) if isinstance(resources, dict) else {}
    keys = ("db_url", "notebook", "assignment", "student")
    if not all(info.get(k) for k in keys):
        return set()
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(info["db_url"]) as gradebook:
        try:
            notebook = gradebook.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"])
        except MissingEntry:
            return set()
        return {grade.name for grade in notebook.grades if grade.needs_manual_grade}


class HideTestCode(NbGraderPreprocessor):
    """Test cells show their part, points and messages, never their code; parts waiting for a
    grade by hand say so instead of showing a score of 0."""

    def preprocess(self, nb, resources):
        self._pending = pending_parts(resources)
        self._parts: list[dict] = []
        nb, resources = super().preprocess(nb, resources)
        resources.setdefault("calcgrade", {})["parts"] = self._parts
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if not is_grade(cell):
            return cell, resources
        meta = cell.metadata["nbgrader"]
        points = float(meta.get("points", 0))
        pending = meta.get("grade_id") in getattr(self, "_pending", set())
        score = meta.get("score")
        self._parts.append({
            "grade_id": meta.get("grade_id"), "name": part_name(cell), "points": points,
            "score": None if pending or score is None else float(score), "pending": pending})
        if cell.cell_type == "code" and not is_solution(cell):
            status = ("to be graded by your instructor" if pending
                      else "its test code is not shown")
            cell.source = (f"# Part {meta.get('grade_id')} ({points:g} point"
                           f"{'' if points == 1 else 's'}): {status}")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    line = plain_message(output.get("ename", ""), output.get("evalue", ""))
                    output["ename"], output["evalue"] = "", line
                    output["traceback"] = [line]
        if pending:
            # No score shown (the template would print the 0 the gradebook holds until then);
            # the note goes where the template shows an instructor's comment.
            meta["grade"] = False
            comment = meta.get("comment") or ""
            meta["comment"] = pending_note(points) + (f"\n\n{comment}" if comment else "")
        return cell, resources
