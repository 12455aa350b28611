"""Plain-text formatting shared by the CLI output and the TUI: ages, durations, row counts."""

from __future__ import annotations


def age(seconds: float) -> str:
    """A short age: 12s, 3m, 2h, 5d."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600:.0f}h"
    return f"{seconds // 86400:.0f}d"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes:.0f} min {rest:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours:.0f} h {minutes:.0f} min"


def rows(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"
