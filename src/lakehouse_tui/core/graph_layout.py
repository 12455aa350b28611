"""A layered drawing of a DAG in box-drawing characters (no Textual, no Rich: plain strings).

The TUI's graph view draws the asset graph with it, so the layout is computed, never placed by
hand, and a 30-model project draws as well as the demo's seven. The steps are the classic
Sugiyama ones, kept small:

1. layers by longest path from the sources (a source sits just above its first consumer);
2. an edge spanning several layers gets a one-column dummy node in each layer it crosses, so
   every edge segment joins adjacent layers and never runs through a box;
3. barycenter ordering, down and up sweeps, keeping the order with the fewest crossings;
4. x positions pulled towards the neighbours' centres while keeping order and gaps;
5. between two layers each segment gets its own horizontal track (segments whose spans do not
   meet share one), so where two edges cross the reader sees a `┼`, never a merge: the drawing
   can show that the mart reads `dim_batch` but not `int_bioreactor_downsample_5m`.

Nodes are boxes three rows high (`╭─╮`, `│ label │`, `╰─╯`); edges leave a box's bottom at a
`┬` and end in a `▼` above the box they feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

BOX_HEIGHT = 3
GAP = 2  # columns between neighbours in a layer

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
GLYPHS = {
    UP | DOWN: "│",
    UP: "│",
    DOWN: "│",
    LEFT | RIGHT: "─",
    LEFT: "─",
    RIGHT: "─",
    DOWN | RIGHT: "╭",
    DOWN | LEFT: "╮",
    UP | RIGHT: "╰",
    UP | LEFT: "╯",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    DOWN | LEFT | RIGHT: "┬",
    UP | LEFT | RIGHT: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}


@dataclass(frozen=True)
class Box:
    key: str
    label: str
    x: int
    y: int
    width: int
    layer: int

    @property
    def center(self) -> int:
        return self.x + self.width // 2


@dataclass
class Drawing:
    """The drawn graph: text rows, where each box is, and which edges pass through a cell."""

    width: int
    height: int
    rows: list[str]
    boxes: dict[str, Box]
    layers: list[list[str]]  # real nodes per layer, left to right
    edges: list[tuple[str, str]]
    edge_cells: dict[tuple[int, int], set[int]] = field(default_factory=dict)


@dataclass
class _Segment:
    edge: int  # index into the original edges
    upper: str  # node (real or dummy) in layer l
    lower: str  # node in layer l + 1
    sx: int = 0
    tx: int = 0
    track: int = -1


def layers_of(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering; a source moves down to just above its nearest consumer."""
    import networkx as nx  # here, not at import: the TUI's first paint does not wait for it

    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    layer: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    for node in nodes:
        succs = list(graph.successors(node))
        if graph.in_degree(node) == 0 and succs:
            layer[node] = max(layer[node], min(layer[s] for s in succs) - 1)
    return layer


def _crossings(upper: list[str], lower: list[str], segments: list[_Segment]) -> int:
    up = {n: i for i, n in enumerate(upper)}
    low = {n: i for i, n in enumerate(lower)}
    pairs = [(up[s.upper], low[s.lower]) for s in segments]
    return sum(
        1 for i, a in enumerate(pairs) for b in pairs[i + 1 :] if (a[0] - b[0]) * (a[1] - b[1]) < 0
    )


def _order(order: list[list[str]], gaps: list[list[_Segment]], sweeps: int = 12) -> list[list[str]]:
    def total(candidate: list[list[str]]) -> int:
        return sum(_crossings(candidate[i], candidate[i + 1], gaps[i]) for i in range(len(gaps)))

    best, best_count = [list(layer) for layer in order], total(order)
    current = [list(layer) for layer in order]
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        indices = range(1, len(current)) if down else range(len(current) - 2, -1, -1)
        for i in indices:
            fixed = current[i - 1] if down else current[i + 1]
            position = {n: p for p, n in enumerate(fixed)}
            segments = gaps[i - 1] if down else gaps[i]
            neighbours: dict[str, list[int]] = {}
            for s in segments:
                mine, other = (s.lower, s.upper) if down else (s.upper, s.lower)
                neighbours.setdefault(mine, []).append(position[other])
            keyed = {
                n: (sum(neighbours[n]) / len(neighbours[n]) if n in neighbours else float(p))
                for p, n in enumerate(current[i])
            }
            current[i] = sorted(current[i], key=lambda n: keyed[n])
        count = total(current)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    return best


