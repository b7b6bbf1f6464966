"""Item analysis of an assignment's parts, as classical test theory has it.

For each part (an "item"), over the students whose score for it is known (a part waiting for
its grader counts neither for the part nor in the rest of the assignment):

- **difficulty**: the mean score over the part's points, from 0 (nobody scored) to 1 (everyone
  had full marks); the classical p-value, so higher means easier.
- **discrimination**: Pearson's correlation of the part's score with the *rest* of the
  assignment (the student's total minus this part: the corrected item-total correlation, so a
  part is not correlated with itself). Students who do well overall should do well on a good
  part: r near 0 says the part does not tell them apart, a negative r that the better students
  do worse on it (a key or a test to check).

A part is flagged as failing to discriminate when r < `THRESHOLD` (0.2, the usual rule of
thumb), and also when its scores have no spread (every student scored the same: r is undefined,
and the part says nothing about who knows what). When the rest of the assignment has no spread
(a one-part assignment, say), r is undefined and nothing is flagged. Under `MIN_STUDENTS`
graded students r is not computed and nothing is flagged (the difficulty still is). With a few
dozen students r is noisy (its standard error is about 1/sqrt(n)): read a flag on a small class
as a hint.

**Fairness of the variants** (issue 12: each student their own numbers; `variant_fairness`):
a variant whose numbers make a part harder or easier than the others is unfair, and shows as a
share of full marks on that part unlike the other variants'. For each part of a notebook with
variants and each variant with at least `MIN_VARIANT_STUDENTS` graded students (and as many in
the other variants together), Fisher's exact test (two-sided, `fisher_exact`) compares the 2 x 2
table [full marks, not] x [this variant, all other variants pooled]; it is exact at any size (no
large-sample approximation: a variant has a dozen students, not hundreds). The p-values are
Bonferroni-corrected over every (part, variant) pair tested: a pair is flagged when p <
`ALPHA` / (number of pairs tested), so that the chance of any flag at all in a report whose
grades do not depend on the variant is at most `ALPHA` (0.05). Bonferroni is conservative (a
variant a little harder than the rest goes unflagged in a small class): a flag is strong
evidence, its absence is not proof of fairness. The share of full marks, not the mean, is
tested: a part's scores are mostly all or nothing, and the exact test needs counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 0.2
MIN_STUDENTS = 3
ALPHA = 0.05  # family-wise error rate of the variants' flags (Bonferroni)
MIN_VARIANT_STUDENTS = 5  # graded students a variant needs (and the others together) to be tested
TEST_NAME = "Fisher exact"


@dataclass(frozen=True)
class Item:
    students: int  # whose score for this part is known
    difficulty: float | None  # mean / max score
    discrimination: float | None  # r(part, rest of the assignment)
    flag: str | None  # why the part fails to discriminate, None if it does not fail

    @property
    def flagged(self) -> bool:
        return self.flag is not None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None when either side has no spread (or fewer than two values)."""
    n = len(xs)
    if n < 2 or len(ys) != n:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 * max(1.0, mx * mx) * n or syy <= 1e-12 * max(1.0, my * my) * n:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _points(value: float) -> str:
    return f"{value:g}"


def analyse(scores: Sequence[Mapping[str, float]], max_scores: Sequence[float]) -> list[Item]:
    """One `Item` per part: `scores[j]` maps each student whose score for part j is known to
    that score, `max_scores[j]` is the part's points."""
    students = sorted({s for column in scores for s in column})
    totals = {s: sum(column.get(s, 0.0) for column in scores) for s in students}
    items = []
    for column, top in zip(scores, max_scores):
        graded = sorted(column)
        n = len(graded)
        if n == 0:
            items.append(Item(0, None, None, None))
            continue
        own = [column[s] for s in graded]
        mean = sum(own) / n
        difficulty = mean / top if top else None
        if n < MIN_STUDENTS:
            items.append(Item(n, difficulty, None, None))
            continue
        rest = [totals[s] - column[s] for s in graded]
        r = pearson(own, rest)
        flag = None
        if max(own) - min(own) <= 1e-9:
            which = ("full marks" if own[0] >= top else
                     "0" if own[0] == 0 else f"{_points(own[0])} of {_points(top)}")
            flag = f"no spread: every student scored {which}"
        elif r is not None and r < THRESHOLD:
            flag = (f"r = {r:.2f} < {THRESHOLD:g}: students who do well elsewhere do worse here "
                    "(check the test and its key)" if r < 0 else
                    f"r = {r:.2f} < {THRESHOLD:g}: does not tell stronger students from weaker")
        items.append(Item(n, difficulty, r, flag))
    return items


