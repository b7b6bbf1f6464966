"""Plots judged from the Figure's artists, not from pixels.

A figure is first reduced to a summary: per axes, the (x, y) points in data coordinates of every
drawn line (a point that is not finite kept as a break, as matplotlib draws it), whether the
points are joined or markers only, and the labels of its legends and of the figure's. Lines are
`ax.plot`'s, `ax.axline`'s (infinite: the stretch drawn inside the axes' view limits),
`axhline`/`axvline`'s; markers are also `ax.scatter`'s (its offsets); a LineCollection
(`hlines`, `vlines`, ...) is one line of its segments, broken between them. Legends count from
`ax.legend`, `fig.legend` (or `plt.figlegend`), a subfigure's `legend`, and a legend added back
with `ax.add_artist`. That summary is all a check needs, so it can be made in
the student's process and judged in the grader's. A figure passes when one of its axes holds, for
each named curve, a line that follows that curve over an interval containing the point of
interest at least `min_span` wide, and a legend with an entry for each of those curves.

"Follows" is judged on the line as drawn: the straight pieces between consecutive points
(markers-only lines: between neighbouring markers in x), compared with the curve at points along
each piece, within a visual tolerance of VISUAL_RTOL of the curve's extent in y over the checked
window (plus VISUAL_ATOL). So a line of two points far apart does not follow a curved curve, and
a speck does not cover the interval. Where the curve is not finite (a pole), or jumps, no piece
follows it, so the interval cannot reach across.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from calcgrade.checks.errors import CheckFailed, passed

MIN_POINTS = 2  # a straight line may be drawn from its two ends
MAX_POINTS = 100_000
MIN_SPAN = 0.5  # how wide the followed interval must be, by default
# A drawn line may stray from the curve by 1% of the curve's extent in y over the checked window
# [around - min_span, around + min_span] (its 1st to 99th percentile, so that a pole in the window
# does not blow it up), plus 1e-3: stricter than the eye at the plot's own scale. Measured on the
# tangent notebook's f = x^3 - 1/x, window [0.5, 1.5] (extent 4.46, so 0.046): d2l's plot (x from
# 0.1 to 3 by 0.01) strays by at most 1.6e-4, a coarse honest one (50 points over [0.2, 3]) by
# 4.8e-3, 30 markers over [0.25, 2.5] by 8.3e-3, even 20 points over [0.1, 3] only by 0.040; a
# straight line from (0.5, f(0.5)) to (1.5, f(1.5)) by 0.45, one from (0.5, f(0.5)) to (1, f(1))
# by 0.050. The tangent's window (min_span 0.2) gives it 0.017: f itself then follows the tangent
# over only 0.17 around x = 1, so a plot of f twice does not pass for f and its tangent. The
# tolerance shrinks with the window: min_span should span several points of an honest plot (with
# min_span = 0 a line is judged at x = around alone, within VISUAL_ATOL).
VISUAL_RTOL = 0.01
VISUAL_ATOL = 1e-3
CHECKS_PER_PIECE = 17  # points compared along each straight piece (its ends included)
WINDOW_SAMPLES = 401  # points of the window where the curve's extent is taken


@dataclass
class AxesSummary:
    # (x, y, joined): joined lines are drawn point to point, the others are markers only
    lines: list[tuple[np.ndarray, np.ndarray, bool]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class FigureSummary:
    axes: list[AxesSummary] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # figure-level legends

    def to_data(self) -> dict:
        return {"axes": [{"lines": [[x.tolist(), y.tolist(), bool(joined)]
                                    for x, y, joined in ax.lines],
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
            for entry in list(ax.get("lines", []))[:200]:
                x, y = points(entry[0]), points(entry[1])
                joined = bool(entry[2]) if len(entry) > 2 else True
                if x.shape == y.shape:
                    lines.append((x, y, joined))
            axes.append(AxesSummary(lines, texts(ax.get("labels", []))))
        return cls(axes, texts(data.get("labels", [])))


def _drawn(line) -> bool:
    """A line that shows something: visible, with a line style or a marker."""
    has_line = line.get_linestyle() not in ("None", "none", "", " ", None)
    has_marker = line.get_marker() not in ("None", "none", "", " ", None)
    return bool(line.get_visible() and (has_line or has_marker))


_EMPTY = (np.empty(0), np.empty(0))
AXLINE_SAMPLES = 257  # points along an axline's drawn stretch (straight in the scaled axes)


def _broken(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of equal shape, a point that is not finite (or masked) becoming NaN in both."""
    x = np.ma.filled(np.ma.asarray(x, dtype=np.float64), np.nan).ravel()
    y = np.ma.filled(np.ma.asarray(y, dtype=np.float64), np.nan).ravel()
    if x.shape != y.shape:
        return _EMPTY
    broken = ~(np.isfinite(x) & np.isfinite(y))
    x, y = x.copy(), y.copy()
    x[broken] = y[broken] = np.nan
    return x, y


