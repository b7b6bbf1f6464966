"""Plots judged from the Figure's artists, not from pixels.

A figure is first reduced to a summary: per axes, the finite (x, y) points of every line and the
legend's labels. That summary is all a check needs, so it can be made in the student's process
and judged in the grader's. A figure passes when one of its axes holds, for each named curve, a
line whose points follow that curve (markers-only lines count; points at a pole, where the
reference is not finite, are ignored), over an interval containing the point of interest, and a
legend with an entry for each of those curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .errors import CheckFailed, passed

MIN_POINTS = 2  # a straight line may be drawn from its two ends
MAX_POINTS = 100_000


@dataclass
class AxesSummary:
    lines: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class FigureSummary:
    axes: list[AxesSummary] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # figure-level legends

    def to_data(self) -> dict:
        return {"axes": [{"lines": [[x.tolist(), y.tolist()] for x, y in ax.lines],
                          "labels": ax.labels} for ax in self.axes],
                "labels": self.labels}

    @classmethod
    def from_data(cls, data: dict) -> "FigureSummary":
        """Rebuild a summary from untrusted data: numbers and strings only, bounded sizes."""
        def points(values):
            array = np.asarray(values, dtype=np.float64).ravel()[:MAX_POINTS]
            return array

        def texts(values):
            return [str(t)[:200] for t in list(values)[:50]]

        axes = []
        for ax in list(data.get("axes", []))[:50]:
            lines = []
            for pair in list(ax.get("lines", []))[:200]:
                x, y = points(pair[0]), points(pair[1])
                if x.shape == y.shape:
                    lines.append((x, y))
            axes.append(AxesSummary(lines, texts(ax.get("labels", []))))
        return cls(axes, texts(data.get("labels", [])))


def _line_points(line) -> tuple[np.ndarray, np.ndarray]:
    """The finite (x, y) points of a Line2D as float arrays (dates and units are not expected)."""
    try:
        x = np.asarray(line.get_xdata(orig=False), dtype=np.float64).ravel()
        y = np.asarray(line.get_ydata(orig=False), dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return np.empty(0), np.empty(0)
    if x.shape != y.shape:
        return np.empty(0), np.empty(0)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _legend_labels(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts() if t.get_text().strip()] if legend else []


def summarize_figure(fig) -> FigureSummary:
    return FigureSummary(
        [AxesSummary([_line_points(line) for line in ax.get_lines()],
                     _legend_labels(ax.get_legend())) for ax in fig.axes],
        [label for legend in getattr(fig, "legends", []) for label in _legend_labels(legend)])


def follows(points: tuple[np.ndarray, np.ndarray], curve: Callable, around: float,
            rtol: float = 1e-3, atol: float = 1e-3) -> bool:
    """Whether the line's points trace `curve` on an interval containing `around`."""
    x, y = points
    with np.errstate(all="ignore"):
        want = np.asarray(curve(x), dtype=np.float64) if x.size else x
    keep = np.isfinite(want) & np.isfinite(x) & np.isfinite(y)
    x, y, want = x[keep], y[keep], want[keep]
    if x.size < MIN_POINTS or not (x.min() <= around <= x.max()):
        return False
    return bool(np.all(np.abs(y - want) <= atol + rtol * np.abs(want)))


def check_curves_plot(fig, curves: Mapping[str, Callable], around: float, part: str, *,
                      what: str | None = None) -> None:
    """`fig` (a Figure or its summary) shows every curve in `curves` near x = `around`."""
    from matplotlib.figure import Figure

    what = what or f"`{part}`"
    if isinstance(fig, Figure):
        fig = summarize_figure(fig)
    if not isinstance(fig, FigureSummary):
        raise CheckFailed(part, f"{what} should be a matplotlib Figure (e.g. from plt.subplots()), "
                                f"not {type(fig).__name__}")
    if not fig.axes:
        raise CheckFailed(part, f"{what} has no axes")
    problems = []
    for ax in fig.axes:
        missing = [name for name, curve in curves.items()
                   if not any(follows(line, curve, around) for line in ax.lines)]
        if missing:
            problems.append(f"no line follows {' or '.join(missing)} on an interval "
                            f"containing x = {around:g}")
        elif len(ax.labels + fig.labels) < len(curves):
            problems.append(f"the legend should name each of the {len(curves)} curves "
                            "(use label=... and ax.legend())")
        else:
            passed(part, f"{what} shows {', '.join(curves)} with a legend")
            return
    raise CheckFailed(part, f"{what}: " + "; ".join(dict.fromkeys(problems)))
