"""The runs screen's page of one run, under its timeline: what was asked (selection, job,
the partitions it processed, `RunStore.run_partitions`) and the plan it ran, step by step,
as the store recorded it at the start.

Plain rich `Text` (names from the store are data, never markup); no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from lakehouse_tui.core.records import RunRecord


def _partitions(partitions: Sequence[str]) -> str:
    """The batches the run processed (issue 15): "B-01, B-02 (2)", the first 8 of many."""
    if not partitions:
        return "none recorded (whole tables)"
    shown = ", ".join(partitions[:8])
    more = f" and {len(partitions) - 8} more" if len(partitions) > 8 else ""
    return f"{shown}{more} ({len(partitions)})"


def run_page(run: RunRecord, partitions: Sequence[str] = ()) -> Text:
    text = Text()
    text.append("\nasked  ", style="bold")
    text.append(f"selection {run.selection}")
    if run.job:
        text.append(f", job {run.job}")
    text.append(f"\n       partitions {_partitions(partitions)}")
    text.append("\nplan   ", style="bold")
    if not run.plan:
        text.append("(none recorded: nothing was selected, or the run stopped before it)", "dim")
    for number, step in enumerate(run.plan, start=1):
        if number > 1:
            text.append("\n       ")
        name = str(step.get("name", "?"))
        assets = step.get("assets") or []
        kind = str(step.get("kind", ""))
        text.append(f"{number}. {name}", style="bold")
        if kind == "publish":
            tables = step.get("publish_tables") or assets
            text.append(f": copy {', '.join(str(t) for t in tables)} to PostgreSQL")
        else:
            text.append(f": {', '.join(str(a) for a in assets)}")
    return text