def _in_data(ax, transform, xy: np.ndarray) -> np.ndarray:
    """Points given in `transform`'s coordinates, in `ax`'s data coordinates."""
    if transform is ax.transData:
        return xy
    with np.errstate(all="ignore"):
        return ax.transData.inverted().transform(transform.transform(xy))


def _axline_class():
    from matplotlib import lines

    return getattr(lines, "AxLine", None) or getattr(lines, "_AxLine", None)


def _line_points(line) -> tuple[np.ndarray, np.ndarray, bool]:
    """The (x, y) points of a Line2D as drawn, as float arrays in data coordinates, a point that
    is not finite becoming NaN in both (a break in the drawn line), and whether the points are
    joined (dates and units are not expected). An axline is the stretch of it drawn inside the
    axes' view limits; a line in other coordinates (axhline: x in axes coordinates) is taken to
    data coordinates."""
    joined = line.get_linestyle() not in ("None", "none", "", " ", None)
    try:
        x = np.asarray(line.get_xdata(orig=False), dtype=np.float64).ravel()
        y = np.asarray(line.get_ydata(orig=False), dtype=np.float64).ravel()
        if x.shape != y.shape:
            return *_EMPTY, joined
        ax, axline = line.axes, _axline_class()
        if ax is not None and axline is not None and isinstance(line, axline):
            # its transform maps its points, within the scaled view limits; densified, so a
            # line straight in log axes is followed as drawn
            t = np.linspace(0.0, 1.0, AXLINE_SAMPLES)[:, None]
            xy = np.column_stack([x, y])
            xy = np.concatenate([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:])] or [xy])
            xy = _in_data(ax, line.get_transform(), xy)
            x, y = xy[:, 0], xy[:, 1]
        elif ax is not None and line.get_transform() is not ax.transData:
            xy = _in_data(ax, line.get_transform(), np.column_stack([x, y]))
            x, y = xy[:, 0], xy[:, 1]
    except Exception:  # what cannot be read (an axline through one point twice) is not drawn
        return *_EMPTY, joined
    return *_broken(x, y), joined


def _collection_points(ax, collection) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """A scatter's markers (its offsets), or a LineCollection's segments as one line broken
    between them; None for other collections and for what is not drawn."""
    from matplotlib.collections import LineCollection, PathCollection

    try:
        if not collection.get_visible():
            return None
        if isinstance(collection, PathCollection):
            sizes = np.asarray(collection.get_sizes(), dtype=np.float64)
            if sizes.size and not np.any(sizes > 0):
                return None
            offsets: np.ndarray = np.ma.asarray(collection.get_offsets(), dtype=np.float64)
            if offsets.ndim != 2 or offsets.shape[1] != 2:
                return None
            offsets = np.ma.filled(offsets[:MAX_POINTS], np.nan)
            xy = _in_data(ax, collection.get_offset_transform(), offsets)
            return *_broken(xy[:, 0], xy[:, 1]), False
        if isinstance(collection, LineCollection):
            offsets = np.asarray(collection.get_offsets(), dtype=np.float64)
            if offsets.size and np.any(offsets != 0):
                return None  # segments placed by offsets: not expected
            pieces, size = [], 0
            for segment in collection.get_segments():
                segment = np.ma.filled(np.ma.asarray(segment, dtype=np.float64), np.nan)
                if segment.ndim != 2 or segment.shape[1] != 2:
                    continue
                size += len(segment) + 1
                if size > MAX_POINTS:
                    break
                pieces += [segment, np.full((1, 2), np.nan)]
            if not pieces:
                return None
            xy = _in_data(ax, collection.get_transform(), np.concatenate(pieces))
            return *_broken(xy[:, 0], xy[:, 1]), True
    except Exception:  # a collection that cannot be read is not drawn
        return None
    return None


