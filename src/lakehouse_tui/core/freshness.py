"""Freshness policies: `[freshness] name = "26h"` says an asset must not get older than that.

A name is an asset, a group asset (its models) or a job (every asset it selects); the most
specific one wins (asset, then group asset, then job). The age of an asset is the time since
it last materialized, like Dagster's freshness policies. The raw asset's age is that of its
newest batch file by **mtime**: the time the lake last received data, known from a stat
without a run and without trusting instrument clocks. (The data's own last timestamp,
`ts_max` in the raw asset's metadata, would flag every back-filled or replayed batch as
overdue, and is only known after a run has scanned the files.)

No heavy imports: `status` stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lakehouse_tui.config_sensor import FreshnessPolicy
from lakehouse_tui.core.file_settle import parquet_only, snapshot
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.selection import select
from lakehouse_tui.errors import ConfigError
from lakehouse_tui.formatting import age as words


@dataclass(frozen=True)
class Freshness:
    key: str
    state: str  # fresh | overdue | no policy
    policy: str | None  # the [freshness] name that applies
    max_age: float | None
    age: float | None  # seconds; None when it never materialized (or no raw file)
    basis: str  # what the age is measured from
    limit: str = ""  # the max age as configured, e.g. "26h"

    @property
    def overdue_by(self) -> float | None:
        if self.max_age is None or self.state != "overdue" or self.age is None:
            return None
        return self.age - self.max_age

    def describe(self) -> str:
        """`fresh`, `overdue by 3h 2m`, `overdue (never)` or `-`."""
        if self.state == "fresh":
            return "fresh"
        if self.state == "overdue":
            return (
                f"overdue by {words(self.overdue_by or 0)}" if self.age is not None else "overdue"
            )
        return "-"

    def problem(self) -> str:
        """The `status --check` line of an overdue asset."""
        limit = f"max age {self.limit} ([freshness] {self.policy})"
        if self.age is None:
            return f"overdue: {self.key}: {self.basis}: never; {limit}"
        return (
            f"overdue: {self.key}: {self.basis} {words(self.age)} ago, {limit}; "
            f"overdue by {words(self.overdue_by or 0)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "overdue_by": self.overdue_by}


def policies_by_asset(
    graph: AssetGraph, policies: Sequence[FreshnessPolicy]
) -> dict[str, FreshnessPolicy]:
    """Which policy applies to each unit key; an unknown name is a one-line config error."""
    ranked: dict[str, tuple[int, FreshnessPolicy]] = {}
    for policy in policies:
        name = policy.name
        if name in graph.assets:
            rank, keys = 0, {name}
        elif name in graph.groups:
            rank, keys = 1, set(graph.members(name))
        elif (job := graph.job_selection(name)) is not None:
            rank, keys = 2, select(job, graph)
        else:
            known = ", ".join([*graph.groups, "ingest_raw_data", "transform_dbt_models"])
            raise ConfigError(
                f"{policy.where}: [freshness] {name}: no asset, group asset or job of that name; "
                f"use an asset key (see `lakehouse-tui status`) or one of {known}"
            )
        for key in keys:
            if key not in ranked or rank < ranked[key][0]:
                ranked[key] = (rank, policy)
    return {key: policy for key, (_, policy) in ranked.items()}


def newest_raw_file(raw_dir: Path) -> float | None:
    """The mtime (epoch seconds) of the newest parquet file in the raw dir."""
    mtimes = [mtime for _, mtime in parquet_only(snapshot(raw_dir)).values()]
    return max(mtimes) / 1e9 if mtimes else None


def evaluate(
    graph: AssetGraph,
    policies: Sequence[FreshnessPolicy],
    materialized_at: Mapping[str, float | None],
    raw_dir: Path,
    now: float,
) -> dict[str, Freshness]:
    """Freshness of every unit key in `materialized_at`."""
    applying = policies_by_asset(graph, policies)
    result = {}
    for key, when in materialized_at.items():
        policy = applying.get(key)
        if policy is None:
            result[key] = Freshness(key, "no policy", None, None, None, "")
            continue
        if graph.assets[key].kind == "raw":
            when, basis = newest_raw_file(raw_dir), "newest raw file written"
        else:
            basis = "last materialized"
        age = None if when is None else max(0.0, now - when)
        fresh = age is not None and age <= policy.seconds
        state = "fresh" if fresh else "overdue"
        result[key] = Freshness(key, state, policy.name, policy.seconds, age, basis, policy.max_age)
    return result
