"""`lakehouse-tui schedule ...` through cli.main, with recording stand-ins for the OS tools."""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

import pytest

from lakehouse_tui import cli

FAKE_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "$TOOL_LOG"
case "$(basename "$0") $*" in
  "systemctl --user enable --now"*) touch "$TOOL_STATE/on" ;;
  "systemctl --user disable --now"*) rm -f "$TOOL_STATE/on" ;;
  "systemctl --user is-enabled"*) [ -e "$TOOL_STATE/on" ] && echo enabled || echo disabled ;;
  "systemctl --user is-active"*) [ -e "$TOOL_STATE/on" ] && echo active || echo inactive ;;
  "loginctl show-user"*) echo Linger=no ;;
  "launchctl bootstrap"*) touch "$TOOL_STATE/on" ;;
  "launchctl bootout"*) [ -e "$TOOL_STATE/on" ] || exit 3; rm -f "$TOOL_STATE/on" ;;
  "launchctl print "*) [ -e "$TOOL_STATE/on" ] || exit 113 ;;
esac
exit 0
"""


def install_fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording stand-ins for systemctl/loginctl/launchctl first on PATH (no user manager
    runs here); calls go to $TOOL_LOG, enable/disable state lives in $TOOL_STATE."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("systemctl", "loginctl", "launchctl"):
        (bin_dir / name).write_text(FAKE_TOOL)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TOOL_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("TOOL_STATE", str(tmp_path))
    monkeypatch.setenv("LAKEHOUSE_TUI_SCHEDULER", "systemd")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp HOME/XDG tree, fake systemctl/loginctl/launchctl on PATH, and a config file."""
    install_fake_tools(tmp_path, monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var, sub in (("CONFIG", "config"), ("DATA", "data"), ("STATE", "state")):
        monkeypatch.setenv(f"XDG_{var}_HOME", str(tmp_path / "home" / sub))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    write_config(tmp_path, "0 2 * * *")
    return tmp_path


def write_config(tmp_path: Path, cron: str) -> Path:
    path = tmp_path / "my config.toml"
    path.write_text(f'[schedule]\ncron = "{cron}"\ntimezone = "Europe/London"\n')
    return path


def main(tmp_path: Path, *argv: str) -> int:
    return cli.main(["--config", str(tmp_path / "my config.toml"), *argv])


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_show_prints_the_exact_files(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(env, "schedule", "show") == 0
    out = capsys.readouterr().out
    units = env / "home" / "config" / "systemd" / "user"
    assert f"--- {units / 'lakehouse-tui.service'}\n" in out
    assert f"--- {units / 'lakehouse-tui.timer'}\n" in out
    assert "OnCalendar=*-*-* 02:00:00 Europe/London\n" in out
    config = env / "my config.toml"
    assert (
        f'ExecStart={sys.executable} -m lakehouse_tui --config "{config}" '
        "--job transform_dbt_models --trigger timer --wait\n"
    ) in out
    assert "systemctl --user enable --now lakehouse-tui.timer" in out
    assert not (env / "home").exists()

    assert main(env, "schedule", "install", "--dry-run") == 0
    assert capsys.readouterr().out == out
    assert not (env / "home").exists()
    assert not (env / "calls.log").exists()


def test_systemd_install_status_remove(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units = env / "home" / "config" / "systemd" / "user"
    assert main(env, "schedule", "status") == 0
    out = capsys.readouterr().out
    assert "installed: no: run `lakehouse-tui schedule install`" in out

    assert main(env, "schedule", "install") == 0
    captured = capsys.readouterr()
    assert f"wrote {units / 'lakehouse-tui.timer'}" in captured.err
    assert "loginctl enable-linger" in captured.err
    written = {name: (env / "home" / name).read_bytes() for name in files_under(env / "home")}
    assert sorted(written) == [
        "config/systemd/user/lakehouse-tui.service",
        "config/systemd/user/lakehouse-tui.timer",
    ]

    # Idempotent: the same files, byte for byte.
    assert main(env, "schedule", "install") == 0
    assert "already up to date" in capsys.readouterr().err
    assert {n: (env / "home" / n).read_bytes() for n in files_under(env / "home")} == written

    assert main(env, "schedule", "status") == 0
    out = capsys.readouterr().out
    assert "installed: yes, up to date with [schedule]" in out
    assert "enabled:   yes (enabled, active)" in out
    assert "schedule:  0 2 * * * (Europe/London) runs job transform_dbt_models" in out
    runs = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(runs) == 5
    assert all(" 02:00 " in line and line.endswith(" UTC") for line in runs)
    assert "last timer run: no timer-triggered run recorded yet" in out
    assert "will not run while you are logged out" in out and "loginctl enable-linger" in out

    # Changing the config: status notices, install updates in place.
    write_config(env, "30 4 * * mon-fri")
    assert main(env, "schedule", "status") == 0
    assert "differs from [schedule]" in capsys.readouterr().out
    assert main(env, "schedule", "install") == 0
    capsys.readouterr()
    timer = (units / "lakehouse-tui.timer").read_text()
    assert "OnCalendar=Mon..Fri *-*-* 04:30:00 Europe/London\n" in timer
    assert "systemctl --user restart lakehouse-tui.timer" in (env / "calls.log").read_text()

    assert main(env, "schedule", "remove", "--dry-run") == 0
    assert "would delete" in capsys.readouterr().out
    assert len(files_under(env / "home")) == 2
    assert main(env, "schedule", "remove") == 0
    assert files_under(env / "home") == []
    assert main(env, "schedule", "status") == 0
    assert "installed: no" in capsys.readouterr().out


def test_launchd_install_status_remove(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEHOUSE_TUI_SCHEDULER", "launchd")
    monkeypatch.setenv("LAKEHOUSE_TUI_SYSTEM_TZ", "America/New_York")
    assert main(env, "schedule", "install") == 0
    err = capsys.readouterr().err
    assert "warning: launchd has no time zones" in err
    plist = env / "home" / "Library" / "LaunchAgents" / "io.github.lakehouse-tui.schedule.plist"
    data = plistlib.loads(plist.read_bytes())
    assert data["StartCalendarInterval"] == [{"Hour": 2, "Minute": 0}]
    assert data["ProgramArguments"][-5:] == [
        "--job",
        "transform_dbt_models",
        "--trigger",
        "timer",
        "--wait",
    ]
    assert Path(data["StandardOutPath"]).parent.is_dir()

    assert main(env, "schedule", "status") == 0
    out = capsys.readouterr().out
    assert "installed: yes, up to date" in out
    assert "enabled:   yes (loaded)" in out
    # Fire times are New York wall times, shown in London and UTC too.
    runs = [line for line in out.splitlines() if line.startswith("  ")]
    assert all(" 02:00 E" in line and "Europe/London" in line for line in runs)
    assert "warning: launchd has no time zones" in out

    assert main(env, "schedule", "remove") == 0
    assert files_under(env / "home" / "Library") == []
    calls = (env / "calls.log").read_text()
    assert f"launchctl bootout gui/{os.getuid()}/io.github.lakehouse-tui.schedule" in calls


def test_bad_schedules_are_one_line_usage_errors(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(env, "0 0 31 2 *")
    assert main(env, "schedule", "show") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[schedule] cron" in err and "never fires" in err

    monkeypatch.setenv("LAKEHOUSE_TUI_SCHEDULER", "launchd")
    write_config(env, "*/2 */2 * * 1-5")
    assert main(env, "schedule", "install") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "launchd StartCalendarInterval entries" in err
    assert not (env / "home").exists()

    monkeypatch.setenv("LAKEHOUSE_TUI_SCHEDULER", "cron")
    assert main(env, "schedule", "status") == 2
    assert "LAKEHOUSE_TUI_SCHEDULER" in capsys.readouterr().err


def test_schedule_help_lists_every_action_and_no_action_is_a_usage_error(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "    schedule  " in cli.build_parser().format_help()  # in the command list
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["schedule", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "Manage the systemd user timer (Linux) or launchd agent (macOS)" in text
    for action, does in (
        ("install", "write the timer files and enable them"),
        ("remove", "disable the timer and delete its files"),
        ("status", "next fire times and the last run"),
        ("show", "print the exact files `install` would write"),
    ):
        line = next((x for x in text.splitlines() if x.strip().startswith(action + " ")), "")
        assert does in line, f"{action}: {line!r}"

    # No action: argparse's usage error naming what is missing, and nothing is touched.
    with pytest.raises(SystemExit) as exit_info:
        main(env, "schedule")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: lakehouse-tui schedule ")
    assert err.endswith("error: the following arguments are required: ACTION\n")
    assert not (env / "home").exists() and not (env / "calls.log").exists()
