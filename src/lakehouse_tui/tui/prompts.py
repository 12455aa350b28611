"""The app's prompts and jumps: `:` (a selection to run), `e` (SQL on the Preview tab), the
palette's "Go to asset", and the issue-16 hooks (the auto-materialize toggle, the freshness
deadlines handed to the tree and the detail). Kept out of the App so it stays thin: the
functions take the app, and `PromptActions` is the mixin that gives the App their actions."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from textual.widgets import Input

from lakehouse_tui.tui.auto_materialize import AutoMaterialize
from lakehouse_tui.tui.screens.selection_prompt import SelectionPrompt
from lakehouse_tui.tui.widgets.asset_detail import AssetDetail
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from lakehouse_tui.tui.widgets.query_prompt import QueryPrompt
from lakehouse_tui.tui.widgets.tree_pane import TreePane

if TYPE_CHECKING:
    from lakehouse_tui.tui.app import LakehouseApp
    from lakehouse_tui.tui.freshness_view import Due


class PromptActions:
    """Mixed into `LakehouseApp` (first, so `self` is the app)."""

    @property
    def _app(self) -> LakehouseApp:
        return self  # type: ignore[return-value]

    @cached_property
    def auto(self) -> AutoMaterialize:
        """ "Auto-materialize new batches", off by default; made on first use."""
        return AutoMaterialize(self._app)

    def action_select_prompt(self) -> None:
        open_selection_prompt(self._app)

    def action_query(self) -> None:
        open_query(self._app)

    def action_toggle_auto_materialize(self) -> None:
        self.auto.toggle()

    def show_freshness(self, due: dict[str, Due]) -> None:
        self._app.query_one("#tree", AssetTree).set_freshness(due)
        self._app.query_one("#detail", AssetDetail).due = due


def open_selection_prompt(app: LakehouseApp, initial: str = "") -> None:
    """`:`: type a selection; enter asks with the plan, as the materialize keys do."""
    if app.workspace is None:
        app.notify("Still opening the workspace…", severity="warning")
        return

    def chosen(selection: str | None) -> None:
        if selection:
            app.request_run(selection=selection)

    app.push_screen(SelectionPrompt(app.workspace, initial), chosen)


def open_query(app: LakehouseApp) -> None:
    """`e`: the Preview tab's SQL prompt, starting from the selected asset's table."""
    detail = app.query_one("#detail", AssetDetail)
    detail.show_tab("preview")
    asset = detail.details.asset if detail.details else None
    detail.query_one("#query-prompt", QueryPrompt).open(asset)


def go_to_asset(app: LakehouseApp, key: str) -> None:
    """Put the tree's cursor on `key` (clearing a filter that hides it)."""
    tree = app.query_one("#tree", AssetTree)
    if key not in tree.nodes_by_key:
        app.query_one("#filter", Input).value = ""
        tree.set_filter("")
        app.query_one("#tree-pane", TreePane).close_filter()
    node = tree.nodes_by_key.get(key)
    if node is None:
        app.notify(f"No asset {key} in the tree.", severity="warning", markup=False)
        return
    if node.parent is not None and not node.parent.is_root:
        node.parent.expand()
    tree.focus()
    tree.call_after_refresh(tree.move_cursor, node)
