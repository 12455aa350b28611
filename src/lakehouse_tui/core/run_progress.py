"""One run's progress, folded from its `RunEvent`s: what the CLI printer and the TUI's run
panel both render, so the two never disagree about what ran, failed or was blocked.

`RunProgress.apply(event)` is the whole reducer; the renderers only read. A failed run
explains itself from here (`explanation()`): what failed and why, which checks failed, and
what was blocked (skipped because of an upstream failure), and a step's outcome counts its
assets (`step_outcome`), so a step whose models were blocked is never "succeeded".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakehouse_tui.core import run_events as ev
from lakehouse_tui.core.run_events import RunEvent

CANCELLED, FAILED, MATERIALIZED = ev.CANCELLED, ev.FAILED, ev.MATERIALIZED
PENDING, RUNNING, SKIPPED = ev.PENDING, ev.RUNNING, ev.SKIPPED

FINAL_ASSET_EVENTS = ("asset_materialized", "asset_failed", "asset_skipped", "asset_cancelled")
EVENT_STATUS = {
    "asset_started": RUNNING,
    "asset_materialized": MATERIALIZED,
    "asset_failed": FAILED,
    "asset_skipped": SKIPPED,
    "asset_cancelled": CANCELLED,
}
PROBLEM_CHECK_STATUSES = ("fail", "error", "warn")


@dataclass
class AssetProgress:
    key: str
    step: str = ""
    status: str = PENDING
    message: str = ""
    rows: int | None = None
    duration: float | None = None


@dataclass(frozen=True)
class CheckProblem:
    """A check that failed, errored or warned during the run."""

    name: str
    asset: str
    status: str
    failures: int | None
    severity: str


@dataclass
class RunProgress:
    run_id: str = ""
    selection: str = ""
    trigger: str = ""
    assets: dict[str, AssetProgress] = field(default_factory=dict)  # in plan order
    steps: dict[str, list[str]] = field(default_factory=dict)  # step name -> its assets
    step: str = ""  # the step running now
    step_status: dict[str, str] = field(default_factory=dict)  # as the executor reported
    checks: list[CheckProblem] = field(default_factory=list)
    note: str = ""  # e.g. an Airbyte sync's counters
    status: str = ""  # the run's final status; "" while it goes
    message: str = ""
    duration: float | None = None
    cancelling: bool = False  # a cancel was sent: an asset that fails now was stopped

    # -- the reducer ------------------------------------------------------------------------

    def apply(self, event: RunEvent) -> None:
        kind, data = event.event, event.data
        if kind == "run_started":
            self.run_id = event.run_id or self.run_id
            self.selection = event.message or self.selection
            self.trigger = str(data.get("trigger") or "")
            self._plan(data.get("plan"))
        elif kind == "step_started" and event.step:
            self.step = event.step
        elif kind == "step_finished" and event.step:
            self.step_status[event.step] = event.status or ""
        elif kind == "asset_progress" and event.asset:
            records = data.get("records")
            self.note = f"{event.asset}: {event.status or ''} {records or 0} records"
        elif kind in EVENT_STATUS and event.asset:
            self._asset(event)
        elif kind == "check_evaluated" and event.status in PROBLEM_CHECK_STATUSES:
            failures = data.get("failures")
            self.checks.append(
                CheckProblem(
                    name=event.message or "?",
                    asset=event.asset or "?",
                    status=event.status or "",
                    failures=failures if isinstance(failures, int) else None,
                    severity=str(data.get("severity") or ""),
                )
            )
        elif kind == "run_finished":
            self.finish(event.status or "finished", event.message or "", data.get("duration"))

    def finish(self, status: str, message: str = "", duration: Any = None) -> None:
        self.status, self.message = status, message
        self.duration = float(duration) if isinstance(duration, int | float) else self.duration
        if status == "cancelled":  # what was still running did not fail: it was stopped
            for asset in self.assets.values():
                if asset.status == RUNNING:
                    asset.status, asset.message = CANCELLED, "run cancelled"

    def _plan(self, plan: object) -> None:
        if not isinstance(plan, list):
            return
        for step in plan:
            if not isinstance(step, dict) or step.get("kind") == "publish":
                continue
            name = str(step.get("name") or step.get("kind") or "")
            keys = [str(k) for k in step.get("assets") or []]
            self.steps[name] = keys
            for key in keys:
                self.assets.setdefault(key, AssetProgress(key, name))

    def _asset(self, event: RunEvent) -> None:
        key = str(event.asset)
        asset = self.assets.setdefault(key, AssetProgress(key, event.step or ""))
        status = EVENT_STATUS[event.event]
        if self.is_cancel(event):
            status = CANCELLED
        asset.status = status
        asset.message = event.message or asset.message
        if event.step:
            asset.step = event.step
        rows, seconds = event.data.get("rows"), event.data.get("duration")
        asset.rows = rows if isinstance(rows, int) else asset.rows
        asset.duration = float(seconds) if isinstance(seconds, int | float) else asset.duration

    def is_cancel(self, event: RunEvent) -> bool:
        """An asset stopped by a cancel: recorded so, or reported failed after we sent SIGTERM
        (dbt reports the interrupted model as an error)."""
        if event.event == "asset_cancelled" or event.status == CANCELLED:
            return True
        return self.cancelling and event.event == "asset_failed"

    # -- what the renderers read ------------------------------------------------------------

    def with_status(self, *statuses: str) -> list[AssetProgress]:
        return [a for a in self.assets.values() if a.status in statuses]

    @property
    def total(self) -> int:
        return len(self.assets)

    @property
    def done(self) -> int:
        return len(self.with_status(MATERIALIZED, FAILED, SKIPPED, CANCELLED))

    @property
    def running(self) -> list[str]:
        return [a.key for a in self.with_status(RUNNING)]

    @property
    def queued(self) -> list[str]:
        """Planned, not started yet."""
        return [a.key for a in self.with_status(PENDING)]

    @property
    def finished(self) -> bool:
        return bool(self.status)

    def step_outcome(self, step: str) -> str:
        """succeeded only when every asset of the step materialized; failed when one failed;
        else what kept the rest from it (skipped, cancelled)."""
        statuses = [self.assets[k].status for k in self.steps.get(step, []) if k in self.assets]
        reported = self.step_status.get(step, "")
        if not statuses:
            return reported or "succeeded"
        if FAILED in statuses or reported == FAILED:
            return FAILED
        if CANCELLED in statuses:
            return CANCELLED
        if all(s == SKIPPED for s in statuses):
            return SKIPPED
        if SKIPPED in statuses:
            return "partly skipped"
        return "succeeded"

    def step_summary(self, step: str) -> str:
        """`dbt duckdb: 2 materialized, 3 skipped`."""
        counts: dict[str, int] = {}
        for key in self.steps.get(step, []):
            status = self.assets[key].status
            counts[status] = counts.get(status, 0) + 1
        order = (MATERIALIZED, FAILED, SKIPPED, CANCELLED, RUNNING, PENDING)
        parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
        return f"{step}: {', '.join(parts)}" if parts else step

    def explanation(self) -> list[str]:
        """Why a run did not succeed, a line each: what failed and why, which checks failed
        or errored, what was blocked by what. Empty for a run that succeeded."""
        lines = [
            f"failed: {a.key}: {a.message}" if a.message else f"failed: {a.key}"
            for a in self.with_status(FAILED)
        ]
        for check in self.checks:
            if check.status == "warn":
                continue
            rows = f" ({check.failures} rows)" if check.failures is not None else ""
            lines.append(f"check {check.name} on {check.asset}: {check.status}{rows}")
        by_reason: dict[str, list[str]] = {}
        for asset in self.with_status(SKIPPED):
            by_reason.setdefault(blocked_reason(asset.message), []).append(asset.key)
        for reason, keys in by_reason.items():
            lines.append(f"blocked: {', '.join(keys)}" + (f" ({reason})" if reason else ""))
        cancelled = [a.key for a in self.with_status(CANCELLED)]
        if cancelled:
            lines.append(f"cancelled: {', '.join(cancelled)}")
        not_run = self.queued if self.finished else []
        if not_run:
            lines.append(f"not run: {', '.join(not_run)}")
        return lines


def blocked_reason(message: str) -> str:
    """`upstream stg_x failed check not_null_y` -> `stg_x failed check not_null_y`."""
    return message.removeprefix("upstream ").strip()


def blocking_check(message: str) -> str | None:
    """The check named in a skip or failure reason (`... failed check NAME`), if any."""
    marker = "failed check "
    if marker not in message:
        return None
    return message.split(marker, 1)[1].split(":", 1)[0].split()[0]
