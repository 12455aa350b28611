"""The lineage tree: Airbyte connections, raw data, then the dbt groups with their models.

Every node shows a status glyph and colour plus the age of its last materialization; the nodes
upstream (↑) and downstream (↓) of the highlighted one are marked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.asset_status import AssetStatus
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.tui import freshness_view


class AssetTree(Tree[str]):
    """A tree whose node data is an asset key or a group asset key."""

    ICONS = False

    class LabelsChanged(Message):
        """Statuses or the selection changed (the graph view repaints); floods coalesce."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AssetTree.LabelsChanged)

    def __init__(self, *, clock: Callable[[], float], id: str | None = None) -> None:
        super().__init__("assets", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.clock = clock
        self.graph: AssetGraph | None = None
        self.statuses: dict[str, AssetStatus] = {}
        self.overrides: dict[str, str] = {}  # live statuses during a run
        self.notes: dict[str, str] = {}  # live counters during a run, shown in place of the age
        self.filter_text = ""
        self.nodes_by_key: dict[str, TreeNode[str]] = {}
        self.related_up: set[str] = set()
        self.related_down: set[str] = set()
        self.selected_key: str | None = None
        self.due: dict[str, freshness_view.Due] = {}  # [freshness] deadlines

    # -- structure ----------------------------------------------------------------------

    def set_graph(self, graph: AssetGraph) -> None:
        self.graph = graph
        self.rebuild()

    def top_level(self) -> list[tuple[str, list[str]]]:
        """(key, members) in lineage order: connections, raw, the dbt groups, anything else."""
        assert self.graph is not None
        graph = self.graph
        order = graph.order()
        entries: list[tuple[str, list[str]]] = []
        for key in order:
            if graph.assets[key].kind == "airbyte":
                entries.append((key, []))
        for key in order:
            if graph.assets[key].kind == "raw":
                entries.append((key, []))
        grouped: set[str] = set()
        for group_key in graph.groups:
            members = graph.members(group_key)
            grouped |= set(members)
            entries.append((group_key, members))
        for key in order:
            asset = graph.assets[key]
            if asset.kind not in ("airbyte", "raw") and key not in grouped:
                entries.append((key, []))
        return entries

    def _matches(self, key: str) -> bool:
        return not self.filter_text or self.filter_text.lower() in key.lower()

    def rebuild(self) -> None:
        if self.graph is None:
            return
        keep = self.cursor_node.data if self.cursor_node is not None else self.selected_key
        self.clear()
        self.nodes_by_key = {}
        for key, members in self.top_level():
            if key in self.graph.groups:
                shown = members if self._matches(key) else [m for m in members if self._matches(m)]
                if not shown and not self._matches(key):
                    continue
                node = self.root.add(Text(key), data=key, expand=True)
                self.nodes_by_key[key] = node
                for member in shown:
                    self.nodes_by_key[member] = node.add_leaf(Text(member), data=member)
            elif self._matches(key):
                self.nodes_by_key[key] = self.root.add_leaf(Text(key), data=key)
        self.refresh_labels()
        # The cursor stays on its asset while that still matches; else it goes to the first
        # asset that matches itself (`/dim`: the model dim_batch, not its group).
        matching = [k for k in self.nodes_by_key if self.filter_text and self._matches(k)]
        target: TreeNode[str] | None
        if str(keep) in self.nodes_by_key and (not matching or str(keep) in matching):
            target = self.nodes_by_key[str(keep)]
        elif matching:
            target = self.nodes_by_key[matching[0]]
        else:
            target = next(iter(self.nodes_by_key.values()), None)
        if target is not None:
            # Line numbers of the new nodes exist after the next refresh.
            self.call_after_refresh(self.move_cursor, target)

    def set_filter(self, text: str) -> None:
        if text != self.filter_text:
            self.filter_text = text
            self.rebuild()

    # -- statuses -----------------------------------------------------------------------

    def set_statuses(self, statuses: dict[str, AssetStatus]) -> None:
        self.statuses = statuses
        self.refresh_labels()

    def set_freshness(self, due: dict[str, freshness_view.Due]) -> None:
        self.due = due
        self.refresh_labels()

    def set_override(self, key: str, status: str | None) -> None:
        if status is None:
            self.overrides.pop(key, None)
        else:
            self.overrides[key] = status
        self.refresh_labels()

    def clear_overrides(self) -> None:
        self.overrides.clear()
        self.notes.clear()
        self.refresh_labels()

    def set_note(self, key: str, note: str | None) -> None:
        """A live note on a node (e.g. an Airbyte job's records so far); None removes it."""
        if note is None:
            self.notes.pop(key, None)
        else:
            self.notes[key] = note
        self.refresh_labels()

    def units(self, key: str) -> list[str]:
        if self.graph is None:
            return []
        if key in self.graph.groups:
            return self.graph.members(key)
        return [key] if key in self.graph.assets else []

    def status_of(self, key: str) -> str:
        units = self.units(key)
        found = []
        for unit in units:
            if unit in self.overrides:
                found.append(self.overrides[unit])
            elif unit in self.statuses:
                found.append(self.statuses[unit].status)
        if not found:
            return "never"
        return fmt.worst(found)

    def materialized_at(self, key: str) -> float | None:
        """A group's age is that of its least recently materialized member."""
        times = [
            self.statuses[u].materialized_at if u in self.statuses else None
            for u in self.units(key)
        ]
        if not times or any(t is None for t in times):
            return None
        return min(t for t in times if t is not None)

    # -- related nodes ------------------------------------------------------------------

    def mark_related(self, key: str | None) -> None:
        self.selected_key = key
        self.related_up, self.related_down = set(), set()
        if key is not None and self.graph is not None:
            units = self.units(key)
            for unit in units:
                self.related_up |= self.graph.upstream(unit)
                self.related_down |= self.graph.downstream(unit)
            self.related_up -= set(units)
            self.related_down -= set(units)
        self.refresh_labels()

    def relation(self, key: str) -> str:
        units = set(self.units(key))
        if key == self.selected_key:
            return ""
        if units & self.related_up:
            return "up"
        if units & self.related_down:
            return "down"
        return ""

    # -- labels -------------------------------------------------------------------------

    def label_for(self, key: str, depth: int, width: int) -> Text:
        status = self.status_of(key)
        when = self.materialized_at(key)
        age = fmt.age(self.clock() - when) if when is not None else "-"
        age = self.notes.get(key, age)
        overdue = freshness_view.overdue_units(self.due, self.units(key), self.clock())
        if overdue:
            age = freshness_view.GLYPH + age
        is_group = self.graph is not None and key in self.graph.groups
        relation = self.relation(key)
        name_style = "bold" if is_group else ""
        if relation:
            name_style += " underline"
        marker = {"up": "↑", "down": "↓"}.get(relation, " ")
        marker_style = {"up": "bold cyan", "down": "bold magenta"}.get(relation, "")
        pad = max(1, width - depth - len(key) - max(0, len(age) - 3))
        return Text.assemble(
            (fmt.glyph(status), fmt.style(status)),
            " ",
            (key, name_style.strip()),
            " " * pad,
            (f"{age:>3}", freshness_view.STYLE if overdue else "dim"),
            (marker, marker_style),
            " ",
        )

    def _walk(self) -> Iterable[tuple[TreeNode[str], int]]:
        for node in self.root.children:
            yield node, 0
            for child in node.children:
                yield child, 1

    @staticmethod
    def _indent(node: TreeNode[str], depth: int) -> int:
        """Columns before the label: the expand arrow of a group or the guide of a member."""
        return 2 if depth > 0 or node.allow_expand or node.children else 0

    def refresh_labels(self) -> None:
        nodes = [(node, self._indent(node, depth)) for node, depth in self._walk()]
        width = max((indent + len(str(node.data)) for node, indent in nodes), default=0) + 1
        for node, indent in nodes:
            if node.data is not None:
                node.set_label(self.label_for(node.data, indent, width))
        self.post_message(self.LabelsChanged())
