"""Data tests evaluated by the executor, in the warehouse connection dbt already has open.

`dbt build` runs every data test as a dbt node of its own: Jinja compile, a connection, a
transaction and a dozen events, about 15 ms each against 1-3 ms for the query itself. With
17 tests that was a fifth of a warm run. So the executor asks dbt for `build` of the models
only and evaluates each model's checks itself the moment dbt reports the model built, before
dbt may start the model's children (`core.executor`). What stays the same as dbt:

- the SQL is dbt's: compiled by `dbt compile` once per manifest and cached beside it;
- the verdict is dbt's: the test wrapped by `get_test_sql` (fail_calc, warn_if, error_if,
  limit) and judged like dbt's TestRunner (an error-severity test fails when should_error,
  else warns when should_warn).

Which tests qualify is `Check.runs_in_executor`; the others still run as dbt nodes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from lakehouse_tui.core.dbt_setup import DUCKDB_TARGET, DbtSetup

CACHE_FILE = "lakehouse_tui_checks.json"


@dataclass(frozen=True)
class CheckSql:
    """One data test as dbt compiled it, with the config that decides its verdict."""

    unique_id: str
    sql: str
    severity: str  # error | warn
    fail_calc: str = "count(*)"
    warn_if: str = "!= 0"
    error_if: str = "!= 0"
    limit: int | None = None

    def query(self) -> str:
        # dbt's default__get_test_sql, with get_limit_subquery_sql for the limit.
        body = self.sql
        if self.limit is not None:
            body = f"select * from ({body}\n) as limited limit {int(self.limit)}"
        return (
            f"select {self.fail_calc} as failures,\n"
            f"  {self.fail_calc} {self.warn_if} as should_warn,\n"
            f"  {self.fail_calc} {self.error_if} as should_error\n"
            f"from (\n{body}\n) dbt_internal_test"
        )


@dataclass(frozen=True)
class CheckVerdict:
    status: str  # pass | warn | fail | error, as dbt names test outcomes
    failures: int | None
    message: str
    seconds: float


def _results(count: int) -> str:
    return f"{count} result" if count == 1 else f"{count} results"


def evaluate(cursor: Any, check: CheckSql) -> CheckVerdict:
    """Run one check on a DB-API cursor (DuckDB or psycopg2) and judge it as dbt would."""
    started = time.perf_counter()
    try:
        cursor.execute(check.query())
        row = cursor.fetchone()
    except Exception as err:  # duckdb.Error, psycopg2.Error: the check errored, like in dbt
        lines = str(err).strip().splitlines()
        message = lines[0] if lines else type(err).__name__
        return CheckVerdict("error", None, message, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    failures, should_warn, should_error = (row or (0, False, False))[:3]
    failures = int(failures or 0)
    if check.severity == "error" and should_error:
        message = f"Got {_results(failures)}, configured to fail if {check.error_if}"
        return CheckVerdict("fail", failures, message, seconds)
    if should_warn:
        message = f"Got {_results(failures)}, configured to warn if {check.warn_if}"
        return CheckVerdict("warn", failures, message, seconds)
    return CheckVerdict("pass", 0, "", seconds)


def from_node(node: Any) -> CheckSql:
    """A CheckSql from a compiled dbt test node."""
    config = node.config
    return CheckSql(
        unique_id=node.unique_id,
        sql=str(node.compiled_code),
        severity=str(config.severity).lower(),
        fail_calc=str(config.fail_calc),
        warn_if=str(config.warn_if),
        error_if=str(config.error_if),
        limit=config.limit,
    )


def load(setup: DbtSetup, key: str, target: str = DUCKDB_TARGET) -> dict[str, CheckSql] | None:
    """The cached compiled checks, if they were compiled from the manifest `key` names."""
    try:
        path = setup.target_path_for(target) / CACHE_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return {uid: CheckSql(**fields) for uid, fields in data["checks"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(
    setup: DbtSetup, key: str, checks: Iterable[CheckSql], target: str = DUCKDB_TARGET
) -> None:
    data = {"key": key, "checks": {c.unique_id: asdict(c) for c in checks}}
    path = setup.target_path_for(target) / CACHE_FILE
    temporary = path.with_suffix(f".{os.getpid()}.tmp")  # two processes may compile at once
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a file


def compiled(
    setup: DbtSetup, dbt_manifest: Any, key: str | None, target: str = DUCKDB_TARGET
) -> dict[str, CheckSql]:
    """Every data test dbt could compile for `target`, from the cache when the manifest is
    unchanged.

    Compiling imports dbt and takes about 0.1 s in a warm process (0.5 s cold); it happens
    once after each parse. A test dbt cannot compile is left out: it runs as a dbt node,
    where dbt reports its error as that check's result. `dbt_manifest` is for DuckDB: other
    targets compile from their own parse (their relations name other databases).
    """
    if key is not None and (cached := load(setup, key, target)) is not None:
        return cached
    from lakehouse_tui.core import dbt_run

    manifest = dbt_manifest if target == DUCKDB_TARGET else None
    checks = [from_node(node) for node in dbt_run.compile_tests(setup, manifest, target)]
    if key is None:
        from lakehouse_tui.core.manifest import manifest_key

        key = manifest_key(setup, target)  # the parse this compile did wrote it
    if key is not None:
        save(setup, key, checks, target)
    return {check.unique_id: check for check in checks}
