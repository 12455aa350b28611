"""A systemd user timer: unit files in ~/.config/systemd/user, managed with systemctl --user."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from lakehouse_tui.errors import UsageError
from lakehouse_tui.schedule.calendar import on_calendar
from lakehouse_tui.schedule.job import InstallPlan, TimerJob, run_tool, write_file

NAME = "lakehouse-tui"
SERVICE = f"{NAME}.service"
TIMER = f"{NAME}.timer"
LINGER_DIR = Path("/var/lib/systemd/linger")


def unit_dir() -> Path:
    """The user unit directory, respecting $XDG_CONFIG_HOME."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def quote_exec_arg(arg: str) -> str:
    """One ExecStart= word: `%` specifiers and `$` variables escaped, quoted when needed."""
    if "\n" in arg or "\r" in arg:
        raise UsageError(f"cannot put {arg!r} in a systemd unit: it contains a line break")
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not any(c in arg for c in " \t\"'\\;"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_service(job: TimerJob) -> str:
    return service_text(job.argv, f"lakehouse-tui scheduled run of {job.job}", "schedule")


def service_text(argv: tuple[str, ...], description: str, command: str) -> str:
    """The oneshot service the timer (or the sensor's path unit) starts."""
    words = " ".join(quote_exec_arg(arg) for arg in argv)
    return (
        f"# Written by `lakehouse-tui {command} install`; re-run it instead of editing.\n"
        "[Unit]\n"
        f"Description={description}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "TimeoutStartSec=6h\n"  # a run that never ends is stopped (SIGTERM: cancelled)
        # Timer runs do not see the login shell's environment: secrets named in the config
        # (e.g. the PostgreSQL password variable) come from this optional, user-only file.
        "EnvironmentFile=-%E/lakehouse-tui/secrets.env\n"
        f"ExecStart={words}\n"
        "StandardOutput=journal\n"
        "StandardError=journal\n"
    )


def render_timer(job: TimerJob) -> str:
    calendars = "".join(f"OnCalendar={line}\n" for line in on_calendar(job.spec, job.timezone))
    return (
        "# Written by `lakehouse-tui schedule install`; re-run it instead of editing.\n"
        "[Unit]\n"
        f"Description=lakehouse-tui schedule: {job.spec.expr} {job.timezone}\n"
        "\n"
        "[Timer]\n"
        f"{calendars}"
        # Catch up on a run missed while the machine was off or asleep.
        "Persistent=true\n"
        f"Unit={SERVICE}\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def plan(job: TimerJob) -> InstallPlan:
    return unit_plan({SERVICE: render_service(job), TIMER: render_timer(job)}, TIMER)


def unit_plan(units: dict[str, str], enable: str) -> InstallPlan:
    """Write these units (name -> text) in the user unit dir, then enable `enable`."""
    directory = unit_dir()
    return InstallPlan(
        scheduler="systemd",
        files={directory / name: text.encode() for name, text in units.items()},
        commands=(
            ("systemctl", "--user", "daemon-reload"),
            ("systemctl", "--user", "enable", "--now", enable),
        ),
    )


def install(planned: InstallPlan, main: str = TIMER) -> list[str]:
    """Write the units and enable the timer (or `main`); re-running updates them in place."""
    existed = (unit_dir() / main).exists()
    changed = [path for path, content in planned.files.items() if write_file(path, content)]
    for command in planned.commands:
        run_tool(list(command))
    if existed and changed:
        # A running timer keeps its old calendar (a path unit its old path) until restarted.
        run_tool(["systemctl", "--user", "restart", main])
    if not changed:
        return [f"{main} already up to date in {unit_dir()}"]
    return [f"wrote {path}" for path in changed]


def remove(
    dry_run: bool = False,
    main: str = TIMER,
    service: str = SERVICE,
    wants: str = "timers.target.wants",
    what: str = "timer",
) -> list[str]:
    """Disable the timer (or `main`) and delete the units (and a stray enable symlink)."""
    directory = unit_dir()
    paths = [directory / main, directory / service, directory / wants / main]
    present = [path for path in paths if path.exists() or path.is_symlink()]
    if dry_run:
        return [f"would run: systemctl --user disable --now {main}"] + [
            f"would delete {path}" for path in present
        ]
    if not present:
        return [f"no {NAME} {what} installed in {directory}"]
    # Not installed units make disable fail; the files are deleted below either way.
    run_tool(["systemctl", "--user", "disable", "--now", main], check=False)
    for path in present:
        path.unlink()
    run_tool(["systemctl", "--user", "daemon-reload"])
    return [f"deleted {path}" for path in present]


@dataclass(frozen=True)
class TimerState:
    installed: bool
    up_to_date: bool
    enabled: str  # systemctl is-enabled output, e.g. "enabled", "disabled", "not-found"
    active: str  # systemctl is-active output, e.g. "active", "inactive"


def state(planned: InstallPlan, main: str = TIMER) -> TimerState:
    installed = all(path.exists() for path in planned.files)
    up_to_date = installed and all(path.read_bytes() == c for path, c in planned.files.items())
    enabled = run_tool(["systemctl", "--user", "is-enabled", main], check=False)
    active = run_tool(["systemctl", "--user", "is-active", main], check=False)
    return TimerState(
        installed=installed,
        up_to_date=up_to_date,
        enabled=enabled.stdout.strip() or "unknown",
        active=active.stdout.strip() or "unknown",
    )


def linger_enabled(user: str | None = None) -> bool:
    """Whether the user's timers keep running after they log out."""
    user = user or getpass.getuser()
    result = run_tool(["loginctl", "show-user", user, "-p", "Linger"], check=False)
    if result.returncode == 0 and result.stdout.strip().startswith("Linger="):
        return result.stdout.strip() == "Linger=yes"
    # No logind session for the user (or no loginctl): logind's own record decides.
    return (LINGER_DIR / user).exists()
