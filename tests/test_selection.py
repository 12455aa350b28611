"""The selection grammar over the asset graph built from the real dbt manifest."""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse_tui.core.selection import SelectionError, select

RAW = "raw_bioreactor_data"
STG = "stg_bioreactor"
INT = "int_bioreactor_downsample_5m"
DIM = "dim_batch"
FACT = "fact_bioreactor_batch_stats"
MART = "mart_bioreactor_overview"
ALL = {RAW, STG, INT, DIM, FACT, MART}


@pytest.fixture(scope="module")
def graph(parsed_workspace: Any) -> Any:
    return parsed_workspace.graph


def test_graph_from_the_manifest(graph: Any) -> None:
    assert set(graph.assets) == ALL
    assert set(graph.digraph.edges) == {
        (RAW, STG),
        (STG, INT),
        (STG, DIM),
        (STG, FACT),
        (DIM, MART),
        (FACT, MART),
    }
    assert graph.members("dbt_staging_models") == [STG]
    assert graph.members("dbt_curated_models") == [DIM, FACT, INT]
    assert graph.members("dbt_postgres_marts") == [MART]
    assert graph.assets[FACT].relation == "curated.fact_bioreactor_batch_stats"
    assert graph.assets[MART].relation == "marts.mart_bioreactor_overview"
    blocking = {c.name: c.blocking for c in graph.assets[FACT].checks}
    assert blocking["ph_min_within_0_14"] is False and blocking["ph_max_within_0_14"] is False
    assert any(name.startswith("accepted_values_") and b for name, b in blocking.items())


