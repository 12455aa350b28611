"""What an OS timer runs and when: the shared input of the systemd and launchd writers."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lakehouse_tui.errors import LakehouseError, UsageError
from lakehouse_tui.schedule.cron import CronSpec

SCHEDULER_ENV = "LAKEHOUSE_TUI_SCHEDULER"  # hidden override: "systemd" or "launchd"
# A scheduled run that never ends is stopped after this long (systemd's TimeoutStartSec=6h).
RUN_TIMEOUT_ENV, RUN_TIMEOUT_SECONDS = "LAKEHOUSE_TUI_RUN_TIMEOUT", 6 * 3600


@dataclass(frozen=True)
class TimerJob:
    """The cron schedule, its time zone and the command line the timer starts."""

    spec: CronSpec
    timezone: str
    job: str
    argv: tuple[str, ...]
    log_dir: Path


@dataclass(frozen=True)
class InstallPlan:
    """Exactly what `install` writes and runs; `show` and `--dry-run` print it."""

    scheduler: str
    files: dict[Path, bytes]
    commands: tuple[tuple[str, ...], ...]


def timer_argv(job: str, config_path: Path | None) -> tuple[str, ...]:
    """The headless run the timer starts, through the interpreter that installed it.

    `--wait`: a timer firing while the TUI or a terminal runs queues behind that run (up to
    [schedule] max_wait, read when it fires) instead of losing the night's refresh.
    """
    from lakehouse_tui.runservice.argv import child_argv

    args = ("--job", job, "--trigger", "timer", "--wait")
    return tuple(child_argv(*args, config_path=config_path, installed=True))


def scheduler_kind() -> str:
    """systemd on Linux, launchd on macOS; LAKEHOUSE_TUI_SCHEDULER overrides (for tests)."""
    forced = os.environ.get(SCHEDULER_ENV, "")
    if forced:
        if forced not in ("systemd", "launchd"):
            raise UsageError(f"{SCHEDULER_ENV}={forced!r}: expected systemd or launchd")
        return forced
    if sys.platform == "darwin":
        return "launchd"
    if sys.platform.startswith("linux"):
        return "systemd"
    raise UsageError(f"no supported OS timer on {sys.platform}; schedule runs with cron instead")


def run_tool(argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run systemctl/launchctl/loginctl; failures become one-line LakehouseErrors."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        if not check:  # status-style probes report "unknown" instead of failing
            return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]}: not found")
        raise LakehouseError(
            f"`{argv[0]}` not found on PATH; it is needed to manage the timer"
        ) from None
    except subprocess.TimeoutExpired:
        raise LakehouseError(f"`{' '.join(argv)}` did not finish within 60 s") from None
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit status {result.returncode}"
        raise LakehouseError(f"`{' '.join(argv)}` failed: {reason}")
    return result


def write_file(path: Path, content: bytes) -> bool:
    """Write atomically; returns False when the file already had this content."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_bytes(content)
    scratch.replace(path)
    return True
