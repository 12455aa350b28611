"""The one way to materialize: run a plan's steps under the run lock, recording everything.

The headless CLI, the OS timer and the TUI (through a child process) all come through here,
so every run looks the same in the run store. Front ends follow a run through `RunEvent`s.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lakehouse_tui.config import Config
from lakehouse_tui.core import cancel, raw, versions, warehouse, warehouse_state
from lakehouse_tui.core.assets import Check
from lakehouse_tui.core.dbt_setup import PUBLISH_AFTER_CHECKS, PUBLISH_ENV, DbtSetup
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.core.plan import Plan, Step
from lakehouse_tui.core.store import FailingRows, Materialization, RunStore
from lakehouse_tui.errors import LakehouseError

if TYPE_CHECKING:
    from lakehouse_tui.core.audit import Session
    from lakehouse_tui.core.checks import CheckResult, CheckSql

T = TypeVar("T")

# Asset statuses within a run.
PENDING, RUNNING, MATERIALIZED, FAILED, SKIPPED, CANCELLED = (
    "pending",
    "running",
    "materialized",
    "failed",
    "skipped",
    "cancelled",
)


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
    ) -> None:
        self.config = config
        self.graph = graph
        self.store = store
        self.setup = setup
        self.dbt_manifest = dbt_manifest
        self.on_event = on_event or (lambda event: None)
        self.run_id = ""
        self.outcomes: dict[str, AssetOutcome] = {}
        self.blocking: dict[str, str] = {}  # asset -> why its downstream must not run
        self.failed_checks: list[str] = []
        self.data_versions: dict[str, str] = {}
        self.plan = Plan("", ())
        self.latest: dict[str, Materialization] = {}
        # Published tables whose previous version is kept until these dbt-node checks pass.
        self.kept_versions: dict[str, set[str]] = {}

    # -- events -------------------------------------------------------------------------

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
        event = {
            RUNNING: "asset_started",
            FAILED: "asset_failed",
            SKIPPED: "asset_skipped",
            CANCELLED: "asset_cancelled",
        }
        if status in event:
            self.emit(
                event[status], step=outcome.step, asset=key, status=status, message=message or None
            )
        if status in (FAILED, SKIPPED, CANCELLED):
            self.blocking[key] = f"{key} {status}"

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

    # -- the run ------------------------------------------------------------------------

    def run(
        self,
        plan: Plan,
        *,
        trigger: str,
        job: str | None = None,
        wait: bool = False,
        run_id: str | None = None,
    ) -> RunOutcome:
        """Take the run lock and run the plan."""
        run_id = run_id or new_run_id()
        holder = LockHolder(run_id, os.getpid(), trigger, time.time())
        with RunLock(self.config.state_dir / "run.lock", holder, wait=wait):
            return self.run_locked(plan, trigger=trigger, job=job, run_id=run_id)

    def run_locked(self, plan: Plan, *, trigger: str, job: str | None, run_id: str) -> RunOutcome:
        """Run the plan; the caller holds the run lock (as `run_id`)."""
        self.run_id = run_id
        self.plan = plan
        started = time.time()
        cancel.reset()
        self.outcomes = {key: AssetOutcome(key, step) for key, step in plan.asset_steps()}
        self.store.start_run(
            self.run_id,
            selection=plan.selection,
            job=job,
            trigger=trigger,
            pid=os.getpid(),
            plan=plan.to_list(),
            assets=plan.asset_steps(),
        )
        self.emit(
            "run_started",
            message=plan.selection,
            data={"trigger": trigger, "plan": plan.to_list()},
        )
        try:
            self.latest = self.store.latest_materializations()
            self.data_versions = versions.current_data_versions(
                self.graph, self.latest, self.config.lake.raw_dir
            )
            for step in plan.steps:
                self.run_step(step)
        except KeyboardInterrupt:
            self.settle_unfinished(CANCELLED, "run cancelled")
            return self.finish("cancelled", cancel.reason(), started)
        except Exception as err:
            # Never leave the run "running": record why it stopped, then let the CLI
            # report it (LakehouseError as one line, anything else with --debug).
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            self.settle_unfinished(FAILED, reason)
            self.finish("failed", reason, started)
            raise
        failed = [o for o in self.outcomes.values() if o.status not in (MATERIALIZED, SKIPPED)]
        skipped = [o for o in self.outcomes.values() if o.status == SKIPPED]
        if failed or skipped or self.failed_checks:
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
            return self.finish("failed", "; ".join(parts), started)
        return self.finish("succeeded", "", started)

    def settle_unfinished(self, status: str, message: str) -> None:
        """Give every asset that has no final status (pending, running, or built by dbt but
        not yet recorded) the given one."""
        for outcome in self.outcomes.values():
            if outcome.status not in (MATERIALIZED, FAILED, SKIPPED, CANCELLED):
                self.set_status(outcome.key, status, message)

    def finish(self, status: str, message: str, started: float) -> RunOutcome:
        self.store.finish_run(self.run_id, status, message or None)
        duration = time.time() - started
        self.emit(
            "run_finished",
            status=status,
            message=message or None,
            data={"duration": round(duration, 3)},
        )
        return RunOutcome(self.run_id, status, self.outcomes, self.failed_checks, message, duration)

    def run_step(self, step: Step) -> None:
        runnable = []
        for key in step.assets if step.kind != "publish" else ():
            if self.outcomes[key].status != PENDING:
                continue  # already settled, e.g. failed by the publish step
            reason = self.blocked_by(key)
            if reason:
                self.set_status(key, SKIPPED, reason)
            else:
                runnable.append(key)
        if step.kind != "publish" and not runnable:
            return
        step_started = time.time()
        self.emit(
            "step_started", step=step.name, message=step.describe(), data={"assets": runnable}
        )
        if step.kind == "raw":
            self.run_raw(step)
        elif step.kind == "dbt":
            self.run_dbt(step, runnable)
        elif step.kind == "publish":
            self.run_publish(step)
        else:
            self.run_airbyte(step)
        affected = self.postgres_mart_keys() if step.kind == "publish" else step.assets
        statuses = [self.outcomes[k].status for k in affected if k in self.outcomes]
        self.emit(
            "step_finished",
            step=step.name,
            status=FAILED if FAILED in statuses else "succeeded",
            data={"duration": round(time.time() - step_started, 3)},
        )

    def postgres_mart_keys(self) -> list[str]:
        return [
            key
            for step in self.plan.steps
            if step.kind == "dbt" and step.target == "postgres"
            for key in step.assets
        ]

    def run_publish(self, step: Step) -> None:
        """Copy the curated tables the marts read into PostgreSQL. A failure fails the marts
        (not the curated assets, whose new materializations stand)."""
        from lakehouse_tui.core.publish import publish_tables

        mart_keys = [k for k in self.postgres_mart_keys() if self.outcomes[k].status == PENDING]
        blocked = [k for k in step.assets if k in self.blocking]
        if blocked:
            for key in mart_keys:
                self.set_status(key, SKIPPED, f"upstream {self.blocking[blocked[0]]}")
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
            self.store.add_logs(
                [(self.run_id, k, time.time(), "error", str(err)) for k in mart_keys]
            )
            for key in mart_keys:
                self.set_status(key, FAILED, str(err))
            return
        for table in published:
            self.emit(
                "log",
                step=step.name,
                message=f"published {table.schema}.{table.table}: {table.rows:,} rows "
                f"in {table.seconds:.2f} s",
            )

    def run_airbyte(self, step: Step) -> None:
        from lakehouse_tui.core import airbyte_assets

        key = step.assets[0]
        self.set_status(key, RUNNING)

        def on_update(job: Any) -> None:
            counters = {"job_id": job.id, "records": job.records, "bytes": job.bytes}
            self.emit("asset_progress", step=step.name, asset=key, status=job.status, data=counters)

        try:
            metadata = airbyte_assets.sync(
                self.config.airbyte, self.graph.assets[key].extra["connection"], on_update
            )
        except LakehouseError as err:
            self.store.add_logs([(self.run_id, key, time.time(), "error", str(err))])
            self.set_status(key, FAILED, str(err))
            return
        self.record_materialization(key, metadata, f"job-{metadata['job_id']}")

    def run_raw(self, step: Step) -> None:
        key = step.assets[0]
        self.set_status(key, RUNNING)
        raw_dir = self.config.lake.raw_dir
        try:
            # Files unchanged since an earlier run were validated then: not read again.
            scan, files = raw.scan(raw_dir, self.store.raw_file_scans())
            self.store.save_raw_file_scans(files)
            self.setup.run_env.update(raw.dbt_env(scan))  # dbt reads exactly these files
        except LakehouseError as err:
            self.store.add_logs([(self.run_id, key, time.time(), "error", str(err))])
            self.set_status(key, FAILED, str(err))
            return
        self.record_materialization(key, scan.metadata(), raw.fingerprint(raw_dir))

    def run_dbt(self, step: Step, keys: list[str]) -> None:
        from lakehouse_tui.core import dbt_run

        assert step.target is not None
        key_of = {self.graph.assets[k].unique_id: k for k in keys}
        checks = {c.unique_id: c for k in keys for c in self.graph.assets[k].checks}
        own_checks, dbt_tests = self.split_checks(step, keys)
        # Tables are built aside and published by the executor after their checks.
        audited = {
            k
            for k in keys
            if self.graph.assets[k].materialized == "table"
            and self.setup.env.get(PUBLISH_ENV) == PUBLISH_AFTER_CHECKS
        }
        self.kept_versions = {
            k: {c.name for c in self.graph.assets[k].checks if c.blocking} & set(step.dbt_checks)
            for k in audited
        }
        self.kept_versions = {k: names for k, names in self.kept_versions.items() if names}
        finished: set[str] = set()
        logs: list[tuple[str, str | None, float, str, str]] = []
        metadata: dict[str, dict[str, Any]] = {}

        def asset_of(unique_id: str | None) -> str | None:
            if unique_id in key_of:
                return key_of[unique_id]
            check = checks.get(unique_id or "")
            return check.asset_key if check else None

        # dbt calls these from its worker threads.
        guard = threading.Lock()

        def on_log(unique_id: str | None, level: str, message: str) -> None:
            with guard:
                logs.append((self.run_id, asset_of(unique_id), time.time(), level, message))

        def on_node(event: dbt_run.NodeEvent) -> None:
            with guard:
                handle_node(event)
            key = key_of.get(event.unique_id)
            if key is None or event.kind != "finished" or event.status != "success":
                return
            # Still in dbt's worker thread: the model's children wait for this.
            if key in audited:
                reason = self.publish_model(step, key, own_checks.pop(key, []), guard)
            elif key in own_checks:
                reason = self.run_own_checks(key, own_checks.pop(key), guard)
            else:
                reason = None
            if reason:
                raise dbt_run.BlockDownstream(reason)
            # Published (a table) or checked (a view): say so now, not when dbt is done.
            self.emit(
                "asset_built",
                step=step.name,
                asset=key,
                status="built",
                data={"duration": round(event.seconds, 3)},
            )

        def handle_node(event: dbt_run.NodeEvent) -> None:
            if event.unique_id in key_of:
                key = key_of[event.unique_id]
                if event.kind == "started":
                    self.set_status(key, RUNNING)
                elif event.status == "success":
                    self.outcomes[key].status = "built"
                    self.outcomes[key].duration = event.seconds
                    finished.add(key)
                elif event.status == "skipped":
                    finished.add(key)
                    why = self.blocked_by(key) or event.message
                    self.set_status(key, SKIPPED, why or "skipped by dbt: an upstream node failed")
                elif cancel.requested():  # dbt interrupted it because we are cancelling
                    finished.add(key)
                    self.set_status(key, CANCELLED, "run cancelled")
                else:
                    finished.add(key)
                    self.set_status(key, FAILED, dbt_run.cause_line(event.message) or event.status)
            elif event.unique_id in checks and event.kind == "finished":
                check = checks[event.unique_id]
                self.record_check(check, event.status, event.failures, event.message)
                self.settle_kept_version(step, check, event.status)
            if event.kind == "finished" and logs:
                self.store.add_logs(logs)
                logs.clear()

        def built() -> list[str]:
            return [k for k in self.graph.order(keys) if self.outcomes[k].status == "built"]

        def collect_metadata(connection: Any | None) -> None:
            # dbt still has the warehouse open: read the new tables' metadata through it.
            if connection is not None:
                metadata.update(self.warehouse_metadata(built(), connection))
                warehouse_state.mark_built(connection, self.graph, built(), self.run_id)

        if step.target == "duckdb":
            try:
                warehouse.wait_until_writable(self.config.lake.warehouse)
            except LakehouseError as err:
                for key in keys:
                    self.set_status(key, FAILED, str(err))
                return
        outcome = dbt_run.build(
            self.setup,
            select=[*step.dbt_select, *dbt_tests],
            target=step.target,
            # The cached manifest was parsed for DuckDB; other targets parse their own.
            manifest=self.dbt_manifest if step.target == "duckdb" else None,
            on_node=on_node,
            on_log=on_log,
            indirect_selection=step.indirect_selection,
            before_release=collect_metadata,
        )
        if logs:
            self.store.add_logs(logs)
        for key in keys:
            if key not in finished:
                why = outcome.error or "dbt did not run it"
                self.set_status(key, FAILED, why)
        for unrun in own_checks.values():  # their model did not build, as dbt would skip them
            for check, _ in unrun:
                self.record_check(check, "skipped", None, "")
        for key in list(self.kept_versions):  # their multi-model checks never ran
            self.drop_kept_version(step, key)
        done = built()
        if done and step.target == "postgres":
            self.record_postgres_metadata(done)
        elif done:
            self.record_warehouse_metadata(done, metadata)

    def split_checks(
        self, step: Step, keys: list[str]
    ) -> tuple[dict[str, list[tuple[Check, CheckSql]]], list[str]]:
        """The plan's executor checks of these models with their compiled SQL, by model, and
        the names of those dbt must run after all (their SQL did not compile)."""
        if not step.executor_checks:
            return {}, []
        from lakehouse_tui.core import checks, manifest

        target = step.target or "duckdb"
        compiled = checks.compiled(
            self.setup, self.dbt_manifest, manifest.manifest_key(self.setup, target), target
        )
        own: dict[str, list[tuple[Check, CheckSql]]] = {}
        by_dbt: list[str] = []
        for key in keys:
            for check in self.graph.assets[key].checks:
                if check.name not in step.executor_checks:
                    continue  # dbt runs it: it is in the plan's --select
                sql = compiled.get(check.unique_id)
                if sql is None:
                    by_dbt.append(check.name)
                else:
                    own.setdefault(key, []).append((check, sql))
        return own, by_dbt

    def run_own_checks(
        self, key: str, own: list[tuple[Check, CheckSql]], guard: threading.Lock
    ) -> str | None:
        """Evaluate a just-built view's checks; why its downstream must not run, if so."""
        from lakehouse_tui.core import checks

        def evaluate_all(session: Session) -> list[tuple[Check, CheckResult]]:
            return [(check, checks.evaluate(session.cursor, sql)) for check, sql in own]

        results = self.with_session("duckdb", evaluate_all)
        with guard:
            self.record_evaluated(key, results, {})
            return self.blocking.get(key)  # set by record_check for a failed blocking check

    def publish_model(
        self, step: Step, key: str, own: list[tuple[Check, CheckSql]], guard: threading.Lock
    ) -> str | None:
        """Publish a table dbt built aside once its blocking checks pass on it (core.audit);
        why its downstream must not run, if they did not."""
        from lakehouse_tui.core import audit

        schema, table = self.table_location(step, key)
        keep = key in self.kept_versions
        result = self.with_session(
            step.target,
            lambda session: audit.publish_after_checks(
                session, schema, table, own, keep_backup=keep
            ),
        )
        with guard:
            self.record_evaluated(key, result.results, result.samples)
            if result.published:
                return None
            self.kept_versions.pop(key, None)
            self.reject(key, result.rejected_by or "?", "the new version was not published")
            return self.blocking[key]

    def reject(self, key: str, check_name: str, what_happened: str) -> None:
        self.set_status(key, FAILED, f"check {check_name} failed: {what_happened}")
        self.blocking[key] = f"{key} failed check {check_name}"

    def settle_kept_version(self, step: Step, check: Check, status: str) -> None:
        """A dbt-node check of a published table finished: put the kept previous version
        back if it failed, drop it once all such checks passed."""
        from lakehouse_tui.core import audit

        waiting = self.kept_versions.get(check.asset_key)
        if waiting is None or check.name not in waiting:
            return
        key = check.asset_key
        schema, table = self.table_location(step, key)
        if status in ("fail", "error") and check.blocking:
            self.kept_versions.pop(key)
            restored = self.with_session(
                step.target, lambda session: audit.restore_previous(session, schema, table)
            )
            what = "previous version restored" if restored else "table removed (no earlier one)"
            self.reject(key, check.name, what)
            return
        waiting.discard(check.name)
        if not waiting:
            self.drop_kept_version(step, key)

    def drop_kept_version(self, step: Step, key: str) -> None:
        from lakehouse_tui.core import audit

        self.kept_versions.pop(key, None)
        schema, table = self.table_location(step, key)
        self.with_session(step.target, lambda session: audit.drop_backup(session, schema, table))

    def table_location(self, step: Step, key: str) -> tuple[str, str]:
        schema, _, table = str(self.graph.assets[key].relation).rpartition(".")
        if step.target == "postgres":
            schema = self.config.postgres.schema
        return schema, table

    def with_session(self, target: str | None, work: Callable[[Session], T]) -> T:
        """Run `work` in a session on the target: dbt's open DuckDB (another connection to
        the same database), or a new PostgreSQL connection."""
        from lakehouse_tui.core import audit, dbt_run

        if target == "postgres":
            from lakehouse_tui.core import postgres

            pg = self.config.postgres
            session = audit.postgres_session(postgres.connect(pg, pg.password()))
        else:
            import duckdb

            connection = dbt_run.warehouse_connection() or duckdb.connect(
                str(self.config.lake.warehouse)
            )  # dbt has let the file go: the run lock is still ours
            session = audit.duckdb_session(connection)
        try:
            return work(session)
        finally:
            session.close()

    def record_evaluated(
        self,
        key: str,
        results: list[tuple[Check, CheckResult]],
        samples: dict[str, FailingRows],
    ) -> None:
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

    def blocked_by(self, key: str) -> str | None:
        """Why an upstream asset keeps this one from running, if one does."""
        reason = next(
            (self.blocking[up] for up in self.graph.upstream(key) if up in self.blocking), None
        )
        return f"upstream {reason}" if reason else None

    def warehouse_metadata(self, keys: list[str], connection: Any) -> dict[str, dict[str, Any]]:
        metadata = {k: m for k in keys if (m := self.unchanged_view_metadata(k)) is not None}
        for key in keys:
            if key not in metadata:
                relation = str(self.graph.assets[key].relation)
                metadata[key] = warehouse.table_metadata(connection, relation)
        return metadata

    def record_warehouse_metadata(
        self, keys: list[str], metadata: dict[str, dict[str, Any]]
    ) -> None:
        missing = [key for key in keys if key not in metadata]
        if missing:  # dbt never opened the warehouse; look now
            with warehouse.read_only(self.config.lake.warehouse) as connection:
                metadata = {**metadata, **self.warehouse_metadata(missing, connection)}
        for key in keys:
            self.record_materialization(key, metadata[key], None)

    def unchanged_view_metadata(self, key: str) -> dict[str, Any] | None:
        """A view holds no data: when neither its SQL nor anything it reads changed since
        its last materialization, its row count and time range are still those recorded."""
        asset, last = self.graph.assets[key], self.latest.get(key)
        if asset.materialized != "view" or last is None or last.code_version != asset.code_version:
            return None
        if last.input_versions != versions.input_versions(self.graph, key, self.data_versions):
            return None
        return {k: v for k, v in last.metadata.items() if k != "duration"}

    def record_postgres_metadata(self, keys: list[str]) -> None:
        from lakehouse_tui.core import postgres

        pg = self.config.postgres
        for key in keys:
            table = str(self.graph.assets[key].relation).split(".")[-1]
            try:
                metadata = postgres.table_metadata(pg, pg.password(), pg.schema, table)
            except LakehouseError as err:
                self.set_status(key, FAILED, str(err))
                continue
            self.record_materialization(key, metadata, None)

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
