"""The timer's own command line, run for real, lands in the run store, `schedule status` and
the TUI's run history; fired while another run holds the warehouse, it queues behind it (up
to [schedule] max_wait) instead of losing the night's refresh."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from child_output import Lines
from engine_fixtures import Lake, make_lake
from lakehouse_tui import cli
from lakehouse_tui.core.store import RunStore
from lock_holder import HeldLock
from test_schedule_command import install_fake_tools
from test_schedule_systemd import verify


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
    assert argv[-5:] == ["--job", "transform_dbt_models", "--trigger", "timer", "--wait"]

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


def _install_timer(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], Path]:
    """`schedule install` for real (recording systemctl stand-in); the exact ExecStart argv
    and the unit dir, after checking the units with the real `systemd-analyze verify`."""
    install_fake_tools(tmp_path, monkeypatch)
    assert cli.main(["--config", str(lake.config_path), "schedule", "install"]) == 0
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    verified = verify(units, tmp_path)
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr
    return exec_start(units / "lakehouse-tui.service"), units


def test_timer_queues_behind_a_running_run_and_then_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The night's refresh is not lost when the TUI or a terminal is running at 02:00."""
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo()
    argv, _ = _install_timer(lake, tmp_path, monkeypatch)
    assert argv[-5:] == ["--job", "transform_dbt_models", "--trigger", "timer", "--wait"]

    with HeldLock(lake.lock_path, "20261201-015900-holder") as holder:
        child = subprocess.Popen(argv, env=lake.subprocess_env(), stderr=subprocess.PIPE, text=True)
        try:
            err = Lines(child.stderr)
            line = err.wait_for_line("waiting for run")
            # Which run, its pid, trigger and start, and for how long it will wait.
            assert line.startswith(
                f"waiting for run 20261201-015900-holder (pid {holder.pid}, trigger tui, started 20"
            ), line
            assert line.endswith("to finish; giving up after 2h ([schedule] max_wait)"), line
            assert child.poll() is None
            assert RunStore(lake.store_path).last_run(trigger="timer") is None
            holder.release()
            assert child.wait(timeout=120) == 0, err.text()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    output = err.text()
    assert "run 20261201-015900-holder (pid" in output and "has finished; starting" in output
    run = RunStore(lake.store_path).last_run(trigger="timer")
    assert run is not None and run.status == "succeeded", output
    assert run.selection == "job transform_dbt_models"


def test_timer_that_waits_too_long_is_a_failed_run_in_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", '[schedule]\nmax_wait = "1s"\n')
    lake.demo()
    argv, _ = _install_timer(lake, tmp_path, monkeypatch)
    with HeldLock(lake.lock_path, "20261201-015900-holder") as holder:
        done = subprocess.run(
            argv, env=lake.subprocess_env(), capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("waiting for run 20261201-015900-holder"), lines
    error = lines[-1]
    assert error.startswith("lakehouse-tui: run ") and "Traceback" not in done.stderr
    assert (
        f"failed: gave up after waiting 1s ([schedule] max_wait) for run "
        f"20261201-015900-holder (pid {holder.pid}, trigger tui, started 20"
    ) in error
    assert error.endswith("to finish; nothing was materialized")

    run = RunStore(lake.store_path).last_run(trigger="timer")
    assert run is not None and run.status == "failed"
    assert run.message is not None and run.message.startswith("gave up after waiting 1s")
    assert error.startswith(f"lakehouse-tui: run {run.id} failed: {run.message}")
    assert RunStore(lake.store_path).last_run() == run  # nothing else ran

    capsys.readouterr()
    assert cli.main(["--config", str(lake.config_path), "schedule", "status"]) == 0
    out = capsys.readouterr().out
    assert f"last timer run: run {run.id} failed, started 20" in out
    assert out.count("gave up after waiting 1s ([schedule] max_wait)") == 1
