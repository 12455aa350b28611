"""The OS sensor on macOS: a launchd agent with `WatchPaths` on the raw dir.

launchd starts the agent when anything in the watched dir changes, at most once per
`ThrottleInterval` seconds, and never while it still runs; the agent's command settles the dir
first (`--settle`) and goes round again for files that landed during its run.
"""

from __future__ import annotations

import plistlib
from pathlib import Path

from lakehouse_tui.schedule.job import (
    RUN_TIMEOUT_ENV,
    RUN_TIMEOUT_SECONDS,
    Plan,
    run_tool,
    write_file,
)
from lakehouse_tui.schedule.launchd import domain
from lakehouse_tui.schedule.sensor_systemd import SensorJob

LABEL = "io.github.lakehouse-tui.sensor"
THROTTLE_SECONDS = 5


def agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


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


def plan(job: SensorJob) -> Plan:
    return Plan(
        scheduler="launchd",
        files={agent_path(): render_plist(job)},
        commands=(("launchctl", "bootstrap", domain(), str(agent_path())),),
    )


def is_loaded() -> bool:
    return run_tool(["launchctl", "print", f"{domain()}/{LABEL}"], check=False).returncode == 0


def install(planned: Plan, job: SensorJob) -> list[str]:
    job.log_dir.mkdir(parents=True, exist_ok=True)
    job.raw_dir.mkdir(parents=True, exist_ok=True)  # launchd watches only existing paths
    changed = [path for path, content in planned.files.items() if write_file(path, content)]
    loaded = is_loaded()
    if loaded and not changed:
        return [f"{LABEL} already up to date in {agent_path().parent}"]
    if loaded:
        run_tool(["launchctl", "bootout", f"{domain()}/{LABEL}"])
    for command in planned.commands:
        run_tool(list(command))
    return [f"wrote {path}" for path in changed] or [f"loaded {agent_path()}"]


def remove(dry_run: bool = False) -> list[str]:
    path = agent_path()
    if dry_run:
        lines = [f"would run: launchctl bootout {domain()}/{LABEL}"]
        return lines + ([f"would delete {path}"] if path.exists() else [])
    loaded = is_loaded()
    if loaded:
        run_tool(["launchctl", "bootout", f"{domain()}/{LABEL}"])
    if path.exists():
        path.unlink()
        return [f"deleted {path}"]
    return [f"unloaded {LABEL}"] if loaded else [f"no {LABEL} agent installed in {path.parent}"]
