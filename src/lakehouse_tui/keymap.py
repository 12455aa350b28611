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
    key: str
    action: str
    description: str
    id: str
    tooltip: str = ""
    key_display: str | None = None
    show: bool = True


APP_KEYS: tuple[KeySpec, ...] = (
    KeySpec("q", "quit", "Quit", "quit", "Quit (a running materialization is cancelled)"),
    KeySpec("question_mark", "help", "Help", "help", "This list of keys", "?"),
    KeySpec("slash", "filter", "Filter", "filter", "Filter the tree by name; escape clears", "/"),
    KeySpec(
        "m",
        "materialize_selected",
        "Materialize",
        "materialize_selected",
        "Materialize the selected asset (a group: all its models)",
    ),
    KeySpec(
        "u",
        "materialize_upstream",
        "+up",
        "materialize_upstream",
        "Materialize the selected asset with everything upstream",
    ),
    KeySpec(
        "d",
        "materialize_downstream",
        "+down",
        "materialize_downstream",
        "Materialize the selected asset with everything downstream",
    ),
    KeySpec("a", "materialize_all", "All", "materialize_all", "Materialize every asset"),
    KeySpec(
        "s", "materialize_stale", "Stale", "materialize_stale", "Materialize only stale assets"
    ),
    KeySpec(
        "c",
        "cancel_run",
        "Cancel",
        "cancel_run",
        "Cancel the running materialization (SIGTERM to the runner)",
    ),
    KeySpec("r", "show_runs", "Runs", "show_runs", "Run history: every run, its timeline and logs"),
    KeySpec(
        "y", "sync", "Sync", "sync", "Airbyte: sync the selected connection, or every connection"
    ),
    KeySpec(
        "t",
        "show_schedule",
        "Schedule",
        "show_schedule",
        "The nightly OS timer: status, install, remove",
    ),
    KeySpec(
        "g", "generate_data", "Sample data", "generate_data", "Generate sample raw data", show=False
    ),
    KeySpec(
        "ctrl+r", "refresh", "Refresh", "refresh", "Re-read statuses from the run store", show=False
    ),
    KeySpec(
        "l",
        "toggle_run_panel",
        "Run log",
        "toggle_run_panel",
        "Show or hide the run panel",
        show=False,
    ),
)

RUNS_KEYS: tuple[KeySpec, ...] = (
    KeySpec("escape", "close", "Back", "runs.close", "Back to the assets"),
    KeySpec(
        "f",
        "rerun_failed",
        "Re-run failed",
        "runs.rerun_failed",
        "Re-materialize what failed, was skipped or never ran in the run",
    ),
    KeySpec(
        "c", "cancel_run", "Cancel run", "runs.cancel_run", "Cancel the running materialization"
    ),
)

TAB_KEYS: tuple[KeySpec, ...] = tuple(
    KeySpec(str(number), f"show_tab('{tab}')", tab.capitalize(), f"tab.{tab}", show=False)
    for number, tab in enumerate(
        ("overview", "definition", "history", "checks", "logs", "preview"), start=1
    )
)

FILTER_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "escape",
        "clear_filter",
        "Clear filter",
        "filter.clear",
        "Clear the filter and go back to the tree",
    ),
)

SCHEDULE_KEYS: tuple[KeySpec, ...] = (
    KeySpec("i", "run('install')", "Install / update", "schedule.install"),
    KeySpec("x", "run('remove')", "Remove", "schedule.remove"),
    KeySpec("escape", "dismiss(None)", "Back", "schedule.close"),
)

# The bindings active together, by screen, as the help screen lists them.
SCREENS: tuple[tuple[str, tuple[KeySpec, ...]], ...] = (
    ("Assets", APP_KEYS + TAB_KEYS),
    ("Schedule panel", SCHEDULE_KEYS),
    ("Filter", FILTER_KEYS),
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
