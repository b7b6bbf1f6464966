"""`calcgrade check ASSIGNMENT --variants`: every deployable variant tested before release, as
STACK tests a question's deployed variants.

For each notebook that declares parameters, every variant students can get (the pinned list in
`c.Variants.pinned`, or all the declaration allows; a seeded sample of `sample`, at least 50 and
always the default, where there are more) is graded with the source solution and every case of
the answer corpus. A variant fails where a right answer loses points, a mistake keeps a part it
must lose, or a pinned variant breaks the declaration's constraint.

The cases run in this process's workers, the instructor's code only (`grading.in_process`), with
kernel semantics, each test cell seeded: a few hundred runs a minute on two cores. The default
variant is also graded through both real graders by the rest of `calcgrade check`.

What was found is recorded in `.calcgrade-variants.json` in the course root, keyed on the
content of the notebook, its corpus and its pinned list: `nbgrader release_assignment` with
variants on refuses (`calcgrade.exchange.VariantReleaseAssignment`) while a notebook's variants
are failing or were not checked since it changed, unless it is given
`--VariantReleaseAssignment.allow_failing_variants=True`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import random
import signal
import sys
from pathlib import Path

import nbformat

from calcgrade import corpus, variants
from calcgrade.course.directory import Course

RECORD = ".calcgrade-variants.json"
MIN_SAMPLE = 50
RUN_SECONDS = 120  # one case under one variant; past it, that run fails


def digest(source: Path, pinned: list | None) -> str:
    """What a check's verdict depends on: the notebook, its corpus, the pinned list."""
    text = hashlib.sha256(source.read_bytes())
    corpus_file = corpus.corpus_path(source.parent, source.stem)
    if corpus_file.exists():
        text.update(corpus_file.read_bytes())
    text.update(json.dumps(pinned, sort_keys=True).encode())
    return text.hexdigest()


def load_record(root: Path) -> dict:
    path = Path(root) / RECORD
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def chosen_variants(deployable: list[dict], default: dict, sample: int, seed: str) -> list[dict]:
    """All of them, or a seeded sample of `sample` (at least MIN_SAMPLE) with the default."""
    sample = max(sample, MIN_SAMPLE)
    if len(deployable) <= sample:
        return deployable
    rest = [v for v in deployable if v != default]
    drawn = random.Random(seed).sample(rest, sample - (1 if default in deployable else 0))
    return ([default] if default in deployable else []) + drawn


def _alarm(signum, frame):
    raise TimeoutError(f"ran over {RUN_SECONDS} s")


def _run(job) -> tuple[int, dict[str, str | None]]:
    """One case under one variant, in a worker: grade id -> why it fails (None: it passes)."""
    from calcgrade.grading.in_process import run_notebook

    index, path, answers, given, seed = job
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(RUN_SECONDS)
    try:
        ran = run_notebook(Path(path), answers, given=given, seed=seed)
        return index, {cell: r.message for cell, r in ran.items()}
    except BaseException as exc:  # noqa: BLE001 (the run is the instructor's; say what it was)
        return index, {"*": f"{type(exc).__name__}: {exc}"}
    finally:
        signal.alarm(0)


def judge(case: corpus.Case, outcome: dict[str, str | None]) -> list[str]:
    """How a case's outcome under one variant differs from what the case expects."""
    if "*" in outcome:
        return [f"{case.name} could not be run: {outcome['*']}"]
    problems = []
    for cell, message in outcome.items():
        if cell in case.breaks and message is None:
            problems.append(f"a mistake goes unnoticed: {case.name} keeps {cell}")
        elif cell not in case.breaks and message is not None:
            what = "a right answer" if not case.breaks else "a right part"
            short = " ".join(message.split())[:160]
            problems.append(f"{what} loses points: {case.name} loses {cell} ({short})")
    return problems