def _legend_labels(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts() if t.get_text().strip()] if legend else []


def _axes_legends(ax) -> list:
    """`ax.legend()`'s, and earlier ones added back with `ax.add_artist`."""
    from matplotlib.legend import Legend

    legends = [ax.get_legend()] + [a for a in ax.artists if isinstance(a, Legend)]
    return list({id(leg): leg for leg in legends if leg is not None}.values())


def _figure_legends(fig) -> list:
    """`fig.legend()`'s (`plt.figlegend`), and those of its subfigures."""
    legends = list(getattr(fig, "legends", []))
    for sub in getattr(fig, "subfigs", []):
        legends += _figure_legends(sub)
    return legends


def _axes_summary(ax) -> AxesSummary:
    lines = [_line_points(line) for line in ax.get_lines() if _drawn(line)]
    lines += [points for points in (_collection_points(ax, c) for c in ax.collections)
              if points is not None]
    return AxesSummary(lines, [label for legend in _axes_legends(ax)
                               for label in _legend_labels(legend)])


def summarize_figure(fig) -> FigureSummary:
    return FigureSummary([_axes_summary(ax) for ax in fig.axes],
                         [label for legend in _figure_legends(fig)
                          for label in _legend_labels(legend)])


def _pieces(x: np.ndarray, y: np.ndarray, joined: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """The polylines as drawn: a joined line is cut where a point is not finite; markers are
    taken in order of x, each joined to its neighbours (how the eye reads them as a curve)."""
    finite = np.isfinite(x) & np.isfinite(y)
    if not joined:
        order = np.argsort(x[finite], kind="stable")
        return [(x[finite][order], y[finite][order])]
    cuts = np.flatnonzero(~finite)
    starts, ends = np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [x.size]])
    return [(x[s:e], y[s:e]) for s, e in zip(starts, ends) if e - s >= MIN_POINTS]


