"""`lakehouse-tui status --partitions ASSET [--json]`: one asset's batches, one line each."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from lakehouse_tui.errors import UsageError

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace


def print_partitions(workspace: Workspace, key: str, as_json: bool, now: float) -> int:
    from lakehouse_tui.formatting import age

    if key not in workspace.graph.assets:
        raise UsageError(f"unknown asset {key!r}; `lakehouse-tui status` lists the assets")
    summaries = workspace.partition_summaries(key)
    if key not in summaries:
        raise UsageError(
            f"{key} is not partitioned (it is rebuilt whole); partitioned assets: "
            + ", ".join(workspace.partition_summaries())
        )
    summary = summaries[key]
    if as_json:
        document = {
            "asset": key,
            "summary": summary.describe(),
            "counts": summary.counts(),
            "partitions": [asdict(p) for p in summary.statuses],
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"{key}: {summary.describe()}")
    if not summary.statuses:
        return 0
    width = max(len(p.key) for p in summary.statuses)
    print(f"{'partition':<{width}}  {'status':<12} {'rows':>10}  {'from':<19}  {'to':<19}  updated")
    for p in summary.statuses:
        rows = f"{p.rows:,}" if p.rows is not None else "-"
        when = f"{age(now - p.updated_at)} ago" if p.updated_at else "never"
        print(
            f"{p.key:<{width}}  {p.status:<12} {rows:>10}  {p.ts_min or '-':<19}  "
            f"{p.ts_max or '-':<19}  {when}" + (f"  {p.reason}" if p.reason else "")
        )
    return 0
