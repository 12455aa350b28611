"""Everything one run records: asset statuses, materializations, check results, log lines and
the events front ends follow. A recorder is created for each run, so no state outlives it.

dbt calls into the recorder from its worker threads; the run store serialises the writes.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from lakehouse_tui.core import versions
from lakehouse_tui.core.assets import Check
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.plan import Plan
from lakehouse_tui.core.run_events import (
    CANCELLED,
    FAILED,
    FINAL_STATUSES,
    MATERIALIZED,
    RUNNING,
    SKIPPED,
    AssetOutcome,
    EventCallback,
    RunEvent,
    RunOutcome,
)
from lakehouse_tui.core.store import FailingRows, Materialization, RunStore

if TYPE_CHECKING:
    from lakehouse_tui.core.checks import CheckVerdict

STATUS_EVENTS = {
    RUNNING: "asset_started",
    FAILED: "asset_failed",
    SKIPPED: "asset_skipped",
    CANCELLED: "asset_cancelled",
}


class RunRecorder:
    def __init__(
        self,
        store: RunStore,
        graph: AssetGraph,
        plan: Plan,
        run_id: str,
        on_event: EventCallback,
    ) -> None:
        self.store = store
        self.graph = graph
        self.plan = plan
        self.run_id = run_id
        self.on_event = on_event
        self.started = time.time()
        self.outcomes = {key: AssetOutcome(key, step) for key, step in plan.asset_steps()}
        self.blocking: dict[str, str] = {}  # asset -> why its downstream must not run
        self.failed_checks: list[str] = []
        self.latest: dict[str, Materialization] = {}
        self.data_versions: dict[str, str] = {}

    # -- the run's beginning and end ------------------------------------------------------

    def start(self, *, trigger: str, job: str | None) -> None:
        self.store.start_run(
            self.run_id,
            selection=self.plan.selection,
            job=job,
            trigger=trigger,
            pid=os.getpid(),
            plan=self.plan.to_list(),
            assets=self.plan.asset_steps(),
        )
        self.emit(
            "run_started",
            message=self.plan.selection,
            data={"trigger": trigger, "plan": self.plan.to_list()},
        )

    def settle_unfinished(self, status: str, message: str) -> None:
        """Give every asset that has no final status (pending, running, or built by dbt but
        not yet recorded) the given one."""
        for outcome in self.outcomes.values():
            if outcome.status not in FINAL_STATUSES:
                self.set_status(outcome.key, status, message)

    def conclude(self) -> RunOutcome:
        """Finish a run whose steps all ran: succeeded, or failed naming the causes."""
        outcomes = self.outcomes.values()
        failed = [o for o in outcomes if o.status not in (MATERIALIZED, SKIPPED)]
        skipped = [o for o in outcomes if o.status == SKIPPED]
        if not (failed or skipped or self.failed_checks):
            return self.finish("succeeded", "")
        # The causes, not every consequence: the summary table lists each asset.
        parts = [
            f"{o.key} {o.status} ({o.message})" if o.message else f"{o.key} {o.status}"
            for o in failed
        ]
        parts += [
            f"check {name} failed"
            for name in self.failed_checks
            if not any(f"check {name} failed" in o.message for o in failed)
        ]
        if skipped:
            parts.append(f"{len(skipped)} downstream asset(s) skipped")
        return self.finish("failed", "; ".join(parts))

    def finish(self, status: str, message: str) -> RunOutcome:
        self.store.finish_run(self.run_id, status, message or None)
        duration = time.time() - self.started
        self.emit(
            "run_finished",
            status=status,
            message=message or None,
            data={"duration": round(duration, 3)},
        )
        return RunOutcome(self.run_id, status, self.outcomes, self.failed_checks, message, duration)

    # -- events and statuses ----------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> None:
        run_event = RunEvent(event, self.run_id, time.time(), **fields)
        self.store.add_event(
            self.run_id,
            event,
            step=run_event.step,
            asset_key=run_event.asset,
            message=run_event.message,
            status=run_event.status,
            data=run_event.data or None,
        )
        self.on_event(run_event)

    def log(self, key: str | None, level: str, message: str) -> None:
        self.store.add_logs([(self.run_id, key, time.time(), level, message)])

    def set_status(self, key: str, status: str, message: str = "") -> None:
        outcome = self.outcomes[key]
        outcome.status = status
        outcome.message = message
        now = time.time()
        if status == RUNNING:
            outcome.started = now
        elif outcome.started is not None and outcome.duration is None:
            outcome.duration = now - outcome.started
        self.store.set_asset_status(self.run_id, key, status, message or None)
        if status in STATUS_EVENTS:
            self.emit(
                STATUS_EVENTS[status],
                step=outcome.step,
                asset=key,
                status=status,
                message=message or None,
            )
        if status in (FAILED, SKIPPED, CANCELLED):
            self.blocking[key] = f"{key} {status}"

    def fail(self, key: str, message: str) -> None:
        """The step could not materialize `key`: log why and mark it failed."""
        self.log(key, "error", message)
        self.set_status(key, FAILED, message)

    def reject(self, key: str, check_name: str, what_happened: str) -> None:
        """A blocking check kept the asset's new version from being published."""
        self.set_status(key, FAILED, f"check {check_name} failed: {what_happened}")
        self.blocking[key] = f"{key} failed check {check_name}"

    def blocked_by(self, key: str) -> str | None:
        """Why an upstream asset keeps this one from running, if one does."""
        reason = next(
            (self.blocking[up] for up in self.graph.upstream(key) if up in self.blocking), None
        )
        return f"upstream {reason}" if reason else None

    def record_materialization(
        self, key: str, metadata: dict[str, Any], data_version: str | None
    ) -> None:
        outcome = self.outcomes[key]
        if outcome.started is not None and outcome.duration is None:
            outcome.duration = time.time() - outcome.started
        metadata = {**metadata, "duration": round(outcome.duration or 0.0, 3)}
        asset = self.graph.assets[key]
        materialization = self.store.add_materialization(
            self.run_id,
            key,
            duration=outcome.duration,
            metadata=metadata,
            code_version=asset.code_version,
            data_version=data_version,
            input_versions=versions.input_versions(self.graph, key, self.data_versions),
        )
        self.data_versions[key] = materialization.data_version
        outcome.metadata = metadata
        outcome.status = MATERIALIZED
        ended = (
            outcome.started + outcome.duration
            if outcome.started is not None and outcome.duration is not None
            else None
        )  # the run history's timeline shows when the asset finished, not when it was recorded
        self.store.set_asset_status(self.run_id, key, MATERIALIZED, ended_at=ended)
        self.emit(
            "asset_materialized", step=outcome.step, asset=key, status=MATERIALIZED, data=metadata
        )

    # -- checks ---------------------------------------------------------------------------

    def record_check(
        self,
        check: Check,
        status: str,
        failures: int | None,
        message: str,
        sample: FailingRows | None = None,
    ) -> None:
        """Store and report a check result; status is dbt's: pass, warn, fail, error or
        skipped. `sample`: the first rows a failing check found."""
        self.store.add_check_result(
            self.run_id,
            check.asset_key,
            check.name,
            status=status,
            severity=check.severity,
            failures=failures,
            message=message or None,
            sample=sample,
        )
        data: dict[str, Any] = {"severity": check.severity, "failures": failures}
        if sample is not None:
            data["sample"] = {"columns": sample.columns, "rows": sample.rows}
        self.emit(
            "check_evaluated", asset=check.asset_key, status=status, message=check.name, data=data
        )
        if status in ("fail", "error") and check.blocking:
            self.failed_checks.append(check.name)
            self.blocking[check.asset_key] = f"{check.asset_key} failed check {check.name}"

    def record_evaluated(
        self,
        key: str,
        results: list[tuple[Check, CheckVerdict]],
        samples: dict[str, FailingRows],
    ) -> None:
        """Checks the executor evaluated: their results, and a log line each."""
        lines = []
        for check, result in results:
            sample = samples.get(check.name)
            self.record_check(check, result.status, result.failures, result.message, sample)
            verdict = f"{result.status.upper()} in {result.seconds:.3f}s"
            detail = f": {result.message}" if result.message else ""
            level = {"pass": "info", "warn": "warn", "skipped": "info"}.get(result.status, "error")
            lines.append(
                (self.run_id, key, time.time(), level, f"check {check.name} {verdict}{detail}")
            )
        self.store.add_logs(lines)
