"""Cancelling the run in this process: Ctrl-C (SIGINT) and SIGTERM (the TUI's cancel key,
systemd stopping the unit) become a cancel that the executor records as `cancelled`.

Python turns SIGINT into KeyboardInterrupt in the main thread, where dbt catches it, interrupts
its open DuckDB/PostgreSQL queries and reports those models as errored. The executor asks
`requested()` so that what the cancel interrupted is recorded as cancelled, not failed.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_requested = threading.Event()
_reason = ["cancelled by the user"]

SIGNAL_REASONS = {
    signal.SIGINT: "cancelled by the user (Ctrl-C)",
    signal.SIGTERM: "cancelled (SIGTERM)",
}


def _handler(signum: int, _frame: FrameType | None) -> None:
    _reason[0] = SIGNAL_REASONS.get(signal.Signals(signum), "cancelled")
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT and SIGTERM through `_handler` (main thread only)."""
    for signum in SIGNAL_REASONS:
        signal.signal(signum, _handler)


def requested() -> bool:
    return _requested.is_set()


def reason() -> str:
    return _reason[0]


def reset() -> None:
    """A new run starts: forget an earlier cancel."""
    _requested.clear()
    _reason[0] = "cancelled by the user"
