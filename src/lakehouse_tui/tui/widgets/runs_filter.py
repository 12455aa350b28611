"""The runs screen's `/` filter: by status, trigger and asset (`core.run_filter`), live as
you type; escape clears it and goes back to the list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.binding import BindingType
from textual.widgets import DataTable, Input

from lakehouse_tui.core.records import RunRecord
from lakehouse_tui.core.run_filter import RunFilter
from lakehouse_tui.tui.keys import FILTER_BINDINGS

if TYPE_CHECKING:
    from lakehouse_tui.core.store import RunStore
    from lakehouse_tui.tui.screens.runs import RunsLoaded

FILTER_HINT = "filter: status:failed trigger:timer asset:dim_batch or words; escape clears"


class RunsFilterInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = list(FILTER_BINDINGS)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def action_clear_filter(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.screen.query_one("#runs-table", DataTable).focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.screen.query_one("#runs-table", DataTable).focus()


def filtered_runs(store: RunStore, runs: Sequence[RunRecord], wanted: RunFilter) -> list[RunRecord]:
    """The runs `wanted` keeps (reads each run's assets only for an `asset:` filter)."""
    if wanted.empty:
        return list(runs)
    if not wanted.assets:
        return [run for run in runs if wanted.matches(run)]
    return [
        run for run in runs if wanted.matches(run, [a.asset_key for a in store.run_assets(run.id)])
    ]


def runs_title(message: RunsLoaded) -> Text:
    if not message.filter_text:
        return Text("Runs — every run, whoever started it")
    return Text.assemble(
        f"Runs — {len(message.runs)} of {message.total} match ",
        (message.filter_text, "bold cyan"),
    )
