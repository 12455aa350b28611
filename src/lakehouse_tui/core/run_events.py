"""What a run reports as it goes: asset statuses, `RunEvent`s, the final `RunOutcome`, the
runner's `ExitCode`s and the warm executor's own messages.

Plain data shared by the executor, the CLI printer, the warm executor's protocol and the TUI.
A JSON line from a runner is parsed once, here (`RunEvent.from_dict`, `parse_runner_line`);
nothing downstream looks into untyped dicts.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The headless runner's exit codes (the CLI's, the warm executor's and the TUI's view)."""

    OK = 0
    FAILED = 1  # the run ran and failed (or an unexpected error)
    USAGE = 2  # bad usage or config: nothing ran
    LOCKED = 3  # another run holds the warehouse: nothing ran
    CANCELLED = 130  # SIGTERM / Ctrl-C: recorded as cancelled
    BROKEN_PIPE = 141  # whoever read our output went away


# Asset statuses within a run.
PENDING, RUNNING, MATERIALIZED, FAILED, SKIPPED, CANCELLED = (
    "pending",
    "running",
    "materialized",
    "failed",
    "skipped",
    "cancelled",
)
BUILT = "built"  # dbt built it; not yet recorded (a transient status, never stored)
FINAL_STATUSES = (MATERIALIZED, FAILED, SKIPPED, CANCELLED)


@dataclass(frozen=True)
class RunEvent:
    event: str
    run_id: str
    ts: float
    step: str | None = None
    asset: str | None = None
    status: str | None = None
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {})}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunEvent | None:
        """A runner's JSON event (or a store row in that shape); None when it is not one."""
        kind = raw.get("event")
        if not isinstance(kind, str) or not kind:
            return None
        ts = raw.get("ts")
        data = raw.get("data")
        return cls(
            event=kind,
            run_id=str(raw.get("run_id") or ""),
            ts=float(ts) if isinstance(ts, int | float) else 0.0,
            step=_text(raw.get("step")),
            asset=_text(raw.get("asset") or raw.get("asset_key")),
            status=_text(raw.get("status")),
            message=_text(raw.get("message")),
            data=dict(data) if isinstance(data, dict) else {},
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# -- the warm executor's own lines (besides the RunEvents of the run it serves) -----------


@dataclass(frozen=True)
class WarmReady:
    """Warmed up (dbt imported, manifest loaded): it takes requests now."""

    pid: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"event": "ready", "pid": self.pid, "seconds": self.seconds}


@dataclass(frozen=True)
class WarmIdle:
    """A request was served; `exit_code` is what a one-shot runner would have exited with."""

    exit_code: int
    error: str | None = None
    runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "idle",
            "exit_code": self.exit_code,
            "error": self.error,
            "runs": self.runs,
        }


@dataclass(frozen=True)
class WarmFatal:
    """It could not warm up and exits with `exit_code`."""

    exit_code: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"event": "fatal", "exit_code": self.exit_code, "error": self.error}


RunnerLine = RunEvent | WarmReady | WarmIdle | WarmFatal


def parse_runner_line(raw: object) -> RunnerLine | None:
    """One decoded JSON line of a runner's stdout, typed; None for anything else."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("event")
    code = raw.get("exit_code")
    error = raw.get("error")
    if kind == "ready":
        pid, seconds = raw.get("pid"), raw.get("seconds")
        return WarmReady(
            pid if isinstance(pid, int) else 0,
            float(seconds) if isinstance(seconds, int | float) else 0.0,
        )
    if kind == "idle":
        runs = raw.get("runs")
        return WarmIdle(
            code if isinstance(code, int) else ExitCode.FAILED,
            str(error) if error else None,
            runs if isinstance(runs, int) else 0,
        )
    if kind == "fatal":
        return WarmFatal(code if isinstance(code, int) else ExitCode.FAILED, str(error or ""))
    return RunEvent.from_dict(raw)


@dataclass
class AssetOutcome:
    key: str
    step: str
    status: str = PENDING
    message: str = ""
    started: float | None = None
    duration: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    run_id: str
    status: str
    assets: dict[str, AssetOutcome]
    failed_checks: list[str]
    message: str
    duration: float


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


EventCallback = Callable[[RunEvent], None]
