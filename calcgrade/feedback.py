"""Feedback that teaches without giving the answer: an nbgrader preprocessor for
`generate_feedback` that shows, for each test cell, its part, points and message, not its code.

Stock feedback renders the autograded notebook, hidden tests included (nbgrader issues #917,
#1363), and an error's traceback quotes the test's source lines. `HideTestCode` replaces each
test cell's source by one line naming the part and its points, and each error in it by its
one-line message. It is listed in `GenerateFeedback.preprocessors` in nbgrader_config.py.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution


class HideTestCode(NbGraderPreprocessor):
    """Test cells show their part, points and messages; never their code."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            meta = cell.metadata["nbgrader"]
            points = float(meta.get("points", 0))
            cell.source = (f"# Part {meta.get('grade_id')} ({points:g} point"
                           f"{'' if points == 1 else 's'}): its test code is not shown")
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
        return cell, resources
