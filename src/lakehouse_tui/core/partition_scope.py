"""Which batches a run processes, and which of its models are rebuilt whole.

Decided once per run, before the DuckDB dbt step, from the raw dir's partitions and what each
model holds (core.partitions):

- `--full-refresh`: every selected model is rebuilt from all the raw files, as dbt's flag does.
- a model that holds nothing yet, or whose code (or the code of a model it reads) changed
  since it was built, is rebuilt whole: a table of mixed code versions is never published;
- otherwise incremental models process the *scope*: the batches named with `--partition` /
  `--partition-range`, or else every batch that is stale in any of them (new, changed,
  deleted upstream, last attempt failed).

The scope reaches the dbt project through environment variables (macros/batch_partitions.sql).
A run has one scope for all its incremental models: re-processing a batch that was already
fresh in one of them gives the same rows, and one scope is one `dbt build`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lakehouse_tui.core import partitions
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.partitions import PartitionState, RawPartitions

SCOPED_MODELS_ENV = "LAKEHOUSE_TUI_SCOPED_MODELS"
BATCHES_ENV = "LAKEHOUSE_TUI_BATCHES"
BATCH_FILES_ENV = "LAKEHOUSE_TUI_BATCH_FILES"


@dataclass(frozen=True)
class PartitionRequest:
    """The run's partition flags: named batches (already validated), or a full refresh."""

    keys: tuple[str, ...] = ()
    full_refresh: bool = False


@dataclass(frozen=True)
class BatchScope:
    batches: tuple[str, ...]  # to replace: present ones and deleted ones
    present: tuple[str, ...]  # of those, the batches still in the raw dir
    files: tuple[str, ...]  # the raw files holding `present`
    scoped: frozenset[str]  # models processing only `batches`
    whole: frozenset[str]  # partitioned models rebuilt from every file

    @property
    def deleted(self) -> tuple[str, ...]:
        return tuple(b for b in self.batches if b not in self.present)

    def dbt_env(self) -> dict[str, str]:
        return {
            SCOPED_MODELS_ENV: json.dumps(sorted(self.scoped)),  # asset key = dbt model name
            BATCHES_ENV: json.dumps(list(self.batches)),
            BATCH_FILES_ENV: json.dumps(list(self.files)),
        }

    def describe(self) -> str:
        parts = []
        if self.scoped and not self.batches:
            parts.append(f"no stale batch in {len(self.scoped)} partitioned model(s)")
        elif self.scoped:
            text = f"{len(self.present)} batch(es)"
            if self.deleted:
                text += f" and {len(self.deleted)} deleted"
            parts.append(f"{text} in {len(self.scoped)} partitioned model(s)")
        if self.whole:
            parts.append(f"{len(self.whole)} model(s) rebuilt from all batches")
        return "; ".join(parts) or "no partitioned model"


def plan_scope(
    graph: AssetGraph,
    keys: Iterable[str],
    sources: RawPartitions,
    states: Mapping[str, Mapping[str, PartitionState]],
    request: PartitionRequest,
) -> BatchScope:
    models = [
        k for k in graph.order(keys)
        if partitions.is_partitioned(graph, k) and graph.assets[k].kind != "raw"
    ]  # fmt: skip
    whole: set[str] = set()
    scoped: set[str] = set()
    for key in models:
        held = {p: s for p, s in states.get(key, {}).items() if s.status == partitions.MATERIALIZED}
        signature = partitions.code_signature(graph, key)
        if (
            request.full_refresh
            or not held
            or any(s.code_signature != signature for s in held.values())
        ):
            whole.add(key)
        else:
            scoped.add(key)
    batches: set[str] = set(request.keys)
    if not request.keys:
        for key in scoped:
            summary = partitions.summarize(graph, key, sources, states.get(key, {}))
            batches |= set(partitions.stale_keys(summary))
    present = sorted(b for b in batches if b in sources.by_key)
    files = sorted({name for b in present for name in sources.by_key[b].files})
    return BatchScope(
        tuple(sorted(batches)), tuple(present), tuple(files), frozenset(scoped), frozenset(whole)
    )
