"""Turn a set of selected assets into ordered steps.

Steps run in this order, each only for the selected assets it covers:
  airbyte syncs -> raw validation -> dbt build on DuckDB -> publish curated tables to
  PostgreSQL -> dbt build of the marts on PostgreSQL.
dbt runs once per target with the exact `--select` list of the models in that step. On
DuckDB the executor evaluates most data tests itself (`core.checks`), so dbt gets
`--indirect-selection empty` and only the tests that must stay dbt nodes, by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lakehouse_tui.core.graph import AssetGraph


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # airbyte | raw | dbt | publish
    assets: tuple[str, ...]
    target: str | None = None
    dbt_select: tuple[str, ...] = ()
    publish_tables: tuple[str, ...] = field(default=())  # schema.table, for publish steps
    indirect_selection: str | None = None  # dbt's --indirect-selection, when not its default
    executor_checks: tuple[str, ...] = ()  # checks the executor evaluates (core.checks)
    dbt_checks: tuple[str, ...] = ()  # checks dbt runs as test nodes (in dbt_select)

    def describe(self) -> str:
        if self.kind == "dbt":
            command = f"dbt build --target {self.target} --select {' '.join(self.dbt_select)}"
            if self.indirect_selection:
                command += f" --indirect-selection {self.indirect_selection}"
            return command
        if self.kind == "raw":
            return "scan and validate the parquet files in the raw dir"
        if self.kind == "publish":
            return "copy to PostgreSQL: " + ", ".join(self.publish_tables)
        return f"Airbyte sync of {', '.join(self.assets)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    selection: str
    steps: tuple[Step, ...]

    @property
    def assets(self) -> list[str]:
        return [key for step in self.steps for key in step.assets if step.kind != "publish"]

    def asset_steps(self) -> list[tuple[str, str]]:
        return [
            (key, step.name) for step in self.steps if step.kind != "publish" for key in step.assets
        ]

    def to_list(self) -> list[dict[str, Any]]:
        return [step.to_dict() for step in self.steps]

    def format(self) -> str:
        if not self.steps:
            return f"Plan for {self.selection!r}: nothing to materialize."
        lines = [
            f"Plan for {self.selection!r}: {len(self.assets)} assets in {len(self.steps)} steps"
        ]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"  {number}. {step.name}: {step.describe()}")
            if step.kind != "publish":
                lines.append(f"     assets: {', '.join(step.assets)}")
            if step.executor_checks:
                lines.append(
                    f"     checks: {len(step.executor_checks)} evaluated by the executor, "
                    f"{len(step.dbt_checks)} by dbt (in the --select)"
                )
        return "\n".join(lines)


def build_plan(graph: AssetGraph, keys: Iterable[str], selection: str) -> Plan:
    ordered = graph.order(keys)
    by_kind: dict[str, list[str]] = {}
    for key in ordered:
        by_kind.setdefault(graph.assets[key].kind, []).append(key)
    steps: list[Step] = []
    for key in by_kind.get("airbyte", []):
        steps.append(Step(f"sync {key}", "airbyte", (key,)))
    if "raw" in by_kind:
        steps.append(Step("raw", "raw", tuple(by_kind["raw"])))
    if "duckdb" in by_kind:
        steps.append(_dbt_step(graph, "dbt duckdb", "duckdb", tuple(by_kind["duckdb"])))
    if "postgres" in by_kind:
        marts = tuple(by_kind["postgres"])
        sources = graph.order(
            parent
            for key in marts
            for parent in graph.parents(key)
            if graph.assets[parent].kind == "duckdb"
        )
        relations = tuple(str(graph.assets[key].relation) for key in sources)
        steps.append(Step("publish", "publish", tuple(sources), publish_tables=relations))
        steps.append(_dbt_step(graph, "dbt postgres", "postgres", marts))
    return Plan(selection, tuple(steps))


def _dbt_step(graph: AssetGraph, name: str, target: str, models: tuple[str, ...]) -> Step:
    """dbt builds the models only; the executor evaluates their single-model checks as each
    is built (and publishes it only when the blocking ones pass, `core.audit`)."""
    checks = [check for key in models for check in graph.assets[key].checks]
    by_dbt = tuple(c.name for c in checks if not c.runs_in_executor)
    # Not picked up by --indirect-selection empty: named, so dbt runs them first.
    unit_tests = tuple(name for key in models for name in graph.assets[key].unit_tests)
    return Step(
        name,
        "dbt",
        models,
        target,
        models + by_dbt + unit_tests,
        indirect_selection="empty",
        executor_checks=tuple(c.name for c in checks if c.runs_in_executor),
        dbt_checks=by_dbt,
    )