# -- fairness of the variants ----------------------------------------------------------------------
def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test of the 2 x 2 table [[a, b], [c, d]]: the
    probability, under the hypergeometric law of the table's margins, of a table no more probable
    than this one (R's `fisher.test`, scipy's `fisher_exact`). In exact integers (`math.comb`):
    ties between tables are exact, and nothing underflows however small p is."""
    if min(a, b, c, d) < 0:
        raise ValueError("a contingency table counts: no negative cell")
    row, column, n = a + b, a + c, a + b + c + d
    low, high = max(0, row + column - n), min(row, column)

    def weight(x: int) -> int:  # tables with x in the first cell, times C(n, row)
        return math.comb(column, x) * math.comb(n - column, row - x)

    observed = weight(a)
    extreme = sum(w for w in map(weight, range(low, high + 1)) if w <= observed)
    return min(1.0, extreme / math.comb(n, row))


@dataclass(frozen=True)
class VariantTest:
    """One (part, variant) pair: the variant's full marks on the part against the other
    variants' pooled, and Fisher's exact p."""

    part: int  # index of the part in what `variant_fairness` was given
    variant: str  # its label (`a=1.5, c=2`)
    full: int  # graded students of the variant with full marks on the part
    students: int  # graded students of the variant
    others_full: int
    others: int
    p: float

    @property
    def share(self) -> float:
        return self.full / self.students

    @property
    def others_share(self) -> float:
        return self.others_full / self.others


@dataclass(frozen=True)
class VariantFairness:
    """Every (part, variant) pair tested, and the flags at family-wise `ALPHA` (Bonferroni)."""

    tests: tuple[VariantTest, ...]
    alpha: float = ALPHA

    @property
    def threshold(self) -> float:
        """The per-test level: ALPHA / the number of pairs tested."""
        return self.alpha / len(self.tests) if self.tests else self.alpha

    @property
    def flagged(self) -> list[VariantTest]:
        return [t for t in self.tests if t.p < self.threshold]


def variant_fairness(scores: Sequence[Mapping[str, float]], max_scores: Sequence[float],
                     variants: Sequence[Mapping[str, str] | None],
                     min_students: int = MIN_VARIANT_STUDENTS,
                     alpha: float = ALPHA) -> VariantFairness:
    """Fisher's exact test of each variant's share of full marks on each part against the other
    variants pooled. `scores[j]` maps the students graded on part j to their score,
    `max_scores[j]` is its points, `variants[j]` maps each student to the label of the variant
    they had on it (None: the part's notebook has no variants). A pair is tested when the variant
    has at least `min_students` graded students and the other variants together as many."""
    tests = []
    for j, (column, top, variant_of) in enumerate(zip(scores, max_scores, variants)):
        if not variant_of:
            continue
        groups: dict[str, list[bool]] = {}
        for student, score in column.items():
            label = variant_of.get(student)
            if label is not None:
                groups.setdefault(label, []).append(score >= top)
        n = sum(len(g) for g in groups.values())
        full = sum(sum(g) for g in groups.values())
        for label, group in groups.items():
            mine, mine_full = len(group), sum(group)
            others, others_full = n - mine, full - mine_full
            if mine < min_students or others < min_students:
                continue
            p = fisher_exact(mine_full, mine - mine_full, others_full, others - others_full)
            tests.append(VariantTest(j, label, mine_full, mine, others_full, others, p))
    return VariantFairness(tuple(tests), alpha)
