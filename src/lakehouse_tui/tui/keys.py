"""Every key binding of the app, each with an id so `[keymap]` in the config can remap it.

The help screen lists these with the keys in effect after the user's keymap.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding(
        "q", "quit", "Quit", tooltip="Quit (a running materialization is cancelled)", id="quit"
    ),
    Binding(
        "question_mark", "help", "Help", tooltip="This list of keys", key_display="?", id="help"
    ),
    Binding(
        "slash",
        "filter",
        "Filter",
        tooltip="Filter the tree by name; escape clears",
        key_display="/",
        id="filter",
    ),
    Binding(
        "m",
        "materialize_selected",
        "Materialize",
        tooltip="Materialize the selected asset (a group: all its models)",
        id="materialize_selected",
    ),
    Binding(
        "u",
        "materialize_upstream",
        "+up",
        tooltip="Materialize the selected asset with everything upstream",
        id="materialize_upstream",
    ),
    Binding(
        "d",
        "materialize_downstream",
        "+down",
        tooltip="Materialize the selected asset with everything downstream",
        id="materialize_downstream",
    ),
    Binding("a", "materialize_all", "All", tooltip="Materialize every asset", id="materialize_all"),
    Binding(
        "s",
        "materialize_stale",
        "Stale",
        tooltip="Materialize only stale assets",
        id="materialize_stale",
    ),
    Binding(
        "c",
        "cancel_run",
        "Cancel",
        tooltip="Cancel the running materialization (SIGTERM to the runner)",
        id="cancel_run",
    ),
    Binding(
        "r",
        "show_runs",
        "Runs",
        tooltip="Run history: every run, its timeline and logs",
        id="show_runs",
    ),
    Binding(
        "y",
        "sync",
        "Sync",
        tooltip="Airbyte: sync the selected connection, or every connection",
        id="sync",
    ),
    Binding(
        "t",
        "show_schedule",
        "Schedule",
        tooltip="The nightly OS timer: status, install, remove",
        id="show_schedule",
    ),
    Binding(
        "g",
        "generate_data",
        "Sample data",
        tooltip="Generate sample raw data",
        show=False,
        id="generate_data",
    ),
    Binding(
        "ctrl+r",
        "refresh",
        "Refresh",
        tooltip="Re-read statuses from the run store",
        show=False,
        id="refresh",
    ),
    Binding(
        "l",
        "toggle_run_panel",
        "Run log",
        tooltip="Show or hide the run panel",
        show=False,
        id="toggle_run_panel",
    ),
]

RUNS_BINDINGS: list[Binding] = [
    Binding("escape", "close", "Back", tooltip="Back to the assets", id="runs.close"),
    Binding(
        "f",
        "rerun_failed",
        "Re-run failed",
        tooltip="Re-materialize what failed, was skipped or never ran in the run",
        id="runs.rerun_failed",
    ),
    Binding(
        "c",
        "cancel_run",
        "Cancel run",
        tooltip="Cancel the running materialization",
        id="runs.cancel_run",
    ),
]

TAB_BINDINGS: list[Binding] = [
    Binding("1", "show_tab('overview')", "Overview", show=False, id="tab.overview"),
    Binding("2", "show_tab('definition')", "Definition", show=False, id="tab.definition"),
    Binding("3", "show_tab('history')", "History", show=False, id="tab.history"),
    Binding("4", "show_tab('checks')", "Checks", show=False, id="tab.checks"),
    Binding("5", "show_tab('logs')", "Logs", show=False, id="tab.logs"),
    Binding("6", "show_tab('preview')", "Preview", show=False, id="tab.preview"),
]

FILTER_BINDINGS: list[Binding] = [
    Binding(
        "escape",
        "clear_filter",
        "Clear filter",
        tooltip="Clear the filter and go back to the tree",
        id="filter.clear",
    ),
]

SCHEDULE_BINDINGS: list[Binding] = [
    Binding("i", "run('install')", "Install / update", id="schedule.install"),
    Binding("x", "run('remove')", "Remove", id="schedule.remove"),
    Binding("escape", "dismiss(None)", "Back", id="schedule.close"),
]

ALL_BINDINGS: list[tuple[str, list[Binding]]] = [
    ("Assets", APP_BINDINGS + TAB_BINDINGS),
    ("Schedule panel", SCHEDULE_BINDINGS),
    ("Filter", FILTER_BINDINGS),
    ("Runs screen", RUNS_BINDINGS),
]

OTHER_KEYS: list[tuple[str, str]] = [
    ("tab / shift+tab", "Move focus between the tree, the detail and the run panel"),
    ("up/down, enter", "Move in the tree; enter expands or collapses a group"),
    ("ctrl+p", "Command palette: materialize a job, open runs, generate sample data"),
    ("y / n", "Confirm or cancel a materialization in the plan dialog"),
]


def known_ids() -> set[str]:
    return {b.id for _, group in ALL_BINDINGS for b in group if b.id}


def effective_key(binding: Binding, keymap: Mapping[str, str]) -> str:
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key_display or binding.key


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    return sorted(set(keymap) - known_ids())
