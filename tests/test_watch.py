"""`lakehouse-tui watch` in a real child process: a burst of new batches is one (or a few)
sensor-triggered runs that put them in curated.dim_batch, `sensor status` shows that run and
what it ran, and SIGTERM stops the watcher cleanly."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from child_output import Lines
from engine_fixtures import Lake, extra_batch, make_lake

SENSOR = '[sensor]\nsettle = "0.3s"\npoll_interval = "0.1s"\n'


def batches(lake: Any) -> set[str]:
    return {row[0] for row in lake.query("select batch_id from curated.dim_batch")}


@contextlib.contextmanager
def watching(lake: Lake) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`lakehouse-tui watch` in a child process with its stderr read as it is written."""
    child = lake.spawn("watch")
    try:
        yield child, Lines(child.stderr)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_watch_materializes_new_batches_and_stops_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", SENSOR)
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    with watching(lake) as (child, err):
        line = err.wait_for_line("watch: watching", 120)
        assert line.startswith(f"watch: watching {lake.raw_dir} every 0.1s for new parquet files")
        assert not [r for r in lake.runs() if r["trigger"] == "sensor"]  # nothing was new

        new = {f"NEW-{i:02d}" for i in range(10)}
        staging = tmp_path / "staging"
        staging.mkdir()
        for batch in sorted(new):
            extra_batch(staging / f"batch_{batch}.parquet", batch)
        for path in sorted(staging.iterdir()):  # a burst, as `mv staging/* raw/` lands it
            path.replace(lake.raw_dir / path.name)
        # Wait on the watcher's own line, not on DuckDB: a reader would block the run's writes.
        line = err.wait_for_line("watch: trigger 1: run ", 180)
        assert line.endswith("succeeded (exit 0)"), line
        assert new <= batches(lake)
        runs = [r for r in lake.runs() if r["trigger"] == "sensor"]
        assert 1 <= len(runs) <= 3, [dict(r) for r in runs]  # one or a few, not ten
        assert {r["status"] for r in runs} == {"succeeded"}
        assert runs[0]["selection"] == "raw_bioreactor_data+"

        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 0
    text = err.text()
    assert "Traceback" not in text
    assert "waiting for it to settle" in text
    assert text.splitlines()[-1].startswith("watch: stopped after ")

    status = lake.cli("sensor", "status")
    assert status.code == 0, status.err
    out = status.out.splitlines()
    last = next(x for x in out if x.startswith("last sensor run: "))
    assert last.startswith(f"last sensor run: run {runs[-1]['id']} succeeded, started 20")
    ran = next(x for x in out if x.startswith("  it ran: "))
    assert "raw_bioreactor_data (materialized)" in ran and "dim_batch (materialized)" in ran


def test_watch_runs_what_is_stale_at_start_and_sigterm_cancels_that_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", SENSOR)
    lake.demo()  # never materialized: stale before the watcher starts
    with watching(lake) as (child, err):
        err.wait_for_line("watch: trigger 1: materializing 'raw_bioreactor_data+'", 180)
        err.wait_for_line("materializing raw_bioreactor_data+", 60)  # the run has started
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=120) == 130
    text = err.text()
    assert "Traceback" not in text
    run = lake.last_run()
    assert (run["trigger"], run["status"]) == ("sensor", "cancelled"), text
    assert text.splitlines()[-1].startswith(f"watch: trigger 1: run {run['id']} cancelled"), text