def _values(curve: Callable, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        try:
            values = np.asarray(curve(x.ravel()), dtype=np.float64)
        except (ArithmeticError, ValueError):
            return np.full(x.shape, np.nan)
    return np.broadcast_to(values, x.ravel().shape).reshape(x.shape)


def coverage(line, curve: Callable, around: float, min_span: float = MIN_SPAN,
             rtol: float = VISUAL_RTOL, atol: float = VISUAL_ATOL) -> float:
    """The width of the widest interval containing `around`, within the window
    [around - min_span, around + min_span], over which one connected stretch of the line as drawn
    stays within the visual tolerance of `curve`; -1 if none does."""
    x, y = np.asarray(line[0], dtype=np.float64), np.asarray(line[1], dtype=np.float64)
    joined = bool(line[2]) if len(line) > 2 else True
    low, high = around - min_span, around + min_span
    window = _values(curve, np.linspace(low, high, WINDOW_SAMPLES))
    window = window[np.isfinite(window)]
    if window.size == 0:
        return -1.0
    # the extent of the curve without the 1% of the window nearest a pole, if one is there
    extent = float(np.subtract(*np.percentile(window, [99, 1])))
    tol = rtol * extent + atol
    best = -1.0
    t = np.linspace(0.0, 1.0, CHECKS_PER_PIECE)
    for px, py in _pieces(x, y, joined):
        x0, x1, y0, y1 = px[:-1], px[1:], py[:-1], py[1:]
        left, right = np.maximum(np.minimum(x0, x1), low), np.minimum(np.maximum(x0, x1), high)
        inside = left <= right
        good = np.zeros(x0.size, dtype=bool)
        idx = np.flatnonzero(inside)
        if idx.size:
            xs = left[idx, None] + (right[idx] - left[idx])[:, None] * t
            dx = (x1 - x0)[idx, None]
            with np.errstate(all="ignore"):
                frac = np.where(dx != 0, (xs - x0[idx, None]) / np.where(dx != 0, dx, 1), 0.0)
            drawn = y0[idx, None] + (y1 - y0)[idx, None] * frac
            want = _values(curve, xs)
            ok = np.all(np.isfinite(want) & (np.abs(drawn - want) <= tol), axis=1)
            vertical = (x1 == x0)[idx]  # drawn at one x from y0 to y1: both ends on the curve
            ends_ok = (np.abs(y0[idx] - want[:, 0]) <= tol) & (np.abs(y1[idx] - want[:, 0]) <= tol)
            good[idx] = np.where(vertical, ends_ok & np.isfinite(want[:, 0]), ok)
        # stretches of consecutive good pieces: each covers [min left, max right]
        edges = np.flatnonzero(np.diff(np.concatenate([[0], good.astype(np.int8), [0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            lo, hi = left[start:stop].min(), right[start:stop].max()
            if lo <= around <= hi:
                best = max(best, float(hi - lo))
    return best


def follows(line, curve: Callable, around: float, min_span: float = MIN_SPAN,
            rtol: float = VISUAL_RTOL, atol: float = VISUAL_ATOL) -> bool:
    """Whether the line as drawn traces `curve` over an interval containing `around` at least
    `min_span` wide."""
    return coverage(line, curve, around, min_span, rtol, atol) >= min_span


def check_curves_plot(fig, curves: Mapping[str, Callable], around: float, part: str, *,
                      what: str | None = None,
                      min_span: float | Mapping[str, float] = MIN_SPAN) -> None:
    """`fig` (a Figure or its summary) shows every curve in `curves` near x = `around`: each
    followed by one line over an interval containing `around` at least `min_span` wide (a number,
    or a dict curve name -> number; a short tangent segment is a fair plot, a speck is not)."""
    from matplotlib.figure import Figure

    what = what or f"`{part}`"
    spans = {name: float(min_span[name] if isinstance(min_span, Mapping) else min_span)
             for name in curves}
    if isinstance(fig, Figure):
        fig = summarize_figure(fig)
    if not isinstance(fig, FigureSummary):
        raise CheckFailed(part, f"{what} should be a matplotlib Figure (e.g. from plt.subplots()), "
                                f"not {type(fig).__name__}")
    if not fig.axes:
        raise CheckFailed(part, f"{what} has no axes")
    problems = []
    for ax in fig.axes:
        widths = {name: [coverage(line, curve, around, spans[name]) for line in ax.lines]
                  for name, curve in curves.items()}
        missing = [name for name in curves if not any(w >= spans[name] for w in widths[name])]
        if missing:
            problems.append(_not_followed(missing, spans, around))
        elif not _distinct_lines({name: [i for i, w in enumerate(widths[name]) if w >= spans[name]]
                                  for name in curves}):
            problems.append(f"one line cannot show both {' and '.join(curves)}: draw each "
                            "curve as a line of its own")
        elif len(ax.labels + fig.labels) < len(curves):
            problems.append(f"the legend should name each of the {len(curves)} curves "
                            "(use label=... and ax.legend())")
        else:
            passed(part, f"{what} shows {', '.join(curves)} with a legend")
            return
    raise CheckFailed(part, f"{what}: " + "; ".join(dict.fromkeys(problems)))


def _distinct_lines(candidates: Mapping[str, list[int]]) -> bool:
    """Whether every curve can have a line of its own among its candidates (a matching)."""
    owner: dict[int, str] = {}

    def place(name: str, seen: set) -> bool:
        for line in candidates[name]:
            if line not in seen:
                seen.add(line)
                if line not in owner or place(owner[line], seen):
                    owner[line] = name
                    return True
        return False

    return all(place(name, set()) for name in candidates)


def _not_followed(missing, spans, around) -> str:
    return "; ".join(f"no line follows {name} on an interval containing x = {around:g} at least "
                     f"{spans[name]:g} wide" for name in missing)
