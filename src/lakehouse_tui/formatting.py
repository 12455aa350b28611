"""Plain-text formatting shared by the CLI output and the TUI: ages, durations, row counts,
sizes, timestamps, and each status's glyph and colour. No Textual or Rich here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


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


# Every status has a glyph AND a colour, so status never depends on colour alone.
STATUS_GLYPH: dict[str, str] = {
    "materialized": "✓",
    "stale": "◐",
    "never": "○",
    "failed": "✗",
    "running": "▶",
    "check_warning": "!",
    "check_failed": "‼",
    "pending": "·",
    "skipped": "⤼",
    "cancelled": "⊘",
    "interrupted": "⊘",
    "queued": "◷",
    "not started": "–",
    "succeeded": "✓",
    "noop": "=",
    "pass": "✓",
    "warn": "!",
    "fail": "✗",
    "error": "✗",
}

STATUS_STYLE: dict[str, str] = {
    "materialized": "green",
    "succeeded": "green",
    "pass": "green",
    "stale": "yellow",
    "never": "bright_black",
    "pending": "bright_black",
    "noop": "bright_black",
    "failed": "bold red",
    "fail": "bold red",
    "error": "bold red",
    "check_failed": "bold red",
    "running": "bold cyan",
    "check_warning": "dark_orange",
    "warn": "dark_orange",
    "skipped": "magenta",
    "cancelled": "magenta",
    "interrupted": "magenta",
    "queued": "yellow",
    "not started": "bright_black",
}

# Worst first: a group shows the worst status among its members.
SEVERITY = (
    "running",
    "queued",
    "failed",
    "check_failed",
    "never",
    "stale",
    "check_warning",
    "materialized",
)


def glyph(status: str) -> str:
    return STATUS_GLYPH.get(status, "?")


def style(status: str) -> str:
    return STATUS_STYLE.get(status, "")


def worst(statuses: list[str]) -> str:
    for status in SEVERITY:
        if status in statuses:
            return status
    return "never"


def clock(seconds: float) -> str:
    """Elapsed time as m:ss."""
    minutes, rest = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes}:{rest:02d}"


def timestamp(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def size(num_bytes: object) -> str:
    if not isinstance(num_bytes, int | float):
        return "-"
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def home_paths(text: str) -> str:
    """Paths under the home dir as `~/...` (shorter at 80 columns, and the same on every
    machine)."""
    try:
        home = str(Path.home()).rstrip("/")
    except RuntimeError:  # no home dir known
        return text
    return text.replace(home + "/", "~/") if len(home) > 1 else text
