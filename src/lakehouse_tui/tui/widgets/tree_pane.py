"""The left pane: the `/` filter above the lineage tree, or the lineage as a graph (`v`).

The graph view reads its statuses from the tree and, when its cursor moves, moves the tree's
cursor, so the detail pane follows either view the same way.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input

from lakehouse_tui.tui.keys import FILTER_BINDINGS
from lakehouse_tui.tui.widgets.asset_graph import AssetGraphView
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
        self.asset_graph = AssetGraphView(tree, id="graph")

    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder="filter assets…", id="filter")
        yield self.asset_tree
        yield self.asset_graph

    def on_mount(self) -> None:
        self.border_title = "Lineage"

    def open_filter(self) -> None:
        if self.showing_graph:
            self.toggle_graph()  # the filter narrows the tree
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

    # -- graph view -----------------------------------------------------------------------

    @property
    def showing_graph(self) -> bool:
        return self.has_class("-graph")

    def toggle_graph(self) -> None:
        """Tree to graph and back; the screen gets `-graph` too, for the layout."""
        graph = not self.showing_graph
        if graph:
            filter_input = self.query_one("#filter", Input)
            if filter_input.value:
                filter_input.value = ""  # every asset is in the graph, so in the tree too
                self.asset_tree.set_filter("")
            self.remove_class("-filtering")
            self.sync_graph()
            self.call_after_refresh(self.asset_graph.reveal)  # once it has a size
        self.set_class(graph, "-graph")
        self.screen.set_class(graph, "-graph")
        self.border_title = "Lineage graph" if graph else "Lineage"
        (self.asset_graph if graph else self.asset_tree).focus()

    def sync_graph(self) -> None:
        """The graph view shows the tree's asset graph (which arrives when the workspace is
        open, maybe after `v`) with the tree's statuses."""
        tree_graph = self.asset_tree.graph
        if tree_graph is not None and self.asset_graph.graph is not tree_graph:
            self.asset_graph.set_graph(tree_graph)
        self.asset_graph.statuses_changed()

    def on_asset_tree_labels_changed(self) -> None:
        if self.showing_graph:
            self.sync_graph()

    def on_asset_graph_view_selected(self, message: AssetGraphView.Selected) -> None:
        """The graph's cursor moved: the tree's follows (and selects, as in the tree)."""
        node = self.asset_tree.nodes_by_key.get(message.key)
        if node is None:
            return
        if node.parent is not None and not node.parent.is_expanded:
            node.parent.expand()
        _ = self.asset_tree.last_line  # lays out the tree's lines, so the node has its line
        self.asset_tree.move_cursor(node)

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.asset_tree.set_filter(event.value.strip())
        self.call_after_refresh(self.post_message, self.Filtered())

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.asset_tree.focus()