def check_variants(root: Path, assignment: str, found, *, notebooks: list[str] | None = None,
                   sample: int = MIN_SAMPLE, jobs: int | None = None, progress=sys.stderr) -> None:
    """Grade every notebook's corpus under its variants; add what was found to `found`
    (`calcgrade.course.check.Findings`) and to the course's record."""
    course = Course(Path(root).resolve())
    settings = variants.Variants(config=course.config())
    record: dict = {}  # this run's entries, merged into the course's record at the end
    for path in sorted((course.root / "source" / assignment).glob("*.ipynb")):
        if notebooks and path.stem not in notebooks:
            continue
        declaration = variants.declaration_of(nbformat.read(path, as_version=4))
        if declaration is None:
            found.note(f"{path.stem}: no parameters declared (one variant for everyone)")
            continue
        pinned = variants.pinned_for(settings, assignment, path.stem)
        key = f"{assignment}/{path.stem}"
        entry = record[key] = {"digest": digest(path, pinned), "failing": [], "checked": 0}
        found.lines.append(f"{path.stem}: {variants.describe(path)}")
        if declaration.problem(declaration.default) is not None:
            found.fail(f"{path.stem}: the default variant ({variants.label(declaration.default)})"
                       f" {declaration.problem(declaration.default)}")
            entry["failing"].append(variants.label(declaration.default))
        try:
            deployable = variants.deployed(declaration, pinned)
        except variants.VariantError as exc:
            found.fail(f"{path.stem}: {exc}")
            entry["failing"].append("pinned list")
            continue
        if pinned:
            found.note(f"{path.stem}: {len(deployable)} pinned variants deployed")
        chosen = chosen_variants(deployable, declaration.default, sample, key)
        cases = [corpus.source_solution(path.stem)]
        corpus_file = corpus.corpus_path(path.parent, path.stem)
        if corpus_file.exists():
            cases += [c for c in corpus.load(corpus_file) if not c.default_only]
        else:
            found.note(f"{path.stem}: no answer corpus: each variant is graded with the source "
                       "solution only")
        runs = [(i, str(path), case.answers, given, f"{key}/{variants.label(given)}/{case.name}")
                for i, (given, case) in enumerate((g, c) for g in chosen for c in cases)]
        outcomes: dict[int, dict] = {}
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs or min(2, os.cpu_count() or 1), maxtasksperchild=200) as pool:
            for done, (index, outcome) in enumerate(pool.imap_unordered(_run, runs, 4), 1):
                outcomes[index] = outcome
                if progress is not None and (done % 50 == 0 or done == len(runs)):
                    print(f"  {path.stem}: {done}/{len(runs)} runs", file=progress, flush=True)
        failing = 0
        for v, given in enumerate(chosen):
            problems = [p for c, case in enumerate(cases)
                        for p in judge(case, outcomes[v * len(cases) + c])]
            if problems:
                failing += 1
                entry["failing"].append(variants.label(given))
                shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more"
                                                    if len(problems) > 3 else "")
                found.fail(f"{path.stem} variant {variants.label(given)}: {shown}")
        entry["checked"] = len(chosen)
        scope = (f"all {len(chosen)}" if len(chosen) == len(deployable)
                 else f"a seeded sample of {len(chosen)} of {len(deployable)}")
        summary = (f"{path.stem}: {scope} variants × {len(cases)} cases ({len(runs)} runs): ")
        if failing:
            found.fail(summary + f"{failing} variants failing")
        else:
            found.ok(summary + "every right answer keeps its points, every mistake is caught")
    save_record(course.root, record)


def save_record(root: Path, entries: dict) -> None:
    """Merge `entries` into the course's record (locked: checks of several notebooks may run
    at once)."""
    path = Path(root) / RECORD
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = {**load_record(root), **entries}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
        temporary.replace(path)


def release_problems(root: Path, assignment: str, config=None) -> list[str]:
    """Why an assignment's variants may not be released yet (nothing: they may)."""
    root = Path(root)
    settings = variants.Variants(config=config)
    record = load_record(root)
    problems = []
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        declaration = variants.declaration_of(nbformat.read(path, as_version=4))
        if declaration is None:
            continue
        key = f"{assignment}/{path.stem}"
        entry = record.get(key)
        pinned = variants.pinned_for(settings, assignment, path.stem)
        if entry is None or entry.get("digest") != digest(path, pinned):
            problems.append(f"{path.stem}: its variants were not checked since it (or its corpus, "
                            "or its pinned list) last changed")
        elif entry.get("failing"):
            problems.append(f"{path.stem}: variants failing their check: "
                            + "; ".join(entry["failing"][:5])
                            + (" ..." if len(entry["failing"]) > 5 else ""))
    return problems
