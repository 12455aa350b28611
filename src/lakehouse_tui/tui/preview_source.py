"""Where the Preview tab reads an asset's first rows from (no Textual here).

A DuckDB model is read with a short-lived read-only connection to the warehouse; a mart on
PostgreSQL from the server (its password from the env var the config names). The loader runs
in the detail's preview worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lakehouse_tui import formatting as fmt
from lakehouse_tui.tui import data
from lakehouse_tui.tui.data import Preview

if TYPE_CHECKING:
    from lakehouse_tui.core.workspace import Workspace


def preview_source(workspace: Workspace, key: str) -> tuple[str, Callable[[], Preview] | None]:
    """(what the tab says meanwhile, the loader), or (why there is nothing, None)."""
    asset = workspace.graph.assets.get(key)
    if asset is not None and asset.kind == "raw":
        raw_dir = workspace.config.lake.raw_dir
        return (
            f"Reading the newest file in {fmt.home_paths(str(raw_dir))}…",
            lambda: data.load_raw_preview(raw_dir, key),
        )
    if asset is None or not asset.relation:
        return "No table to preview: select a dbt model.", None
    config = workspace.config
    if asset.kind == "postgres":
        pg = config.postgres
        table = asset.relation.split(".")[-1]
        return (
            f"Loading the first rows from {pg.location()}…",
            lambda: data.load_postgres_preview(pg, key, table),
        )
    relation, warehouse = asset.relation, config.lake.warehouse
    return (
        f"Loading the first rows of {relation}…",
        lambda: data.load_preview(warehouse, key, relation),
    )
