"""launchd agent plists: plistlib round trip, install/remove with a recording launchctl."""

from __future__ import annotations

import datetime as dt
import os
import plistlib
from pathlib import Path

import pytest

from lakehouse_tui.schedule import launchd
from lakehouse_tui.schedule.cron import parse_cron
from lakehouse_tui.schedule.job import TimerJob

# Stateful stand-in: bootstrap loads, bootout unloads (and fails when nothing is loaded).
FAKE_LAUNCHCTL = """#!/bin/sh
echo "launchctl $*" >> "$TOOL_LOG"
loaded="$TOOL_STATE/loaded"
case "$1" in
  bootstrap) [ -e "$loaded" ] && { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }
             touch "$loaded" ;;
  bootout) [ -e "$loaded" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }
           rm -f "$loaded" ;;
  print) [ -e "$loaded" ] || exit 113 ;;
  print-disabled) echo "disabled services = {"; echo "}" ;;
esac
exit 0
"""


@pytest.fixture
def launchctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    tool = bin_dir / "launchctl"
    tool.write_text(FAKE_LAUNCHCTL)
    tool.chmod(0o755)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TOOL_LOG", str(log))
    monkeypatch.setenv("TOOL_STATE", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return log


def make_job(tmp_path: Path, cron: str = "0 2 * * *") -> TimerJob:
    return TimerJob(
        spec=parse_cron(cron),
        timezone="Europe/London",
        job="transform_dbt_models",
        argv=("/usr/bin/python3", "-m", "lakehouse_tui", "--job", "transform_dbt_models"),
        log_dir=tmp_path / "state" / "logs",
    )


def test_plist_round_trips(tmp_path: Path) -> None:
    data = plistlib.loads(launchd.render_plist(make_job(tmp_path, "0 0 1 * 0")))
    assert data == {
        "Label": launchd.LABEL,
        "ProgramArguments": [
            "/usr/bin/python3",
            "-m",
            "lakehouse_tui",
            "--job",
            "transform_dbt_models",
        ],
        "StartCalendarInterval": [
            {"Day": 1, "Hour": 0, "Minute": 0},
            {"Weekday": 0, "Hour": 0, "Minute": 0},
        ],
        "StandardOutPath": str(tmp_path / "state" / "logs" / "schedule.out.log"),
        "StandardErrorPath": str(tmp_path / "state" / "logs" / "schedule.err.log"),
        "RunAtLoad": False,
        "EnvironmentVariables": {"LAKEHOUSE_TUI_RUN_TIMEOUT": "21600"},
    }


def test_install_is_idempotent_and_remove_cleans_up(tmp_path: Path, launchctl: Path) -> None:
    job = make_job(tmp_path)
    planned = launchd.plan(job)
    plist = tmp_path / "home" / "Library" / "LaunchAgents" / f"{launchd.LABEL}.plist"
    assert list(planned.files) == [plist]
    domain = f"gui/{os.getuid()}"

    assert launchd.install(planned, job.log_dir) == [f"wrote {plist}"]
    assert (tmp_path / "state" / "logs").is_dir()
    assert plistlib.loads(plist.read_bytes())["Label"] == launchd.LABEL
    assert launchctl.read_text().splitlines() == [
        f"launchctl print {domain}/{launchd.LABEL}",
        f"launchctl bootstrap {domain} {plist}",
    ]
    assert launchd.is_loaded() and launchd.is_enabled()

    launchctl.write_text("")
    assert launchd.install(planned, job.log_dir) == [
        f"{launchd.LABEL} already up to date in {plist.parent}"
    ]
    assert "bootstrap" not in launchctl.read_text()

    # A changed schedule: unload the old agent, then load the new plist.
    launchctl.write_text("")
    changed = launchd.plan(make_job(tmp_path, "0 3 * * *"))
    assert launchd.install(changed, job.log_dir) == [f"wrote {plist}"]
    assert launchctl.read_text().splitlines()[1:] == [
        f"launchctl bootout {domain}/{launchd.LABEL}",
        f"launchctl bootstrap {domain} {plist}",
    ]
    assert plistlib.loads(plist.read_bytes())["StartCalendarInterval"] == [{"Hour": 3, "Minute": 0}]

    assert launchd.remove() == [f"deleted {plist}"]
    assert not launchd.is_loaded()
    assert [p for p in (tmp_path / "home").rglob("*") if p.is_file()] == []
    assert launchd.remove() == [f"no {launchd.LABEL} agent installed in {plist.parent}"]


def test_disabled_label_is_reported(tmp_path: Path, launchctl: Path) -> None:
    tool = tmp_path / "fakebin" / "launchctl"
    tool.write_text(f"#!/bin/sh\necho '\t\"{launchd.LABEL}\" => disabled'\n")
    assert launchd.is_enabled() is False


def test_same_zone_needs_no_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launchd.SYSTEM_TZ_ENV, "Europe/London")
    assert launchd.timezone_note("Europe/London", dt.datetime(2027, 1, 1, tzinfo=dt.UTC)) is None


def test_other_zone_is_described(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launchd.SYSTEM_TZ_ENV, "America/New_York")
    note = launchd.timezone_note("Europe/London", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert note is not None and "\n" not in note
    assert "read as America/New_York wall time" in note
    # The weeks where the US and the UK change clocks on different Sundays are named.
    assert "5 h ahead of America/New_York until 2027-03-14" in note
    assert "4 h ahead of America/New_York from 2027-03-14 until 2027-03-28" in note
    assert "4 h ahead of America/New_York from 2027-10-31 until 2027-11-07" in note
