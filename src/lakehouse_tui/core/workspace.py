"""A workspace ties one config to its dbt setup, asset graph and run store.

Opening one never imports dbt unless the dbt project changed since the last parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakehouse_tui.config import Config
from lakehouse_tui.core import airbyte_assets, dbt_setup, manifest, versions, warehouse_state
from lakehouse_tui.core.assets import Asset
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.plan import Plan, build_plan
from lakehouse_tui.core.selection import select
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.errors import UsageError

if TYPE_CHECKING:
    from lakehouse_tui.core.partitions import PartitionSummary


@dataclass
class Workspace:
    config: Config
    setup: dbt_setup.DbtSetup
    graph: AssetGraph
    store: RunStore
    parsed_manifest: Any | None = field(default=None, repr=False)

    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, config: Config, *, extra_assets: list[Asset] | None = None) -> Workspace:
        setup = dbt_setup.prepare(config)
        manifest_json, parsed = manifest.ensure(setup)
        problems = []
        if extra_assets is None:
            extra_assets, problem = airbyte_assets.connection_assets(config.airbyte)
            problems += [problem] if problem else []
        graph = AssetGraph.build(
            manifest_json, marts_target=config.marts.target, extra_assets=extra_assets
        )
        store = RunStore(config.store_path, lock_path=config.state_dir / "run.lock")
        return cls(config, setup, graph, store, parsed, problems)

    def close(self) -> None:
        self.store.close()

    def staleness(self) -> dict[str, versions.Staleness]:
        failed = {
            key: versions.UNFINISHED_REASON[entry.status]
            for key, entry in self.store.last_asset_statuses().items()
            if entry.status in versions.UNFINISHED_REASON
        }
        latest = self.store.latest_materializations()
        lake = self.config.lake
        missing = warehouse_state.problems(
            self.graph, latest, lake.warehouse, self.config.state_dir
        )
        return versions.staleness(self.graph, latest, lake.raw_dir, failed, missing)

    def partition_summaries(self, key: str | None = None) -> dict[str, PartitionSummary]:
        """Every partitioned asset's partitions (or one asset's), with their status."""
        from lakehouse_tui.core import partitions

        keys = [key] if key is not None else self.graph.order()
        keys = [k for k in keys if partitions.is_partitioned(self.graph, k)]
        if not keys:
            return {}
        sources = partitions.raw_partitions(self.config.lake.raw_dir, self.store.raw_file_scans())
        states = self.store.partition_states(key)
        return {k: partitions.summarize(self.graph, k, sources, states.get(k, {})) for k in keys}

    def stale_keys(self) -> set[str]:
        return {key for key, s in self.staleness().items() if s.stale}

    def resolve(self, selection: str | None, job: str | None) -> tuple[set[str], str]:
        """Selected unit keys and a description of the selection for the run history."""
        if job is not None:
            job_selection = self.graph.job_selection(job)
            if job_selection is None:
                known = ", ".join(("ingest_raw_data", "transform_dbt_models"))
                raise UsageError(f"unknown job {job!r}; known jobs: {known}")
            keys = select(job_selection, self.graph, self.stale_keys)
            if selection is not None:
                keys &= select(selection, self.graph, self.stale_keys)
                return keys, f"{selection} (job {job})"
            return keys, f"job {job}"
        if selection is None:
            raise UsageError("nothing to materialize: give --materialize SEL or --job NAME")
        return select(selection, self.graph, self.stale_keys), selection

    def plan(self, keys: set[str], description: str) -> Plan:
        return build_plan(self.graph, keys, description)

    def dbt_manifest(self) -> Any:
        """dbt's Manifest object for dbtRunner: the one parsed now, or loaded from disk."""
        if self.parsed_manifest is None:
            self.parsed_manifest = manifest.load_dbt_manifest(self.setup)
        return self.parsed_manifest
