"""Every key, with the key in effect after the user's `[keymap]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lakehouse_tui.tui.keys import ALL_BINDINGS, OTHER_KEYS, effective_key


def help_table(keymap: Mapping[str, str]) -> Table:
    table = Table(show_edge=False, box=None, padding=(0, 1), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("does")
    table.add_column(Text("binding id"), style="dim", no_wrap=True)
    for title, bindings in ALL_BINDINGS:
        table.add_row(Text(title, style="bold underline"), "", "")
        for binding in bindings:
            table.add_row(
                Text(effective_key(binding, keymap)),
                Text(binding.tooltip or binding.description),
                Text(binding.id or ""),
            )
    table.add_row(Text("Everywhere", style="bold underline"), "", "")
    for key, does in OTHER_KEYS:
        table.add_row(Text(key), Text(does), "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss(None)", "Close", id="help.close")
    ]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(
                "Keys — escape, q or ? closes this; remap a key by its binding id under "
                "[keymap] in the config",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table(self.keymap), id="help-table")
            yield Static("escape, q or ? closes", classes="dialog-hint")
