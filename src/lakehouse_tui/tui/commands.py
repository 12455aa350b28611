"""Command palette (ctrl+p) entries: jobs and actions, depending on the current screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lakehouse_tui.core.assets import JOBS
from lakehouse_tui.tui import prompts

if TYPE_CHECKING:
    from lakehouse_tui.tui.app import LakehouseApp


class LakehouseCommands(Provider):
    def commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from lakehouse_tui.tui.screens.runs import RunsScreen

        app: LakehouseApp = self.app  # type: ignore[assignment]
        found: list[tuple[str, str, Callable[[], object]]] = []
        for job, selection in JOBS.items():
            found.append(
                (f"Materialize job {job}", f"runs {selection}", partial(app.request_run, job=job))
            )
        if isinstance(self.screen, RunsScreen):
            found.append(
                (
                    "Re-run failed",
                    "re-materialize what failed or never ran in the highlighted run",
                    self.screen.action_rerun_failed,
                )
            )
        else:
            found += [
                ("Materialize selected asset", "m", app.action_materialize_selected),
                ("Materialize selected asset with upstream", "u", app.action_materialize_upstream),
                (
                    "Materialize selected asset with downstream",
                    "d",
                    app.action_materialize_downstream,
                ),
                ("Materialize everything", "a", app.action_materialize_all),
                ("Materialize stale assets", "s", app.action_materialize_stale),
                ("Show runs", "r", app.action_show_runs),
            ]
            found += palette_extras(app)
        found += [
            ("Cancel the running materialization", "c", app.action_cancel_run),
            (
                "Generate sample data",
                "writes demo parquet files into the raw dir",
                app.action_generate_data,
            ),
            ("Refresh statuses", "re-read the run store", app.action_refresh),
            ("Help: keys", "?", app.action_help),
        ]
        return found

    async def discover(self) -> Hits:
        # Every "Go to asset" would crowd the list before anything is typed.
        for name, help_text, callback in self.commands():
            if not name.startswith("Go to asset"):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def palette_extras(app: LakehouseApp) -> list[tuple[str, str, Callable[[], object]]]:
    """The main screen's prompts, schedule, sync, auto-materialize and a jump to every asset."""
    auto = "off" if app.auto.on else "on"
    found: list[tuple[str, str, Callable[[], object]]] = [
        ("Type a selection to materialize", ":", app.action_select_prompt),
        ("Query the warehouse (SQL)", "e, on the Preview tab", app.action_query),
        ("Schedule: the nightly OS timer", "t", app.action_show_schedule),
        ("Sync Airbyte", "y: the selected connection, or every one", app.action_sync),
        (
            f"Auto-materialize new batches: turn {auto}",
            "b: run [sensor] selection when raw files land",
            app.action_toggle_auto_materialize,
        ),
    ]
    if app.workspace is not None:
        for key in app.workspace.graph.names():
            found.append(
                (f"Go to asset {key}", "in the tree", partial(prompts.go_to_asset, app, key))
            )
    return found
