"""A full state dir, for real: a small tmpfs mounted as XDG_STATE_HOME and filled up.

Writes to the run store then fail with SQLite's SQLITE_FULL (ENOSPC underneath), inside
dbt's callbacks or before the run starts. The run must end promptly, failed, with one line
naming the state dir, and leave the lock free. Needs root for `mount -t tmpfs`; skipped
elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine_fixtures import Lake, make_lake
from lakehouse_tui.core import lock
from test_checks import hold

SIZE = "64m"
DEADLINE = 120.0  # seconds; the run takes a few, a hung one never ends


def mount_tmpfs(point: Path, size: str) -> bool:
    point.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def fill(directory: Path) -> Path:
    """Write zeros until the file system refuses (ENOSPC); returns the filler file."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as out:
        for size in (1 << 20, 1 << 12, 1):
            piece = chunk[:size]
            while True:
                try:
                    out.write(piece)
                except OSError as err:
                    assert err.errno == 28, err  # ENOSPC
                    break
    return filler


@pytest.fixture
def full_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """A lake whose XDG_STATE_HOME is a 64 MB tmpfs of its own."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    lake = make_lake(monkeypatch, tmp_path / "lake")
    point = tmp_path / "state-fs"
    if not mount_tmpfs(point, SIZE):
        pytest.skip("cannot mount a tmpfs here")
    try:
        lake.env["XDG_STATE_HOME"] = str(point)
        monkeypatch.setenv("XDG_STATE_HOME", str(point))
        yield lake
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _wait_for_event(child: subprocess.Popen[str], wanted: str) -> dict[str, object]:
    assert child.stdout is not None
    for line in child.stdout:  # the child prints one JSON event per line
        event = json.loads(line)
        if wanted in json.dumps(event):
            return event
    raise AssertionError(f"the run ended before {wanted!r}: {child.stderr.read()}")  # type: ignore[union-attr]


def test_a_full_state_dir_during_dbt_fails_the_run_promptly_and_frees_the_lock(
    full_lake: Lake,
) -> None:
    lake = full_lake
    lake.demo()
    first = lake.cli("--materialize", "*")
    assert first.code == 0, first.err
    # Hold the warehouse so the run waits right before dbt starts; fill the disk then.
    holder = hold(lake.warehouse, read_only=False)
    child = lake.spawn("--json", "--materialize", "*")
    try:
        _wait_for_event(child, '"step": "dbt duckdb"')
        filler = fill(lake.state_dir.parent)
        holder.communicate("")  # dbt may start now; its first callback hits the full disk
        try:
            _, err = child.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            assert lock.is_held(lake.lock_path), "hung without the lock?"
            pytest.fail(f"the run hung on the full disk (still holding {lake.lock_path})")
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
        if holder.poll() is None:
            holder.kill()
    assert child.returncode == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == (
        f"lakehouse-tui: no space left on device under {lake.state_dir}; "
        "free some space there and run again"
    ), err
    assert "Traceback" not in err
    assert not lock.is_held(lake.lock_path)
    # With space again the next run takes the lock and the store is intact.
    filler.unlink()
    again = lake.cli("--materialize", "*")
    assert again.code == 0, again.err
    statuses = [row["status"] for row in lake.runs()]
    assert statuses[0] == "succeeded" and statuses[-1] == "succeeded"
    assert statuses[1] in ("failed", "interrupted")  # the full-disk run, settled


def test_a_full_state_dir_before_the_run_is_one_line(full_lake: Lake) -> None:
    lake = full_lake
    lake.demo()
    first = lake.cli("--materialize", "raw_bioreactor_data")
    assert first.code == 0, first.err
    fill(lake.state_dir.parent)
    child = lake.spawn("--materialize", "raw_bioreactor_data")
    _, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 1, err
    assert err.splitlines() == [
        f"lakehouse-tui: no space left on device under {lake.state_dir}; "
        "free some space there and run again"
    ]
