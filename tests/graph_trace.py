"""Read the edges back out of a drawn graph, from the characters alone (for the layout tests).

From every `┬` under a box, follow the line: straight through `│ ─ ┼`, turning at the rounded
corners, until a `▼` above a box. A `├ ┤ ┬ ┴` on the way would make the drawing ambiguous (two
edges merge), so it is reported as an error.
"""

from __future__ import annotations

from lakehouse_tui.core.graph_layout import BOX_HEIGHT, Drawing

TURNS = {
    ("╮", (1, 0)): (0, 1),  # moving right, turn down
    ("╭", (-1, 0)): (0, 1),
    ("╯", (0, 1)): (-1, 0),  # moving down, turn left
    ("╰", (0, 1)): (1, 0),
}


def box_at(drawing: Drawing, x: int, y: int) -> str | None:
    for box in drawing.boxes.values():
        if box.x <= x < box.x + box.width and box.y <= y < box.y + BOX_HEIGHT:
            return box.key
    return None


def traced_edges(drawing: Drawing) -> set[tuple[str, str]]:
    rows = drawing.rows
    found: set[tuple[str, str]] = set()
    for box in drawing.boxes.values():
        bottom = box.y + BOX_HEIGHT - 1
        for x in range(box.x, box.x + box.width):
            if rows[bottom][x] != "┬":
                continue
            cx, cy, dx, dy = x, bottom + 1, 0, 1
            while True:
                char = rows[cy][cx]
                if char == "▼":
                    target = box_at(drawing, cx, cy + 1)
                    assert target is not None, f"arrow at {cx},{cy} points at no box"
                    found.add((box.key, target))
                    break
                if char in "├┤┬┴":
                    raise AssertionError(f"edges merge at {cx},{cy} ({char})")
                if (char, (dx, dy)) in TURNS:
                    dx, dy = TURNS[(char, (dx, dy))]
                elif (char == "│" and dx == 0) or (char == "─" and dy == 0) or char == "┼":
                    pass
                else:
                    raise AssertionError(f"line broken at {cx},{cy}: {char!r} moving {dx},{dy}")
                cx, cy = cx + dx, cy + dy
    return found
