"""The asset graph: unit assets and their dependencies, plus the group assets over them.

Kept as plain parent/child maps: every run and `status` needs only orders and walks, and
importing networkx costs about 100 ms, most of a no-op run. `digraph` builds the networkx
view on demand for whatever needs its algorithms (layouts, say).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class AssetGraph:
    assets: dict[str, Asset]
    groups: dict[str, GroupAsset]
    parent_keys: dict[str, set[str]] = field(default_factory=dict)
    child_keys: dict[str, set[str]] = field(default_factory=dict)

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
        parents: dict[str, set[str]] = {a.key: set() for a in units}
        children: dict[str, set[str]] = {a.key: set() for a in units}
        for asset in units:
            for dep in asset.deps:
                parents.setdefault(asset.key, set()).add(dep)
                children.setdefault(dep, set()).add(asset.key)
                parents.setdefault(dep, set())
        assets = {a.key: a for a in units}
        return cls(assets, {g.key: g for g in GROUP_ASSETS}, parents, children)

    @property
    def digraph(self) -> nx.DiGraph:
        """The graph as a networkx DiGraph (imports networkx)."""
        import networkx as nx

        graph: nx.DiGraph = nx.DiGraph()
        graph.add_nodes_from(self.parent_keys)
        graph.add_edges_from((p, k) for k, ps in self.parent_keys.items() for p in ps)
        return graph

    # -- structure ----------------------------------------------------------------------

    def order(self, keys: Iterable[str] | None = None) -> list[str]:
        """Keys in a topological order (ties broken by name, so plans are stable)."""
        wanted = set(self.assets if keys is None else keys)
        waiting = {k: len(ps) for k, ps in self.parent_keys.items()}
        ready = [k for k, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        ordered = []
        while ready:
            key = heapq.heappop(ready)
            ordered.append(key)
            for child in self.child_keys.get(key, ()):
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(ready, child)
        return [k for k in ordered if k in wanted]

    def members(self, group_key: str) -> list[str]:
        return self.order(a.key for a in self.assets.values() if a.group_asset == group_key)

    def upstream(self, key: str, depth: int | None = None) -> set[str]:
        return self._walk(key, depth, lambda k: self.parent_keys.get(k, set()))

    def downstream(self, key: str, depth: int | None = None) -> set[str]:
        return self._walk(key, depth, lambda k: self.child_keys.get(k, set()))

    def _walk(self, key: str, depth: int | None, neighbours: Callable[[str], set[str]]) -> set[str]:
        seen: set[str] = set()
        frontier = {key}
        level = 0
        while frontier and (depth is None or level < depth):
            frontier = {n for k in frontier for n in neighbours(k)} - seen
            seen |= frontier
            level += 1
        return seen

    def parents(self, key: str) -> list[str]:
        return sorted(self.parent_keys.get(key, ()))

    def children(self, key: str) -> list[str]:
        return sorted(self.child_keys.get(key, ()))

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
