"""One place that turns a worker that raised into one message on screen.

Every `@work` in the TUI passes `exit_on_error=False`, so an exception in a loader (a corrupt
file, a store that errors) no longer ends the app. Textual posts `Worker.StateChanged` to the
node that owns the worker and does not bubble it, so the app and every screen with workers mix
in `ReportsWorkerErrors`; its one handler shows a notification naming what failed. With
`--debug` the traceback is appended to `tui-debug.log` in the state dir and the message says
where.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from textual.worker import Worker, WorkerState

# What each worker group was doing, for the message ("Could not <doing>: ...").
DOING = {
    "workspace": "open the workspace",
    "state": "read the run store",
    "poll": "read the run store",
    "run-logs": "read the run's log lines",
    "details": "load the asset's details",
    "preview": "load the preview",
    "partitions": "load the asset's partitions",
    "partition-history": "load the batch's history",
    "run": "follow the run",
    "sample-data": "generate sample data",
    "runs-list": "list the runs",
    "run-detail": "load the run",
    "schedule": "read the schedule",
    "log-follow": "follow the log",
}


def error_text(worker: Worker[object], error: BaseException) -> str:
    doing = DOING.get(worker.group, f"finish {worker.name or worker.group}")
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"Could not {doing}: {type(error).__name__}" + (f": {detail}" if detail else "")


def write_traceback(log_path: Path, worker: Worker[object], error: BaseException) -> bool:
    """Append the traceback to the debug log; False when the log cannot be written."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {stamp} worker {worker.group}/{worker.name}\n{''.join(lines)}\n")
    except OSError:
        return False
    return True


class ReportsWorkerErrors:
    """Mixin for the App and for screens that own workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        app = event.worker.node.app
        text = error_text(event.worker, event.worker.error)
        debug_log: Path | None = getattr(app, "debug_log", None)
        if debug_log is not None and write_traceback(debug_log, event.worker, event.worker.error):
            text += f" (traceback in {debug_log})"
        else:
            text += " (run with --debug for the traceback)"
        app.log.error(text)
        app.notify(text, title="Something went wrong", severity="error", timeout=10, markup=False)
