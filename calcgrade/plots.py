"""Plots judged from the Figure's artists, not from pixels.

A figure passes when one of its axes holds, for each named curve, a line whose finite points
follow that curve (markers-only lines count; points at a pole, where the reference is not finite,
are ignored), over an interval containing the point of interest, and a legend with an entry for
each of those lines.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from .errors import CheckFailed, passed

MIN_POINTS = 2  # a straight line may be drawn from its two ends


def line_data(line) -> tuple[np.ndarray, np.ndarray]:
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


def follows(line, curve: Callable, around: float, rtol: float = 1e-3, atol: float = 1e-3) -> bool:
    """Whether `line` traces `curve` on an interval containing `around`."""
    x, y = line_data(line)
    with np.errstate(all="ignore"):
        want = np.asarray(curve(x), dtype=np.float64) if x.size else x
    keep = np.isfinite(want)
    x, y, want = x[keep], y[keep], want[keep]
    if x.size < MIN_POINTS or not (x.min() <= around <= x.max()):
        return False
    return bool(np.all(np.abs(y - want) <= atol + rtol * np.abs(want)))


def _legend_labels(ax, fig) -> list[str]:
    labels = []
    for legend in [ax.get_legend(), *getattr(fig, "legends", [])]:
        if legend is not None:
            labels += [t.get_text() for t in legend.get_texts() if t.get_text().strip()]
    return labels


def check_curves_plot(fig, curves: Mapping[str, Callable], around: float, part: str, *,
                      what: str | None = None) -> None:
    """`fig` shows every curve in `curves` (name -> reference function) near x = `around`."""
    from matplotlib.figure import Figure

    what = what or f"`{part}`"
    if not isinstance(fig, Figure):
        raise CheckFailed(part, f"{what} should be a matplotlib Figure (e.g. from plt.subplots()), "
                                f"not {type(fig).__name__}")
    if not fig.axes:
        raise CheckFailed(part, f"{what} has no axes")
    problems = []
    for ax in fig.axes:
        lines = ax.get_lines()
        missing = [name for name, curve in curves.items()
                   if not any(follows(line, curve, around) for line in lines)]
        if missing:
            problems.append(f"no line follows {' or '.join(missing)} on an interval "
                            f"containing x = {around:g}")
            continue
        if len(_legend_labels(ax, fig)) < len(curves):
            problems.append(f"the legend should name each of the {len(curves)} curves "
                            "(use label=... and ax.legend())")
            continue
        passed(part, f"{what} shows {', '.join(curves)} with a legend")
        return
    raise CheckFailed(part, f"{what}: " + "; ".join(dict.fromkeys(problems)))
