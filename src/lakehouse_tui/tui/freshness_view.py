"""`[freshness]` in the TUI: the overdue glyph and colour in the tree, the Overview's line.

`core.freshness.evaluate` measures each asset's age when the store is read (in a worker);
here it becomes a deadline (`Due`), so the tree can tell an asset turning overdue between two
reloads from its own clock, as its ages keep counting. An overdue asset's age is drawn
`⧖3h` in orange (a glyph and a colour, so it never depends on colour alone); a group is
overdue when one of its models is. Neither Textual nor rich here: `tui.data` loads this, and
the headless paths import `tui.data`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse_tui.formatting import age as words

if TYPE_CHECKING:
    from lakehouse_tui.core.asset_status import AssetStatus
    from lakehouse_tui.core.workspace import Workspace

GLYPH = "⧖"
STYLE = "bold dark_orange"


@dataclass(frozen=True)
class Due:
    """When an asset with a freshness policy becomes overdue."""

    key: str
    policy: str  # the [freshness] name
    limit: str  # as configured, e.g. "26h"
    max_age: float
    since: float | None  # what the age counts from (epoch s); None: never
    basis: str

    def overdue(self, now: float) -> bool:
        return self.since is None or now - self.since > self.max_age

    def describe(self, now: float) -> tuple[str, str]:
        """(text, style): `⧖ overdue by 2h 5m (max age 26h, [freshness] dim_batch)`, or
        `fresh (...)`."""
        rule = f"(max age {self.limit}, [freshness] {self.policy})"
        if not self.overdue(now):
            return f"fresh {rule}", "green"
        late = "never" if self.since is None else f"by {words(now - self.since - self.max_age)}"
        return f"{GLYPH} overdue {late} {rule}", STYLE


def deadlines(
    workspace: Workspace, statuses: dict[str, AssetStatus], now: float | None = None
) -> dict[str, Due]:
    """Every asset with a policy, by key; {} when none applies or a name is unknown (the
    config error is `lakehouse-tui status`'s to report)."""
    from lakehouse_tui.core.freshness import evaluate
    from lakehouse_tui.errors import LakehouseError

    config = workspace.config
    if not config.freshness:
        return {}
    now = time.time() if now is None else now
    try:
        found = evaluate(
            workspace.graph,
            config.freshness,
            {key: s.materialized_at for key, s in statuses.items()},
            config.lake.raw_dir,
            now,
        )
    except LakehouseError:
        return {}
    return {
        key: Due(
            key,
            f.policy,
            f.limit,
            f.max_age,
            None if f.age is None else now - f.age,
            f.basis,
        )
        for key, f in found.items()
        if f.policy is not None and f.max_age is not None
    }


def overdue_units(due: dict[str, Due], units: list[str], now: float) -> bool:
    return any(unit in due and due[unit].overdue(now) for unit in units)
