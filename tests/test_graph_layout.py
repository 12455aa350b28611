"""The graph view's layout (core.graph_layout): computed from the graph, never overlapping,
and readable: the edges traced back out of the drawn characters are exactly the graph's."""

from __future__ import annotations

import random
import sys

import pytest

from graph_trace import traced_edges
from lakehouse_tui.core import graph_levels
from lakehouse_tui.core.assets import GROUP_ASSETS, Asset
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.graph_layout import BOX_HEIGHT, Drawing, layers_of, layout

RAW, STG, INT, DIM = (
    "raw_bioreactor_data",
    "stg_bioreactor",
    "int_bioreactor_downsample_5m",
    "dim_batch",
)
FACT, MART = "fact_bioreactor_batch_stats", "mart_bioreactor_overview"


def demo_graph() -> AssetGraph:
    """The demo project's shape (as the manifest builds it; see test_selection)."""

    def asset(key: str, group_asset: str | None, *deps: str) -> Asset:
        return Asset(key, "g", "duckdb", "", deps=deps, group_asset=group_asset)

    units = [
        Asset("airbyte_historian", "raw_ingestion", "airbyte", ""),
        Asset(RAW, "raw_ingestion", "raw", "", deps=("airbyte_historian",)),
        asset(STG, "dbt_staging_models", RAW),
        asset(INT, "dbt_curated_models", STG),
        asset(DIM, "dbt_curated_models", STG),
        asset(FACT, "dbt_curated_models", STG),
        asset(MART, "dbt_postgres_marts", DIM, FACT),
    ]
    parents = {unit.key: set(unit.deps) for unit in units}
    children: dict[str, set[str]] = {unit.key: set() for unit in units}
    for unit in units:
        for dep in unit.deps:
            children[dep].add(unit.key)
    return AssetGraph(
        {u.key: u for u in units}, {g.key: g for g in GROUP_ASSETS}, parents, children
    )


def generated(count: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A random dbt-like DAG: each model reads one to three earlier ones."""
    rng = random.Random(seed)
    nodes = [f"model_{i:02d}_{'x' * rng.randrange(0, 12)}" for i in range(count)]
    edges = [
        (nodes[j], nodes[i])
        for i in range(1, count)
        for j in rng.sample(range(i), min(i, rng.choice([1, 1, 2, 3])))
    ]
    return nodes, edges


def assert_no_overlaps(drawing: Drawing) -> None:
    boxes = list(drawing.boxes.values())
    for i, a in enumerate(boxes):
        assert a.x >= 0 and a.x + a.width <= drawing.width and a.y + BOX_HEIGHT <= drawing.height
        for b in boxes[i + 1 :]:
            apart = a.x + a.width <= b.x or b.x + b.width <= a.x or a.y != b.y
            assert apart, f"{a.key} and {b.key} overlap"
        # the box's rows hold its own border and label, untouched by any edge
        rows = drawing.rows
        assert rows[a.y][a.x] == "╭" and rows[a.y][a.x + a.width - 1] == "╮"
        assert set(rows[a.y][a.x + 1 : a.x + a.width - 1]) == {"─"}
        assert rows[a.y + 1][a.x : a.x + a.width] == "│ " + a.label.ljust(a.width - 4) + " │"
        assert rows[a.y + 2][a.x] == "╰" and rows[a.y + 2][a.x + a.width - 1] == "╯"
        assert set(rows[a.y + 2][a.x + 1 : a.x + a.width - 1]) <= {"─", "┬"}
        for (x, y), _ in drawing.edge_cells.items():
            inside = a.x <= x < a.x + a.width and a.y <= y < a.y + BOX_HEIGHT
            assert not inside, f"an edge runs through {a.key} at {x},{y}"


def test_model_level_shows_what_the_mart_reads() -> None:
    nodes, edges = graph_levels.view(demo_graph(), "model")
    drawing = layout(nodes, edges)
    assert_no_overlaps(drawing)
    assert traced_edges(drawing) == set(edges)
    assert (DIM, MART) in edges and (FACT, MART) in edges and (INT, MART) not in edges
    layer = {key: box.layer for key, box in drawing.boxes.items()}
    assert layer[RAW] < layer[STG] < layer[DIM] < layer[MART]
    assert layer[INT] == layer[DIM] == layer[FACT]


def test_group_level_collapses_models_into_their_groups() -> None:
    nodes, edges = graph_levels.view(demo_graph(), "group")
    assert nodes == [
        "airbyte_historian",
        RAW,
        "dbt_staging_models",
        "dbt_curated_models",
        "dbt_postgres_marts",
    ]
    assert edges == sorted(
        [
            ("airbyte_historian", RAW),
            (RAW, "dbt_staging_models"),
            ("dbt_staging_models", "dbt_curated_models"),
            ("dbt_curated_models", "dbt_postgres_marts"),
        ]
    )
    drawing = layout(nodes, edges)
    assert traced_edges(drawing) == set(edges)
    assert [box.layer for box in drawing.boxes.values()] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("seed", range(12))
def test_a_generated_30_model_graph_draws_without_overlaps(seed: int) -> None:
    nodes, edges = generated(30, seed)
    drawing = layout(nodes, edges, {n: f"✓ {n}" for n in nodes})
    assert set(drawing.boxes) == set(nodes)
    assert_no_overlaps(drawing)
    assert traced_edges(drawing) == set(edges)
    for u, v in edges:  # every edge points down
        assert drawing.boxes[u].layer < drawing.boxes[v].layer
    assert sorted(n for layer in drawing.layers for n in layer) == sorted(nodes)


def test_layering_is_longest_path_with_sources_next_to_their_consumer() -> None:
    layers = layers_of(["a", "b", "c", "late"], [("a", "b"), ("b", "c"), ("late", "c")])
    assert layers == {"a": 0, "b": 1, "c": 2, "late": 1}


def test_ordering_removes_avoidable_crossings() -> None:
    # Given in an order that crosses: a->y, b->x; the layout swaps one layer.
    drawing = layout(["a", "b", "x", "y"], [("a", "y"), ("b", "x")])
    assert "┼" not in "".join(drawing.rows)
    assert traced_edges(drawing) == {("a", "y"), ("b", "x")}


def test_empty_and_single_node_graphs() -> None:
    assert layout([], []).rows == []
    drawing = layout(["only"], [("only", "only"), ("only", "missing")])
    assert drawing.rows == ["╭──────╮", "│ only │", "╰──────╯"]


def test_the_layout_module_imports_no_textual_or_rich() -> None:
    import subprocess

    code = (
        "import sys, lakehouse_tui.core.graph_layout, lakehouse_tui.core.graph_levels; "
        "print([m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
