"""A scheduled run that never ends is stopped: systemd's TimeoutStartSec, and for launchd
(which has no run-time limit) the runner's own bound from $LAKEHOUSE_TUI_RUN_TIMEOUT."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from engine_fixtures import Lake
from lakehouse_tui.core import lock
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.schedule import systemd
from test_schedule_systemd import make_job, verify


def test_the_service_has_a_start_timeout_that_systemd_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    planned = systemd.plan(make_job((sys.executable, "-m", "lakehouse_tui", "--job", "x")))
    for path, content in planned.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    service = (systemd.unit_dir() / systemd.SERVICE).read_text()
    section = service.split("[Service]\n", 1)[1]
    assert "TimeoutStartSec=6h\n" in section
    result = verify(systemd.unit_dir(), tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_a_run_stuck_longer_than_its_timeout_stops_itself(lake: Lake) -> None:
    lake.demo()
    # The test holds the run lock, so a `--wait` run is stuck for as long as it is held.
    holder = LockHolder("test-holder", os.getpid(), "cli", time.time())
    with RunLock(lake.lock_path, holder):
        lake.env["LAKEHOUSE_TUI_RUN_TIMEOUT"] = "1"
        child = lake.spawn("--materialize", "raw_bioreactor_data", "--wait")
        try:
            _, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:  # no bound: it would wait for ever
                child.kill()
                child.communicate()
        assert lock.is_held(lake.lock_path)  # still ours: the child gave up, we did not
    assert child.returncode == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "lakehouse-tui: interrupted"
    assert lake.runs() == []


def test_a_bad_run_timeout_is_one_line(lake: Lake) -> None:
    lake.demo()
    lake.env["LAKEHOUSE_TUI_RUN_TIMEOUT"] = "soon"
    child = lake.spawn("--materialize", "raw_bioreactor_data")
    _, err = child.communicate(timeout=300)
    assert child.returncode == 2
    assert err.splitlines() == [
        "lakehouse-tui: $LAKEHOUSE_TUI_RUN_TIMEOUT: expected a number of seconds > 0, got 'soon'"
    ]
