"""The partition health strip on an asset's Overview: one cell per batch, coloured by status.

Like Dagster's partition bar: green materialized, yellow stale or missing, red failed, in the
batches' sort order, with the counts above (`198/200 materialized, 2 stale`), the first and
last batch under it and a legend. Every status also has its own glyph, so the strip never
depends on colour alone.

The cells wrap to the width they get, at most `MAX_ROWS` lines: when there are more batches
than fit (1,000 batches at 80 columns), one cell stands for several consecutive batches and
shows the worst of them (a failed batch is never hidden by its green neighbours); the legend
says how many batches a cell holds. The bar is a Rich renderable measured at render time, so
it follows the terminal's width on every resize without Python layout code.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import Static

from lakehouse_tui.core.partitions import PartitionSummary

MAX_ROWS = 3
MAX_CELL_WIDTH = 3
# status -> (glyph, style); the statuses `core.partitions.summarize` gives a listed batch
CELLS: dict[str, tuple[str, str]] = {
    "materialized": ("█", "green"),
    "stale": ("▓", "yellow"),
    "missing": ("░", "yellow"),
    "failed": ("✗", "bold red"),
}
# worst first: a cell standing for several batches shows the worst of them
SEVERITY = ("failed", "stale", "missing", "materialized")
RANK = {status: rank for rank, status in enumerate(SEVERITY)}


def batches_per_cell(count: int, width: int, max_rows: int = MAX_ROWS) -> int:
    """1 while every batch fits in `max_rows` lines of `width` cells, else the fewest batches
    per cell that make them fit."""
    room = max(1, width) * max_rows
    return 1 if count <= room else math.ceil(count / room)


def cell_width(count: int, width: int) -> int:
    """A few batches get wider cells (up to 3 columns), so the strip is not a speck."""
    return max(1, min(MAX_CELL_WIDTH, width // max(1, count)))


def cell_statuses(statuses: Sequence[str], per_cell: int) -> list[str]:
    """The status each cell shows: the worst of the batches it stands for."""
    return [
        min(statuses[start : start + per_cell], key=lambda s: RANK.get(s, 1))
        for start in range(0, len(statuses), per_cell)
    ]


class PartitionBar:
    """The cells, the first and last batch under them and the legend, at the width given."""

    def __init__(self, keys: Sequence[str], statuses: Sequence[str]) -> None:
        self.keys = list(keys)
        self.statuses = list(statuses)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        width = max(1, options.max_width)
        per_cell = batches_per_cell(len(self.statuses), width)
        cells = cell_statuses(self.statuses, per_cell)
        size = cell_width(len(cells), width)
        per_line = width // size
        for start in range(0, len(cells), per_line):
            line = Text(no_wrap=True, overflow="crop")
            for status in cells[start : start + per_line]:
                glyph, style = CELLS.get(status, ("?", ""))
                line.append(glyph * size, style)
            yield line
        if self.keys:
            yield self.ends(min(width, len(cells) * size))
        yield from self.legend(per_cell, width)

    def ends(self, width: int) -> Text:
        """The first batch on the left, the last on the right, when both fit."""
        first, last = self.keys[0], self.keys[-1]
        if len(self.keys) == 1:
            return Text(first, "dim", no_wrap=True, overflow="ellipsis")
        gap = width - len(first) - len(last)
        if gap < 1:
            return Text(f"{first} … {last}", "dim", no_wrap=True, overflow="ellipsis")
        return Text(first + " " * gap + last, "dim", no_wrap=True)

    def legend(self, per_cell: int, width: int) -> Iterator[Text]:
        """`█ materialized  ▓ stale  ░ missing  ✗ failed`, wrapped between items only."""
        items = []
        for status in ("materialized", "stale", "missing", "failed"):
            glyph, style = CELLS[status]
            items.append(Text.assemble((glyph, style), (f" {status}", "dim")))
        if per_cell > 1:
            items.append(Text(f"1 cell = {per_cell} batches (worst shown)", "dim"))
        line = Text(no_wrap=True, overflow="ellipsis")
        for item in items:
            if line.cell_len and line.cell_len + 2 + item.cell_len > width:
                yield line
                line = Text(no_wrap=True, overflow="ellipsis")
            if line.cell_len:
                line.append("  ")
            line.append_text(item)
        yield line


def strip(summary: PartitionSummary) -> RenderableType:
    """The counts line and the bar of one asset's partitions."""
    counts = Text.assemble(("Partitions  ", "bold"), summary.describe())
    if not summary.statuses:
        return Group(counts, Text("No batches yet: the raw dir holds no validated files.", "dim"))
    keys = [p.key for p in summary.statuses]
    return Group(counts, PartitionBar(keys, [p.status for p in summary.statuses]))


class PartitionStrip(Static):
    """Shown on the Overview of a partitioned asset; hidden for the others."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-none")
        self.summary: PartitionSummary | None = None

    def show(self, summary: PartitionSummary | None) -> None:
        self.summary = summary
        self.set_class(summary is None, "-none")
        self.update(strip(summary) if summary is not None else "")
