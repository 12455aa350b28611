"""Run dbt in-process through dbtRunner and report its node events as they happen.

Importing this module imports dbt (over a second): only the executor does, and only when a
dbt step is about to run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dbt.cli.main import dbtRunner

from lakehouse_tui.core import dbt_startup
from lakehouse_tui.core.dbt_setup import DUCKDB_TARGET, DbtSetup

LOG_LEVELS = ("info", "warn", "error")
# dbt colours its messages (`[\x1b[32mOK\x1b[0m in 0.19s]`); the run store keeps plain text.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def plain(text: str) -> str:
    """`text` without terminal escape sequences."""
    return ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


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


class BlockDownstream(Exception):
    """Raised by an `on_node` callback on a model's NodeFinished: dbt then records the node
    as errored and skips everything downstream of it, as it does after a failed test node.
    The executor raises it when a blocking check of that model failed."""

    MARKER = "lakehouse-tui: blocking check failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.MARKER}: {reason}")


class CallbackFailed(Exception):
    """Raised on every NodeFinished after one of our callbacks failed, so that dbt stops
    starting nodes downstream; the original failure is raised after dbt returned."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(f"lakehouse-tui: stopping dbt after an error: {cause}")


# dbt's first line only says where ("Runtime Error in model stg_bioreactor (models/...)");
# the engine's own words (Conversion Error, Out of Memory Error, IO Error) follow it.
_WHERE = re.compile(r"^\w+ Error in \w+ \S+( \(.*\))?:?$")
_SOURCE_POINTER = re.compile(r"^(LINE \d+:|\^+$)")


def cause_line(message: str) -> str:
    """The line of a dbt error message that says what went wrong: the first line after
    dbt's "<kind> Error in <node>" heading, else the first line. Empty for no message."""
    lines = [line.strip() for line in plain(message).splitlines() if line.strip()]
    if not lines:
        return ""
    if _WHERE.match(lines[0]):
        for line in lines[1:]:
            if not _SOURCE_POINTER.match(line):
                return line
    return lines[0]


def _node_event(kind: str, data: Any) -> NodeEvent:
    info = data.node_info
    result = getattr(data, "run_result", None)
    return NodeEvent(
        kind=kind,
        unique_id=info.unique_id,
        resource_type=info.resource_type,
        status=(result.status if result is not None else info.node_status) or "",
        message=plain((result.message if result is not None else "") or ""),
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


def warehouse_connection() -> Any | None:
    """dbt-duckdb's open DuckDB connection during (and right after) an invocation, else
    None. Its `cursor()` gives another connection to the same database, usable from any
    thread while dbt holds the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    return getattr(environment, "conn", None) if environment is not None else None


def _invoke(
    setup: DbtSetup,
    args: list[str],
    *,
    manifest: Any | None,
    callbacks: Sequence[Callable[[Any], None]] = (),
    before_release: Callable[[], None] | None = None,
) -> Any:
    """One dbtRunner invocation with our start-up shortcuts, the warehouse released after."""
    setup.apply_env()
    dbt_startup.install(setup.target_path.parent)
    # dbt.log lives in the state dir: when that disk is full, logging would print a
    # traceback per line to stderr. The run store's own failure says what happened.
    report_logging_errors, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        # Skip writing run_results.json and re-serialising the manifest we passed in (a third
        # of a second on every run): results reach us through the callbacks and the result.
        result = dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(
            [*args, "--no-write-json"]
        )
        if before_release is not None:
            before_release()
    finally:
        logging.raiseExceptions = report_logging_errors
        release_duckdb()
        dbt_startup.save()
    return result


def compile_tests(setup: DbtSetup, manifest: Any, target: str = DUCKDB_TARGET) -> list[Any]:
    """`dbt compile` of every data test; the compiled test nodes (those that compiled).

    No warehouse access (no cache, no introspection): safe while another process writes.
    """
    args = setup.args(
        "compile",
        "--select",
        "resource_type:test",
        "--no-populate-cache",
        "--no-introspect",
        "--quiet",
        "--log-level",
        "none",
        target=target,
    )
    result = _invoke(setup, args, manifest=manifest)
    results: list[Any] = getattr(result.result, "results", None) or []
    return [
        r.node for r in results if r.status == "success" and getattr(r.node, "compiled_code", None)
    ]


def build(
    setup: DbtSetup,
    *,
    select: Sequence[str],
    target: str,
    manifest: Any | None,
    on_node: Callable[[NodeEvent], None],
    on_log: Callable[[str | None, str, str], None],
    indirect_selection: str | None = None,
    before_release: Callable[[Any | None], None] | None = None,
) -> DbtOutcome:
    """`dbt build --select ...` on one target; node events and log lines go to callbacks.

    `on_node` may raise BlockDownstream on a model's NodeFinished. `before_release` gets
    the warehouse connection (or None) after dbt finished and before it is closed.
    """
    blocked = False
    # An exception escaping a callback on NodeStart (or in dbt's result handler) kills the
    # worker's result delivery and dbt's GraphQueue.join waits for ever, holding the run
    # lock. So nothing escapes: the first failure is kept, dbt is made to wind down (every
    # node from then on finishes as errored, so nothing downstream starts), and it is
    # raised once dbt returned.
    failure: Exception | None = None

    def callback(message: Any) -> None:
        nonlocal failure
        if failure is not None:
            if message.info.name == "NodeFinished":
                raise CallbackFailed(failure)  # dbt records the node errored, skips children
            return
        try:
            handle(message)
        except BlockDownstream:
            raise
        except Exception as err:  # kept, and raised after dbt returned
            failure = err
            if message.info.name == "NodeFinished":
                raise CallbackFailed(err) from None

    def handle(message: Any) -> None:
        nonlocal blocked
        name = message.info.name
        if name == "NodeStart":
            on_node(_node_event("started", message.data))
        elif name == "NodeFinished":
            try:
                on_node(_node_event("finished", message.data))
            except BlockDownstream:
                blocked = True
                raise
        level = message.info.level
        if blocked and BlockDownstream.MARKER in (message.info.msg or ""):
            return  # dbt reporting our own BlockDownstream: the check result says it all
        if level in LOG_LEVELS and message.info.msg:
            node_info = getattr(message.data, "node_info", None)
            unique_id = node_info.unique_id if node_info is not None else None
            on_log(unique_id or None, level, plain(message.info.msg))

    args = setup.args("build", "--select", *select, "--log-level", "none", target=target)
    if indirect_selection is not None:
        args += ["--indirect-selection", indirect_selection]
    args += ["--log-level-file", "info"]

    def hand_over_warehouse() -> None:
        if before_release is not None:
            before_release(warehouse_connection() if target == "duckdb" else None)

    result = _invoke(
        setup, args, manifest=manifest, callbacks=[callback], before_release=hand_over_warehouse
    )
    if failure is not None:
        raise failure
    if isinstance(result.exception, KeyboardInterrupt):
        raise KeyboardInterrupt  # dbt caught our cancel; hand it back to the executor
    if result.exception is not None:
        cause = cause_line(str(result.exception))
        return DbtOutcome(False, cause or type(result.exception).__name__)
    return DbtOutcome(bool(result.success), None)
