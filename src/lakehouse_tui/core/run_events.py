"""What a run reports as it goes: asset statuses, `RunEvent`s and the final `RunOutcome`.

Plain data shared by the executor, the CLI printer, the warm executor's protocol and the TUI.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

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
