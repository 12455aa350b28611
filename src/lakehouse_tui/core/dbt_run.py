"""Run dbt in-process through dbtRunner and report its node events as they happen.

Importing this module imports dbt (over a second): only the executor does, and only when a
dbt step is about to run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dbt.cli.main import dbtRunner

from lakehouse_tui.core import dbt_startup
from lakehouse_tui.core.dbt_setup import DbtSetup

LOG_LEVELS = ("info", "warn", "error")


@dataclass(frozen=True)
class NodeEvent:
    """A dbt node started or finished. `status` is dbt's: success, error, skipped, pass,
    fail, warn."""

    kind: str  # started | finished
    unique_id: str
    resource_type: str
    status: str
    message: str
    failures: int | None
    seconds: float


@dataclass(frozen=True)
class DbtOutcome:
    success: bool
    error: str | None


def _node_event(kind: str, data: Any) -> NodeEvent:
    info = data.node_info
    result = getattr(data, "run_result", None)
    return NodeEvent(
        kind=kind,
        unique_id=info.unique_id,
        resource_type=info.resource_type,
        status=(result.status if result is not None else info.node_status) or "",
        message=(result.message if result is not None else "") or "",
        failures=(result.num_failures if result is not None else None),
        seconds=(result.execution_time if result is not None else 0.0),
    )


def release_duckdb() -> None:
    """Close dbt-duckdb's process-wide DuckDB handle so the warehouse file is free again.

    dbt-duckdb keeps one DuckDB instance per process across invocations; left open it holds
    the file lock and keeps a stale view of the database.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a hard dependency
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        try:
            environment.close()
        finally:
            DuckDBConnectionManager.close_all_connections()


def build(
    setup: DbtSetup,
    *,
    select: Sequence[str],
    target: str,
    manifest: Any | None,
    on_node: Callable[[NodeEvent], None],
    on_log: Callable[[str | None, str, str], None],
) -> DbtOutcome:
    """`dbt build --select ...` on one target; node events and log lines go to callbacks."""

    def callback(message: Any) -> None:
        name = message.info.name
        if name == "NodeStart":
            on_node(_node_event("started", message.data))
        elif name == "NodeFinished":
            on_node(_node_event("finished", message.data))
        level = message.info.level
        if level in LOG_LEVELS and message.info.msg:
            node_info = getattr(message.data, "node_info", None)
            unique_id = node_info.unique_id if node_info is not None else None
            on_log(unique_id or None, level, message.info.msg)

    setup.apply_env()
    args = setup.args("build", "--select", *select, "--log-level", "none", target=target)
    # Events reach us through the callback: skip writing run_results.json and re-serialising
    # the manifest we passed in (a third of a second on every run).
    args += ["--log-level-file", "info", "--no-write-json"]
    dbt_startup.install(setup.target_path.parent)
    runner = dbtRunner(manifest=manifest, callbacks=[callback])
    try:
        result = runner.invoke(args)
    finally:
        release_duckdb()
        dbt_startup.save()
    if isinstance(result.exception, KeyboardInterrupt):
        raise KeyboardInterrupt  # dbt caught our cancel; hand it back to the executor
    if result.exception is not None:
        lines = str(result.exception).strip().splitlines()
        return DbtOutcome(False, lines[0] if lines else type(result.exception).__name__)
    return DbtOutcome(bool(result.success), None)
