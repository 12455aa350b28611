"""`lakehouse-tui sensor install | remove | status | show`: the OS sensor for new raw files.

A systemd user `.path` unit (Linux) or a launchd agent with `WatchPaths` (macOS) on the raw
dir starts `--materialize '<[sensor] selection>' --skip-unchanged --wait --trigger sensor
--settle`: the one run path, after the raw dir has settled. Mirrors `schedule`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config
    from lakehouse_tui.schedule.job import InstallPlan
    from lakehouse_tui.schedule.sensor_systemd import SensorJob


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "sensor",
        help="install, remove or inspect the OS sensor that runs [sensor] on new raw files",
        description="Manage the systemd user path unit (Linux) or launchd agent (macOS) that "
        "materializes [sensor] selection when files land in the raw dir.",
    )
    actions = parser.add_subparsers(dest="sensor_action", metavar="ACTION", required=True)
    for name, text in (
        ("install", "write the sensor files and enable them; re-run to update in place"),
        ("remove", "disable the sensor and delete its files"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "--dry-run",
            dest="sensor_dry_run",
            action="store_true",
            help="print what would change instead of changing anything",
        )
    actions.add_parser("status", help="installed?, enabled?, what it watches and the last run")
    actions.add_parser("show", help="print the exact files `install` would write")
    parser.set_defaults(handler=run)


def sensor_argv(config: Config) -> tuple[str, ...]:
    """The run the sensor starts, through the interpreter that installed it (see
    runservice.argv for why sys.executable is not resolved)."""
    from lakehouse_tui.runservice.argv import child_argv

    args = ("--materialize", config.sensor.selection, "--skip-unchanged", "--wait",
            "--trigger", "sensor", "--settle")  # fmt: skip
    return tuple(child_argv(*args, config_path=config.path, installed=True))


def _job(config: Config) -> SensorJob:
    from lakehouse_tui.schedule.sensor_systemd import SensorJob

    return SensorJob(
        raw_dir=config.lake.raw_dir.expanduser().absolute(),
        selection=config.sensor.selection,
        argv=sensor_argv(config),
        log_dir=config.state_dir / "logs",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.commands.schedule import _print_plan
    from lakehouse_tui.schedule import sensor_launchd, sensor_systemd
    from lakehouse_tui.schedule.job import scheduler_kind

    kind = scheduler_kind()
    action: str = args.sensor_action
    dry_run = bool(getattr(args, "sensor_dry_run", False))
    if action == "remove":
        remove = sensor_systemd.remove if kind == "systemd" else sensor_launchd.remove
        for message in remove(dry_run):
            print(message, file=sys.stdout if dry_run else sys.stderr)
        return 0
    job = _job(config)
    planned = sensor_systemd.plan(job) if kind == "systemd" else sensor_launchd.plan(job)
    if action == "show" or (action == "install" and dry_run):
        _print_plan(planned, "sensor")
        return 0
    if action == "install":
        if kind == "systemd":
            messages = sensor_systemd.install(planned)
        else:
            messages = sensor_launchd.install(planned, job)
        for message in messages:
            print(message, file=sys.stderr)
        return 0
    return _status(kind, planned, job, config)


def _status(kind: str, planned: InstallPlan, job: SensorJob, config: Config) -> int:
    from lakehouse_tui.commands.schedule import last_timer_run_summary
    from lakehouse_tui.schedule import launchd, sensor_launchd, sensor_systemd

    path = next(iter(planned.files))
    if kind == "systemd":
        installed, up_to_date, enabled = sensor_systemd.state(planned)
        where = f"systemd user path unit {sensor_systemd.PATH_UNIT} in {path.parent}"
    else:
        installed = path.exists()
        up_to_date = installed and path.read_bytes() == planned.files[path]
        loaded = launchd.is_loaded(sensor_launchd.LABEL)
        enabled = f"{'yes' if loaded else 'no'} ({'loaded' if loaded else 'not loaded'})"
        where = f"launchd agent {sensor_launchd.LABEL} at {path}"
    hint = "run `lakehouse-tui sensor install`"
    if not installed:
        state = f"no: {hint}"
    elif up_to_date:
        state = "yes, up to date with [sensor]"
    else:
        state = f"yes, but it differs from [sensor]: {hint} to update it"
    print(f"sensor:    {where}")
    print(f"installed: {state}")
    print(f"enabled:   {enabled if installed else 'no'}")
    print(f"watching:  {job.raw_dir} (settle {config.sensor.settle})")
    print(f"runs:      --materialize {job.selection!r} --skip-unchanged --wait --trigger sensor")
    summary = last_timer_run_summary(config, trigger="sensor")
    print(f"last sensor run: {summary or 'no sensor-triggered run recorded yet'}")
    if summary:
        print(f"  it ran: {_what_it_ran(config)}")
    return 0


def _what_it_ran(config: Config) -> str:
    from lakehouse_tui.core.store import RunStore

    store = RunStore(config.store_path)
    try:
        last = store.last_run(trigger="sensor")
        assets = store.run_assets(last.id) if last else []
    finally:
        store.close()
    if last is not None and last.status == "noop":
        return "nothing (nothing selected was stale)"
    if not assets:
        return "nothing"
    return ", ".join(f"{a.asset_key} ({a.status})" for a in assets)
