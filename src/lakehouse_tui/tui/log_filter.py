"""What the log view shows: a filter by asset and level plus a search (no Textual here).

Levels are the run store's (`info`, `warn`, `error`; dbt's `warning` counts as `warn`). The
level filter shows a level and everything worse; the asset filter one asset, or the lines no
asset wrote (dbt's start-up lines, the run's own messages) as `(run)`. The search is plain,
case-insensitive text, never a pattern: log lines are data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from lakehouse_tui.core.store import LogLine

LEVELS = ("info", "warn", "error")
RUN_LINES = "(run)"  # the asset filter's name for lines without an asset


def level_rank(level: str) -> int:
    name = level.lower()
    if name.startswith("warn"):
        return 1
    if name in ("error", "fatal", "critical"):
        return 2
    return 0


@dataclass(frozen=True)
class LogFilter:
    asset: str | None = None  # None: every asset; RUN_LINES: lines without an asset
    level: str = "info"  # this level and worse
    search: str = ""

    def shows(self, line: LogLine) -> bool:
        if level_rank(line.level) < level_rank(self.level):
            return False
        return self.asset is None or (line.asset_key or RUN_LINES) == self.asset

    def next_level(self) -> LogFilter:
        return replace(self, level=LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)])

    def next_asset(self, assets: Sequence[str]) -> LogFilter:
        """The next asset in `assets`, then every asset again."""
        choices: list[str | None] = [None, *assets]
        place = choices.index(self.asset) if self.asset in choices else 0
        return replace(self, asset=choices[(place + 1) % len(choices)])

    def describe(self) -> str:
        asset = "all" if self.asset is None else self.asset
        level = "all" if self.level == "info" else f"{self.level}+"
        return f"asset {asset} · level {level}"


def assets_in(lines: Iterable[LogLine]) -> list[str]:
    """The assets that wrote lines, in the order they first did; `(run)` first if any."""
    seen = dict.fromkeys(line.asset_key or RUN_LINES for line in lines)
    return sorted(seen, key=lambda key: (key != RUN_LINES, list(seen).index(key)))


def matches(text: str, search: str) -> list[tuple[int, int]]:
    """(start, end) of each case-insensitive occurrence of `search` in `text`."""
    if not search:
        return []
    found, folded, needle = [], text.lower(), search.lower()
    start = folded.find(needle)
    while start >= 0:
        found.append((start, start + len(needle)))
        start = folded.find(needle, start + len(needle))
    return found
