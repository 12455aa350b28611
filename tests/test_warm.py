"""The warm executor (`python -m lakehouse_tui.runservice.warm`) and its client, with real
processes.

A small real lake, real dbt runs. Each test drives the executor through `WarmClient`, the
same object the TUI uses; events are waited on, never slept for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.core.run_events import ExitCode, RunEvent
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.runservice.child import RunRequest, WarmClient, WarmRun

pytestmark = pytest.mark.slow

READY_TIMEOUT = 120.0
XDG = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def env(self) -> dict[str, str]:
        return {name: str(self.root / name.lower()) for name in XDG}

    @property
    def raw_dir(self) -> Path:
        return self.root / "xdg_data_home" / "lakehouse-tui" / "raw"

    @property
    def state_dir(self) -> Path:
        return self.root / "xdg_state_home" / "lakehouse-tui"

    @property
    def store_path(self) -> Path:
        return self.state_dir / "runs.sqlite"


@pytest.fixture(scope="module")
def warm_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    """A small lake with sample data, materialized once by the headless runner."""
    from lakehouse_tui import demo

    lake = Lake(tmp_path_factory.mktemp("warm-lake"))
    saved = {name: os.environ.get(name) for name in (*XDG, "LAKEHOUSE_TUI_CONFIG")}
    os.environ.pop("LAKEHOUSE_TUI_CONFIG", None)
    os.environ.update(lake.env)
    try:
        demo.generate(lake.raw_dir, batches=2, hours=2, hz=0.05)
        done = cli("--materialize", "*")
        assert done.returncode == 0, done.stderr
        yield lake
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def problems() -> list[str]:
    """What the client reported through on_problem (crashes, failed starts)."""
    return []


@pytest.fixture
def client(warm_lake: Lake, problems: list[str]) -> Iterator[WarmClient]:
    warm = WarmClient(None, on_problem=problems.append)
    warm.start()
    assert warm.wait_ready(READY_TIMEOUT), list(warm.stderr_lines)
    yield warm
    warm.close()


def run(
    client: WarmClient, selection: str, *, on_event: Any = None
) -> tuple[int, str, list[RunEvent]]:
    """One run through the warm executor: (exit code, error line, events)."""
    assert client.wait_ready(READY_TIMEOUT), list(client.stderr_lines)
    warm_run = client.new_run(RunRequest(selection=selection))
    assert isinstance(warm_run, WarmRun)
    warm_run.start()
    events = []
    for event in warm_run.events():
        events.append(event)
        if on_event is not None:
            on_event(warm_run, event)
    return warm_run.wait(), warm_run.error_line(), events


def rows_of(events: list[RunEvent], asset: str) -> int:
    [event] = [e for e in events if e.event == "asset_materialized" and e.asset == asset]
    rows = event.data["rows"]
    assert isinstance(rows, int)
    return rows


def warehouse_count(lake: Lake, relation: str) -> int:
    path = lake.root / "xdg_data_home" / "lakehouse-tui" / "warehouse.duckdb"
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(f"select count(*) from {relation}").fetchone()
    assert row is not None
    return int(row[0])


def test_warm_module_does_not_import_textual(warm_lake: Lake) -> None:
    code = (
        "import sys\n"
        "from lakehouse_tui.runservice.warm import WarmExecutor\n"
        "WarmExecutor(None).warm_up()\n"
        "assert 'dbt.cli.main' in sys.modules\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(bad)\n"
        "assert not [m for m in bad if m.startswith('textual')], bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def test_new_and_removed_raw_files_are_seen_by_the_next_run(
    warm_lake: Lake, client: WarmClient
) -> None:
    code, error, events = run(client, "*")
    assert (code, error) == (ExitCode.OK, "")
    batches, rows = rows_of(events, "dim_batch"), rows_of(events, "stg_bioreactor")
    assert warehouse_count(warm_lake, "curated.dim_batch") == batches

    # A new batch file arrives while the executor idles (dbt-duckdb's DuckDB was released).
    source = sorted(warm_lake.raw_dir.glob("*.parquet"))[0]
    extra = warm_lake.raw_dir / "FB-2099-001.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * replace ('FB-2099-001' as batch_id) from read_parquet('{source}')) "
            f"to '{extra}' (format parquet)"
        )
    try:
        code, error, events = run(client, "*")
        assert (code, error) == (ExitCode.OK, "")
        assert rows_of(events, "dim_batch") == batches + 1
        assert rows_of(events, "stg_bioreactor") > rows
        assert warehouse_count(warm_lake, "curated.dim_batch") == batches + 1
    finally:
        extra.unlink()
    code, error, events = run(client, "*")
    assert code == ExitCode.OK, error
    assert rows_of(events, "dim_batch") == batches
    assert rows_of(events, "stg_bioreactor") == rows
    assert client.starts == 1  # all served by the one process


def test_timer_run_succeeds_while_the_executor_idles(warm_lake: Lake, client: WarmClient) -> None:
    code, error, _ = run(client, "dim_batch")
    assert code == ExitCode.OK, error
    assert client.ready
    done = cli("--materialize", "+dim_batch", "--trigger", "timer")
    assert done.returncode == 0, done.stderr
    # and the executor still serves the next run, after the timer's
    code, error, _ = run(client, "dim_batch")
    assert code == ExitCode.OK, error
    store = RunStore(warm_lake.store_path)
    try:
        recent = store.runs(3)
        assert [r.trigger for r in recent][:3] == ["tui", "timer", "tui"]
        assert all(r.status == "succeeded" for r in recent)
    finally:
        store.close()


def test_usage_and_lock_errors_come_back_as_lines(warm_lake: Lake, client: WarmClient) -> None:
    pid = client.pid
    code, error, events = run(client, "no_such_asset")
    assert code == ExitCode.USAGE and "no_such_asset" in error and events == []
    holder = LockHolder("run-held-by-test", os.getpid(), "cli", time.time())
    with RunLock(warm_lake.state_dir / "run.lock", holder):
        code, error, events = run(client, "dim_batch")
    assert code == ExitCode.LOCKED and "run-held-by-test" in error and events == []
    code, error, _ = run(client, "dim_batch")
    assert code == ExitCode.OK, error
    assert client.pid == pid and client.starts == 1


def test_cancel_records_the_run_cancelled_and_a_fresh_executor_serves_the_next(
    warm_lake: Lake, client: WarmClient, problems: list[str]
) -> None:
    first_pid = client.pid

    def cancel_when_started(warm_run: WarmRun, event: RunEvent) -> None:
        if event.event == "run_started":
            assert warm_run.cancel()

    code, error, events = run(client, "*", on_event=cancel_when_started)
    assert code == ExitCode.CANCELLED, (error, list(client.stderr_lines)[-5:])
    finished = [e for e in events if e.event == "run_finished"]
    assert finished and finished[0].status == "cancelled", (events, list(client.stderr_lines))
    run_id = events[0].run_id
    store = RunStore(warm_lake.store_path)
    try:
        stored = store.get_run(run_id)
        assert stored is not None and stored.status == "cancelled"
    finally:
        store.close()
    code, error, _ = run(client, "dim_batch")  # waits for the replacement to be ready
    assert code == ExitCode.OK, error
    assert client.pid != first_pid and client.starts == 2
    assert problems == []  # a cancel is no problem


def test_a_killed_executor_is_reported_and_replaced(
    warm_lake: Lake, client: WarmClient, problems: list[str]
) -> None:
    reported = threading.Event()

    def on_problem(text: str) -> None:
        problems.append(text)
        reported.set()

    client.on_problem = on_problem

    # kill -9 while idle: reported, replaced
    pid = client.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert reported.wait(30)
    assert "signal 9" in problems[-1]
    code, error, _ = run(client, "dim_batch")
    assert code == ExitCode.OK, error
    assert client.pid != pid

    # kill -9 during a run: the run ends with a line saying so, the next run is served
    def kill_when_started(warm_run: WarmRun, event: RunEvent) -> None:
        if event.event == "run_started":
            assert warm_run.process is not None
            os.kill(warm_run.process.pid, signal.SIGKILL)

    code, error, _ = run(client, "*", on_event=kill_when_started)
    assert code not in (ExitCode.OK, ExitCode.CANCELLED)
    assert "died during the run" in error and "signal 9" in error
    code, error, _ = run(client, "dim_batch")
    assert code == ExitCode.OK, error
    assert client.starts == 3


def test_protocol_on_stdin_and_stdout(warm_lake: Lake) -> None:
    """The raw protocol: ready, events, idle; a bad request line is an idle line too."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lakehouse_tui.runservice.warm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None

    def next_event() -> dict[str, Any]:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the warm executor exited"
        event = json.loads(line)
        assert isinstance(event, dict)
        return event

    try:
        assert next_event()["event"] == "ready"
        process.stdin.write('{"selection": "dim_batch", "colour": "red"}\n')
        process.stdin.flush()
        idle = next_event()
        assert idle["event"] == "idle" and idle["exit_code"] == ExitCode.USAGE
        assert "colour" in idle["error"]
        process.stdin.write('{"selection": "dim_batch", "trigger": "timer"}\n')
        process.stdin.flush()
        kinds = []
        while (event := next_event())["event"] != "idle":
            kinds.append(event["event"])
        assert event["exit_code"] == ExitCode.OK and event["error"] is None
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
        process.stdin.close()  # end of input: the executor exits 0
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_config_change_is_picked_up_by_the_next_run(warm_lake: Lake, tmp_path: Path) -> None:
    """A new warehouse path in the config: the profile changes, dbt re-parses, and the next
    run builds into the new file (nothing of the old profile is cached in the process)."""
    config = tmp_path / "config.toml"
    first, second = tmp_path / "one.duckdb", tmp_path / "two.duckdb"

    def write_config(warehouse: Path) -> None:
        config.write_text(
            f'[lake]\nraw_dir = "{warm_lake.raw_dir}"\nwarehouse = "{warehouse}"\n',
            encoding="utf-8",
        )

    write_config(first)
    client = WarmClient(config)
    client.start()
    try:
        code, error, _ = run(client, "+dim_batch")
        assert code == ExitCode.OK, error
        stamp = warm_lake.state_dir / "dbt" / "target" / "lakehouse_tui_fingerprint.txt"
        before = stamp.read_text()
        write_config(second)
        code, error, _ = run(client, "+dim_batch")
        assert code == ExitCode.OK, error
        assert stamp.read_text() != before  # re-parsed for the new profile
        with duckdb.connect(str(second), read_only=True) as connection:
            row = connection.execute("select count(*) from curated.dim_batch").fetchone()
        assert row is not None and row[0] > 0
        assert client.starts == 1
    finally:
        client.close()
