"""`lakehouse-tui status [--json]`: every asset with its status, freshness and checks."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "status",
        help="print every asset with its status",
        description="Every asset with its status, when it last materialized, its row count, "
        "its checks and whether (and why) it is stale. Reads the run store; runs nothing.",
    )
    parser.add_argument("--json", action="store_true", dest="status_json", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.asset_status import asset_statuses
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.formatting import age

    workspace = Workspace.open(config)
    try:
        statuses = asset_statuses(workspace)
    finally:
        workspace.close()
    if args.status_json:
        print(json.dumps([s.to_dict() for s in statuses], indent=2, default=str))
        return 0
    now = time.time()
    width = max(len(s.key) for s in statuses)
    header = f"{'asset':<{width}}  {'status':<13} {'materialized':<13} {'rows':>12}  "
    print(header + f"{'checks':<14} stale")
    for s in statuses:
        when = f"{age(now - s.materialized_at)} ago" if s.materialized_at else "never"
        rows = f"{s.rows:,}" if isinstance(s.rows, int) else "-"
        checks = s.checks_summary or "-"
        print(
            f"{s.key:<{width}}  {s.status:<13} {when:<13} {rows:>12}  {checks:<14} "
            f"{s.stale_reason if s.stale else 'no'}"
        )
    for s in statuses:
        if s.kind == "postgres":
            print(f"{s.key} lives in PostgreSQL: {s.location}")
    for s in statuses:
        for problem in s.check_problems:
            print_check_problem(s.key, problem)
    return 0


def print_check_problem(key: str, problem: dict[str, Any]) -> None:
    """A failing or warning check with the first rows it found, like dbt's store_failures."""
    failures = problem.get("failures")
    found = f", {failures} failing row(s)" if failures is not None else ""
    print(f"\ncheck {problem['check']} on {key}: {problem['status']}{found}")
    if problem.get("message"):
        print(f"  {problem['message']}")
    sample = problem.get("failing_rows")
    if not sample:
        return
    columns = [str(c) for c in sample["columns"]]
    cells = [["NULL" if v is None else str(v) for v in row] for row in sample["rows"]]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    if failures is not None and failures > len(cells):
        print(f"  ... first {len(cells)} of {failures}")
