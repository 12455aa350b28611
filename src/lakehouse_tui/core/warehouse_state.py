"""Does the warehouse still hold what the run history says it does?

After `rm warehouse.duckdb`, or restoring an older copy, the run store alone would call every
model fresh. So every run marks each relation it built with a DuckDB comment naming the run
(`lakehouse-tui run <id>`), and staleness compares the marks with the latest
materializations: a missing relation, a mark from another run, or none at all makes the
asset stale, with the reason.

Kept cheap for the no-op run: after a check found everything in order, the warehouse file's
identity (inode, size, mtime) is saved in the state dir; while the file is unchanged the next
check is one `stat`, without importing DuckDB. Any change (a run, a restore) means one
read-only look (~25 ms, plus DuckDB's import where nothing imported it yet).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.store import Materialization

MARK = "lakehouse-tui run "
STAMP_FILE = "warehouse-stamp.json"


def mark_built(connection: Any, graph: AssetGraph, keys: Iterable[str], run_id: str) -> None:
    """Comment each DuckDB relation just built with the run that built it."""
    from lakehouse_tui.core.warehouse import relation_sql

    comment = (MARK + run_id).replace("'", "''")
    for key in keys:
        asset = graph.assets[key]
        kind = "VIEW" if asset.materialized == "view" else "TABLE"
        connection.execute(f"COMMENT ON {kind} {relation_sql(str(asset.relation))} IS '{comment}'")


def _stamp(path: Path) -> dict[str, Any] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return {"path": str(path), "ino": stat.st_ino, "size": stat.st_size, "mtime": stat.st_mtime_ns}


def _saved_stamp(state_dir: Path) -> dict[str, Any] | None:
    try:
        saved = json.loads((state_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def _save_stamp(state_dir: Path, stamp: dict[str, Any]) -> None:
    # Only a shortcut: when it cannot be saved, the next check looks into the warehouse again.
    with suppress(OSError):
        (state_dir / STAMP_FILE).write_text(json.dumps(stamp), encoding="utf-8")


def _marks(path: Path) -> dict[str, str | None] | None:
    """Every relation in the warehouse with its lakehouse-tui run id (None when unmarked);
    None when the warehouse cannot be looked into now (a run holds it)."""
    import duckdb

    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = connection.execute(
            "select schema_name || '.' || table_name, comment from duckdb_tables() "
            "where not internal union all "
            "select schema_name || '.' || view_name, comment from duckdb_views() "
            "where not internal"
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        connection.close()
    return {
        relation: comment[len(MARK) :]
        if isinstance(comment, str) and comment.startswith(MARK)
        else None
        for relation, comment in rows
    }


def problems(
    graph: AssetGraph, latest: Mapping[str, Materialization], warehouse: Path, state_dir: Path
) -> dict[str, str]:
    """Why each materialized DuckDB asset is not what its latest materialization recorded;
    empty when all are, or when the warehouse cannot be looked into right now."""
    recorded = {
        key: latest[key]
        for key, asset in graph.assets.items()
        if asset.kind == "duckdb" and asset.relation and key in latest
    }
    if not recorded:
        return {}
    name = warehouse.name
    stamp = _stamp(warehouse)
    if stamp is None:
        return {key: f"{name} is missing (deleted or moved?)" for key in recorded}
    if _saved_stamp(state_dir) == stamp:
        return {}
    marks = _marks(warehouse)
    if marks is None:
        return {}
    result: dict[str, str] = {}
    for key, materialization in recorded.items():
        relation = str(graph.assets[key].relation)
        if relation not in marks:
            result[key] = f"{name} has no {relation}"
            continue
        mark = marks[relation]
        if mark == materialization.run_id:
            continue
        if mark is None:
            result[key] = (
                f"{relation} in {name} has no lakehouse-tui mark (built outside lakehouse-tui "
                "or by an older version)"
            )
        elif mark < materialization.run_id:  # run ids start with their UTC start time
            result[key] = f"{name} was replaced by an older copy ({relation} is from run {mark})"
        else:
            result[key] = f"{relation} in {name} is from run {mark}, not the one recorded"
    if not result:
        _save_stamp(state_dir, stamp)
    return result
