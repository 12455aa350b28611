"""Every key binding of the app as Textual `Binding`s, each with an id so `[keymap]` in the
config can remap it.

The table itself is plain data in `lakehouse_tui.keymap` (no Textual there), which the config
loader uses to check `[keymap]`. The help screen lists these with the keys in effect after the
user's keymap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding

from lakehouse_tui import keymap
from lakehouse_tui.keymap import KeySpec


def bindings(specs: Iterable[KeySpec]) -> list[Binding]:
    return [
        Binding(
            spec.key,
            spec.action_name,
            spec.description,
            show=spec.show,
            key_display=spec.key_display,
            tooltip=spec.tooltip,
            id=spec.id,
        )
        for spec in specs
    ]


APP_BINDINGS: list[Binding] = bindings(keymap.APP_KEYS)
RUNS_BINDINGS: list[Binding] = bindings(keymap.RUNS_KEYS)
TAB_BINDINGS: list[Binding] = bindings(keymap.TAB_KEYS)
FILTER_BINDINGS: list[Binding] = bindings(keymap.FILTER_KEYS)
SCHEDULE_BINDINGS: list[Binding] = bindings(keymap.SCHEDULE_KEYS)
PARTITION_BINDINGS: list[Binding] = bindings(keymap.PARTITION_KEYS)
GRAPH_BINDINGS: list[Binding] = bindings(keymap.GRAPH_KEYS)
LOG_BINDINGS: list[Binding] = bindings(keymap.LOG_KEYS)
QUERY_BINDINGS: list[Binding] = bindings(keymap.QUERY_KEYS)

ALL_BINDINGS: list[tuple[str, list[Binding]]] = [
    (title, bindings(specs)) for title, specs in keymap.SCREENS
]

OTHER_KEYS: list[tuple[str, str]] = [
    ("tab / shift+tab", "Move focus between the tree, the detail and the run panel"),
    ("up/down, enter", "Move in the tree; enter expands or collapses a group"),
    ("arrows, enter", "Graph view (v): move between boxes; enter shows a group's models"),
    ("ctrl+p", "Command palette: materialize a job, open runs, generate sample data"),
    ("y / n", "Confirm or cancel in a dialog (the plan, removing the timer)"),
]


def known_ids() -> set[str]:
    return keymap.known_ids()


def effective_key(binding: Binding, keymap: Mapping[str, str]) -> str:
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key_display or binding.key


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    return sorted(set(keymap) - known_ids())
