"""Every key binding of the TUI as plain data, and the check of the user's `[keymap]`.

No Textual here: the config loader checks `[keymap]` when it reads the file, so a typo in a
binding id or a key taken twice is a one-line config error on every command, not a surprise
in the TUI. `tui.keys` turns these into Textual `Binding`s.

A remapped key collides when another binding active on the same screen ends up on the same
key (after the whole keymap is applied, so swapping two keys is fine), or when it is one of
the keys the TUI itself uses (`BUILTIN_KEYS`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class KeySpec:
    """One binding: its default key, id (also the action's name unless `action` is given),
    footer label and help text."""

    key: str
    id: str
    description: str
    tooltip: str = ""
    key_display: str | None = None
    show: bool = True
    action: str = ""

    @property
    def action_name(self) -> str:
        return self.action or self.id


APP_KEYS: tuple[KeySpec, ...] = (
    KeySpec("q", "quit", "Quit", "Quit (a running materialization is cancelled)"),
    KeySpec("question_mark", "help", "Help", "This list of keys", "?"),
    KeySpec("slash", "filter", "Filter", "Filter the tree by name; escape clears", "/"),
    KeySpec(
        "m",
        "materialize_selected",
        "Materialize",
        "Materialize the selected asset (a group: all its models)",
    ),
    KeySpec(
        "u",
        "materialize_upstream",
        "+up",
        "Materialize the selected asset with everything upstream",
    ),
    KeySpec(
        "d",
        "materialize_downstream",
        "+down",
        "Materialize the selected asset with everything downstream",
    ),
    KeySpec("a", "materialize_all", "All", "Materialize every asset"),
    KeySpec("s", "materialize_stale", "Stale", "Materialize only stale assets"),
    KeySpec(
        "c", "cancel_run", "Cancel", "Cancel the running materialization (SIGTERM to the runner)"
    ),
    KeySpec("r", "show_runs", "Runs", "Run history: every run, its timeline and logs"),
    # Not y: y confirms dialogs, and y twice must never start a sync.
    KeySpec("S", "sync", "Sync", "Airbyte: sync the selected connection, or every connection"),
    KeySpec("t", "show_schedule", "Schedule", "The nightly OS timer: status, install, remove"),
    KeySpec("g", "generate_data", "Sample data", "Generate sample raw data", show=False),
    KeySpec("ctrl+r", "refresh", "Refresh", "Re-read statuses from the run store", show=False),
    KeySpec("l", "toggle_run_panel", "Run log", "Show or hide the run panel", show=False),
    KeySpec("v", "toggle_graph", "Graph", "Lineage as a tree or as a graph of boxes and arrows"),
    KeySpec(
        "colon",
        "select_prompt",
        "Select",
        "Type a selection (e.g. +dim_batch, group:dbt_curated and not tag:slow) and run it",
        ":",
        show=False,
    ),
    KeySpec("e", "query", "Query", "Read-only SQL on the warehouse (Preview tab)", show=False),
    KeySpec(
        "b",
        "toggle_auto_materialize",
        "Auto",
        "Auto-materialize new batches: run [sensor] selection when raw files land",
        show=False,
    ),
)

QUERY_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "ctrl+t",
        "query.target",
        "DB",
        "Query the DuckDB warehouse or the PostgreSQL marts",
        action="toggle_target",
    ),
    KeySpec("ctrl+y", "query.copy", "Copy", "Copy the rows (TSV) to the clipboard", action="copy"),
    KeySpec(
        "ctrl+o", "query.export", "Export", "Export every row to .csv or .parquet", action="export"
    ),
    KeySpec("escape", "query.close", "Close", "Back to the preview and the tree", action="close"),
)


RUNS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("escape", "runs.close", "Back", "Back to the assets", action="close"),
    KeySpec(
        "f",
        "runs.rerun_failed",
        "Re-run failed",
        "Re-materialize what failed, was skipped or never ran in the run",
        action="rerun_failed",
    ),
    KeySpec(
        "c",
        "runs.cancel_run",
        "Cancel run",
        "Cancel the running materialization",
        action="cancel_run",
    ),
    KeySpec(
        "slash",
        "runs.filter",
        "Filter",
        "Filter runs: status:failed trigger:timer asset:dim_batch, or any text",
        "/",
        action="filter",
    ),
)

TAB_KEYS: tuple[KeySpec, ...] = tuple(
    KeySpec(str(number), f"tab.{tab}", tab.capitalize(), show=False, action=f"show_tab('{tab}')")
    for number, tab in enumerate(
        ("overview", "definition", "history", "checks", "logs", "preview", "partitions"), start=1
    )
)

PARTITION_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "space",
        "partitions.mark",
        "Mark",
        "Partitions tab: mark or unmark the highlighted batch",
        action="toggle_mark",
    ),
    KeySpec(
        "m",
        "partitions.materialize",
        "Materialize batches",
        "Partitions tab: materialize the marked batches (or the highlighted one)",
        action="materialize_marked",
    ),
    KeySpec(
        "b",
        "partitions.backfill",
        "Backfill",
        "Partitions tab: backfill every batch from the first to the last marked one",
        action="backfill",
    ),
    KeySpec(
        "f",
        "partitions.full_refresh",
        "Full refresh",
        "Partitions tab: rebuild every batch of the asset from all the raw files",
        action="full_refresh",
    ),
)

FILTER_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "escape",
        "filter.clear",
        "Clear filter",
        "Clear the filter and go back to the tree",
        action="clear_filter",
    ),
)

# The graph view's own keys (it has focus); the arrows and enter move and open groups.
GRAPH_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "e",
        "graph.toggle_level",
        "Models / groups",
        "Graph view: show every model, or the groups only",
        action="toggle_level",
    ),
)

# A log view's keys (the runs screen's log, the Logs tab), while it has focus.
LOG_KEYS: tuple[KeySpec, ...] = (
    KeySpec("slash", "log.search", "Search", "Search the log (plain text)", "/", action="search"),
    KeySpec("n", "log.next_match", "Next", "Next match of the search", action="next_match"),
    KeySpec(
        "N", "log.previous_match", "Prev", "Previous match", show=False, action="previous_match"
    ),
    KeySpec(
        "L",
        "log.level",
        "Level",
        "Show all lines, warnings and errors, or errors only",
        action="next_level",
    ),
    KeySpec(
        "A",
        "log.asset",
        "Asset",
        "Show one asset's lines (next asset), or all",
        action="next_asset",
    ),
    KeySpec("w", "log.wrap", "Wrap", "Wrap long lines, or cut them", action="toggle_wrap"),
    KeySpec(
        "F",
        "log.follow",
        "Follow",
        "Keep the newest line in view; follow a live run",
        action="toggle_follow",
    ),
)

SCHEDULE_KEYS: tuple[KeySpec, ...] = (
    KeySpec("i", "schedule.install", "Install / update", action="run('install')"),
    KeySpec("x", "schedule.remove", "Remove", "Remove the timer (asks first)", action="remove"),
    KeySpec("escape", "schedule.close", "Back", action="dismiss(None)"),
)

# What the footer keeps when the terminal is too narrow for every key, most important first
# (k9s and lazygit degrade the same way: fewer keys, never a cut one). Ids not listed go
# first; every key is on the help screen (?) whatever the width.
FOOTER_PRIORITY: tuple[str, ...] = (
    "quit",
    "help",
    "cancel_run",
    "runs.close",
    "schedule.close",
    "materialize_selected",
    "show_runs",
    "filter",
    "materialize_all",
    "materialize_stale",
    "sync",
    "show_schedule",
    "materialize_upstream",
    "materialize_downstream",
)

# The bindings active together, by screen, as the help screen lists them.
SCREENS: tuple[tuple[str, tuple[KeySpec, ...]], ...] = (
    ("Assets", APP_KEYS + TAB_KEYS),
    ("Partitions tab", PARTITION_KEYS),
    ("Schedule panel", SCHEDULE_KEYS),
    ("Filter", FILTER_KEYS),
    ("Graph view", GRAPH_KEYS),
    ("Log view", LOG_KEYS),
    ("Query prompt (Preview tab)", QUERY_KEYS),
    ("Runs screen", RUNS_KEYS),
)

# Keys the TUI (or Textual under it) uses itself, with what they do; the action named is the
# binding id that may keep the key (quit on ctrl+q does what ctrl+q does anyway).
BUILTIN_KEYS: dict[str, tuple[str, str]] = {
    "ctrl+p": ("", "the command palette"),
    "ctrl+q": ("quit", "quit"),
    "ctrl+c": ("", "copy / quit"),
    "tab": ("", "moving focus"),
    "shift+tab": ("", "moving focus"),
    "up": ("", "moving in the tree"),
    "down": ("", "moving in the tree"),
    "enter": ("", "expanding a group in the tree"),
}

# What people type for the keys Textual names by word.
ALIASES = {"?": "question_mark", "/": "slash", "esc": "escape", "return": "enter"}


def known_ids() -> set[str]:
    return {spec.id for _, specs in SCREENS for spec in specs}


def keys_of(value: str) -> list[str]:
    """The keys in a keymap value: Textual accepts a comma-separated list."""
    return [ALIASES.get(key.strip(), key.strip()) for key in value.split(",") if key.strip()]


def problems(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """(binding id, what is wrong) for every bad entry, in the keymap's own order."""
    found: list[tuple[str, str]] = []
    ids = known_ids()
    for binding_id in keymap:
        if binding_id not in ids:
            close = difflib.get_close_matches(binding_id, sorted(ids), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "the ? screen lists every id"
            found.append((binding_id, f"unknown binding id; {hint}"))
    for binding_id, value in keymap.items():
        for key in keys_of(value):
            builtin = BUILTIN_KEYS.get(key)
            if builtin and builtin[0] != binding_id:
                found.append(
                    (binding_id, f'"{key}" is the TUI\'s own key for {builtin[1]}; pick another')
                )
    for _, specs in SCREENS:
        owner: dict[str, KeySpec] = {}
        # Bindings keeping their default key first: the remapped one is the one to blame.
        order = list(keymap)
        ordered = sorted(specs, key=lambda spec: order.index(spec.id) if spec.id in keymap else -1)
        for spec in ordered:
            value = keymap.get(spec.id, spec.key)
            for key in keys_of(value):
                other = owner.setdefault(key, spec)
                if other is spec or spec.id not in keymap:
                    continue
                if other.id in keymap:
                    why = f"[keymap] {other.id} is on it too; give one of them another key"
                else:
                    why = f"remap {other.id} too, or pick another key"
                found.append((spec.id, f'"{key}" is already {other.id}\'s key; {why}'))
    return found
