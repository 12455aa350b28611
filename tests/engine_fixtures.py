"""Helpers and fixtures for tests of the config, sample data and engine (issues 2 and 3).

Every test that runs the app gets its own "lake": a directory with XDG_CONFIG_HOME,
XDG_DATA_HOME, XDG_STATE_HOME and XDG_CACHE_HOME pointing inside it (so nothing touches the
real user dirs), a config file naming a raw dir and a warehouse beside it, and helpers to run
the CLI in-process (`lake.cli(...)`) or in a child process (`lake.spawn(...)`).

Real engines only: DuckDB files, dbt runs and SQLite run stores live under pytest's tmp dirs.
Import the fixtures into a conftest: ``from engine_fixtures import built_lake, ...``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

XDG_VARS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
# Small and fast: 3 batches of 1 hour at one reading per 20 s per tag (~2,800 rows).
SMALL = {"batches": 3, "hours": 1.0, "hz": 0.05}
MODEL_KEYS = (
    "stg_bioreactor",
    "int_bioreactor_downsample_5m",
    "dim_batch",
    "fact_bioreactor_batch_stats",
    "mart_bioreactor_overview",
)
ALL_KEYS = ("raw_bioreactor_data", *MODEL_KEYS)
RELATIONS = {
    "stg_bioreactor": "staging.stg_bioreactor",
    "int_bioreactor_downsample_5m": "intermediate.int_bioreactor_downsample_5m",
    "dim_batch": "curated.dim_batch",
    "fact_bioreactor_batch_stats": "curated.fact_bioreactor_batch_stats",
    "mart_bioreactor_overview": "marts.mart_bioreactor_overview",
}


def xdg_env(root: Path) -> dict[str, str]:
    return {name: str(root / name.lower()) for name in XDG_VARS}


def isolate(mp: pytest.MonkeyPatch, root: Path) -> dict[str, str]:
    """Point every platformdirs location inside `root`; returns the variables set."""
    env = xdg_env(root)
    for name, value in env.items():
        mp.setenv(name, value)
    mp.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    # dbt_setup.apply_env() writes this into os.environ; make sure it is restored afterwards.
    mp.setenv("LAKEHOUSE_TUI_RAW_DIR", str(root / "unset-raw-dir"))
    return env


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def run_cli(argv: Sequence[str]) -> CliResult:
    """cli.main in-process with stdout and stderr captured."""
    from lakehouse_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


@dataclass
class Lake:
    root: Path
    env: dict[str, str]
    config_text: str = ""
    extra_config: str = field(default="", repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / "lakehouse.toml"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def state_dir(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "lakehouse-tui"

    @property
    def store_path(self) -> Path:
        return self.state_dir / "runs.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "run.lock"

    def write_config(self, extra: str = "") -> None:
        self.config_path.write_text(
            '[lake]\nraw_dir = "raw"\nwarehouse = "warehouse.duckdb"\nthreads = 1\n'
            'memory_limit = "1GB"\n' + extra,
            encoding="utf-8",
        )

    def cli(self, *args: str) -> CliResult:
        """The CLI in-process against this lake (its XDG dirs are set for the call)."""
        with pytest.MonkeyPatch.context() as mp:
            for name, value in self.env.items():
                mp.setenv(name, value)
            mp.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
            mp.setenv("LAKEHOUSE_TUI_RAW_DIR", str(self.raw_dir))
            return run_cli(["--config", str(self.config_path), *args])

    def subprocess_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("LAKEHOUSE_TUI_CONFIG",)}
        env.update(self.env)
        env["PYTHONWARNINGS"] = "ignore::UserWarning:multiprocessing.resource_tracker"
        return env

    def spawn(self, *args: str, **popen: Any) -> subprocess.Popen[str]:
        """`python -m lakehouse_tui --config ... args` in a child process."""
        return subprocess.Popen(
            [sys.executable, "-m", "lakehouse_tui", "--config", str(self.config_path), *args],
            env=self.subprocess_env(),
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )

    def python(self, code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=self.subprocess_env(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def demo(self, **kwargs: Any) -> None:
        from lakehouse_tui import demo

        demo.generate(self.raw_dir, **{**SMALL, **kwargs})

    # -- reading results --------------------------------------------------------------

    def store_rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Read the run store with a plain sqlite3 connection (not RunStore: opening one
        marks dead runs interrupted, which some tests want to observe first)."""
        db = sqlite3.connect(self.store_path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def runs(self) -> list[sqlite3.Row]:
        if not self.store_path.exists():
            return []
        try:
            return self.store_rows("select * from runs order by started_at, rowid")
        except sqlite3.OperationalError:  # the child has not created the tables yet
            return []

    def last_run(self) -> sqlite3.Row:
        runs = self.runs()
        assert runs, "no run recorded"
        return runs[-1]

    def run_assets(self, run_id: str) -> dict[str, sqlite3.Row]:
        rows = self.store_rows("select * from run_assets where run_id = ?", (run_id,))
        return {row["asset_key"]: row for row in rows}

    def check_results(self, run_id: str) -> dict[str, sqlite3.Row]:
        rows = self.store_rows("select * from check_results where run_id = ?", (run_id,))
        return {row["check_name"]: row for row in rows}

    def status(self) -> dict[str, dict[str, Any]]:
        result = self.cli("status", "--json")
        assert result.code == 0, result.err
        return {entry["key"]: entry for entry in json.loads(result.out)}

    def table_counts(self, keys: Sequence[str] | None = None) -> dict[str, int]:
        import duckdb

        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return {
                key: con.execute(f"select count(*) from {relation}").fetchone()[0]
                for key, relation in RELATIONS.items()
                if keys is None or key in keys
            }

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()


def make_lake(mp: pytest.MonkeyPatch, root: Path, extra_config: str = "") -> Lake:
    root.mkdir(parents=True, exist_ok=True)
    lake = Lake(root, isolate(mp, root))
    lake.write_config(extra_config)
    return lake


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.01
) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def write_parquet(path: Path, columns: dict[str, Any], schema: Any | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lakehouse_tui.demo import RAW_SCHEMA

    table = pa.table(columns, schema=schema or RAW_SCHEMA)
    pq.write_table(table, path)


def extra_batch(
    path: Path, batch: str, *, tag: str = "temperature", value: float = 37.0, n: int = 6
) -> None:
    """A small extra batch file with one tag; used to trip checks."""
    from datetime import datetime, timedelta

    start = datetime(2026, 3, 1, 6, 0, 0)
    write_parquet(
        path,
        {
            "batch_id": [batch] * n,
            "equipment_id": ["BR-09"] * n,
            "ts": [start + timedelta(seconds=20 * i) for i in range(n)],
            "tag": [tag] * n,
            "value": [value + 0.01 * i for i in range(n)],
            "site": ["cambridge"] * n,
        },
    )


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """An empty, isolated lake with a config file (no data, no runs yet)."""
    return make_lake(monkeypatch, tmp_path / "lake")


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """One lake per test module with the small demo data and one full `--json` run.

    `built_lake.first_run` holds the CliResult of that run. Tests must not change its data.
    """
    with pytest.MonkeyPatch.context() as mp:
        lake = make_lake(mp, tmp_path_factory.mktemp("built") / "lake")
        lake.demo()
        result = lake.cli("--json", "--materialize", "*")
        assert result.code == 0, result.err
        lake.first_run = result  # type: ignore[attr-defined]
        yield lake


@pytest.fixture(scope="module")
def parsed_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Workspace.open on a fresh config: runs `dbt parse` once for the module."""
    from lakehouse_tui import config as config_module
    from lakehouse_tui.core.workspace import Workspace

    with pytest.MonkeyPatch.context() as mp:
        lake = make_lake(mp, tmp_path_factory.mktemp("parsed") / "lake")
        workspace = Workspace.open(config_module.load(lake.config_path))
        workspace.lake = lake  # type: ignore[attr-defined]
        try:
            yield workspace
        finally:
            workspace.close()
