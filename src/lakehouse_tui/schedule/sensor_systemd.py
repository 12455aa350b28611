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
from lakehouse_tui.schedule.job import Plan, run_tool, write_file
from lakehouse_tui.schedule.systemd import quote_exec_arg, unit_dir

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
    command = " ".join(quote_exec_arg(arg) for arg in job.argv)
    return (
        "# Written by `lakehouse-tui sensor install`; re-run it instead of editing.\n"
        "[Unit]\n"
        f"Description=lakehouse-tui sensor run of {job.selection}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "TimeoutStartSec=6h\n"
        "EnvironmentFile=-%E/lakehouse-tui/secrets.env\n"
        f"ExecStart={command}\n"
        "StandardOutput=journal\n"
        "StandardError=journal\n"
    )


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


def plan(job: SensorJob) -> Plan:
    directory = unit_dir()
    return Plan(
        scheduler="systemd",
        files={
            directory / SERVICE: render_service(job).encode(),
            directory / PATH_UNIT: render_path(job).encode(),
        },
        commands=(
            ("systemctl", "--user", "daemon-reload"),
            ("systemctl", "--user", "enable", "--now", PATH_UNIT),
        ),
    )


def install(planned: Plan) -> list[str]:
    """Write the units and enable the path unit; re-running updates them in place."""
    existed = (unit_dir() / PATH_UNIT).exists()
    changed = [path for path, content in planned.files.items() if write_file(path, content)]
    for command in planned.commands:
        run_tool(list(command))
    if existed and changed:
        run_tool(["systemctl", "--user", "restart", PATH_UNIT])  # watch the new dir
    if not changed:
        return [f"{PATH_UNIT} already up to date in {unit_dir()}"]
    return [f"wrote {path}" for path in changed]


def remove(dry_run: bool = False) -> list[str]:
    directory = unit_dir()
    paths = [
        directory / PATH_UNIT,
        directory / SERVICE,
        directory / "paths.target.wants" / PATH_UNIT,
    ]
    present = [path for path in paths if path.exists() or path.is_symlink()]
    if dry_run:
        return [f"would run: systemctl --user disable --now {PATH_UNIT}"] + [
            f"would delete {path}" for path in present
        ]
    if not present:
        return [f"no {NAME} sensor installed in {directory}"]
    run_tool(["systemctl", "--user", "disable", "--now", PATH_UNIT], check=False)
    for path in present:
        path.unlink()
    run_tool(["systemctl", "--user", "daemon-reload"])
    return [f"deleted {path}" for path in present]


def state(planned: Plan) -> tuple[bool, bool, str]:
    """installed, up to date, and `enabled (active)` as systemctl reports it."""
    installed = all(path.exists() for path in planned.files)
    up_to_date = installed and all(path.read_bytes() == c for path, c in planned.files.items())
    enabled = run_tool(["systemctl", "--user", "is-enabled", PATH_UNIT], check=False)
    active = run_tool(["systemctl", "--user", "is-active", PATH_UNIT], check=False)
    words = enabled.stdout.strip() or "unknown", active.stdout.strip() or "unknown"
    on = "yes" if words[0] == "enabled" else "no"
    return installed, up_to_date, f"{on} ({words[0]}, {words[1]})"
