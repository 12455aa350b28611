"""Pieces of the asset detail's tabs as Rich renderables: key-value tables, status text,
data cells, column lineage and a failed check's first rows. External text is data, never
markup (every value goes in as `Text`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.store import CheckResult


def kv_table() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def names_text(names: Sequence[str]) -> Text:
    """Asset names one per line, each whole or cut with an ellipsis, never broken mid-word
    (`fact_bioreactor_batch_stat` / `s,` at 80 columns)."""
    return Text("\n".join(names) or "-", no_wrap=True, overflow="ellipsis")


def lineage_line(key: str, column: str, sources: Any) -> Text:
    """`mart.avg_value ← fact.avg_value`; names are data, never markup."""
    line = Text.assemble((f"{key}.{column}", "bold"), " ← ")
    if sources:
        line.append(", ".join(f"{s.asset}.{s.column}" for s in sources))
    else:
        line.append("(no upstream column: computed from the rows, e.g. count(*))", style="dim")
    return line


def status_text(status: str) -> Text:
    return Text.assemble((f"{fmt.glyph(status)} {status.replace('_', ' ')}", fmt.style(status)))


def cell_text(value: Any) -> Text:
    """A data value as plain text (a value like `[/] oops` is data, not markup)."""
    if value is None:
        return Text("∅", style="dim")
    if isinstance(value, float):
        return Text(f"{value:.4g}")
    return Text(str(value))


def failing_rows(results: Sequence[CheckResult]) -> RenderableType:
    """The first rows each failed or warning check found (values as plain text)."""
    parts: list[RenderableType] = []
    for result in results:
        if result.sample is None or result.status not in ("fail", "error", "warn"):
            continue
        found = f" ({result.failures} failing)" if result.failures is not None else ""
        parts.append(Text(f"{result.check_name}: {result.status}{found}", fmt.style(result.status)))
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in result.sample.columns:
            table.add_column(Text(column))
        for row in result.sample.rows:
            table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
        parts.append(table)
    if not parts:
        return Text("")
    return Group(Text("First failing rows", style="bold"), *parts)
