"""The runs screen's page of one run, under its timeline: what was asked (selection, job,
partitions) and the plan it ran, step by step, as the store recorded it at the start.

Plain rich `Text` (names from the store are data, never markup); no Textual.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from lakehouse_tui.core.records import RunRecord


def _partitions(run: RunRecord) -> str:
    """The run's partitions, when the store has them (issue 15): "B-01, B-02" or ""."""
    value: Any = getattr(run, "partitions", None)
    if not value:
        return ""
    if isinstance(value, dict):
        value = (
            value.get("keys") or value.get("partitions") or [f"{k}={v}" for k, v in value.items()]
        )
    if isinstance(value, list | tuple):
        shown = ", ".join(str(v) for v in value[:8])
        return shown + (f" and {len(value) - 8} more" if len(value) > 8 else "")
    return str(value)


def run_page(run: RunRecord) -> Text:
    text = Text()
    text.append("\nasked  ", style="bold")
    text.append(f"selection {run.selection}")
    if run.job:
        text.append(f", job {run.job}")
    partitions = _partitions(run)
    text.append(f"\n       partitions {partitions or 'all (not partitioned)'}")
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
