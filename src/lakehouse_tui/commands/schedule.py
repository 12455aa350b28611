"""`lakehouse-tui schedule install | remove | status | show`: the OS timer for [schedule].

systemd user timers on Linux, launchd agents on macOS. `show` and `--dry-run` print the exact
files; `install` is idempotent; `remove` deletes everything `install` wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config
    from lakehouse_tui.schedule.job import InstallPlan, TimerJob

NEXT_RUNS = 5


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "schedule",
        help="install, remove or inspect the OS timer that runs [schedule]",
        description="Manage the systemd user timer (Linux) or launchd agent (macOS) that runs "
        "the [schedule] job headless at the [schedule] cron time.",
    )
    actions = parser.add_subparsers(dest="schedule_action", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install", help="write the timer files and enable them; re-run to update in place"
    )
    install.add_argument(
        "--dry-run",
        dest="schedule_dry_run",
        action="store_true",
        help="print the files and commands instead of changing anything",
    )
    remove = actions.add_parser("remove", help="disable the timer and delete its files")
    remove.add_argument(
        "--dry-run",
        dest="schedule_dry_run",
        action="store_true",
        help="print what would be deleted instead of deleting it",
    )
    actions.add_parser("status", help="installed?, enabled?, next fire times and the last run")
    actions.add_parser("show", help="print the exact files `install` would write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.schedule.job import scheduler_kind

    kind = scheduler_kind()
    action: str = args.schedule_action
    dry_run = bool(getattr(args, "schedule_dry_run", False) or getattr(args, "dry_run", False))
    if action == "remove":
        return _remove(kind, dry_run)
    job = _timer_job(config)
    planned = _plan(kind, job)
    if action == "show" or (action == "install" and dry_run):
        _print_plan(planned)
        return 0
    if action == "install":
        return _install(kind, planned, job)
    return _status(kind, planned, job, config)


def _timer_job(config: Config) -> TimerJob:
    from lakehouse_tui.errors import UsageError
    from lakehouse_tui.schedule.calendar import check_fires
    from lakehouse_tui.schedule.cron import CronError, parse_cron
    from lakehouse_tui.schedule.job import TimerJob, timer_argv

    settings = config.schedule
    try:
        spec = parse_cron(settings.cron)
        check_fires(spec)
    except CronError as err:
        raise UsageError(f"{config.path or 'config'}: [schedule] cron: {err}") from None
    return TimerJob(
        spec=spec,
        timezone=settings.timezone,
        job=settings.job,
        argv=timer_argv(settings.job, config.path),
        log_dir=config.state_dir / "logs",
    )


def _plan(kind: str, job: TimerJob) -> InstallPlan:
    from lakehouse_tui.errors import UsageError
    from lakehouse_tui.schedule import launchd, systemd
    from lakehouse_tui.schedule.cron import CronError

    try:
        return systemd.plan(job) if kind == "systemd" else launchd.plan(job)
    except CronError as err:
        raise UsageError(f"[schedule] cron: {err}") from None


def _print_plan(planned: InstallPlan, verb: str = "schedule") -> None:
    print(f"# {planned.scheduler}: `lakehouse-tui {verb} install` writes these files")
    for path, content in planned.files.items():
        print(f"--- {path}")
        print(content.decode(), end="" if content.endswith(b"\n") else "\n")
    print("# and then runs")
    for command in planned.commands:
        print(" ".join(command))


def _install(kind: str, planned: InstallPlan, job: TimerJob) -> int:
    from lakehouse_tui.schedule import launchd, systemd

    if kind == "systemd":
        messages = systemd.install(planned)
    else:
        messages = launchd.install(planned, job.log_dir)
    for message in messages:
        print(message, file=sys.stderr)
    for warning in _warnings(kind, job):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _remove(kind: str, dry_run: bool) -> int:
    from lakehouse_tui.schedule import launchd, systemd

    messages = systemd.remove(dry_run) if kind == "systemd" else launchd.remove(dry_run)
    for message in messages:
        print(message, file=sys.stdout if dry_run else sys.stderr)
    return 0


def _warnings(kind: str, job: TimerJob) -> list[str]:
    from lakehouse_tui import filesystem

    secrets = filesystem.secrets_warning(filesystem.secrets_path())
    return ([secrets] if secrets else []) + _scheduler_warnings(kind, job)


def _scheduler_warnings(kind: str, job: TimerJob) -> list[str]:
    from lakehouse_tui.schedule import launchd, systemd

    if kind == "launchd":
        note = launchd.timezone_note(job.timezone, dt.datetime.now(dt.UTC))
        return [note] if note else []
    if not systemd.linger_enabled():
        return [
            "lingering is off for this user, so the timer will not run while you are logged "
            "out; turn it on with `loginctl enable-linger`"
        ]
    return []


def _status(kind: str, planned: InstallPlan, job: TimerJob, config: Config) -> int:
    from zoneinfo import ZoneInfo

    from lakehouse_tui.schedule import launchd, systemd
    from lakehouse_tui.schedule.calendar import next_fire_times

    path = next(iter(planned.files))
    install_hint = "run `lakehouse-tui schedule install`"
    if kind == "systemd":
        timer = systemd.state(planned)
        installed, up_to_date = timer.installed, timer.up_to_date
        enabled = (
            f"{'yes' if timer.enabled == 'enabled' else 'no'} ({timer.enabled}, {timer.active})"
        )
        where = f"systemd user timer {systemd.TIMER} in {path.parent}"
        zone = job.timezone
    else:
        installed = path.exists()
        up_to_date = installed and path.read_bytes() == planned.files[path]
        loaded = launchd.is_loaded()
        on = loaded and launchd.is_enabled()
        enabled = f"{'yes' if on else 'no'} ({'loaded' if loaded else 'not loaded'})"
        where = f"launchd agent {launchd.LABEL} at {path}"
        # launchd fires on the Mac's wall clock whatever [schedule] timezone says.
        zone = launchd.system_timezone() or job.timezone
    if not installed:
        state = f"no: {install_hint}"
    elif up_to_date:
        state = "yes, up to date with [schedule]"
    else:
        state = f"yes, but it differs from [schedule]: {install_hint} to update it"
    print(f"scheduler: {where}")
    print(f"installed: {state}")
    print(f"enabled:   {enabled if installed else 'no'}")
    print(f"schedule:  {job.spec.expr} ({job.timezone}) runs job {job.job}")
    print("next runs:" if installed else "next runs once installed:")
    for when in next_fire_times(job.spec, zone, dt.datetime.now(dt.UTC), NEXT_RUNS):
        columns = [f"{when:%a %Y-%m-%d %H:%M %Z}"]
        if zone != job.timezone:
            configured = when.astimezone(ZoneInfo(job.timezone))
            columns.append(f"{configured:%Y-%m-%d %H:%M} {job.timezone}")
        columns.append(f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC")
        print("  " + "   ".join(columns))
    summary = last_timer_run_summary(config)
    print(f"last timer run: {summary or 'no timer-triggered run recorded yet'}")
    for warning in _warnings(kind, job):
        print(f"warning: {warning}")
    return 0


def _when(value: object) -> str:
    if isinstance(value, int | float):  # run store times are epoch seconds
        value = dt.datetime.fromtimestamp(value).astimezone()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def last_timer_run_summary(config: Config, trigger: str = "timer") -> str | None:
    """The last run the timer (or `trigger`) started, from the run store, or None."""
    try:
        from lakehouse_tui.core.store import RunStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    if not config.store_path.exists():
        return None  # don't create an empty store just to look at it
    last = RunStore(config.store_path).last_run(trigger=trigger)
    if last is None:
        return None
    ended = _when(last.ended_at) if last.ended_at else "still running"
    summary = f"run {last.id} {last.status}, started {_when(last.started_at)}, ended {ended}"
    if last.status == "failed" and last.message:
        summary += f": {last.message}"  # e.g. it gave up waiting behind another run
    return summary
