"""`lakehouse-tui status [--json] [--check] [--partitions ASSET]`: every asset with its status,
freshness, checks and partition counts; or one asset's partitions.

`--check` is for cron, monitoring and CI: exit 0 when every asset with a `[freshness]` policy
is fresh and nothing failed, else exit 1 with one line per overdue or failing asset.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config
    from lakehouse_tui.core.asset_status import AssetStatus
    from lakehouse_tui.core.freshness import Freshness


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "status",
        help="print every asset with its status",
        description="Every asset with its status, when it last materialized, its row count, "
        "its checks and whether (and why) it is stale. Reads the run store; runs nothing.",
    )
    parser.add_argument("--json", action="store_true", dest="status_json", help="print JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        dest="status_check",
        help="exit 1 with one line per overdue ([freshness]) or failing asset, 0 when none",
    )
    parser.add_argument(
        "--partitions",
        metavar="ASSET",
        dest="status_partitions",
        help="list the asset's partitions (batches) with their status, rows and time range",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.core.asset_status import asset_statuses
    from lakehouse_tui.core.freshness import evaluate
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.formatting import age

    now = time.time()
    workspace = Workspace.open(config)
    if args.status_partitions is not None:
        from lakehouse_tui.commands.status_partitions import print_partitions

        try:
            return print_partitions(workspace, args.status_partitions, args.status_json, now)
        finally:
            workspace.close()
    try:
        statuses = asset_statuses(workspace)
        fresh = evaluate(
            workspace.graph,
            config.freshness,
            {s.key: s.materialized_at for s in statuses},
            config.lake.raw_dir,
            now,
        )
    finally:
        workspace.close()
    if args.status_check:
        return _check(statuses, fresh, args.status_json)
    if args.status_json:
        entries = [{**s.to_dict(), "freshness": fresh[s.key].to_dict()} for s in statuses]
        print(json.dumps(entries, indent=2, default=str))
        return 0
    width = max(len(s.key) for s in statuses)
    header = f"{'asset':<{width}}  {'status':<13} {'materialized':<13} {'rows':>12}  "
    print(header + f"{'checks':<14} {'freshness':<16} stale")
    for s in statuses:
        when = f"{age(now - s.materialized_at)} ago" if s.materialized_at else "never"
        rows = f"{s.rows:,}" if isinstance(s.rows, int) else "-"
        checks = s.checks_summary or "-"
        print(
            f"{s.key:<{width}}  {s.status:<13} {when:<13} {rows:>12}  {checks:<14} "
            f"{fresh[s.key].describe():<16} {s.stale_reason if s.stale else 'no'}"
        )
    for s in statuses:
        if s.partition_counts and s.partition_counts["total"]:
            print(f"{s.key}: partitions {s.partitions}")
    for s in statuses:
        if s.kind == "postgres":
            print(f"{s.key} lives in PostgreSQL: {s.location}")
    for s in statuses:
        for problem in s.check_problems:
            print_check_problem(s.key, problem)
    return 0


FAILED = {
    "failed": "its last materialization failed",
    "check_failed": "a check failed",
}


def _check(statuses: list[AssetStatus], fresh: dict[str, Freshness], as_json: bool) -> int:
    problems: list[dict[str, str]] = []
    for s in statuses:
        if s.status in FAILED:
            failing = ", ".join(str(p["check"]) for p in s.check_problems if p["status"] != "warn")
            why = FAILED[s.status] + (f" ({failing})" if failing else "")
            problems.append(
                {"asset": s.key, "problem": "failed", "line": f"failed: {s.key}: {why}"}
            )
        if fresh[s.key].state == "overdue":
            line = fresh[s.key].problem()
            problems.append({"asset": s.key, "problem": "overdue", "line": line})
    with_policy = sum(1 for f in fresh.values() if f.state != "no policy")
    if as_json:
        document = {
            "ok": not problems,
            "problems": problems,
            "freshness": [f.to_dict() for f in fresh.values() if f.state != "no policy"],
        }
        print(json.dumps(document, indent=2))
    elif problems:
        for problem in problems:
            print(problem["line"])
    else:
        print(f"ok: {with_policy} asset(s) with a [freshness] policy are fresh; nothing failed")
    return 1 if problems else 0


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
