"""The SQLite run store: migrations, WAL mode, reopening, and runs whose process died."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from lakehouse_tui.core import lock
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.core.store import MIGRATIONS, RunStore


def _open(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "state" / "runs.sqlite", lock_path=tmp_path / "state" / "run.lock")


def test_migrations_are_recorded_and_wal_is_on(tmp_path: Path) -> None:
    store = _open(tmp_path)
    try:
        assert store.schema_version() == len(MIGRATIONS) >= 1
        rows = store._execute("select version, name from schema_migrations order by version")
        assert tuple(rows[0]) == (1, "001_initial")
        assert store._execute("pragma journal_mode")[0][0] == "wal"
    finally:
        store.close()
    # WAL is a property of the file: a plain connection sees it too.
    db = sqlite3.connect(tmp_path / "state" / "runs.sqlite")
    try:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("select name from sqlite_master where type = 'table'")}
        assert {
            "runs",
            "run_assets",
            "step_events",
            "materializations",
            "check_results",
            "logs",
        } <= tables
    finally:
        db.close()


def test_reopening_is_idempotent(tmp_path: Path) -> None:
    store = _open(tmp_path)
    store.start_run(
        "r1", selection="*", job=None, trigger="cli", pid=1, plan=[], assets=[("a", "s")]
    )
    store.finish_run("r1", "succeeded")
    store.close()
    for _ in range(3):
        store = _open(tmp_path)
        try:
            assert store.schema_version() == len(MIGRATIONS)
            rows = store._execute("select count(*) from schema_migrations")
            assert rows[0][0] == len(MIGRATIONS)
            run = store.get_run("r1")
            assert run is not None and run.status == "succeeded"
        finally:
            store.close()


def test_two_stores_open_at_once(tmp_path: Path) -> None:
    """Several processes (TUI, a run, status) read and write the same store."""
    first, second = _open(tmp_path), _open(tmp_path)
    try:
        first.start_run(
            "r1", selection="*", job=None, trigger="cli", pid=os.getpid(), plan=[], assets=[]
        )
        assert second.get_run("r1") is not None
        second.finish_run("r1", "failed", "boom")
        assert first.get_run("r1").status == "failed"  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()


def test_a_running_run_without_a_lock_holder_is_marked_interrupted(tmp_path: Path) -> None:
    store = _open(tmp_path)
    store.start_run(
        "dead",
        selection="*",
        job=None,
        trigger="timer",
        pid=999999,
        plan=[],
        assets=[("raw_bioreactor_data", "raw"), ("dim_batch", "dbt duckdb")],
    )
    store.set_asset_status("dead", "raw_bioreactor_data", "running")
    store.close()

    store = _open(tmp_path)
    try:
        run = store.get_run("dead")
        assert run is not None
        assert run.status == "interrupted"
        assert run.ended_at is not None
        assert "killed or crashed" in (run.message or "")
        statuses = {a.asset_key: a.status for a in store.run_assets("dead")}
        assert statuses == {"raw_bioreactor_data": "interrupted", "dim_batch": "interrupted"}
    finally:
        store.close()


def test_the_run_holding_the_lock_stays_running(tmp_path: Path) -> None:
    lock_path = tmp_path / "state" / "run.lock"
    store = _open(tmp_path)
    store.start_run(
        "live", selection="*", job=None, trigger="cli", pid=os.getpid(), plan=[], assets=[]
    )
    store.start_run("old", selection="*", job=None, trigger="cli", pid=1, plan=[], assets=[])
    store.close()
    with RunLock(lock_path, LockHolder("live", os.getpid(), "cli", time.time())):
        assert lock.is_held(lock_path)
        assert lock.read_holder(lock_path) == LockHolder(
            "live", os.getpid(), "cli", lock.read_holder(lock_path).started_at
        )  # type: ignore[union-attr]
        store = _open(tmp_path)
        try:
            assert store.get_run("live").status == "running"  # type: ignore[union-attr]
            assert store.get_run("old").status == "interrupted"  # type: ignore[union-attr]
        finally:
            store.close()
    assert not lock.is_held(lock_path)
    store = _open(tmp_path)
    try:
        assert store.get_run("live").status == "interrupted"  # type: ignore[union-attr]
    finally:
        store.close()


def test_migrating_from_two_processes_at_once(tmp_path: Path) -> None:
    """Each migration runs once even when two processes open a new store together."""
    code = (
        "import sys; from pathlib import Path; from lakehouse_tui.core.store import RunStore; "
        "RunStore(Path(sys.argv[1])).close()"
    )
    path = tmp_path / "race" / "runs.sqlite"
    children = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    db = sqlite3.connect(path)
    try:
        assert db.execute("select count(*) from schema_migrations").fetchone()[0] == len(MIGRATIONS)
    finally:
        db.close()


def test_records_round_trip(tmp_path: Path) -> None:
    store = _open(tmp_path)
    try:
        store.start_run(
            "r",
            selection="tag:mart",
            job="j",
            trigger="timer",
            pid=5,
            plan=[{"name": "x"}],
            assets=[("m", "dbt duckdb")],
        )
        first = store.add_materialization(
            "r",
            "m",
            duration=1.5,
            metadata={"rows": 3},
            code_version="c1",
            data_version=None,
            input_versions={"p": "v"},
        )
        second = store.add_materialization(
            "r",
            "m",
            duration=0.5,
            metadata={"rows": 4},
            code_version="c1",
            data_version="raw-x",
            input_versions={},
        )
        assert first.data_version == f"m{first.id}"
        assert second.data_version == "raw-x"
        assert store.latest_materializations()["m"].metadata == {"rows": 4}
        assert [m.id for m in store.materializations("m")] == [second.id, first.id]
        store.add_check_result(
            "r", "m", "c", status="warn", severity="warn", failures=2, message=None
        )
        store.add_check_result(
            "r", "m", "c", status="pass", severity="warn", failures=0, message=None
        )
        assert [c.status for c in store.latest_check_results()["m"]] == ["pass"]
        store.add_logs([("r", "m", time.time(), "info", "hello")])
        assert [line.message for line in store.logs("r", "m")] == ["hello"]
        store.add_event("r", "run_started", data={"a": 1})
        assert store.events("r")[0]["event"] == "run_started"
        run = store.get_run("r")
        assert (
            run is not None
            and run.plan == [{"name": "x"}]
            and run.job == "j"
            and run.trigger == "timer"
        )
    finally:
        store.close()


def test_probing_the_lock_never_refuses_a_starting_run(tmp_path: Path) -> None:
    """Every RunStore open (`status`, the TUI's refreshes) probes the run lock to find dead
    runs. A run starting at that moment must not be told that "another process" is running:
    a nightly timer run would be lost with exit 3. Here a second process probes the lock the
    way RunStore does while this one starts runs."""
    from lakehouse_tui.errors import LockedError

    lock_path = tmp_path / "run.lock"
    lock_path.touch()
    code = (
        "import sys\nfrom pathlib import Path\nfrom lakehouse_tui.core import lock\n"
        "p = Path(sys.argv[1])\nprint('ready', flush=True)\n"
        "while True:\n    lock.is_held(p)\n"
    )
    prober = subprocess.Popen(
        [sys.executable, "-c", code, str(lock_path)], stdout=subprocess.PIPE, text=True
    )
    refused: list[str] = []
    try:
        assert prober.stdout is not None and prober.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 3
        attempts = 0
        while time.monotonic() < deadline and attempts < 3000:
            attempts += 1
            try:
                with RunLock(lock_path, LockHolder("r", os.getpid(), "timer", time.time())):
                    pass
            except LockedError as err:
                refused.append(str(err))
    finally:
        prober.kill()
        prober.communicate()
    assert refused == [], f"{len(refused)} of {attempts} runs refused: {refused[0]}"
