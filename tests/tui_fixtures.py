"""Fixtures and helpers for the TUI tests (imported by the test_tui_* modules).

A small real lake is built once per session: sample parquet files and a real materialization
by the headless runner in a child process, so the tree shows real statuses. Snapshot tests get
their own lake with run ids and times rewritten, so the SVGs are stable; it lives in a unique
temporary dir like every other lake (two suites on one machine never share one), and HOME
points at it while a snapshot is taken, so the paths on screen read `~/data/...`.

The session-scoped fixtures (`base_lake`, `snapshot_lake`) are registered once in conftest.py;
test modules import only the function-scoped ones from here (a module that imported a
session fixture would get its own copy of it and rebuild the lake).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from lakehouse_tui.core.store import RunStore

XDG = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
FIXED_BASE = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC
FIXED_NOW = FIXED_BASE + 2 * 3600 + 125.0


@dataclass(frozen=True)
class Lake:
    root: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_STATE_HOME": str(self.root / "state"),
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_CACHE_HOME": str(self.root / "cache"),
        }

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "lakehouse-tui" / "runs.sqlite"

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "lakehouse-tui" / "raw"


def child_env(lake: Lake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LAKEHOUSE_TUI_CONFIG"}
    env.update(lake.env)
    env["TZ"] = "UTC"
    return env


def materialize(lake: Lake, selection: str) -> None:
    """A real headless run in a child process; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", "--materialize", selection],
        env=child_env(lake),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def build_lake(root: Path, *, materialize_all: bool = True) -> Lake:
    from lakehouse_tui import demo

    lake = Lake(root)
    demo.generate(lake.raw_dir, batches=2, hours=2, hz=0.05)
    if materialize_all:
        materialize(lake, "*")
    return lake


def seed_failed_run(
    store: RunStore,
    run_id: str,
    selection: str,
    assets: list[tuple[str, str, str, str | None]],
    message: str,
) -> None:
    """A finished timer run written straight into the store, newer than any real one (so the
    runs screen highlights it first); `assets` are (key, step, status, message)."""
    store.start_run(
        run_id,
        selection=selection,
        job=None,
        trigger="timer",
        pid=1,
        plan=[],
        assets=[(key, step) for key, step, _, _ in assets],
        started_at=time.time() + 3600,
    )
    for key, _, status, asset_message in assets:
        store.set_asset_status(run_id, key, status, asset_message)
    store.finish_run(run_id, "failed", message)


def forget_run(store: RunStore, run_id: str) -> None:
    """Remove a run a test wrote into the shared lake's store, so others never see it."""
    db = store._db
    for table in ("run_assets", "step_events", "logs", "check_results", "materializations"):
        db.execute(f"delete from {table} where run_id = ?", (run_id,))
    db.execute("delete from runs where id = ?", (run_id,))


