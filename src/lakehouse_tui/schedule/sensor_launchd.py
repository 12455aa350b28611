"""The OS sensor on macOS: a launchd agent with `WatchPaths` on the raw dir.

launchd starts the agent when anything in the watched dir changes, at most once per
`ThrottleInterval` seconds, and never while it still runs; the agent's command settles the dir
first (`--settle`) and goes round again for files that landed during its run.
"""

from __future__ import annotations

import plistlib

from lakehouse_tui.schedule import launchd
from lakehouse_tui.schedule.job import RUN_TIMEOUT_ENV, RUN_TIMEOUT_SECONDS, InstallPlan
from lakehouse_tui.schedule.sensor_systemd import SensorJob

LABEL = "io.github.lakehouse-tui.sensor"
THROTTLE_SECONDS = 5


def render_plist(job: SensorJob) -> bytes:
    return plistlib.dumps(
        {
            "Label": LABEL,
            "ProgramArguments": list(job.argv),
            "WatchPaths": [str(job.raw_dir)],
            "ThrottleInterval": THROTTLE_SECONDS,
            "StandardOutPath": str(job.log_dir / "sensor.out.log"),
            "StandardErrorPath": str(job.log_dir / "sensor.err.log"),
            "RunAtLoad": False,
            "EnvironmentVariables": {RUN_TIMEOUT_ENV: str(RUN_TIMEOUT_SECONDS)},
        },
        fmt=plistlib.FMT_XML,
    )


def plan(job: SensorJob) -> InstallPlan:
    path = launchd.agent_path(LABEL)
    return InstallPlan(
        scheduler="launchd",
        files={path: render_plist(job)},
        commands=(("launchctl", "bootstrap", launchd.domain(), str(path)),),
    )


def install(planned: InstallPlan, job: SensorJob) -> list[str]:
    job.raw_dir.mkdir(parents=True, exist_ok=True)  # launchd watches only existing paths
    return launchd.install(planned, job.log_dir, LABEL)


def remove(dry_run: bool = False) -> list[str]:
    return launchd.remove(dry_run, LABEL)
