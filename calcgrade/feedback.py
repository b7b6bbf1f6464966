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
score off the cell (the template then shows neither a score nor a table-of-contents entry for it)
and says instead, where the template shows an instructor's comment, that the part is to be
graded by the instructor and is not counted yet. Once graded, the part shows its score as usual.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

PENDING = "To be graded by your instructor"


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
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if not is_grade(cell):
            return cell, resources
        meta = cell.metadata["nbgrader"]
        points = float(meta.get("points", 0))
        pending = meta.get("grade_id") in getattr(self, "_pending", set())
        if cell.cell_type == "code" and not is_solution(cell):
            status = ("to be graded by your instructor" if pending
                      else "its test code is not shown")
            cell.source = (f"# Part {meta.get('grade_id')} ({points:g} point"
                           f"{'' if points == 1 else 's'}): {status}")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
        if pending:
            # No score shown (the template would print the 0 the gradebook holds until then);
            # the note goes where the template shows an instructor's comment.
            meta["grade"] = False
            comment = meta.get("comment") or ""
            meta["comment"] = pending_note(points) + (f"\n\n{comment}" if comment else "")
        return cell, resources