def _place(
    order: list[list[str]], widths: dict[str, int], gaps: list[list[_Segment]], sweeps: int = 6
) -> dict[str, int]:
    """x of each node: packed, then pulled towards the neighbours' centres, order kept."""
    x: dict[str, int] = {}
    for layer in order:
        pos = 0
        for node in layer:
            x[node] = pos
            pos += widths[node] + GAP

    def settle(layer: list[str], desired: dict[str, float]) -> None:
        """The positions closest to `desired` (least squares) that keep order and gaps:
        isotonic regression by pooling adjacent violators, over x minus the room before."""
        room, before = [], 0
        for node in layer:
            room.append(before)
            before += widths[node] + GAP
        blocks: list[list[float]] = []  # [sum of targets, count]
        for node, offset in zip(layer, room, strict=True):
            blocks.append([desired[node] - offset, 1.0])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                total, count = blocks.pop()
                blocks[-1][0] += total
                blocks[-1][1] += count
        values = [total / count for total, count in blocks for _ in range(int(count))]
        previous_end: int | None = None
        for node, offset, value in zip(layer, room, values, strict=True):
            column = round(value + offset)
            if previous_end is not None:
                column = max(column, previous_end + GAP)
            x[node] = column
            previous_end = column + widths[node]

    for sweep in range(sweeps):
        down = sweep % 2 == 0
        indices = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
        for i in indices:
            segments = gaps[i - 1] if down else gaps[i]
            pulls: dict[str, list[float]] = {}
            for s in segments:
                mine, other = (s.lower, s.upper) if down else (s.upper, s.lower)
                pulls.setdefault(mine, []).append(x[other] + widths[other] / 2)
            desired = {
                n: (sum(pulls[n]) / len(pulls[n]) - widths[n] / 2 if n in pulls else float(x[n]))
                for n in order[i]
            }
            settle(order[i], desired)
    shift = min(x.values(), default=0)
    return {node: value - shift for node, value in x.items()}


