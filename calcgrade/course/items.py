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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 0.2
MIN_STUDENTS = 3


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
