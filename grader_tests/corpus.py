"""The answer corpus under its old names, for the tests, benchmarks and demo that import it.

The cases live next to the source notebooks, one instructor's file per notebook
(`source/ASSIGNMENT/NOTEBOOK.corpus.py`, format in `calcgrade/corpus.py`): edit those, not this.
This module loads all of them (ALL), and exposes for the five original notebooks its right
answers (TANGENT, ...)
and its typical mistakes (TANGENT_MISTAKES, ...), with `breaks` the test cells each must cost.
"""

from __future__ import annotations

from pathlib import Path

from calcgrade.corpus import SUFFIX, Case, corpus_path, load

Variant = Case  # fields: name, answers, breaks, notebook; .student

SOURCE = Path(__file__).resolve().parents[1] / "source"
FIRST = [corpus_path(SOURCE / assignment, notebook) for assignment, notebook in [
    ("calculus", "tangent"), ("calculus", "gradient_exp"), ("calculus", "gradient_norm"),
    ("calculus", "chain_rule"), ("backprop", "backprop")]]
FILES = FIRST + sorted(set(SOURCE.glob(f"*/*{SUFFIX}")) - set(FIRST))

ASSIGNMENT_OF = {path.name.removesuffix(SUFFIX): path.parent.name for path in FILES}
_CASES = {path.name.removesuffix(SUFFIX): load(path) for path in FILES}


def _right(notebook: str) -> list[Case]:
    return [case for case in _CASES[notebook] if not case.breaks]


def _mistakes(notebook: str) -> list[Case]:
    return [case for case in _CASES[notebook] if case.breaks]


TANGENT, TANGENT_MISTAKES = _right("tangent"), _mistakes("tangent")
GRADIENT_EXP, GRADIENT_EXP_MISTAKES = _right("gradient_exp"), _mistakes("gradient_exp")
GRADIENT_NORM, GRADIENT_NORM_MISTAKES = _right("gradient_norm"), _mistakes("gradient_norm")
CHAIN_RULE, CHAIN_RULE_MISTAKES = _right("chain_rule"), _mistakes("chain_rule")
BACKPROP, BACKPROP_MISTAKES = _right("backprop"), _mistakes("backprop")

ALL = [case for path in FILES for notebook in [path.name.removesuffix(SUFFIX)]
       for case in _right(notebook) + _mistakes(notebook)]
