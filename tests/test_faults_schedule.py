"""A scheduled run that never ends is stopped: systemd's TimeoutStartSec, and for launchd
(which has no run-time limit) the runner's own bound from $LAKEHOUSE_TUI_RUN_TIMEOUT."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine_fixtures import Lake
from lakehouse_tui.core import lock
from lakehouse_tui.schedule import systemd
from test_checks import hold
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


def test_a_run_longer_than_its_timeout_stops_itself_cancelled(lake: Lake) -> None:
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    before = len(lake.runs())
    # A reader holds the warehouse: the run waits for it (up to 10 s) when the bound hits.
    holder = hold(lake.warehouse, read_only=True)
    try:
        lake.env["LAKEHOUSE_TUI_RUN_TIMEOUT"] = "6"
        child = lake.spawn("--materialize", "*")
        _, err = child.communicate(timeout=120)
    finally:
        holder.communicate("")
    assert child.returncode == 130, err
    assert "Traceback" not in err
    runs = lake.runs()
    assert len(runs) == before + 1, err
    assert runs[-1]["status"] == "cancelled"
    assert not lock.is_held(lake.lock_path)


def test_a_bad_run_timeout_is_one_line(lake: Lake) -> None:
    lake.demo()
    lake.env["LAKEHOUSE_TUI_RUN_TIMEOUT"] = "soon"
    child = lake.spawn("--materialize", "raw_bioreactor_data")
    _, err = child.communicate(timeout=300)
    assert child.returncode == 2
    assert err.splitlines() == [
        "lakehouse-tui: $LAKEHOUSE_TUI_RUN_TIMEOUT: expected a number of seconds > 0, got 'soon'"
    ]
