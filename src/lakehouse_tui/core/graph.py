"""The asset graph: a networkx DiGraph of unit assets, plus the group assets over them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from lakehouse_tui.core.assets import (
    GROUP_ASSETS,
    JOBS,
    RAW_ASSET,
    Asset,
    DbtTranslator,
    GroupAsset,
    dbt_assets,
    raw_asset,
)


@dataclass
class AssetGraph:
    assets: dict[str, Asset]
    groups: dict[str, GroupAsset]
    digraph: nx.DiGraph

    @classmethod
    def build(
        cls,
        manifest: dict[str, Any],
        *,
        marts_target: str = "duckdb",
        extra_assets: Iterable[Asset] = (),
        translator: DbtTranslator | None = None,
    ) -> AssetGraph:
        """Units from the manifest plus non-dbt assets (Airbyte connections feed the raw data)."""
        extras = list(extra_assets)
        units = [raw_asset(tuple(a.key for a in extras)), *extras]
        units += dbt_assets(manifest, translator or DbtTranslator(marts_target))
        digraph: nx.DiGraph = nx.DiGraph()
        for asset in units:
            digraph.add_node(asset.key)
        for asset in units:
            for dep in asset.deps:
                digraph.add_edge(dep, asset.key)
        return cls({a.key: a for a in units}, {g.key: g for g in GROUP_ASSETS}, digraph)

    # -- structure ----------------------------------------------------------------------

    def order(self, keys: Iterable[str] | None = None) -> list[str]:
        """Keys in a topological order (ties broken by name, so plans are stable)."""
        wanted = set(self.assets if keys is None else keys)
        return [k for k in nx.lexicographical_topological_sort(self.digraph) if k in wanted]

    def members(self, group_key: str) -> list[str]:
        return self.order(a.key for a in self.assets.values() if a.group_asset == group_key)

    def upstream(self, key: str, depth: int | None = None) -> set[str]:
        return self._walk(key, depth, self.digraph.predecessors)

    def downstream(self, key: str, depth: int | None = None) -> set[str]:
        return self._walk(key, depth, self.digraph.successors)

    def _walk(self, key: str, depth: int | None, neighbours: Any) -> set[str]:
        seen: set[str] = set()
        frontier = {key}
        level = 0
        while frontier and (depth is None or level < depth):
            frontier = {n for k in frontier for n in neighbours(k)} - seen
            seen |= frontier
            level += 1
        return seen

    def parents(self, key: str) -> list[str]:
        return sorted(self.digraph.predecessors(key))

    def children(self, key: str) -> list[str]:
        return sorted(self.digraph.successors(key))

    # -- names --------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every name a selection may use: unit keys and group asset keys."""
        return sorted([*self.assets, *self.groups])

    def expand(self, name: str) -> set[str]:
        """The unit keys a name stands for (a group asset stands for its models)."""
        if name in self.assets:
            return {name}
        if name in self.groups:
            return set(self.members(name))
        return set()

    def group_names(self) -> set[str]:
        return {a.group for a in self.assets.values()}

    def job_selection(self, job: str) -> str | None:
        return JOBS.get(job)

    @property
    def raw(self) -> Asset:
        return self.assets[RAW_ASSET]
