"""`calcgrade check ASSIGNMENT`: is an assignment ready for the class? Run it before releasing,
and in the course's CI (it exits non-zero on any problem).

In a temporary copy of the course (its own SQLite gradebook: the course's is never touched):

1. the source notebooks: grade ids unique, points set on every graded cell;
2. the release: `nbgrader generate_assignment` gives what release/ holds, and no answer corpus
   is in it;
3. the source solution gets full marks (a test that fails on it has an error of its own), and
   every name a hidden test reads from the student is named in the task text;
4. the answer corpus next to each notebook (NOTEBOOK.corpus.py: right answers in other forms,
   typical mistakes with the parts they must lose) is graded by stock `nbgrader autograde` and
   by `calcgrade autograde`, and each case's parts are compared with what it expects, and its
   messages with what it says they must hold (the guidance) and must not (the answer);
5. with `--variants` (or only that, `--only-variants`), where a notebook declares parameters:
   the cells showing them are read-only, and the corpus is graded under every variant students
   can get (`variant_check`).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from calcgrade import corpus
from calcgrade.course.directory import Course
from calcgrade.grading import reference, seeds
from calcgrade.grading.reference import grade_sources

GRADERS = ("nbgrader", "calcgrade")


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"  ok    {text}")

    def fail(self, text: str) -> None:
        self.problems += 1
        self.lines.append(f"  FAIL  {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"  note  {text}")


def check_source(path: Path, found: Findings) -> None:
    """Grade ids unique, points on every graded cell."""
    nb = nbformat.read(path, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    twice = sorted(i for i, n in Counter(i for i in ids if i).items() if n > 1)
    if twice:
        found.fail(f"{path.name}: grade ids used more than once: {', '.join(twice)}")
    else:
        found.ok(f"{path.name}: {sum(1 for i in ids if i)} grade ids, all unique")
    graded = [c.metadata.nbgrader for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    pointless = [m.get("grade_id", "?") for m in graded if not m.get("points")]
    if pointless:
        found.fail(f"{path.name}: graded cells without points: {', '.join(pointless)}")
    else:
        found.ok(f"{path.name}: {len(graded)} graded cells, "
                 f"{sum(float(m['points']) for m in graded):g} points")


def check_templates(path: Path, found: Findings) -> None:
    """Where a notebook declares parameters: the declaration reads, and every cell that shows
    them is read-only (so the grader restores it and renders it for each student)."""
    from calcgrade import variants

    nb = nbformat.read(path, as_version=4)
    try:
        declaration = variants.declaration_of(nb)
    except variants.VariantError as exc:
        found.fail(f"{path.name}: {exc}")
        return
    if declaration is None:
        return
    unlocked = [c.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i + 1}"
                for i, c in enumerate(nb.cells) if variants.is_template(c)
                and not c.metadata.get("nbgrader", {}).get("locked")]
    if unlocked:
        found.fail(f"{path.name}: cells showing parameters must be read-only (nbgrader's "
                   f"'Read-only' cell type): {', '.join(unlocked)}")
    else:
        found.ok(f"{path.name}: parameters {', '.join(declaration.choices)}, "
                 f"{variants.describe(path)}")


def check_release(course: Course, fresh: Course, assignment: str, notebooks: list[str],
                  found: Findings) -> None:
    """release/ as nbgrader generates it from source/ now, with no corpus in it."""
    released = course.root / "release" / assignment
    if not released.is_dir():
        found.note(f"release/{assignment} does not exist yet (nbgrader generate_assignment)")
        return
    for path in sorted((fresh.root / "release" / assignment).glob("*.ipynb")):
        if path.stem not in notebooks:
            continue
        theirs = released / path.name
        if not theirs.exists() or json.loads(theirs.read_text()) != json.loads(path.read_text()):
            found.fail(f"release/{assignment}/{path.name} is out of date: run nbgrader "
                       f"generate_assignment {assignment} --force")
        else:
            found.ok(f"release/{assignment}/{path.name} is in sync with source/")
    leaked = sorted(p.name for p in released.rglob(f"*{corpus.SUFFIX}"))
    if leaked:
        found.fail(f"release/{assignment} holds answer corpora students can read: "
                   f"{', '.join(leaked)} (add '*{corpus.SUFFIX}' to CourseDirectory.ignore)")


def _task_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def check_reference(fresh: Course, assignment: str, notebooks: list[str], found: Findings,
                    sandbox: bool) -> None:
    """The source solution gets full marks; what the tests read from the student is named in
    the task text."""
    references = grade_sources(fresh.root, assignment, sandbox=sandbox, notebooks=notebooks,
                               secret=seeds.course_secret(fresh.root))
    for notebook, ref in references.items():
        for grade_id, error in ref.errors.items():
            found.fail(f"{notebook}: {grade_id} fails on the source solution: {error}")
        if not ref.errors:
            found.ok(f"{notebook}: the source solution gets full marks")
        text = _task_text(fresh.root / "source" / assignment / f"{notebook}.ipynb")
        for grade_id, names in ref.names.items():
            unnamed = [n for n in names if not re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]
            if unnamed:
                found.fail(f"{notebook}: {grade_id} reads {', '.join(unnamed)} from the student, "
                           "but the task text never names it")
        found.ok(f"{notebook}: names the tests read from students: "
                 + ", ".join(sorted({n for names in ref.names.values() for n in names})))


def _failure(course: Course, assignment: str, case: corpus.Case, cell_id: str) -> str:
    path = course.root / "autograded" / case.student / assignment / f"{case.notebook}.ipynb"
    if not path.exists():
        return "(not graded)"
    for cell in json.loads(path.read_text())["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
            return " | ".join(o.get("evalue", "") or "".join(o.get("text", ""))
                              for o in cell.get("outputs", []))[:200]
    return "(cell not found)"


def failure_text(course: Course, assignment: str, case: corpus.Case, cell_id: str) -> str | None:
    """Everything the graded test cell `cell_id` of `case` showed the student (its error's
    message and traceback lines, and its printed text), colour codes removed; None where the
    autograded notebook or the cell is missing."""
    path = course.root / "autograded" / case.student / assignment / f"{case.notebook}.ipynb"
    if not path.exists():
        return None
    for cell in json.loads(path.read_text())["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
            parts = []
            for output in cell.get("outputs", []):
                parts += [output.get("evalue", ""), *output.get("traceback", []),
                          "".join(output.get("text", ""))]
            return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(p for p in parts if p))
    return None


def message_problems(course: Course, assignment: str, case: corpus.Case) -> list[str]:
    """Where the messages of the cells `case` breaks or `says` something of lack what it `says`
    or show what it `hides` (the answer)."""
    problems = []
    for cell_id in sorted(case.breaks | set(case.says)):
        wanted = case.says.get(cell_id, ())
        if not wanted and not case.hides:
            continue
        text = failure_text(course, assignment, case, cell_id)
        if text is None:
            problems.append(f"{cell_id}: no message to judge (not graded)")
            continue
        missing = [w for w in wanted if w.lower() not in text.lower()]
        if missing:
            problems.append(f"{cell_id}: the message does not say {missing} "
                            f"(it says: {text.strip()[:300]})")
        shown = [h for h in case.hides if h.lower() in text.lower()]
        if shown:
            problems.append(f"{cell_id}: the message gives away {shown}")
    return problems


def case_problems(course: Course, assignment: str, case: corpus.Case, grades: dict) -> list[str]:
    """How the graded `case` differs from what it expects (nothing when it is as expected):
    `grades` is `course.grades(assignment)`; parts left to manual grading are not judged."""
    problems = []
    cells = grades.get(case.student, {}).get(case.notebook, {})
    if not cells:
        return ["was not graded (no grades in the gradebook)"]
    unknown = sorted(case.breaks - set(cells))
    if unknown:
        problems.append(f"breaks names no test cell: {', '.join(unknown)}")
    for cell_id, grade in cells.items():
        if grade.needs_manual_grade:
            continue
        if cell_id in case.breaks and grade.score != 0:
            problems.append(f"{cell_id} kept {grade.score:g}/{grade.max_score:g}")
        elif cell_id not in case.breaks and grade.score != grade.max_score:
            problems.append(f"{cell_id} lost points ({grade.score:g}/{grade.max_score:g}:"
                            f" {_failure(course, assignment, case, cell_id)})")
    return problems + message_problems(course, assignment, case)


def grade_corpus(fresh: Course, assignment: str, cases: list[corpus.Case], graders, work: Path,
                 found: Findings) -> None:
    """Every case submitted, graded by each grader in its own copy; parts compared."""
    for case in cases:
        fresh.submit(case.student, assignment, case.notebook, case.answers)
    verdicts: dict[str, dict[str, list[str]]] = {}
    for grader in graders:
        copy = Course(work / grader)
        shutil.copytree(fresh.root, copy.root)
        if grader == "nbgrader":
            copy.nbgrader("autograde", assignment, "--force")
        else:
            copy.run("calcgrade.cli", "autograde", assignment, "--force", check=False)
        grades = copy.grades(assignment)
        for case in cases:
            verdicts.setdefault(case.student, {})[grader] = case_problems(
                copy, assignment, case, grades)
    width = max(len(c.name) for c in cases)
    for case in cases:
        expected = ("full marks" if not case.breaks
                    else "loses " + " ".join(sorted(case.breaks)))
        got = verdicts[case.student]
        line = f"{case.notebook}: {case.name:<{width}}  expects {expected}; " + ", ".join(
            f"{g}: {'as expected' if not got[g] else 'NOT: ' + '; '.join(got[g])}"
            for g in graders)
        (found.fail if any(got[g] for g in graders) else found.ok)(line)


def check(root: Path, assignment: str, *, notebooks: list[str] | None = None,
          graders=GRADERS, sandbox: bool = True, variants: bool = False,
          only_variants: bool = False, sample: int = 50) -> Findings:
    """`variants`: also every deployable variant (`variant_check`); `only_variants`: that only."""
    course = Course(Path(root).resolve())
    source = course.root / "source" / assignment
    found = Findings([f"calcgrade check {assignment}"])
    paths = sorted(source.glob("*.ipynb"))
    if not paths:
        found.fail(f"no notebooks in {source}")
        return found
    if notebooks:
        paths = [p for p in paths if p.stem in notebooks]
    if not only_variants:
        check_course(course, assignment, paths, found, graders=graders, sandbox=sandbox)
    if variants or only_variants:
        from calcgrade.course.variant_check import check_variants

        found.lines.append("variants (each student their own numbers)")
        check_variants(course.root, assignment, found, notebooks=[p.stem for p in paths],
                       sample=sample)
    found.lines.append(f"{found.problems} problems" if found.problems else "all checks passed")
    return found


def check_course(course: Course, assignment: str, paths: list[Path], found: Findings, *,
                 graders=GRADERS, sandbox: bool = True) -> None:
    """Steps 1-4 above, in a temporary copy of the course."""
    source = course.root / "source" / assignment
    with tempfile.TemporaryDirectory(prefix="calcgrade-check-") as tmp:
        fresh = Course.copy_of(Path(tmp) / "course", origin=course.root)
        secret = course.root / seeds.SECRET_FILE
        if secret.exists():  # the course's own draws, so a check gives the same verdicts again
            shutil.copy(secret, fresh.root / seeds.SECRET_FILE)
        cache = course.root / reference.CACHE
        if cache.exists():  # source solutions already graded (entries keyed on their content)
            shutil.copy(cache, fresh.root / reference.CACHE)
        with open(fresh.root / "nbgrader_config.py", "a") as config:  # never the course's own
            config.write('\nc.CourseDirectory.db_url = "sqlite:///gradebook.db"\n'
                         # the corpus as written: the default variant (--variants: the others)
                         "c.Variants.enabled = False\n")
        found.lines.append("source notebooks")
        for path in paths:
            check_source(path, found)
            check_templates(path, found)
        fresh.release(assignment)
        found.lines.append("release")
        check_release(course, fresh, assignment, [p.stem for p in paths], found)
        found.lines.append("the source solution")
        check_reference(fresh, assignment, [p.stem for p in paths], found, sandbox)
        cases = []
        for path in paths:
            corpus_file = corpus.corpus_path(source, path.stem)
            if corpus_file.exists():
                cases += [corpus.source_solution(path.stem)] + corpus.load(corpus_file)
            else:
                found.note(f"{path.stem}: no answer corpus ({corpus_file.name}); its tests are "
                           "checked on the source solution only")
        if cases:
            found.lines.append(f"answer corpus ({len(cases)} cases, graded by "
                               f"{' and '.join(graders)})")
            grade_corpus(fresh, assignment, cases, graders, Path(tmp), found)
