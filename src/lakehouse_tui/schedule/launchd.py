"""A launchd user agent: a plist in ~/Library/LaunchAgents, managed with launchctl.

launchd has no time zones: StartCalendarInterval is read in the Mac's own time zone, so when
[schedule] timezone differs, `timezone_note` says what will really happen.
"""

from __future__ import annotations

import datetime as dt
import os
import plistlib
import zoneinfo
from pathlib import Path

from lakehouse_tui.schedule.calendar import start_calendar_intervals
from lakehouse_tui.schedule.job import (
    RUN_TIMEOUT_ENV,
    RUN_TIMEOUT_SECONDS,
    InstallPlan,
    TimerJob,
    run_tool,
    write_file,
)

LABEL = "io.github.lakehouse-tui.schedule"
SYSTEM_TZ_ENV = "LAKEHOUSE_TUI_SYSTEM_TZ"  # hidden override of the Mac's zone, for tests


def agent_path(label: str = LABEL) -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{label}.plist"


def domain() -> str:
    return f"gui/{os.getuid()}"


def render_plist(job: TimerJob) -> bytes:
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": list(job.argv),
            "StartCalendarInterval": start_calendar_intervals(job.spec),
            "StandardOutPath": str(job.log_dir / "schedule.out.log"),
            "StandardErrorPath": str(job.log_dir / "schedule.err.log"),
            "RunAtLoad": False,
            # launchd has no run-time limit (systemd: TimeoutStartSec): the runner stops itself.
            "EnvironmentVariables": {RUN_TIMEOUT_ENV: str(RUN_TIMEOUT_SECONDS)},
        },
        fmt=plistlib.FMT_XML,
    )


def plan(job: TimerJob) -> InstallPlan:
    return InstallPlan(
        scheduler="launchd",
        files={agent_path(): render_plist(job)},
        commands=(("launchctl", "bootstrap", domain(), str(agent_path())),),
    )


def is_loaded(label: str = LABEL) -> bool:
    return run_tool(["launchctl", "print", f"{domain()}/{label}"], check=False).returncode == 0


def install(planned: InstallPlan, log_dir: Path, label: str = LABEL) -> list[str]:
    """Write the plist and (re)load it; launchd only rereads a plist on bootstrap."""
    log_dir.mkdir(parents=True, exist_ok=True)
    changed = [path for path, content in planned.files.items() if write_file(path, content)]
    loaded = is_loaded(label)
    if loaded and not changed:
        return [f"{label} already up to date in {agent_path(label).parent}"]
    if loaded:
        run_tool(["launchctl", "bootout", f"{domain()}/{label}"])
    for command in planned.commands:
        run_tool(list(command))
    return [f"wrote {path}" for path in changed] or [f"loaded {agent_path(label)}"]


def remove(dry_run: bool = False, label: str = LABEL) -> list[str]:
    path = agent_path(label)
    if dry_run:
        lines = [f"would run: launchctl bootout {domain()}/{label}"]
        return lines + ([f"would delete {path}"] if path.exists() else [])
    loaded = is_loaded(label)
    if loaded:
        run_tool(["launchctl", "bootout", f"{domain()}/{label}"])
    if path.exists():
        path.unlink()
        return [f"deleted {path}"]
    return [f"unloaded {label}"] if loaded else [f"no {label} agent installed in {path.parent}"]


def is_enabled() -> bool:
    """False only when launchd records the label as disabled (`launchctl disable`)."""
    result = run_tool(["launchctl", "print-disabled", domain()], check=False)
    for line in result.stdout.splitlines():
        if f'"{LABEL}"' in line:
            return not ("=> true" in line or "=> disabled" in line)
    return True


def system_timezone() -> str | None:
    """The Mac's time zone name from the /etc/localtime symlink (what launchd uses)."""
    forced = os.environ.get(SYSTEM_TZ_ENV)
    if forced:
        return forced
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return None
    _, found, name = target.partition("zoneinfo/")
    return name if found else None


def _offset_periods(configured: str, system: str, start: dt.date, days: int) -> list[str]:
    """Describe how far the configured zone is ahead of the system zone, period by period."""
    zones = zoneinfo.ZoneInfo(configured), zoneinfo.ZoneInfo(system)
    periods: list[tuple[dt.date, dt.timedelta]] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        difference = (noon.astimezone(zones[0]).utcoffset() or dt.timedelta()) - (
            noon.astimezone(zones[1]).utcoffset() or dt.timedelta()
        )
        if not periods or periods[-1][1] != difference:
            periods.append((day, difference))
    words = []
    for index, (day, difference) in enumerate(periods):
        hours = difference.total_seconds() / 3600
        amount = f"{abs(hours):g} h {'ahead of' if hours >= 0 else 'behind'} {system}"
        if hours == 0:
            amount = f"the same as {system}"
        until = periods[index + 1][0] if index + 1 < len(periods) else None
        when = (f" from {day}" if index else "") + (f" until {until}" if until else "")
        words.append(amount + when)
    return words


def timezone_note(configured: str, now: dt.datetime) -> str | None:
    """None when launchd's local time matches [schedule] timezone for the coming year."""
    system = system_timezone()
    if system is None:
        return (
            f"launchd runs the schedule in this Mac's time zone, which could not be read, "
            f"not in {configured}; set [schedule] timezone to the Mac's zone to be sure"
        )
    periods = _offset_periods(configured, system, now.date(), 366)
    if periods == [f"the same as {system}"]:
        return None
    return (
        f"launchd has no time zones: the cron fields are read as {system} wall time "
        f"(this Mac's zone), not {configured}; {configured} is "
        + ", then ".join(periods)
        + f", so in {configured} the runs move by that much, DST days included; to run at "
        f'{configured} times set [schedule] timezone = "{system}" and convert the cron, '
        "or change the Mac's time zone"
    )
