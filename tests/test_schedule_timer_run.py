"""The timer's own command line, run for real, lands in the run store, `schedule status` and
the TUI's run history."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from engine_fixtures import make_lake
from lakehouse_tui import cli
from lakehouse_tui.core.store import RunStore
from test_schedule_command import install_fake_tools


def exec_start(service: Path) -> list[str]:
    line = next(x for x in service.read_text().splitlines() if x.startswith("ExecStart="))
    return [word.replace("%%", "%") for word in shlex.split(line.removeprefix("ExecStart="))]


def test_timer_command_runs_and_shows_in_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo()
    install_fake_tools(tmp_path, monkeypatch)
    config = ["--config", str(lake.config_path)]
    assert cli.main([*config, "schedule", "install"]) == 0
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    argv = exec_start(units / "lakehouse-tui.service")
    assert argv[-4:] == ["--job", "transform_dbt_models", "--trigger", "timer"]

    # What systemd would run at 02:00: the exact ExecStart, in a fresh process.
    done = subprocess.run(argv, env=lake.subprocess_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    run = RunStore(lake.store_path).last_run(trigger="timer")
    assert (
        run is not None
        and run.status == "succeeded"
        and run.selection == "job transform_dbt_models"
    )

    capsys.readouterr()
    assert cli.main([*config, "schedule", "status"]) == 0
    out = capsys.readouterr().out
    assert f"last timer run: run {run.id} succeeded, started 20" in out
