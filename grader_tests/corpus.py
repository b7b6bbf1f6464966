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


def tangent_in_numbers(values: dict) -> dict[str, str]:
    """tangent's answers as a student of the variant `values` (a, c) writes them, with that
    variant's numbers in place of the names: what a classmate with other numbers copies."""
    a, c = values["a"], values["c"]
    slope, intercept = 3 * a**2 + c / a**2, -2 * a**3 - 2 * c / a
    return {
        "tangent-f-df": f"f = lambda x: x**3 - {c}/x\ndf = lambda x: 3*x**2 + {c}/x**2",
        "tangent-f-prime": f'x = sp.Symbol("x")\nf_prime = "3*x**2 + {c}/x**2"',
        "tangent-line": f"slope = {slope!r}\nintercept = {intercept!r}\n"
                        f"tangent = lambda x: {slope!r}*x + {intercept!r}",
        "tangent-plot": f"""
xs = np.linspace(0.2, 3, 200)
fig, ax = plt.subplots()
ax.plot(xs, xs**3 - {c}/xs, label="f")
ax.plot(xs, {slope!r}*xs + {intercept!r}, label="tangent")
ax.legend()
""",
    }
