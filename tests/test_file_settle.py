"""Settling the raw dir before a sensor run: a burst of files is waited for as a whole, a file
written slowly in chunks is waited for until its parquet footer is there (and the run then
succeeds), and a file that never completes stops blocking after the timeout."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from child_output import Lines
from engine_fixtures import extra_batch, make_lake, wait_for
from lakehouse_tui.core.file_settle import is_complete, parquet_only, settle, snapshot


def parquet_bytes(tmp_path: Path, batch: str, n: int = 600) -> bytes:
    scratch = tmp_path / f"scratch-{batch}.parquet"
    extra_batch(scratch, batch, n=n)
    return scratch.read_bytes()


def write_slowly(
    path: Path, data: bytes, chunks: int, pause: float, gate: threading.Event | None = None
) -> threading.Thread:
    """Write `data` to `path` in `chunks` pieces with `pause` seconds between them, as a slow
    copy over the network would (the pauses are the copy's, not the test's); with `gate`,
    the copy stalls after its first chunk until the gate opens."""

    def copy() -> None:
        size = len(data) // chunks + 1
        with path.open("wb") as handle:
            for start in range(0, len(data), size):
                handle.write(data[start : start + size])
                handle.flush()
                if gate is not None:
                    gate.wait(300)
                if start + size < len(data):
                    time.sleep(pause)

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


def test_a_burst_of_files_settles_once_after_the_last(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    data = [parquet_bytes(tmp_path, f"B{i:03d}", n=12) for i in range(50)]

    def burst() -> None:
        for i, content in enumerate(data):
            (raw / f"batch_{i:03d}.parquet").write_bytes(content)
            time.sleep(0.01)  # a copy of 50 files, one after the other

    writer = threading.Thread(target=burst, daemon=True)
    writer.start()
    wait_for(lambda: any(raw.iterdir()), 10, "the first file of the burst")
    settled = settle(raw, quiet=1.0, timeout=60)
    # One settle covers the whole burst: it returned after the last file was written.
    assert not writer.is_alive()
    assert len(parquet_only(settled.files)) == 50
    assert settled.files == snapshot(raw)
    assert settled.incomplete == () and not settled.stopped


def test_a_file_written_slowly_is_waited_for_until_its_footer(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    data = parquet_bytes(tmp_path, "SLOW")
    target = raw / "batch_slow.parquet"
    # Pauses longer than the quiet time: only the missing footer says the copy is not done.
    writer = write_slowly(target, data, chunks=4, pause=0.6)
    wait_for(lambda: target.exists() and target.stat().st_size > 0, 10, "the first chunk")
    settled = settle(raw, quiet=0.2, timeout=60)
    assert not writer.is_alive()
    assert settled.files["batch_slow.parquet"][0] == len(data)
    assert settled.incomplete == ()
    assert is_complete(target)


def test_a_file_that_never_completes_stops_blocking_after_the_timeout(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "dead_copy.parquet").write_bytes(b"PAR1" + b"\0" * 40)  # no footer, ever
    (raw / "fine.parquet").write_bytes(parquet_bytes(tmp_path, "FINE", n=6))
    settled = settle(raw, quiet=0.05, timeout=0.3)
    assert settled.incomplete == ("dead_copy.parquet",)
    assert settled.waited >= 0.3


def test_stop_ends_the_wait(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "dead_copy.parquet").write_bytes(b"PAR1 partial")
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    settled = settle(raw, quiet=0.05, timeout=600, stop=stop)
    assert settled.stopped


def test_the_sensor_run_waits_for_a_slow_file_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OS sensor's command, started while a batch is still being copied in chunks: it
    waits for the copy (a partial parquet file would fail the raw asset) and materializes it."""
    lake = make_lake(monkeypatch, tmp_path / "lake", '[sensor]\nsettle = "0.3s"\n')
    lake.demo()
    data = parquet_bytes(tmp_path, "SLOW-BATCH")
    target = lake.raw_dir / "batch_slow.parquet"
    gate = threading.Event()
    writer = write_slowly(target, data, chunks=5, pause=0.5, gate=gate)
    wait_for(lambda: target.exists() and target.stat().st_size > 0, 10, "the first chunk")
    assert not is_complete(target)
    child = lake.spawn(
        "--materialize",
        "raw_bioreactor_data+",
        "--skip-unchanged",
        "--wait",
        "--trigger",
        "sensor",
        "--settle",
    )
    lines = Lines(child.stderr)
    try:
        # The run noticed the half-written file and waits for it; now let the copy go on.
        lines.wait_for_line("sensor: waiting for batch_slow.parquet to be complete", 120)
        gate.set()
        assert child.wait(timeout=300) == 0, lines.text()
    finally:
        gate.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    err = lines.text()
    assert not writer.is_alive()
    assert "settled (4 parquet files)" in err
    run = lake.last_run()
    assert (run["trigger"], run["status"]) == ("sensor", "succeeded")
    batches = {row[0] for row in lake.query("select batch_id from curated.dim_batch")}
    assert "SLOW-BATCH" in batches
    assert "Traceback" not in err
