"""The publish step in OpenLineage: one child run per curated table copied to PostgreSQL.

The step copies `schema.table` from the DuckDB warehouse into PostgreSQL under the same name
(`core.publish`). Each table is its own job, `publish:<schema.table>`, with the DuckDB table
as input and the PostgreSQL copy (`postgres://host:port`, `schema.table`) as output, so
Marquez draws DuckDB original -> copy -> the marts that read it. The copy carries the
original's `schema`, a `columnLineage` facet mapping each column to the same column of the
original, and at COMPLETE its `outputStatistics` (rows copied).

Events: START for every table when the step starts; COMPLETE when the executor reports the
table published (its `log` event carries `data.table` and `data.rows`); the tables still
open when the step finishes end FAIL (the step failed: the error the marts were failed
with) or ABORT (nothing was copied because an upstream asset failed, saying why), and ABORT
when the run ends first (cancelled). The tables are copied in one go and reported when all
are done, so when table 2 fails, table 1 (already copied) is reported FAIL too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openlineage.client.event_v2 import InputDataset, OutputDataset, RunEvent, RunState
from openlineage.client.generated import column_lineage_dataset, output_statistics_output_dataset

from lakehouse_tui.integrations.openlineage import facet, job_type, schema_facet

if TYPE_CHECKING:
    from lakehouse_tui.core.executor import RunEvent as OurEvent
    from lakehouse_tui.integrations.openlineage import LineageTranslator

JOB_PREFIX = "publish:"


class PublishJobs:
    def __init__(self, translator: LineageTranslator, steps: dict[str, tuple[str, ...]]) -> None:
        self.translator = translator
        self.steps = steps  # publish step name -> the `schema.table`s it copies
        self.open: dict[str, str] = {}  # table -> its step, between START and its end
        self.reason: str | None = None  # why a mart failed or was skipped during the step
        keys = {str(asset.relation): key for key, asset in translator.graph.assets.items()}
        self.sources = {t: keys.get(t) for tables in steps.values() for t in tables}

    def translate(self, event: OurEvent) -> list[RunEvent]:
        """The publish jobs' events `event` means (before the run's own, at its end)."""
        kind = event.event
        if kind == "step_started" and event.step in self.steps:
            self.reason = None
            tables = self.steps[event.step]
            self.open.update(dict.fromkeys(tables, event.step or ""))
            return [self.event(event, RunState.START, table) for table in tables]
        if not self.open:
            return []
        if kind in ("asset_failed", "asset_skipped") and event.message and self.reason is None:
            self.reason = event.message
        elif kind == "log" and event.step in self.steps:
            table = (event.data or {}).get("table")
            if isinstance(table, str) and table in self.open:
                del self.open[table]
                rows = event.data.get("rows")
                return [self.event(event, RunState.COMPLETE, table, rows=rows)]
        elif kind == "step_finished" and event.step in self.steps:
            failed = event.status == "failed"
            state = RunState.FAIL if failed else RunState.ABORT
            why = self.reason or ("publish failed" if failed else "not published")
            return self.close(
                event, state, why, [t for t, s in self.open.items() if s == event.step]
            )
        elif kind == "run_finished":
            return self.close(event, RunState.ABORT, event.message or "run ended", list(self.open))
        return []

    def close(self, event: OurEvent, state: RunState, why: str, tables: list[str]) -> list[Any]:
        for table in tables:
            self.open.pop(table, None)
        error = self.translator.error(why)
        return [self.event(event, state, table, error=error) for table in tables]

    def event(
        self,
        event: OurEvent,
        state: RunState,
        table: str,
        *,
        rows: Any = None,
        error: Any = None,
    ) -> RunEvent:
        translator = self.translator
        duckdb, postgres = translator.namespaces["duckdb"], translator.namespaces["postgres"]
        facets: dict[str, Any] = {}
        output: dict[str, Any] = {}
        key = self.sources.get(table)
        columns = translator.graph.assets[key].columns if key else []
        if columns and state != RunState.START:
            facets["schema"] = schema_facet([(c.name, c.data_type, c.description) for c in columns])
            fields = {
                c.name: column_lineage_dataset.Fields(
                    inputFields=[
                        column_lineage_dataset.InputField(
                            duckdb, table, c.name, transformations=None
                        )
                    ]
                )
                for c in columns
            }
            lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, dataset=None)
            facets["columnLineage"] = facet("columnLineage", lineage)
        if isinstance(rows, int):
            stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=rows, size=None
            )
            output["outputStatistics"] = facet("outputStatistics", stats)
        return translator.child_event(
            event,
            state,
            JOB_PREFIX + table,
            {"jobType": job_type("COPY")},
            [InputDataset(duckdb, table)],
            [OutputDataset(postgres, table, facets=facets, outputFacets=output)],
            error,
        )