def _spread(left: int, width: int, count: int) -> list[int]:
    """`count` distinct columns inside a box's border, evenly spread."""
    inner = max(width - 2, 1)
    if count >= inner:
        return [left + 1 + min(i, inner - 1) for i in range(count)]
    return [left + 1 + (i + 1) * inner // (count + 1) for i in range(count)]


def _ports(gap: list[_Segment], x: dict[str, int], widths: dict[str, int]) -> None:
    for attr, end, other in (("tx", "lower", "upper"), ("sx", "upper", "lower")):
        by_node: dict[str, list[_Segment]] = {}
        for s in gap:
            by_node.setdefault(getattr(s, end), []).append(s)
        for node, segments in by_node.items():
            segments.sort(key=lambda s: x[getattr(s, other)] + widths[getattr(s, other)] / 2)
            for s, column in zip(
                segments, _spread(x[node], widths[node], len(segments)), strict=True
            ):
                setattr(s, attr, x[node] if widths[node] == 1 else column)
    # A source port on the column of a target port makes a corner sit on a line: move one of
    # the two to the nearest free column of its box (what is left, _tracks orders).
    sources = {s.sx for s in gap}
    targets = {s.tx for s in gap}
    for s in gap:
        if s.sx not in targets or s.sx == s.tx:
            continue
        for attr, node, mine, theirs in (
            ("sx", s.upper, sources, targets),
            ("tx", s.lower, targets, sources),
        ):
            if widths[node] == 1:
                continue
            now = getattr(s, attr)
            free = [
                c
                for c in range(x[node] + 1, x[node] + widths[node] - 1)
                if c not in mine and c not in theirs
            ]
            if free:
                column = min(free, key=lambda c: abs(c - now))
                mine.discard(now)
                mine.add(column)
                setattr(s, attr, column)
                break


def _tracks(gap: list[_Segment]) -> int:
    """Give each bent segment a row; a segment leaving a column turns before one arrives
    there. Returns the number of rows."""
    import networkx as nx

    bent = [s for s in gap if s.sx != s.tx]
    before: nx.DiGraph = nx.DiGraph()
    before.add_nodes_from(range(len(bent)))
    for i, a in enumerate(bent):
        for j, b in enumerate(bent):
            if i != j and a.sx == b.tx:
                before.add_edge(i, j)
    while not nx.is_directed_acyclic_graph(before):
        u, v = nx.find_cycle(before)[0][:2]
        before.remove_edge(u, v)
    rows: list[list[tuple[int, int]]] = []
    for i in nx.lexicographical_topological_sort(before, key=lambda i: min(bent[i].sx, bent[i].tx)):
        s = bent[i]
        span = (min(s.sx, s.tx), max(s.sx, s.tx))
        track = max((bent[p].track + 1 for p in before.predecessors(i)), default=0)
        while track < len(rows) and any(a <= span[1] and span[0] <= b for a, b in rows[track]):
            track += 1
        while track >= len(rows):
            rows.append([])
        rows[track].append(span)
        s.track = track
    return max(len(rows), 1)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.chars = [[" "] * width for _ in range(height)]
        self.bits = [[0] * width for _ in range(height)]
        self.owners: dict[tuple[int, int], set[int]] = {}

    def line(self, x: int, y: int, bits: int, edge: int) -> None:
        self.bits[y][x] |= bits
        self.owners.setdefault((x, y), set()).add(edge)

    def put(self, x: int, y: int, text: str) -> None:
        for i, char in enumerate(text):
            self.chars[y][x + i] = char

    def rows(self) -> list[str]:
        out = []
        for chars, bits in zip(self.chars, self.bits, strict=True):
            out.append(
                "".join(
                    GLYPHS[b] if b and c == " " else c for c, b in zip(chars, bits, strict=True)
                )
            )
        return out


def layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], labels: dict[str, str] | None = None
) -> Drawing:
    """Lay out and draw a DAG; `nodes` in a stable order (it breaks ties), `labels` default to
    the keys. Edges to unknown nodes and self-loops are ignored."""
    labels = labels or {}
    known = set(nodes)
    edges = [(u, v) for u, v in dict.fromkeys(edges) if u in known and v in known and u != v]
    layer = layers_of(nodes, edges)
    depth = max(layer.values(), default=-1) + 1
    order: list[list[str]] = [[] for _ in range(depth)]
    for node in nodes:
        order[layer[node]].append(node)
    widths = {node: len(labels.get(node, node)) + 4 for node in nodes}
    gaps: list[list[_Segment]] = [[] for _ in range(max(depth - 1, 0))]
    for index, (u, v) in enumerate(edges):
        chain = [u] + [f"\0{index}.{k}" for k in range(layer[u] + 1, layer[v])] + [v]
        for k, (a, b) in enumerate(pairwise(chain)):
            if b not in widths:
                widths[b] = 1
                order[layer[u] + k + 1].append(b)
            gaps[layer[u] + k].append(_Segment(index, a, b))
    degree: dict[str, int] = {}
    for gap in gaps:
        for s in gap:
            degree[s.upper] = degree.get(s.upper, 0) + 1
            degree[s.lower] = degree.get(s.lower, 0) + 1
    for node in nodes:  # a port per edge end, so no two edges share a column of a box
        widths[node] = max(widths[node], degree.get(node, 0) + 2)
    order = _order(order, gaps)
    x = _place(order, widths, gaps)
    heights = []
    for gap in gaps:
        _ports(gap, x, widths)
        heights.append(_tracks(gap) + 1)
    tops = [0]
    for h in heights:
        tops.append(tops[-1] + BOX_HEIGHT + h)
    width = max((x[n] + widths[n] for n in x), default=0)
    height = tops[-1] + BOX_HEIGHT if depth else 0
    canvas = _Canvas(width, height)
    boxes: dict[str, Box] = {}
    for node in nodes:
        box = Box(
            node, labels.get(node, node), x[node], tops[layer[node]], widths[node], layer[node]
        )
        boxes[node] = box
        inner = box.width - 2
        canvas.put(box.x, box.y, "╭" + "─" * inner + "╮")
        canvas.put(box.x, box.y + 1, "│ " + box.label.ljust(inner - 2) + " │")
        canvas.put(box.x, box.y + 2, "╰" + "─" * inner + "╯")
    for i, gap in enumerate(gaps):
        top = tops[i] + BOX_HEIGHT
        arrow = tops[i + 1] - 1
        for s in gap:
            if s.upper in boxes:
                canvas.put(s.sx, top - 1, "┬")
            else:  # a dummy: the edge runs down through the layer's rows
                for y in range(tops[i], top):
                    canvas.line(s.sx, y, UP | DOWN, s.edge)
            turn = top + max(s.track, 0)
            for y in range(top, turn):
                canvas.line(s.sx, y, UP | DOWN, s.edge)
            if s.sx == s.tx:
                canvas.line(s.sx, turn, UP | DOWN, s.edge)
            else:
                toward = RIGHT if s.tx > s.sx else LEFT
                back = LEFT if toward == RIGHT else RIGHT
                canvas.line(s.sx, turn, UP | toward, s.edge)
                for column in range(min(s.sx, s.tx) + 1, max(s.sx, s.tx)):
                    canvas.line(column, turn, LEFT | RIGHT, s.edge)
                canvas.line(s.tx, turn, back | DOWN, s.edge)
            for y in range(turn + 1, arrow):
                canvas.line(s.tx, y, UP | DOWN, s.edge)
            if s.lower in boxes:
                canvas.put(s.tx, arrow, "▼")
                canvas.owners.setdefault((s.tx, arrow), set()).add(s.edge)
            else:
                canvas.line(s.tx, arrow, UP | DOWN, s.edge)
    real_layers = [[n for n in layer_nodes if n in boxes] for layer_nodes in order]
    return Drawing(width, height, canvas.rows(), boxes, real_layers, edges, canvas.owners)
