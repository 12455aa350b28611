"""The OS sensor's files: the real `systemd-analyze verify` on the .path and .service units,
a plistlib round trip of the launchd agent, and `sensor install | status | show | remove`
with recording stand-ins for systemctl/launchctl (no user manager runs here)."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from engine_fixtures import make_lake
from lakehouse_tui import cli
from lakehouse_tui.schedule import sensor_launchd, sensor_systemd, systemd
from lakehouse_tui.schedule.sensor_systemd import SensorJob
from test_schedule_command import install_fake_tools
from test_schedule_timer_run import exec_start

SENSOR_TAIL = ["--skip-unchanged", "--wait", "--trigger", "sensor", "--settle"]


def verify(unit_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(exist_ok=True)
    units = [str(unit_dir / sensor_systemd.PATH_UNIT), str(unit_dir / sensor_systemd.SERVICE)]
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", *units],
        capture_output=True,
        text=True,
        env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime)),
    )


def make_job(tmp_path: Path, python: Path, raw_dir: Path) -> SensorJob:
    argv = (str(python), "-m", "lakehouse_tui", "--materialize", "raw_bioreactor_data+")
    return SensorJob(raw_dir, "raw_bioreactor_data+", (*argv, *SENSOR_TAIL), tmp_path / "logs")


def test_path_and_service_units_pass_systemd_analyze_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A raw dir and interpreter with a space and a `%` (a systemd specifier) survive quoting.
    odd = tmp_path / "my lake %h"
    (odd / "bin").mkdir(parents=True)
    python = odd / "bin" / "python"
    python.symlink_to(sys.executable)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    planned = sensor_systemd.plan(make_job(tmp_path, python, odd / "raw 100%"))
    for path, content in planned.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    result = verify(systemd.unit_dir(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    path_unit = (systemd.unit_dir() / sensor_systemd.PATH_UNIT).read_text()
    assert f"PathChanged={odd.as_posix().replace('%', '%%')}/raw 100%%\n" in path_unit
    assert "Unit=lakehouse-tui-sensor.service\n" in path_unit
    assert "WantedBy=paths.target\n" in path_unit


def test_verify_rejects_a_path_unit_without_a_path(tmp_path: Path) -> None:
    """The check above means something: verify does read the [Path] section."""
    units = tmp_path / "units"
    units.mkdir()
    (units / sensor_systemd.PATH_UNIT).write_text(
        "[Unit]\nDescription=x\n[Path]\nUnit=lakehouse-tui-sensor.service\n"
    )
    (units / sensor_systemd.SERVICE).write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n")
    result = verify(units, tmp_path)
    assert result.returncode != 0
    assert "lacks path setting" in result.stderr


def test_launchd_plist_round_trips(tmp_path: Path) -> None:
    job = make_job(tmp_path, Path("/usr/bin/python3"), tmp_path / "raw")
    data = plistlib.loads(sensor_launchd.render_plist(job))
    assert data == {
        "Label": "io.github.lakehouse-tui.sensor",
        "ProgramArguments": [
            "/usr/bin/python3",
            "-m",
            "lakehouse_tui",
            "--materialize",
            "raw_bioreactor_data+",
            *SENSOR_TAIL,
        ],
        "WatchPaths": [str(tmp_path / "raw")],
        "ThrottleInterval": 5,
        "StandardOutPath": str(tmp_path / "logs" / "sensor.out.log"),
        "StandardErrorPath": str(tmp_path / "logs" / "sensor.err.log"),
        "RunAtLoad": False,
        "EnvironmentVariables": {"LAKEHOUSE_TUI_RUN_TIMEOUT": "21600"},
    }


def test_install_status_show_remove_systemd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", '[sensor]\nselection = "dim_batch+"\n')
    install_fake_tools(tmp_path, monkeypatch)
    config = ["--config", str(lake.config_path)]
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"

    assert cli.main([*config, "sensor", "show"]) == 0
    shown = capsys.readouterr().out
    assert "`lakehouse-tui sensor install` writes these files" in shown
    assert f"PathChanged={lake.raw_dir}" in shown
    assert "systemctl --user enable --now lakehouse-tui-sensor.path" in shown
    assert not units.exists()

    assert cli.main([*config, "sensor", "install"]) == 0
    assert f"wrote {units / 'lakehouse-tui-sensor.service'}" in capsys.readouterr().err
    argv = exec_start(units / sensor_systemd.SERVICE)
    assert argv[-7:] == ["--materialize", "dim_batch+", *SENSOR_TAIL]
    assert argv[argv.index("--config") + 1] == str(lake.config_path)
    verified = verify(units, tmp_path)
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr
    calls = (tmp_path / "calls.log").read_text()
    assert "systemctl --user enable --now lakehouse-tui-sensor.path" in calls

    assert cli.main([*config, "sensor", "status"]) == 0
    status = capsys.readouterr().out.splitlines()
    assert status[0] == f"sensor:    systemd user path unit lakehouse-tui-sensor.path in {units}"
    assert status[1] == "installed: yes, up to date with [sensor]"
    assert status[2].startswith("enabled:   yes (enabled")
    assert status[3] == f"watching:  {lake.raw_dir} (settle 2s)"
    assert status[-1] == "last sensor run: no sensor-triggered run recorded yet"

    assert cli.main([*config, "sensor", "install"]) == 0
    assert "lakehouse-tui-sensor.path already up to date" in capsys.readouterr().err

    assert cli.main([*config, "sensor", "remove"]) == 0
    assert "deleted" in capsys.readouterr().err
    assert not (units / sensor_systemd.PATH_UNIT).exists()
    assert not (units / sensor_systemd.SERVICE).exists()
    assert "disable --now lakehouse-tui-sensor.path" in (tmp_path / "calls.log").read_text()


def test_install_and_remove_launchd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake")
    install_fake_tools(tmp_path, monkeypatch)
    monkeypatch.setenv("LAKEHOUSE_TUI_SCHEDULER", "launchd")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = ["--config", str(lake.config_path)]
    assert cli.main([*config, "sensor", "install"]) == 0
    plist = tmp_path / "home" / "Library" / "LaunchAgents" / "io.github.lakehouse-tui.sensor.plist"
    data = plistlib.loads(plist.read_bytes())
    assert data["WatchPaths"] == [str(lake.raw_dir)]
    assert data["ProgramArguments"][-7:] == ["--materialize", "raw_bioreactor_data+", *SENSOR_TAIL]
    assert lake.raw_dir.is_dir()  # launchd only watches a path that exists
    assert "launchctl bootstrap" in (tmp_path / "calls.log").read_text()
    capsys.readouterr()
    assert cli.main([*config, "sensor", "remove"]) == 0
    assert not plist.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[sensor]\nsettel = "2s"\n', ":7: [sensor] settel: unknown key; known keys: selection"),
        ('[sensor]\nsettle = "soon"\n', ':7: [sensor] settle: expected a duration like "2h"'),
        ('[freshness]\ndim_batch = "26 hours"\n', ":7: [freshness] dim_batch: expected a"),
        ("[freshness]\ndim_batch = 26\n", ":7: [freshness] dim_batch: expected a duration"),
    ],
)
def test_bad_sensor_and_freshness_config_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, message: str
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake", extra)
    result = lake.cli("sensor", "show")
    assert result.code == 2
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith(f"lakehouse-tui: {lake.config_path}{message}"), result.err


def test_days_are_a_duration() -> None:
    from lakehouse_tui.config_checks import parse_duration

    assert parse_duration("2d") == 2 * 86400
    assert parse_duration("1d12h") == 36 * 3600
    assert parse_duration("90m") == 5400
