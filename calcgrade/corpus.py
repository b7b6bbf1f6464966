"""An assignment's answer corpus: right answers in other forms and typical mistakes, each with
the parts it must lose. It lives next to the source notebook it is for, as
`source/ASSIGNMENT/NOTEBOOK.corpus.py` (nbgrader's `CourseDirectory.ignore` keeps it out of the
release), and `calcgrade check ASSIGNMENT` grades it with both graders.

A corpus file is the instructor's own Python; it defines `CASES`, a list of::

    correct("sympy_everything", tangent_f_prime="...", ...)           # must keep every point
    mistake("sign_error", "test-df test-slope", tangent_f_df="...")    # must lose these parts

Keyword names are grade ids of answer cells with `-` written as `_`; a case replaces those
cells of the source solution, and every other answer cell keeps the source's solution.

A mistake can also say what its feedback must hold: `says` the guidance the failing test cell's
message must contain (a string or a list of them, for a mistake that breaks one cell; otherwise
a dict of grade id to string or strings; a cell it keeps can be named too, for what that cell
prints, such as a part credited by error carried forward saying where the error came from), and
`hides` what it must never contain (the answer, in any form the message could give it away),
checked in every cell the mistake breaks or `says` names::

    mistake("no_inner_derivative", "test-grad-norm", says="square root", hides=["x / norm"],
            gradient_norm_numeric="...")

In a notebook that declares parameters (`cg.variant`), answers name them (`slope = 3*a**2 +
c/a**2`) so that they hold for every variant `calcgrade check --variants` grades; a case written
with the default variant's numbers says `default_only=True`.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field, replace
from pathlib import Path

SUFFIX = ".corpus.py"


@dataclass(frozen=True)
class Case:
    name: str
    answers: dict[str, str]
    breaks: frozenset[str] = field(default_factory=frozenset)
    notebook: str = ""
    says: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hides: tuple[str, ...] = ()
    default_only: bool = False  # written for the default variant's numbers only

    @property
    def student(self) -> str:
        """The student id the case is graded under in a temporary course."""
        return f"{self.notebook}__{self.name}"


def correct(name: str, *, default_only: bool = False, **answers: str) -> Case:
    """A right answer: every part keeps its points. `default_only`: its numbers are those of
    the default variant (`calcgrade check --variants` leaves it out)."""
    return Case(name, _cells(answers), default_only=default_only)


def mistake(name: str, breaks: str, *,
            says: str | list[str] | dict[str, str | list[str]] | None = None,
            hides: str | list[str] | tuple[str, ...] = (), default_only: bool = False,
            **answers: str) -> Case:
    """A typical mistake: the test cells in `breaks` (space-separated grade ids) score 0, every
    other part keeps its points; `says` and `hides`: what their messages must and must not hold;
    `default_only`: as for `correct`."""
    cells = frozenset(breaks.split())
    if isinstance(says, (str, list)):
        if len(cells) != 1:
            raise ValueError(f"{name}: says= as text is for a mistake that breaks one test "
                             "cell; give a dict of grade id to text")
        says = {next(iter(cells)): says}
    wanted = {cell: (text,) if isinstance(text, str) else tuple(text)
              for cell, text in (says or {}).items()}
    return Case(name, _cells(answers), cells, says=wanted,
                hides=(hides,) if isinstance(hides, str) else tuple(hides),
                default_only=default_only)


def source_solution(notebook: str) -> Case:
    """The source notebook's own solution, unchanged: full marks everywhere."""
    return Case("source_solution", {}, notebook=notebook)


def _cells(answers: dict[str, str]) -> dict[str, str]:
    return {grade_id.replace("_", "-"): code.strip() for grade_id, code in answers.items()}


def corpus_path(source: Path, notebook: str) -> Path:
    return Path(source) / f"{notebook}{SUFFIX}"


def load(path: Path) -> list[Case]:
    """The cases of one corpus file, each tagged with its notebook (the file's name)."""
    path = Path(path)
    notebook = path.name.removesuffix(SUFFIX)
    cases = runpy.run_path(str(path), run_name=f"corpus_{notebook}").get("CASES")
    if not isinstance(cases, list) or not all(isinstance(c, Case) for c in cases):
        raise ValueError(f"{path}: CASES must be a list of correct(...) and mistake(...)")
    names = [c.name for c in cases]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{path}: case names used twice: {', '.join(duplicated)}")
    return [replace(c, notebook=notebook) for c in cases]
