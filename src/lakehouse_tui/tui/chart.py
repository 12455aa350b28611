"""Small character plots with labelled axes (plain strings; no Textual, no Rich).

The History tab plots rows, duration and the data's time range per materialization against
the time of the materialization. A min-max sparkline made a constant row count look like zero;
here the y axis is labelled with values, and a constant series is drawn in the middle of a
range around its value, with that value on the axis.

Lines are braille dots (2 x 4 per cell), each materialization a `●`; a range (the data's first
to last timestamp) is a vertical bar. Only what fits is labelled: three y ticks when there is
room, one otherwise; the first and last time below the x axis, and the middle one when wide.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

BRAILLE = 0x2800
DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][column] in a cell
POINT = "●"


@dataclass(frozen=True)
class Plot:
    """Rendered rows, and where the plot area is (for colouring the marks)."""

    rows: list[str]
    left: int  # first column of the plot area
    width: int  # columns of the plot area
    height: int  # rows of the plot area (the x axis and its labels follow)


def value_range(values: Sequence[float]) -> tuple[float, float]:
    """The y range: min to max, or a range around a constant so it sits mid-height."""
    lo, hi = min(values), max(values)
    if hi > lo:
        return lo, hi
    pad = abs(lo) * 0.1 or 1.0
    return lo - pad, hi + pad


def time_label(span: float) -> Callable[[float], str]:
    """How to write a time on the x axis: clock time within a day, else the date too."""
    pattern = "%H:%M" if span < 86400 else ("%m-%d %H:%M" if span < 86400 * 300 else "%Y-%m-%d")
    return lambda ts: time.strftime(pattern, time.localtime(ts))


def plot(
    xs: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float] | None,
    *,
    width: int,
    height: int,
    y_label: Callable[[float], str],
    x_label: Callable[[float], str] | None = None,
) -> Plot:
    """A line through (x, low) points, or with `highs` a bar from low to high at each x.

    `width` x `height` is the whole plot, axes and labels included (at least 20 x 4).
    """
    width, height = max(width, 20), max(height, 4)
    area_h = height - 2
    y_values = list(lows) + list(highs or [])
    y_lo, y_hi = value_range(y_values) if y_values else (0.0, 1.0)
    constant = bool(y_values) and min(y_values) == max(y_values)

    def y_row(y: float) -> int:
        return min(area_h - 1, max(0, int((y_hi - y) / (y_hi - y_lo) * area_h)))

    if constant:  # one tick, on the line, with its value
        labels = {y_row(y_values[0]): y_label(y_values[0])}
    elif area_h >= 3:
        labels = {0: y_label(y_hi), area_h - 1: y_label(y_lo)}
        if area_h >= 6:
            middle = (area_h - 1) // 2
            labels[middle] = y_label(y_hi - (middle + 0.5) / area_h * (y_hi - y_lo))
    else:
        labels = {0: y_label(y_hi)}
    gutter = max(len(label) for label in labels.values()) + 1
    area_w = width - gutter - 1
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 60.0, x_hi + 60.0
    dots_w, dots_h = area_w * 2, area_h * 4
    # A materialization's dot: one dot in from each edge, so the first and last show.
    margin = 1

    def dot_x(x: float) -> int:
        return margin + round((x - x_lo) / (x_hi - x_lo) * (dots_w - 1 - 2 * margin))

    def dot_y(y: float) -> int:  # the row of dots within y's row of cells
        row = y_row(y)
        within = (y_hi - y) / (y_hi - y_lo) * area_h - row
        return row * 4 + min(3, max(0, int(within * 4)))

    cells = [[0] * area_w for _ in range(area_h)]
    marks: set[tuple[int, int]] = set()

    def dot(dx: int, dy: int) -> None:
        if 0 <= dx < dots_w and 0 <= dy < dots_h:
            cells[dy // 4][dx // 2] |= DOTS[dy % 4][dx % 2]

    points = [(dot_x(x), dot_y(y)) for x, y in zip(xs, lows, strict=True)]
    if highs is None:
        for (ax, ay), (bx, by) in pairwise(points):
            steps = max(abs(bx - ax), abs(by - ay), 1)
            for i in range(steps + 1):
                dot(ax + round((bx - ax) * i / steps), ay + round((by - ay) * i / steps))
        marks = {(px // 2, py // 4) for px, py in points}
    else:
        for (px, py), high in zip(points, highs, strict=True):
            top = dot_y(high)
            for dy in range(min(top, py), max(top, py) + 1):
                dot(px - px % 2, dy)  # both dot columns of the cell: a bar, not a hairline
                dot(px - px % 2 + 1, dy)
    rows = []
    for row in range(area_h):
        label = labels.get(row, "")
        axis = "┤" if row in labels else "│"
        line = "".join(
            POINT if (column, row) in marks else (chr(BRAILLE + bits) if bits else " ")
            for column, bits in enumerate(cells[row])
        )
        rows.append(f"{label:>{gutter - 1}} {axis}{line}")
    # x axis: ticks at the first and last materialization (and the middle when there is room)
    write = x_label or time_label(x_hi - x_lo)
    ticks = [(dot_x(x_lo) // 2, x_lo), (dot_x(x_hi) // 2, x_hi)]
    first, last = write(x_lo), write(x_hi)
    if area_w >= len(first) + len(last) + 14:
        halfway = (x_lo + x_hi) / 2
        ticks.insert(1, (dot_x(halfway) // 2, halfway))
    axis_line = ["─"] * area_w
    for column, _ in ticks:
        axis_line[min(column, area_w - 1)] = "┬"
    rows.append(" " * (gutter - 1) + " └" + "".join(axis_line))
    under = [" "] * (area_w + gutter + 1)
    for index, (column, value) in enumerate(ticks):
        text = write(value)
        at = gutter + 1 + column
        start = (
            at
            if index == 0
            else (at - len(text) + 1 if index == len(ticks) - 1 else at - len(text) // 2)
        )
        start = max(0, min(start, len(under) - len(text)))
        if all(c == " " for c in under[max(0, start - 1) : start + len(text) + 1]):
            under[start : start + len(text)] = list(text)
    rows.append("".join(under).rstrip())
    return Plot(rows, gutter + 1, area_w, area_h)
