"""The one way to materialize: run a plan's steps under the run lock, recording everything.

The headless CLI, the OS timer and the TUI (through a child process) all come through here,
so every run looks the same in the run store. Front ends follow a run through `RunEvent`s.
Each run gets its own `RunRecorder` (core.run_recorder); each step kind its runner below
(dbt steps: core.dbt_step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakehouse_tui.config import Config
from lakehouse_tui.core import cancel, partition_recording, partitions, raw, versions
from lakehouse_tui.core.dbt_setup import RAW_DIR_ENV, DbtSetup
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.partition_scope import PartitionRequest
from lakehouse_tui.core.plan import Plan, Step
from lakehouse_tui.core.run_events import (  # re-exported: the run protocol's home is run_events
    CANCELLED,
    FAILED,
    MATERIALIZED,
    PENDING,
    RUNNING,
    SKIPPED,
    AssetOutcome,
    EventCallback,
    RunEvent,
    RunOutcome,
    new_run_id,
)
from lakehouse_tui.core.run_recorder import RunRecorder

if TYPE_CHECKING:
    from lakehouse_tui.core.dbt_partitions import StepPartitions
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.errors import LakehouseError

__all__ = [
    "CANCELLED",
    "FAILED",
    "MATERIALIZED",
    "PENDING",
    "RUNNING",
    "SKIPPED",
    "AssetOutcome",
    "EventCallback",
    "Executor",
    "RunEvent",
    "RunOutcome",
    "new_run_id",
]

StepRunner = Callable[[RunRecorder, Step, list[str]], None]


class Executor:
    def __init__(
        self,
        config: Config,
        graph: AssetGraph,
        store: RunStore,
        setup: DbtSetup,
        *,
        dbt_manifest: Any | None = None,
        on_event: EventCallback | None = None,
        partitions: PartitionRequest | None = None,
    ) -> None:
        self.config = config
        self.graph = graph
        self.store = store
        self.setup = setup
        self.dbt_manifest = dbt_manifest
        self.on_event = on_event or (lambda event: None)
        self.partition_request = partitions or PartitionRequest()
        self.runners: dict[str, StepRunner] = {
            "airbyte": self.run_airbyte,
            "raw": self.run_raw,
            "dbt": self.run_dbt,
            "publish": self.run_publish,
        }

    def run_locked(self, plan: Plan, *, trigger: str, job: str | None, run_id: str) -> RunOutcome:
        """Run the plan; the caller holds the run lock (as `run_id`)."""
        cancel.reset()
        recorder = RunRecorder(self.store, self.graph, plan, run_id, self.on_event)
        recorder.start(trigger=trigger, job=job)
        try:
            recorder.latest = self.store.latest_materializations()
            recorder.data_versions = versions.current_data_versions(
                self.graph, recorder.latest, self.config.lake.raw_dir
            )
            for step in plan.steps:
                self.run_step(recorder, step)
        except KeyboardInterrupt:
            # The one place a cancel is settled: what did not finish is cancelled.
            recorder.settle_unfinished(CANCELLED, "run cancelled")
            return recorder.finish("cancelled", cancel.reason())
        except Exception as err:
            # Never leave the run "running": record why it stopped, then let the CLI
            # report it (LakehouseError as one line, anything else with --debug).
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            recorder.settle_unfinished(FAILED, reason)
            recorder.finish("failed", reason)
            raise
        return recorder.conclude()

    def run_step(self, recorder: RunRecorder, step: Step) -> None:
        runnable = []
        for key in step.assets if step.kind != "publish" else ():
            if recorder.outcomes[key].status != PENDING:
                continue  # already settled, e.g. failed by the publish step
            reason = recorder.blocked_by(key)
            if reason:
                recorder.set_status(key, SKIPPED, reason)
            else:
                runnable.append(key)
        if step.kind != "publish" and not runnable:
            return
        step_started = time.time()
        recorder.emit(
            "step_started", step=step.name, message=step.describe(), data={"assets": runnable}
        )
        self.runners[step.kind](recorder, step, runnable)
        affected = postgres_mart_keys(recorder.plan) if step.kind == "publish" else step.assets
        statuses = [recorder.outcomes[k].status for k in affected if k in recorder.outcomes]
        recorder.emit(
            "step_finished",
            step=step.name,
            status=FAILED if FAILED in statuses else "succeeded",
            data={"duration": round(time.time() - step_started, 3)},
        )

    # -- the step runners -------------------------------------------------------------------

    def run_dbt(self, recorder: RunRecorder, step: Step, keys: list[str]) -> None:
        from lakehouse_tui.core.dbt_step import DbtStep

        batches = self.step_partitions(recorder, keys) if step.target == "duckdb" else None
        DbtStep(recorder, self.config, self.setup, self.dbt_manifest, step, keys, batches).run()

    def step_partitions(self, recorder: RunRecorder, keys: list[str]) -> StepPartitions:
        """Decide the run's batch scope (core.partition_scope) and hand it to dbt."""
        from lakehouse_tui.core.dbt_partitions import StepPartitions
        from lakehouse_tui.core.partition_scope import plan_scope

        sources = partitions.raw_partitions(self.config.lake.raw_dir, self.store.raw_file_scans())
        states = self.store.partition_states()
        scope = plan_scope(self.graph, keys, sources, states, self.partition_request)
        self.setup.run_env.update(scope.dbt_env())
        if scope.batches:
            self.store.set_run_partitions(recorder.run_id, scope.batches)
        recorder.emit("log", step="dbt duckdb", message=f"partitions: {scope.describe()}")
        raw_dir = self.setup.env[RAW_DIR_ENV]
        return StepPartitions(self.graph, self.store, recorder.run_id, scope, sources, raw_dir)

    def run_publish(self, recorder: RunRecorder, step: Step, _keys: list[str]) -> None:
        """Copy the curated tables the marts read into PostgreSQL. A failure fails the marts
        (not the curated assets, whose new materializations stand)."""
        from lakehouse_tui.core.publish import publish_tables

        outcomes = recorder.outcomes
        mart_keys = [k for k in postgres_mart_keys(recorder.plan) if outcomes[k].status == PENDING]
        blocked = [k for k in step.assets if k in recorder.blocking]
        if blocked:
            for key in mart_keys:
                recorder.set_status(key, SKIPPED, f"upstream {recorder.blocking[blocked[0]]}")
            return
        pg = self.config.postgres
        tables = [tuple(t.split(".", 1)) for t in step.publish_tables]
        try:
            published = publish_tables(
                self.config.lake.warehouse,
                [(schema, table) for schema, table in tables],
                pg,
                pg.password(),
            )
        except LakehouseError as err:
            for key in mart_keys:
                recorder.fail(key, str(err))
            return
        for table in published:
            recorder.emit(
                "log",
                step=step.name,
                message=f"published {table.schema}.{table.table}: {table.rows:,} rows "
                f"in {table.seconds:.2f} s",
            )

    def run_airbyte(self, recorder: RunRecorder, step: Step, _keys: list[str]) -> None:
        from lakehouse_tui.core import airbyte_assets

        key = step.assets[0]
        recorder.set_status(key, RUNNING)

        def on_update(job: Any) -> None:
            counters = {"job_id": job.id, "records": job.records, "bytes": job.bytes}
            recorder.emit(
                "asset_progress", step=step.name, asset=key, status=job.status, data=counters
            )

        try:
            metadata = airbyte_assets.sync(
                self.config.airbyte, self.graph.assets[key].extra["connection"], on_update
            )
        except LakehouseError as err:
            recorder.fail(key, str(err))
            return
        recorder.record_materialization(key, metadata, f"job-{metadata['job_id']}")

    def run_raw(self, recorder: RunRecorder, step: Step, _keys: list[str]) -> None:
        key = step.assets[0]
        recorder.set_status(key, RUNNING)
        raw_dir = self.config.lake.raw_dir
        try:
            # Files unchanged since an earlier run were validated then: not read again.
            scan, files = raw.scan(raw_dir, self.store.raw_file_scans())
            self.store.save_raw_file_scans(files)
            partition_recording.record_raw(
                self.store, recorder.run_id, key, partitions.raw_partitions(raw_dir, files)
            )
            self.setup.run_env.update(raw.dbt_env(scan))  # dbt reads exactly these files
        except LakehouseError as err:
            recorder.fail(key, str(err))
            return
        metadata = {**scan.metadata(), "partitions": len(scan.batch_ids)}
        recorder.record_materialization(key, metadata, raw.fingerprint(raw_dir))
        record_duplicate_readings(recorder, scan)


def postgres_mart_keys(plan: Plan) -> list[str]:
    return [
        key
        for step in plan.steps
        if step.kind == "dbt" and step.target == "postgres"
        for key in step.assets
    ]


def record_duplicate_readings(recorder: RunRecorder, scan: raw.RawScan) -> None:
    """The raw asset's warn check: the same reading (batch, tag, ts) twice within a file."""
    from lakehouse_tui.core.assets import RAW_DUPLICATES_CHECK

    found = scan.duplicate_readings
    if not found:
        recorder.record_check(RAW_DUPLICATES_CHECK, "pass", 0, "")
        return
    total = sum(count for _, count in found)
    files = ", ".join(f"{name} ({count})" for name, count in found[:5])
    message = f"{total} reading(s) occur more than once (same batch, tag and ts) in {files}"
    recorder.record_check(RAW_DUPLICATES_CHECK, "warn", total, message)
    recorder.log(RAW_DUPLICATES_CHECK.asset_key, "warn", message)
