"""Where each column of a dbt model comes from, read from the model's compiled SQL.

One function, `model_lineage`, serves both the OpenLineage `columnLineage` facet and the
TUI's Definition tab, so the two never disagree. The SQL is dbt's own compile of the model
as its last build wrote it (`<target>/compiled/<project>/<model path>`); sqlglot parses it
in the target's dialect (DuckDB or PostgreSQL) with the upstream tables' columns from the
manifest, so `select *`-free joins resolve. `read_parquet(...)` of the raw dir stands for the
raw asset. sqlglot is imported only here and only when a model's SQL changed: results are
cached on disk by the SQL's hash, beside the compiled files.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakehouse_tui.core.assets import RAW_ASSET
from lakehouse_tui.core.raw import EXPECTED_COLUMNS

if TYPE_CHECKING:
    from lakehouse_tui.core.dbt_setup import DbtSetup
    from lakehouse_tui.core.graph import AssetGraph

CACHE_FILE = "lakehouse_tui_column_lineage.json"
VERSION = 1  # of how lineage is traced: a change here invalidates the cache
RAW_RELATION = ("lakehouse_tui_raw", "raw_files")  # what read_parquet(...) is renamed to
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres"}


@dataclass(frozen=True)
class ColumnSource:
    """One upstream column: the asset it belongs to and its name there."""

    asset: str
    column: str


Lineage = dict[str, tuple[ColumnSource, ...]]  # output column -> where it comes from


def compiled_sql(setup: DbtSetup, path: str | None, target: str) -> str | None:
    """The model's SQL as dbt last compiled it for `target`, or None before its first build."""
    if not path:
        return None
    compiled = setup.target_path_for(target) / "compiled"
    for candidate in sorted(compiled.glob(f"*/{path}")):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def model_lineage(graph: AssetGraph, setup: DbtSetup, key: str, target: str) -> Lineage | None:
    """Column lineage of dbt model `key` built on `target`; None when it was not compiled
    yet or sqlglot cannot follow its SQL."""
    asset = graph.assets[key]
    sql = compiled_sql(setup, asset.path, target)
    if sql is None:
        return None
    tables = upstream_tables(graph, key)
    shape = [VERSION, sql, target, sorted(tables.items())]
    digest = hashlib.sha256(json.dumps(shape).encode()).hexdigest()
    cache = setup.target_path_for(target) / CACHE_FILE
    entries = _read_cache(cache)
    entry = entries.get(key)
    if isinstance(entry, dict) and entry.get("hash") == digest:
        return _decode(entry["lineage"])
    lineage = trace(sql, DIALECTS.get(target, "duckdb"), tables)
    entries[key] = {"hash": digest, "lineage": _encode(lineage) if lineage is not None else None}
    _write_cache(cache, entries)
    return lineage


def upstream_tables(graph: AssetGraph, key: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """`schema.table` -> (asset key, its columns) of every direct upstream asset."""
    tables: dict[str, tuple[str, tuple[str, ...]]] = {}
    for up in graph.upstream(key, depth=1):
        asset = graph.assets[up]
        if asset.key == RAW_ASSET:
            tables[".".join(RAW_RELATION)] = (up, EXPECTED_COLUMNS)
        elif asset.relation:
            tables[asset.relation] = (up, tuple(c.name for c in asset.columns))
    return tables


def trace(sql: str, dialect: str, tables: dict[str, tuple[str, tuple[str, ...]]]) -> Lineage | None:
    """Follow every output column of `sql` to the columns of `tables` it is computed from."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.lineage import lineage

    try:
        tree = sqlglot.parse_one(sql, dialect=dialect)
    except SqlglotError:
        return None

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier):  # read_parquet(...): the raw files
                db, name = RAW_RELATION
                return exp.Table(
                    this=exp.to_identifier(name),
                    db=exp.to_identifier(db),
                    alias=node.args.get("alias"),
                )
            node.set("catalog", None)  # "warehouse"."curated"."dim_batch" -> curated.dim_batch
        return node

    tree = tree.transform(rename)
    schema = _schema(tables)
    try:
        nodes = lineage(None, tree, schema=schema, dialect=dialect)
    except (SqlglotError, KeyError, ValueError):
        return None
    if not isinstance(nodes, dict):
        return None
    result: Lineage = {}
    for column, node in nodes.items():
        sources: list[ColumnSource] = []
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.source, exp.Table):
                continue
            relation = f"{leaf.source.db}.{leaf.source.name}"
            upstream = tables[relation][0] if relation in tables else None
            name = leaf.name.rpartition(".")[2]
            source = ColumnSource(upstream, name) if upstream and name != "*" else None
            if source is not None and source not in sources:
                sources.append(source)
        # sqlglot's walk order varies between runs: sorted, so the tab and the events agree.
        result[column] = tuple(sorted(sources, key=lambda s: (s.asset, s.column)))
    return result


def _schema(
    tables: dict[str, tuple[str, tuple[str, ...]]],
) -> dict[str, dict[str, dict[str, str]]]:
    """sqlglot's schema of the upstream tables; lineage needs the names, not the types."""
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for relation, (_, columns) in tables.items():
        db, _, table = relation.partition(".")
        schema.setdefault(db, {})[table] = {column: "unknown" for column in columns}
    return schema


def _encode(lineage: Lineage) -> dict[str, list[list[str]]]:
    return {col: [[s.asset, s.column] for s in sources] for col, sources in lineage.items()}


def _decode(data: Any) -> Lineage | None:
    if data is None:
        return None
    return {col: tuple(ColumnSource(a, c) for a, c in sources) for col, sources in data.items()}


def _read_cache(path: Any) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Any, entries: dict[str, Any]) -> None:
    try:
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries), encoding="utf-8")
        temporary.replace(path)  # a reader never sees half a file
    except OSError:
        pass  # a cache: the next call computes it again