CASES = [
    ("*", ALL),
    ("dim_batch", {DIM}),
    ("key:dim_batch", {DIM}),
    ('key:"dim_batch"', {DIM}),
    ("stg_*", {STG}),
    ("*_batch*", {DIM, FACT}),
    ("*bioreactor*", {RAW, STG, INT, FACT, MART}),
    ("+dim_batch", {RAW, STG, DIM}),
    ("dim_batch+", {DIM, MART}),
    ("+dim_batch+", {RAW, STG, DIM, MART}),
    ("1+dim_batch", {STG, DIM}),
    ("2+mart_bioreactor_overview", {STG, DIM, FACT, MART}),
    ("stg_bioreactor+1", {STG, INT, DIM, FACT}),
    ("raw_bioreactor_data+", ALL),
    ("raw_bioreactor_data+0", {RAW}),
    ("+mart_bioreactor_overview", {RAW, STG, DIM, FACT, MART}),
    ("group:dbt_curated", {INT, DIM, FACT}),
    ("group:raw_ingestion", {RAW}),
    ("group:dbt_*", {STG, INT, DIM, FACT, MART}),
    ("tag:mart", {MART}),
    ("tag:curated", {DIM, FACT}),
    ("tag:int", {INT}),
    ("tag:raw", {RAW}),
    ("kind:raw", {RAW}),
    ("kind:duckdb", {STG, INT, DIM, FACT, MART}),
    ("dbt_staging_models", {STG}),
    ("dbt_curated_models", {INT, DIM, FACT}),
    ("dbt_postgres_marts", {MART}),
    ("dbt_*_models", {STG, INT, DIM, FACT}),
    ("dbt_staging_models+", {STG, INT, DIM, FACT, MART}),
    ("+dbt_postgres_marts", {RAW, STG, DIM, FACT, MART}),
    ("dim_batch or fact_bioreactor_batch_stats", {DIM, FACT}),
    ("tag:curated and not dim_batch", {FACT}),
    ("not tag:curated", {RAW, STG, INT, MART}),
    ("not not dim_batch", {DIM}),
    ("dim_batch OR stg_bioreactor AND tag:mart", {DIM}),  # and binds tighter than or
    ("(dim_batch or stg_bioreactor) and tag:stg", {STG}),
    ("(group:dbt_curated or tag:mart) and not (int_bioreactor_downsample_5m)", {DIM, FACT, MART}),
    ("((dim_batch))", {DIM}),
    ("+dim_batch and +fact_bioreactor_batch_stats", {RAW, STG}),
    ("  dim_batch  ", {DIM}),
    # A comma list, as Dagster's CLI takes it: a union, binding loosest.
    ("dim_batch,stg_bioreactor", {DIM, STG}),
    ("dim_batch, stg_bioreactor , tag:mart", {DIM, STG, MART}),
    ("+dim_batch,fact_bioreactor_batch_stats+", {RAW, STG, DIM, FACT, MART}),
    ("tag:curated and not dim_batch,stg_bioreactor", {FACT, STG}),
    ("dbt_staging_models,group:dbt_marts", {STG, MART}),
    # A kind no asset has in this config (marts on DuckDB) selects nothing; it is no typo.
    ("kind:postgres", set()),
    ("kind:postgres or dim_batch", {DIM}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_grammar(graph: Any, text: str, expected: set[str]) -> None:
    assert select(text, graph) == expected


def test_stale(graph: Any) -> None:
    stale = {DIM, MART}
    assert select("stale", graph, lambda: stale) == stale
    assert select("stale and tag:mart", graph, lambda: stale) == {MART}
    assert select("not stale", graph, lambda: stale) == ALL - stale
    assert select("stale", graph, lambda: set()) == set()
    assert select("stale", graph) == set()
    assert select("+stale", graph, lambda: {DIM}) == {RAW, STG, DIM}
    # The word is only the keyword on its own; as a key it is an unknown asset.
    with pytest.raises(SelectionError):
        select("key:stale", graph, lambda: stale)


def test_the_stale_callable_is_only_called_when_needed(graph: Any) -> None:
    def boom() -> set[str]:
        raise AssertionError("stale computed for a selection that does not use it")

    assert select("tag:mart", graph, boom) == {MART}


ERRORS = [
    ("dim_bach", ["no asset matches 'dim_bach'", "did you mean", "dim_batch"]),
    ("+dim_bach+", ["dim_batch"]),
    ("tag:foo", ["no tag matches 'foo'", "curated", "mart"]),
    ("tag:marts", ["did you mean", "mart"]),
    ("group:dbt_curate", ["no group matches", "dbt_curated"]),
    ("kind:postgre", ["no kind matches 'postgre'", "did you mean postgres"]),
    ("dim_batch,", ["ends too early"]),
    (",dim_batch", ["unexpected ','"]),
    ("dim_batch,,stg_bioreactor", ["unexpected ','"]),
    ("dim_batch,dim_bach", ["no asset matches 'dim_bach'", "dim_batch"]),
    ("colour:red", ["unknown attribute 'colour:'", "key:", "group:", "tag:", "kind:"]),
    ("(dim_batch or fact_bioreactor_batch_stats", ["'(' is never closed"]),
    ("dim_batch)", ["unexpected ')'"]),
    ("", ["is empty", "'*'"]),
    ("   ", ["is empty"]),
    ("dim_batch and", ["ends too early"]),
    (
        "dim_batch fact_bioreactor_batch_stats",
        ["expected 'and' or 'or' before 'fact_bioreactor_batch_stats'"],
    ),
    ("dim_batch $", ["cannot read '$'"]),
    ("zzz_*", ["no asset matches 'zzz_*'"]),
]


@pytest.mark.parametrize(("text", "needles"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_errors(graph: Any, text: str, needles: list[str]) -> None:
    with pytest.raises(SelectionError) as info:
        select(text, graph)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"selection {text.rstrip()!r}") or message.startswith(
        f"selection {text!r}"
    )
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


RELATIONSHIPS = "relationships_fact_bioreactor_batch_stats_batch_id__batch_id__ref_dim_batch_"


# -- through the CLI ------------------------------------------------------------------------


def test_dry_run_prints_ordered_steps_with_the_exact_dbt_select(parsed_workspace: Any) -> None:
    lake = parsed_workspace.lake
    result = lake.cli("--materialize", "*", "--dry-run")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Plan for '*': 6 assets in 2 steps",
        "  1. raw: scan and validate the parquet files in the raw dir",
        "     assets: raw_bioreactor_data",
        "  2. dbt duckdb: dbt build --target duckdb --select stg_bioreactor dim_batch "
        "fact_bioreactor_batch_stats int_bioreactor_downsample_5m mart_bioreactor_overview "
        f"{RELATIONSHIPS} --indirect-selection empty",
        "     assets: stg_bioreactor, dim_batch, fact_bioreactor_batch_stats, "
        "int_bioreactor_downsample_5m, mart_bioreactor_overview",
        "     checks: 16 evaluated by the executor, 1 by dbt (in the --select)",
        "  partitions: 4 model(s) rebuilt from all batches",
    ]
    # Nothing ran: no run recorded, no warehouse.
    assert lake.runs() == []
    assert not lake.warehouse.exists()


def test_dry_run_of_a_partial_selection(parsed_workspace: Any) -> None:
    lake = parsed_workspace.lake
    result = lake.cli("--dry-run", "--materialize", "dim_batch+")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Plan for 'dim_batch+': 2 assets in 1 steps",
        "  1. dbt duckdb: dbt build --target duckdb --select dim_batch mart_bioreactor_overview "
        "--indirect-selection empty",
        "     assets: dim_batch, mart_bioreactor_overview",
        "     checks: 5 evaluated by the executor, 0 by dbt (in the --select)",
        "  partitions: 1 model(s) rebuilt from all batches",
    ]
    result = lake.cli("--dry-run", "--materialize", "group:raw_ingestion")
    assert result.out.splitlines()[1:] == [
        "  1. raw: scan and validate the parquet files in the raw dir",
        "     assets: raw_bioreactor_data",
    ]


def test_dry_run_of_jobs(parsed_workspace: Any) -> None:
    lake = parsed_workspace.lake
    result = lake.cli("--dry-run", "--job", "transform_dbt_models")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Plan for 'job transform_dbt_models': 5 assets in 1 steps"
    result = lake.cli("--dry-run", "--job", "ingest_raw_data")
    assert result.out.splitlines()[0] == "Plan for 'job ingest_raw_data': 1 assets in 1 steps"
    result = lake.cli("--dry-run", "--job", "transform_dbt_models", "--materialize", "tag:mart")
    assert (
        result.out.splitlines()[0]
        == "Plan for 'tag:mart (job transform_dbt_models)': 1 assets in 1 steps"
    )
    result = lake.cli("--dry-run", "--job", "nightly")
    assert result.code == 2
    assert result.err_lines == [
        "lakehouse-tui: unknown job 'nightly'; known jobs: ingest_raw_data, transform_dbt_models"
    ]


def test_cli_selection_error_is_one_line_exit_2(parsed_workspace: Any) -> None:
    lake = parsed_workspace.lake
    result = lake.cli("--materialize", "dim_bach", "--dry-run")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("lakehouse-tui: selection 'dim_bach': ")
    assert "dim_batch" in result.err
    result = lake.cli("--materialize", "(tag:mart")
    assert result.code == 2 and len(result.err_lines) == 1 and "never closed" in result.err
    assert lake.runs() == []
