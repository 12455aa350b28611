"""The History tab: rows, duration and the data's time range per materialization, plotted
against the time of each materialization with labelled axes, above the table of them.

The plots are drawn by `tui.chart` to the widget's size on every render, so they fit 80x24
and use the room at 160x48. A constant series (the same row count every run) is a line at
mid-height labelled with its value, never a line at the bottom that reads as zero.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.store import Materialization
from lakehouse_tui.tui import chart


@dataclass(frozen=True)
class Series:
    """Points to plot: x = when materialized; y = a value, or a range (lows to highs)."""

    xs: list[float]
    lows: list[float]
    highs: list[float] | None
    y_label: Callable[[float], str]
    missing: str  # what to say when there is nothing to plot


def parse_data_time(value: object) -> float | None:
    """A metadata timestamp (`2026-01-05 06:00:00`, the data's own clock) as seconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return float(calendar.timegm(parsed.utctimetuple()))


def data_time_label(span: float) -> Callable[[float], str]:
    pattern = "%H:%M" if span < 86400 else "%m-%d %H:%M"
    return lambda seconds: time.strftime(pattern, time.gmtime(seconds))


def series(history: Sequence[Materialization]) -> dict[str, Series]:
    """The three plots' points from materializations, oldest first."""
    rows = [(m.ts, m.metadata.get("rows")) for m in history]
    rows_points = [(ts, float(v)) for ts, v in rows if isinstance(v, int | float)]
    durations = [(m.ts, float(m.duration)) for m in history if m.duration is not None]
    ranges = []
    for m in history:
        low, high = (
            parse_data_time(m.metadata.get("ts_min")),
            parse_data_time(m.metadata.get("ts_max")),
        )
        if low is not None and high is not None:
            ranges.append((m.ts, low, high))
    span = max((r[2] for r in ranges), default=0.0) - min((r[1] for r in ranges), default=0.0)
    never = "never materialized" if not history else ""
    return {
        "rows": Series(
            [p[0] for p in rows_points],
            [p[1] for p in rows_points],
            None,
            lambda v: f"{v:,.0f}",
            never or "no row counts recorded for this asset",
        ),
        "duration": Series(
            [p[0] for p in durations],
            [p[1] for p in durations],
            None,
            fmt.duration,
            never or "no durations recorded",
        ),
        "range": Series(
            [r[0] for r in ranges],
            [r[1] for r in ranges],
            [r[2] for r in ranges],
            data_time_label(span),
            never or "no time range recorded for this asset (its data has no timestamps)",
        ),
    }


class HistoryPlot(Widget):
    """One plot with a title line; drawn to the widget's size."""

    COLOURS: ClassVar[dict[str, str]] = {"rows": "cyan", "duration": "magenta", "range": "green"}

    def __init__(self, kind: str, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="history-plot")
        self.kind = kind
        self.title = title
        self.data: Series | None = None

    def show(self, data: Series) -> None:
        self.data = data
        self.refresh()

    @property
    def plot(self) -> chart.Plot | None:
        """The plot as drawn at the widget's size (None with nothing to plot)."""
        if self.data is None or not self.data.xs:
            return None
        return chart.plot(
            self.data.xs,
            self.data.lows,
            self.data.highs,
            width=self.size.width,
            height=self.size.height - 1,
            y_label=self.data.y_label,
        )

    def render(self) -> RenderableType:
        title = Text(self.title, style="bold")
        drawn = self.plot
        if drawn is None:
            missing = self.data.missing if self.data else ""
            return Text.assemble(title, "\n", (missing, "dim"))
        title.append(f"  ({len(self.data.xs) if self.data else 0})", style="dim")
        title.truncate(self.size.width, overflow="ellipsis")  # one line, or the axis moves
        text = Text.assemble(title, "\n")
        colour = self.COLOURS[self.kind]
        for number, row in enumerate(drawn.rows):
            line = Text(row, style="dim")
            if number < drawn.height:
                line.stylize(f"not dim {colour}", drawn.left, drawn.left + drawn.width)
            text.append_text(line)
            text.append("\n")
        text.rstrip()
        return text


class HistoryView(VerticalScroll):
    """Three plots, then every materialization in a table (newest first)."""

    def __init__(self, *, clock: Callable[[], float], id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield HistoryPlot("rows", "rows per materialization", id="history-rows")
        yield HistoryPlot("duration", "duration", id="history-duration")
        yield HistoryPlot("range", "time range of the data", id="history-range")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def show(self, materializations: Sequence[Materialization], *, group: bool = False) -> None:
        """`materializations` newest first, as the store returns them; a group asset has
        none of its own."""
        for kind, data in series(list(reversed(materializations))).items():
            if group:
                data = Series([], [], None, data.y_label, "a group asset: select one of its models")
            self.query_one(f"#history-{kind}", HistoryPlot).show(data)
        table = self.query_one("#history-table", DataTable)
        table.clear(columns=True)
        table.add_columns("when", "run", "duration", "rows", "data from", "data to")
        now = self.clock()
        for m in materializations:
            table.add_row(
                f"{fmt.age(now - m.ts)} ago",
                Text(m.run_id),
                fmt.duration(m.duration),
                fmt.rows(m.metadata.get("rows")),
                Text(str(m.metadata.get("ts_min") or "-")),
                Text(str(m.metadata.get("ts_max") or "-")),
            )
        if not materializations:
            table.add_row("never", "-", "-", "-", "-", "-")
