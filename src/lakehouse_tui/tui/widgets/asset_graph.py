"""The graph view: the asset graph drawn as boxes and arrows, in place of the tree.

The layout comes from `core.graph_layout` (computed, never hand-placed); this widget only
colours it and moves a cursor over it. Statuses, live run states and the ↑/↓ relation come
from the `StatusSource` (the lineage tree), so the two views always agree; moving the cursor
posts `Selected`, and the tree pane moves the tree's cursor there, which selects the asset in
the detail pane exactly as the tree does. A drawing bigger than the pane scrolls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core import graph_levels
from lakehouse_tui.core.graph import AssetGraph
from lakehouse_tui.core.graph_layout import BOX_HEIGHT, Drawing, layout
from lakehouse_tui.tui.keys import GRAPH_BINDINGS

UP_STYLE, DOWN_STYLE, CURSOR_STYLE = "bold cyan", "bold magenta", "bold reverse"


class StatusSource(Protocol):
    """What the graph reads from the tree: statuses (with live overrides) and relations."""

    selected_key: str | None

    def status_of(self, key: str) -> str: ...

    def relation(self, key: str) -> str: ...


class AssetGraphView(ScrollView, can_focus=True):
    """Boxes with status glyphs, arrows between them; arrow keys move between boxes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move('up')", "Up", show=False),
        Binding("down", "move('down')", "Down", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("enter", "open", "Open group", show=False),
        *GRAPH_BINDINGS,
    ]

    @dataclass
    class Selected(Message):
        """The cursor moved onto `key` (a unit asset or a group asset)."""

        key: str

    def __init__(self, source: StatusSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.graph: AssetGraph | None = None
        self.level = "group"
        self.drawing: Drawing | None = None
        self.cursor: str | None = None
        self.strips: list[Strip] = []

    # -- data ---------------------------------------------------------------------------

    def set_graph(self, graph: AssetGraph) -> None:
        self.graph = graph
        self.relayout()

    def relayout(self) -> None:
        """Lay the graph out again for the current level (keys, not statuses, decide it)."""
        if self.graph is None:
            return
        nodes, edges = graph_levels.view(self.graph, self.level)
        self.drawing = layout(nodes, edges, {n: f"○ {n}" for n in nodes})
        self.virtual_size = Size(self.drawing.width, self.drawing.height)
        self.follow_selection()
        self.repaint()

    def node_for(self, key: str | None) -> str | None:
        """The node showing `key` at this level (a model's group at group level)."""
        if key is None or self.graph is None or self.drawing is None:
            return None
        if key in self.drawing.boxes:
            return key
        if self.level == "group":
            container = graph_levels.container_of(self.graph, key)
            return container if container in self.drawing.boxes else None
        members = self.graph.members(key) if key in self.graph.groups else []
        return members[0] if members else None

    def follow_selection(self) -> None:
        """Put the cursor on what the tree selected (without selecting anything)."""
        node = self.node_for(self.source.selected_key)
        if node is None and self.drawing is not None and self.cursor not in self.drawing.boxes:
            node = next(iter(self.drawing.boxes), None)
        if node is not None:
            self.cursor = node

    def statuses_changed(self) -> None:
        """The tree's statuses or selection changed: colour again (cheap), follow it."""
        if self.drawing is None:
            return
        self.follow_selection()
        self.repaint()

    # -- painting -----------------------------------------------------------------------

    def repaint(self) -> None:
        drawing = self.drawing
        if drawing is None:
            return
        texts = [Text(row, style="dim") for row in drawing.rows]
        here = self.node_for(self.source.selected_key)

        def role(key: str) -> str:
            return "self" if key == here else self.source.relation(key)

        lit: dict[int, str] = {}  # edges on the selection's upstream (↑) or downstream (↓) paths
        for index, (u, v) in enumerate(drawing.edges):
            ends = {role(u), role(v)}
            if ends <= {"up", "self"}:
                lit[index] = UP_STYLE
            elif ends <= {"down", "self"}:
                lit[index] = DOWN_STYLE
        for (x, y), owners in drawing.edge_cells.items():
            styles = [lit[e] for e in owners if e in lit]
            if styles:
                texts[y].stylize(styles[0], x, x + 1)
        for key, box in drawing.boxes.items():
            status = self.source.status_of(key)
            relation = self.source.relation(key)
            border = {"up": UP_STYLE, "down": DOWN_STYLE}.get(relation, "")
            if key == self.cursor:
                border = "bold"
            for y in range(box.y, box.y + BOX_HEIGHT):
                texts[y].stylize(border or "", box.x, box.x + box.width)
            row = texts[box.y + 1]
            glyph = fmt.glyph(status)
            row.plain = row.plain[: box.x + 2] + glyph + row.plain[box.x + 3 :]
            row.stylize(fmt.style(status) or "", box.x + 2, box.x + 3)
            name = CURSOR_STYLE if key == self.cursor else ("bold" if relation else "")
            row.stylize(name, box.x + 4, box.x + 4 + len(key))
        console = self.app.console
        self.strips = [Strip(list(text.render(console)), text.cell_len) for text in texts]
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if index >= len(self.strips):
            return Strip([Segment(" " * width, Style())], width)
        return self.strips[index].crop_extend(scroll_x, scroll_x + width, Style())

    # -- moving -------------------------------------------------------------------------

    def action_move(self, direction: str) -> None:
        drawing = self.drawing
        if drawing is None or self.cursor not in drawing.boxes:
            return
        box = drawing.boxes[self.cursor]
        layers = [layer for layer in drawing.layers if layer]
        row = next(i for i, layer in enumerate(layers) if self.cursor in layer)
        target: str | None = None
        if direction in ("left", "right"):
            place = layers[row].index(self.cursor) + (1 if direction == "right" else -1)
            if 0 <= place < len(layers[row]):
                target = layers[row][place]
        else:
            other = row + (1 if direction == "down" else -1)
            if 0 <= other < len(layers):
                target = min(layers[other], key=lambda k: abs(drawing.boxes[k].center - box.center))
        if target is not None:
            self.move_to(target)

    def reveal(self) -> None:
        """Scroll the cursor's box into view."""
        if self.drawing is not None and self.cursor in self.drawing.boxes:
            box = self.drawing.boxes[self.cursor]
            self.scroll_to_region(Region(box.x, box.y, box.width, BOX_HEIGHT), animate=False)

    def move_to(self, key: str) -> None:
        self.cursor = key
        self.reveal()
        self.repaint()
        self.post_message(self.Selected(key))

    def action_toggle_level(self) -> None:
        self.level = "model" if self.level == "group" else "group"
        self.relayout()
        if self.cursor is not None:
            self.move_to(self.cursor)

    def action_open(self) -> None:
        """Enter on a group at group level: its models, at model level."""
        if self.level == "group" and self.graph is not None and self.cursor in self.graph.groups:
            members = self.graph.members(self.cursor)
            self.level = "model"
            self.relayout()
            if members:
                self.move_to(members[0])
