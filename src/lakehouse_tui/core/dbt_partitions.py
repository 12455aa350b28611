"""The partitions side of a DuckDB dbt step: how each model is published (whole or batch by
batch), and what it now holds of each batch (core.partition_recording).

Created by the executor for the step, from the run's scope (core.partition_scope).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lakehouse_tui.core import partition_recording, partitions, warehouse
from lakehouse_tui.core.assets import Check
from lakehouse_tui.core.checks import CheckSql
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.partition_scope import BatchScope
from lakehouse_tui.core.partitions import RawPartitions
from lakehouse_tui.core.store import RunStore


@dataclass
class StepPartitions:
    graph: AssetGraph
    store: RunStore
    run_id: str
    scope: BatchScope
    sources: RawPartitions
    raw_dir: str  # as the dbt project gets it (LAKEHOUSE_TUI_RAW_DIR): file paths start so
    rebuilt_whole: set[str] = field(default_factory=set)  # scoped, but its table was missing

    def batches_to_replace(self, key: str) -> list[str] | None:
        """The batches an incremental model replaces when published (None: the whole table)."""
        if key in self.scope.scoped and key not in self.rebuilt_whole:
            return list(self.scope.batches)
        return None

    def built_whole(self, key: str) -> None:
        """dbt built the model from every batch after all (its table did not exist)."""
        self.rebuilt_whole.add(key)

    def scope_view_checks(
        self, key: str, own: list[tuple[Check, CheckSql]]
    ) -> list[tuple[Check, CheckSql]]:
        """A scoped view's checks read only the scope's files: the view is the raw data, and
        the other batches' files have not changed since their checks passed on them."""
        asset = self.graph.assets[key]
        if key not in self.scope.scoped or asset.materialized != "view":
            return own
        schema, _, table = str(asset.relation).partition(".")
        relation = re.compile(rf'(?:"[^"]*"\.)?"{re.escape(schema)}"\."{re.escape(table)}"')
        files = ", ".join(
            "'" + f"{self.raw_dir}/{name}".replace("'", "''") + "'" for name in self.scope.files
        )
        condition = f"list_contains([{files}]::varchar[], source_file)"

        def scoped(found: re.Match[str]) -> str:
            return f"(select * from {found.group(0)} where {condition})"

        return [
            (check, dataclasses.replace(sql, sql=relation.sub(scoped, sql.sql)))
            for check, sql in own
        ]

    def partitioned(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if partitions.is_partitioned(self.graph, k)]

    def record_built(self, connection: Any, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Record the partitions of the built models; their metadata (rows, time range,
        partition count) from what they now hold."""
        metadata: dict[str, dict[str, Any]] = {}
        all_states = self.store.partition_states()
        for key in self.partitioned(keys):
            relation = str(self.graph.assets[key].relation)
            scoped = key in self.scope.scoped and key not in self.rebuilt_whole
            view = self.graph.assets[key].materialized == "view"
            stats = partition_recording.batch_stats(
                connection,
                relation,
                list(self.scope.present) if scoped else None,
                [f"{self.raw_dir}/{name}" for name in self.scope.files]
                if scoped and view
                else None,
            )
            held = all_states.get(key, {})
            writes = partition_recording.model_writes(
                self.graph, key, self._effective_scope(key), self.sources, held, stats
            )
            self.store.record_partitions(self.run_id, key, writes)
            now = self.store.partition_states(key).get(key, {})
            metadata[key] = {
                **partition_recording.totals(now),
                "columns": [name for name, _ in warehouse.columns(connection, relation)],
            }
        return metadata

    def record_unfinished(self, key: str, status: str, message: str) -> None:
        if not partitions.is_partitioned(self.graph, key):
            return
        writes = partition_recording.failed_writes(
            key, self._effective_scope(key), self.sources, status, message
        )
        if writes:
            self.store.record_partitions(self.run_id, key, writes)

    def _effective_scope(self, key: str) -> BatchScope:
        if key in self.rebuilt_whole and key in self.scope.scoped:
            return BatchScope(
                self.scope.batches,
                self.scope.present,
                self.scope.files,
                self.scope.scoped - {key},
                self.scope.whole | {key},
            )
        return self.scope
