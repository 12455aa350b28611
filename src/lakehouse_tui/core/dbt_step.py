"""One dbt step of a run: `dbt build` of its models on one target, checks evaluated as each
model is built, tables published only when their blocking checks pass (core.audit), and the
new tables' metadata recorded.

dbt calls `on_node` and `on_log` from its worker threads; `guard` serialises what they touch.
A model's children do not start before its `on_node` returns, which is what lets a failed
check block them (BlockDownstream).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lakehouse_tui.config import Config
from lakehouse_tui.core import cancel, versions, warehouse, warehouse_state
from lakehouse_tui.core.assets import Check
from lakehouse_tui.core.dbt_setup import PUBLISH_AFTER_CHECKS, PUBLISH_ENV, DbtSetup
from lakehouse_tui.core.plan import Step
from lakehouse_tui.core.run_events import BUILT, CANCELLED, FAILED, RUNNING, SKIPPED
from lakehouse_tui.core.run_recorder import RunRecorder
from lakehouse_tui.errors import LakehouseError

if TYPE_CHECKING:
    from lakehouse_tui.core.audit import Session
    from lakehouse_tui.core.checks import CheckResult, CheckSql
    from lakehouse_tui.core.dbt_partitions import StepPartitions
    from lakehouse_tui.core.dbt_run import NodeEvent

T = TypeVar("T")
OwnChecks = dict[str, list[tuple[Check, "CheckSql"]]]


class DbtStep:
    def __init__(
        self,
        recorder: RunRecorder,
        config: Config,
        setup: DbtSetup,
        dbt_manifest: Any | None,
        step: Step,
        keys: list[str],
        partitions: StepPartitions | None = None,
    ) -> None:
        assert step.target is not None
        self.recorder = recorder
        self.graph = recorder.graph
        self.config = config
        self.setup = setup
        self.dbt_manifest = dbt_manifest
        self.step = step
        self.target = step.target
        self.keys = keys
        self.partitions = partitions
        assets = self.graph.assets
        self.key_of = {assets[k].unique_id: k for k in keys}
        self.checks = {c.unique_id: c for k in keys for c in assets[k].checks}
        self.own_checks, self.dbt_tests = self.split_checks()
        # Tables are built aside and published here after their checks.
        deferred = setup.env.get(PUBLISH_ENV) == PUBLISH_AFTER_CHECKS
        self.audited = {
            k for k in keys if deferred and assets[k].materialized in ("table", "incremental")
        }
        # Published tables whose previous version is kept until these dbt-node checks pass.
        blocking_dbt = set(step.dbt_checks)
        self.kept_versions = {
            k: names
            for k in self.audited
            if (names := {c.name for c in assets[k].checks if c.blocking} & blocking_dbt)
        }
        self.finished: set[str] = set()
        self.logs: list[tuple[str, str | None, float, str, str]] = []
        self.metadata: dict[str, dict[str, Any]] = {}
        self.guard = threading.Lock()

    def run(self) -> None:
        from lakehouse_tui.core import dbt_run

        if self.target == "duckdb":
            try:
                warehouse.wait_until_writable(self.config.lake.warehouse)
            except LakehouseError as err:
                for key in self.keys:
                    self.recorder.set_status(key, FAILED, str(err))
                return
        outcome = dbt_run.build(
            self.setup,
            select=[*self.step.dbt_select, *self.dbt_tests],
            target=self.target,
            # The cached manifest was parsed for DuckDB; other targets parse their own.
            manifest=self.dbt_manifest if self.target == "duckdb" else None,
            on_node=self.on_node,
            on_log=self.on_log,
            indirect_selection=self.step.indirect_selection,
            before_release=self.collect_metadata,
        )
        self.flush_logs()
        for key in self.keys:
            if key not in self.finished:
                self.recorder.set_status(key, FAILED, outcome.error or "dbt did not run it")
        self.record_unfinished_partitions()
        for unrun in self.own_checks.values():  # their model did not build, as dbt skips them
            for check, _ in unrun:
                self.recorder.record_check(check, "skipped", None, "")
        for key in list(self.kept_versions):  # their multi-model checks never ran
            self.drop_kept_version(key)
        done = self.built()
        if done and self.target == "postgres":
            self.record_postgres_metadata(done)
        elif done:
            self.record_warehouse_metadata(done)

    # -- dbt's callbacks (worker threads) ---------------------------------------------------

    def asset_of(self, unique_id: str | None) -> str | None:
        if unique_id in self.key_of:
            return self.key_of[unique_id]
        check = self.checks.get(unique_id or "")
        return check.asset_key if check else None

    def on_log(self, unique_id: str | None, level: str, message: str) -> None:
        with self.guard:
            self.logs.append(
                (self.recorder.run_id, self.asset_of(unique_id), time.time(), level, message)
            )

    def flush_logs(self) -> None:
        if self.logs:
            self.recorder.store.add_logs(self.logs)
            self.logs.clear()

    def on_node(self, event: NodeEvent) -> None:
        from lakehouse_tui.core import dbt_run

        with self.guard:
            self.handle_node(event)
        key = self.key_of.get(event.unique_id)
        if key is None or event.kind != "finished" or event.status != "success":
            return
        # Still in dbt's worker thread: the model's children wait for this.
        if key in self.audited:
            reason = self.publish_model(key, self.own_checks.pop(key, []))
        elif key in self.own_checks:
            reason = self.run_own_checks(key, self.own_checks.pop(key))
        else:
            reason = None
        if reason:
            raise dbt_run.BlockDownstream(reason)
        # Published (a table) or checked (a view): say so now, not when dbt is done.
        self.recorder.emit(
            "asset_built",
            step=self.step.name,
            asset=key,
            status=BUILT,
            data={"duration": round(event.seconds, 3)},
        )

    def handle_node(self, event: NodeEvent) -> None:
        from lakehouse_tui.core import dbt_run

        recorder = self.recorder
        if event.unique_id in self.key_of:
            key = self.key_of[event.unique_id]
            if event.kind == "started":
                recorder.set_status(key, RUNNING)
                return
            self.finished.add(key)
            if event.status == "success":
                recorder.outcomes[key].status = BUILT
                recorder.outcomes[key].duration = event.seconds
            elif event.status == "skipped":
                why = recorder.blocked_by(key) or event.message
                recorder.set_status(key, SKIPPED, why or "skipped by dbt: an upstream node failed")
            elif cancel.requested():  # dbt interrupted it because we are cancelling
                recorder.set_status(key, CANCELLED, "run cancelled")
            else:
                recorder.set_status(key, FAILED, dbt_run.cause_line(event.message) or event.status)
        elif event.unique_id in self.checks and event.kind == "finished":
            check = self.checks[event.unique_id]
            recorder.record_check(check, event.status, event.failures, event.message)
            self.settle_kept_version(check, event.status)
        if event.kind == "finished":
            self.flush_logs()

    def built(self) -> list[str]:
        outcomes = self.recorder.outcomes
        return [k for k in self.graph.order(self.keys) if outcomes[k].status == BUILT]

    def collect_metadata(self, connection: Any | None) -> None:
        # dbt still has the warehouse open: read the new tables' metadata through it.
        if connection is not None:
            self.metadata.update(self.warehouse_metadata(self.built(), connection))
            warehouse_state.mark_built(connection, self.graph, self.built(), self.recorder.run_id)

    # -- checks and publishing ------------------------------------------------------------

    def split_checks(self) -> tuple[OwnChecks, list[str]]:
        """The plan's executor checks of these models with their compiled SQL, by model, and
        the names of those dbt must run after all (their SQL did not compile)."""
        if not self.step.executor_checks:
            return {}, []
        from lakehouse_tui.core import checks, manifest

        compiled = checks.compiled(
            self.setup,
            self.dbt_manifest,
            manifest.manifest_key(self.setup, self.target),
            self.target,
        )
        own: OwnChecks = {}
        by_dbt: list[str] = []
        for key in self.keys:
            for check in self.graph.assets[key].checks:
                if check.name not in self.step.executor_checks:
                    continue  # dbt runs it: it is in the plan's --select
                sql = compiled.get(check.unique_id)
                if sql is None:
                    by_dbt.append(check.name)
                else:
                    own.setdefault(key, []).append((check, sql))
        return own, by_dbt

    def run_own_checks(self, key: str, own: list[tuple[Check, CheckSql]]) -> str | None:
        """Evaluate a just-built view's checks; why its downstream must not run, if so."""
        from lakehouse_tui.core import checks

        if self.partitions is not None:
            own = self.partitions.scope_view_checks(key, own)

        def evaluate_all(session: Session) -> list[tuple[Check, CheckResult]]:
            return [(check, checks.evaluate(session.cursor, sql)) for check, sql in own]

        results = self.with_session(evaluate_all)
        with self.guard:
            self.recorder.record_evaluated(key, results, {})
            return self.recorder.blocking.get(key)  # set for a failed blocking check

    def publish_model(self, key: str, own: list[tuple[Check, CheckSql]]) -> str | None:
        """Publish a table dbt built aside once its blocking checks pass on it (core.audit);
        why its downstream must not run, if they did not."""
        from lakehouse_tui.core import audit

        schema, table = self.table_location(key)
        keep = key in self.kept_versions
        batches = self.partitions.batches_to_replace(key) if self.partitions else None

        def publish(session: Session) -> audit.Audit:
            replace = batches
            if replace is not None and not audit.table_exists(session, schema, table):
                assert self.partitions is not None  # dbt built it whole: there was no table
                self.partitions.built_whole(key)
                replace = None
            return audit.publish_after_checks(
                session, schema, table, own, keep_backup=keep, batches=replace
            )

        result = self.with_session(publish)
        with self.guard:
            self.recorder.record_evaluated(key, result.results, result.samples)
            if result.published:
                return None
            self.kept_versions.pop(key, None)
            self.recorder.reject(
                key, result.rejected_by or "?", "the new version was not published"
            )
            return self.recorder.blocking[key]

    def record_unfinished_partitions(self) -> None:
        """A failed or cancelled model keeps its batches as they were: mark the attempt."""
        if self.partitions is None:
            return
        for key in self.keys:
            outcome = self.recorder.outcomes[key]
            if outcome.status in (FAILED, CANCELLED):
                self.partitions.record_unfinished(key, outcome.status, outcome.message or "")

    def settle_kept_version(self, check: Check, status: str) -> None:
        """A dbt-node check of a published table finished: put the kept previous version
        back if it failed, drop it once all such checks passed."""
        from lakehouse_tui.core import audit

        key = check.asset_key
        waiting = self.kept_versions.get(key)
        if waiting is None or check.name not in waiting:
            return
        if status in ("fail", "error") and check.blocking:
            self.kept_versions.pop(key)
            schema, table = self.table_location(key)
            batches = self.partitions.batches_to_replace(key) if self.partitions else None
            restored = self.with_session(
                lambda session: audit.restore_previous(session, schema, table, batches)
            )
            what = "previous version restored" if restored else "table removed (no earlier one)"
            self.recorder.reject(key, check.name, what)
            return
        waiting.discard(check.name)
        if not waiting:
            self.drop_kept_version(key)

    def drop_kept_version(self, key: str) -> None:
        from lakehouse_tui.core import audit

        self.kept_versions.pop(key, None)
        schema, table = self.table_location(key)
        self.with_session(lambda session: audit.drop_backup(session, schema, table))

    def table_location(self, key: str) -> tuple[str, str]:
        schema, _, table = str(self.graph.assets[key].relation).rpartition(".")
        if self.target == "postgres":
            schema = self.config.postgres.schema
        return schema, table

    def with_session(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a session on the target: dbt's open DuckDB (another connection to
        the same database), or a new PostgreSQL connection."""
        from lakehouse_tui.core import audit, dbt_run

        if self.target == "postgres":
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

    # -- metadata -------------------------------------------------------------------------

    def warehouse_metadata(self, keys: list[str], connection: Any) -> dict[str, dict[str, Any]]:
        metadata = {}
        if self.partitions is not None:  # from what they hold of each batch
            metadata = self.partitions.record_built(connection, keys)
        metadata |= {
            k: m
            for k in keys
            if k not in metadata and (m := self.unchanged_view_metadata(k)) is not None
        }
        for key in keys:
            if key not in metadata:
                relation = str(self.graph.assets[key].relation)
                metadata[key] = warehouse.table_metadata(connection, relation)
        return metadata

    def record_warehouse_metadata(self, keys: list[str]) -> None:
        metadata = self.metadata
        missing = [key for key in keys if key not in metadata]
        if missing:  # dbt never opened the warehouse; look now
            with warehouse.read_only(self.config.lake.warehouse) as connection:
                metadata = {**metadata, **self.warehouse_metadata(missing, connection)}
        for key in keys:
            self.recorder.record_materialization(key, metadata[key], None)

    def unchanged_view_metadata(self, key: str) -> dict[str, Any] | None:
        """A view holds no data: when neither its SQL nor anything it reads changed since
        its last materialization, its row count and time range are still those recorded."""
        asset, last = self.graph.assets[key], self.recorder.latest.get(key)
        if asset.materialized != "view" or last is None or last.code_version != asset.code_version:
            return None
        seen = versions.input_versions(self.graph, key, self.recorder.data_versions)
        if last.input_versions != seen:
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
                self.recorder.set_status(key, FAILED, str(err))
                continue
            self.recorder.record_materialization(key, metadata, None)
