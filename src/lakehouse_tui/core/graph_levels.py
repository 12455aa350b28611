"""The asset graph at the two levels the graph view shows (no Textual here).

Model level: every unit asset and its dependencies. Group level: each group asset stands for
its models (an edge between two groups when any model of one feeds a model of the other);
assets in no group asset (Airbyte connections, the raw data) stay themselves.
"""

from __future__ import annotations

from lakehouse_tui.core.graph import AssetGraph

LEVELS = ("group", "model")


def container_of(graph: AssetGraph, key: str) -> str:
    """The node that shows `key` at group level: its group asset, or itself."""
    asset = graph.assets.get(key)
    if asset is not None and asset.group_asset in graph.groups:
        return asset.group_asset
    return key


def view(graph: AssetGraph, level: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(nodes in a stable order, edges) of the graph at `level` ("group" or "model")."""
    order = graph.order()
    edges = [
        (parent, key)
        for key, parents in graph.parent_keys.items()
        for parent in parents
        if parent in graph.assets and key in graph.assets
    ]
    if level == "model":
        return order, sorted(edges)
    nodes = list(dict.fromkeys(container_of(graph, key) for key in order))
    collapsed = {(container_of(graph, u), container_of(graph, v)) for u, v in edges}
    return nodes, sorted((u, v) for u, v in collapsed if u != v)
