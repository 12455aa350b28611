"""The OS sensor on Linux: a systemd user `.path` unit on the raw dir and its oneshot service.

`PathChanged=` (not `PathModified=`): it fires when a file in the dir is closed after writing,
created, moved in or deleted, that is once per landed file, where `PathModified=` also fires on
every single write of a file still being copied. Either way the service first waits for the
raw dir to settle (`--settle`), so the choice only saves useless activations. While the
service runs, the path unit does not start it again; the service itself goes round again
when files landed during its run. `MakeDirectory=yes` creates a missing raw dir, which
`PathChanged=` needs to watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehouse_tui.errors import UsageError
from lakehouse_tui.schedule import systemd
from lakehouse_tui.schedule.job import InstallPlan

NAME = "lakehouse-tui-sensor"
SERVICE = f"{NAME}.service"
PATH_UNIT = f"{NAME}.path"


@dataclass(frozen=True)
class SensorJob:
    """What the sensor watches and the command line it starts."""

    raw_dir: Path
    selection: str
    argv: tuple[str, ...]
    log_dir: Path


def _path_setting(path: Path) -> str:
    text = str(path)
    if "\n" in text or "\r" in text:
        raise UsageError(f"cannot watch {text!r} with systemd: the path contains a line break")
    return text.replace("%", "%%")


def render_service(job: SensorJob) -> str:
    description = f"lakehouse-tui sensor run of {job.selection}".replace("%", "%%")
    return systemd.service_text(job.argv, description, "sensor")


def render_path(job: SensorJob) -> str:
    return (
        "# Written by `lakehouse-tui sensor install`; re-run it instead of editing.\n"
        "[Unit]\n"
        f"Description=lakehouse-tui sensor: new raw files in {_path_setting(job.raw_dir)}\n"
        "\n"
        "[Path]\n"
        f"PathChanged={_path_setting(job.raw_dir)}\n"
        "MakeDirectory=yes\n"
        f"Unit={SERVICE}\n"
        "\n"
        "[Install]\n"
        "WantedBy=paths.target\n"
    )


def plan(job: SensorJob) -> InstallPlan:
    return systemd.unit_plan({SERVICE: render_service(job), PATH_UNIT: render_path(job)}, PATH_UNIT)


def install(planned: InstallPlan) -> list[str]:
    """Write the units and enable the path unit; re-running updates them in place."""
    return systemd.install(planned, PATH_UNIT)


def remove(dry_run: bool = False) -> list[str]:
    return systemd.remove(dry_run, PATH_UNIT, SERVICE, "paths.target.wants", "sensor")


def state(planned: InstallPlan) -> tuple[bool, bool, str]:
    """installed, up to date, and `yes (enabled, active)` as systemctl reports it."""
    found = systemd.state(planned, PATH_UNIT)
    on = "yes" if found.enabled == "enabled" else "no"
    return found.installed, found.up_to_date, f"{on} ({found.enabled}, {found.active})"
