"""The left pane: the `/` filter above the lineage tree."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input

from lakehouse_tui.tui.keys import FILTER_BINDINGS
from lakehouse_tui.tui.widgets.asset_tree import AssetTree


class FilterInput(Input):
    """The `/` filter above the tree; escape clears it and hides it again."""

    BINDINGS: ClassVar[list[BindingType]] = list(FILTER_BINDINGS)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.query_ancestor(TreePane).close_filter()


class TreePane(Vertical):
    """Escape in the tree clears the filter too (the same binding as in the filter box)."""

    BINDINGS: ClassVar[list[BindingType]] = list(FILTER_BINDINGS)

    class Filtered(Message):
        """The tree was rebuilt for a new filter (the detail follows its cursor)."""

    def __init__(self, tree: AssetTree, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.asset_tree = tree

    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder="filter assets…", id="filter")
        yield self.asset_tree

    def on_mount(self) -> None:
        self.border_title = "Lineage"

    def open_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#filter", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.asset_tree.filter_text)
        return True

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""  # Input.Changed rebuilds the tree
        self.close_filter()

    def close_filter(self) -> None:
        self.remove_class("-filtering")
        self.asset_tree.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.asset_tree.set_filter(event.value.strip())
        self.call_after_refresh(self.post_message, self.Filtered())

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.asset_tree.focus()
