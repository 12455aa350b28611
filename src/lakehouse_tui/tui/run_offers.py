"""What to run, asked before it runs: the plan dialog, the Airbyte sync key and the offer to
materialize what a sync fed. Each ends in `RunController.start` (which asks again when another
process holds the warehouse)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse_tui import formatting as fmt
from lakehouse_tui.runservice.child import RunRequest
from lakehouse_tui.tui.partition_runs import partition_note
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.message_box import MessageBox

if TYPE_CHECKING:
    from lakehouse_tui.tui.app import LakehouseApp


def ask_to_run(app: LakehouseApp, request: RunRequest) -> None:
    """Show the plan (as `--dry-run` prints it) and start the run on yes."""
    from lakehouse_tui.errors import LakehouseError

    if app.workspace is None:
        app.notify("Still opening the workspace…", severity="warning")
        return
    if app.child is not None:
        app.notify("A run is already going or queued; press c to cancel it.", severity="warning")
        return
    try:
        keys, description = app.workspace.resolve(request.selection, request.job)
        plan = app.workspace.plan(keys, description)
    except LakehouseError as err:
        app.push_screen(MessageBox("Cannot materialize that", str(err)))
        return

    def answered(yes: bool | None) -> None:
        if yes:
            app.start_run(request)

    title = f"Materialize {request.description}?"
    text = fmt.home_paths(plan.format()) + partition_note(request)
    app.push_screen(ConfirmRun(title, text, runnable=bool(plan.steps)), answered)


def ask_to_sync(app: LakehouseApp, key: str | None) -> None:
    """Sync the selected Airbyte connection, or all of them."""
    if app.workspace is None:
        app.notify("Still opening the workspace…", severity="warning")
        return
    assets = app.workspace.graph.assets
    if key is not None and key in assets and assets[key].kind == "airbyte":
        ask_to_run(app, RunRequest(selection=key, label=f"sync {key}"))
    elif any(a.kind == "airbyte" for a in assets.values()):
        ask_to_run(app, RunRequest(selection="kind:airbyte", label="sync every Airbyte connection"))
    else:
        app.notify(
            "No Airbyte connections: add [[airbyte.connections]] to the config.",
            severity="warning",
            markup=False,
        )


def offer_downstream_of_sync(app: LakehouseApp, request: RunRequest) -> None:
    """After a successful sync, offer (or start) the run of what the synced data feeds."""
    from lakehouse_tui.errors import LakehouseError

    if app.workspace is None or request.selection is None:
        return
    graph = app.workspace.graph
    try:
        keys, _ = app.workspace.resolve(request.selection, request.job)
    except LakehouseError:
        return
    synced = sorted(k for k in keys if graph.assets[k].kind == "airbyte")
    downstream = set().union(*(graph.downstream(k) for k in synced)) - keys if synced else set()
    policy = app.config.airbyte.after_sync
    if not downstream or policy == "nothing":
        return
    selection = "(" + " or ".join(f"{k}+" for k in synced) + ") and not kind:airbyte"
    label = f"what {', '.join(synced)} feeds"
    if policy == "materialize":
        app.start_run(RunRequest(selection=selection, label=label))
    else:
        ask_to_run(app, RunRequest(selection=selection, label=label))