def airbyte_config(folder: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config with one Airbyte connection (`historian`, asset `airbyte_historian`) on the
    server at `url`; its secret comes from an environment variable, as in real use."""
    from airbyte_server import CLIENT_ID, CLIENT_SECRET

    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", CLIENT_SECRET)
    path = folder / "config.toml"
    path.write_text(
        f"""
[airbyte]
url = "{url}"
client_id = "{CLIENT_ID}"
client_secret_env = "TEST_AIRBYTE_CLIENT_SECRET"
poll_interval = 0.05
[[airbyte.connections]]
name = "historian"
asset = "airbyte_historian"
""",
        encoding="utf-8",
    )
    return path


def normalize_store(store_path: Path) -> None:
    """Fixed run ids, times and durations, so snapshots do not change from run to run."""
    db = sqlite3.connect(store_path)
    runs = db.execute("select id from runs order by started_at, rowid").fetchall()
    for number, (old,) in enumerate(runs, start=1):
        new = f"run-{number:04d}"
        start = FIXED_BASE + 600.0 * (number - 1)
        db.execute(
            "update runs set id = ?, started_at = ?, ended_at = ?, pid = 4242 where id = ?",
            (new, start, start + 12.0, old),
        )
        assets = db.execute(
            "select rowid from run_assets where run_id = ? "
            "order by coalesce(started_at, 1e18), rowid",
            (old,),
        ).fetchall()
        for index, (rowid,) in enumerate(assets):
            db.execute(
                "update run_assets set run_id = ?, started_at = ?, ended_at = ? where rowid = ?",
                (new, start + 1.0 + index * 1.5, start + 2.0 + index * 1.5, rowid),
            )
        for sql in (  # the batches' states and history: this run's, at fixed times
            "update partitions set run_id = ?, updated_at = ? where run_id = ?",
            "update partition_history set run_id = ?, ts = ? where run_id = ?",
        ):
            db.execute(sql, (new, start + 2.0, old))
        db.execute("update partitions set attempt_run_id = ? where attempt_run_id = ?", (new, old))
        for table in ("step_events", "check_results", "logs"):
            column = "ts"
            db.execute(
                f"update {table} set run_id = ?, {column} = ? where run_id = ?",
                (new, start + 1, old),
            )
        rows = db.execute(
            "select id, metadata_json from materializations where run_id = ?", (old,)
        ).fetchall()
        for index, (row_id, metadata_json) in enumerate(rows):
            metadata = json.loads(metadata_json)
            duration = 0.5 * number  # differs per run, so the duration sparkline has a slope
            if "duration" in metadata:
                metadata["duration"] = duration
            db.execute(
                "update materializations set run_id = ?, ts = ?, duration = ?, metadata_json = ? "
                "where id = ?",
                (new, start + 2.0 + index * 1.5, duration, json.dumps(metadata), row_id),
            )
    # dbt's own log lines vary in order (threads) and timing: replace them with fixed ones.
    db.execute("delete from logs")
    for (run_id,) in db.execute("select id from runs order by id").fetchall():
        assets = db.execute(
            "select asset_key, started_at from run_assets where run_id = ? order by started_at",
            (run_id,),
        ).fetchall()
        for number, (asset_key, started_at) in enumerate(assets, start=1):
            for message in (
                f"{number} of {len(assets)} START {asset_key}",
                f"{number} of {len(assets)} OK {asset_key}",
            ):
                db.execute(
                    "insert into logs (run_id, asset_key, ts, level, message) "
                    "values (?, ?, ?, 'info', ?)",
                    (run_id, asset_key, started_at or FIXED_BASE, message),
                )
    db.commit()
    db.close()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio through anyio's pytest plugin (as Textual does)."""
    return "asyncio"


@pytest.fixture(scope="session")
def base_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return build_lake(tmp_path_factory.mktemp("tui-lake"))


@pytest.fixture
def lake(base_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """The session lake, with the XDG dirs pointing at it for the app and its children."""
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    for key, value in base_lake.env.items():
        monkeypatch.setenv(key, value)
    yield base_lake


@pytest.fixture
def empty_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    lake = Lake(tmp_path)
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    for key, value in lake.env.items():
        monkeypatch.setenv(key, value)
    return lake


@pytest.fixture(scope="session")
def snapshot_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """A lake of its own, materialized twice, with a normalized store."""
    lake = build_lake(tmp_path_factory.mktemp("tui-snapshot-lake"))
    materialize(lake, "+stg_bioreactor")  # a second run: the History tab has a line to draw
    normalize_store(lake.store_path)
    return lake


@pytest.fixture
def snap_env(snapshot_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    for key, value in snapshot_lake.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(snapshot_lake.root))  # paths on screen: ~/data/...
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return snapshot_lake


async def settle(pilot: Pilot[object], *, rounds: int = 20) -> None:
    """Wait until the app's workers are done and their messages handled (no sleeping)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.is_running]
        if not busy and getattr(pilot.app, "workspace", True) is not None:
            await pilot.pause()
            return
