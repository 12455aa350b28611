"""Progress output for headless runs: step lines and a live line on stderr, JSON on stdout.

On a terminal one live line shows what runs; piped or in the journal (no live line) every
asset gets a line when it starts and when it ends, so a long dbt step is not silent. The
counts and a step's outcome come from `RunProgress`, the reducer the TUI's run panel renders.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from lakehouse_tui.core.executor import RunEvent, RunOutcome
from lakehouse_tui.core.run_progress import FINAL_ASSET_EVENTS, RunProgress
from lakehouse_tui.formatting import duration, rows
from lakehouse_tui.redact import MaskingStream, mask_fields

STATUS_MARK = {
    "materialized": "ok",
    "succeeded": "ok",
    "failed": "FAILED",
    "skipped": "skipped",
    "cancelled": "cancelled",
    "partly skipped": "partly skipped",
}


class ProgressPrinter:
    """Receives RunEvents from the executor and prints them for a person or a script."""

    def __init__(
        self, *, json_out: bool, err: TextIO | None = None, out: TextIO | None = None
    ) -> None:
        self.json_out = json_out
        # Server and dbt messages pass through here: no secret reaches the terminal.
        self.err = MaskingStream(err or sys.stderr)
        self.out = out or sys.stdout  # JSON: its text fields are masked (mask_fields)
        self.live = self.err.isatty()
        self.step_started: dict[str, float] = {}
        self.asset_started: dict[str, float] = {}
        self.progress = RunProgress()

    def _clear_live(self) -> None:
        if self.live:
            self.err.write("\r\033[K")

    def _live_line(self, text: str) -> None:
        if self.live:
            self.err.write("\r\033[K" + text[:200])
            self.err.flush()

    def __call__(self, event: RunEvent) -> None:
        if self.json_out:
            self.out.write(json.dumps(mask_fields(event.to_dict()), default=str) + "\n")
            self.out.flush()
        progress = self.progress
        progress.apply(event)
        kind = event.event
        if kind == "run_started":
            self._clear_live()
            self.err.write(f"run {event.run_id}: materializing {event.message}\n")
        elif kind == "step_started" and event.step:
            self.step_started[event.step] = event.ts
            self._live_line(f"{event.step}: starting")
        elif kind == "asset_started" and event.asset:
            self.asset_started[event.asset] = event.ts
            self._live_line(
                f"[{progress.done}/{progress.total}] {event.step}: running {event.asset}"
            )
            if not self.live:
                self.err.write(f"  {event.asset}: started\n")
        elif kind == "asset_built" and event.asset and not self.live:
            # dbt finished the model and its checks passed; rows follow when recorded.
            seconds = event.data.get("duration")
            took = f" in {duration(seconds)}" if isinstance(seconds, int | float) else ""
            self.err.write(f"  {event.asset}: built{took}\n")
        elif kind in FINAL_ASSET_EVENTS and event.asset:
            current = progress.running[-1] if progress.running else ""
            self._live_line(
                f"[{progress.done}/{progress.total}] {event.step}: {current or 'finishing'}"
            )
            if kind != "asset_materialized":
                self._clear_live()
                self.err.write(f"  {event.asset}: {event.status}: {event.message}\n")
            elif not self.live:
                seconds = event.data.get("duration")
                if not isinstance(seconds, int | float):
                    seconds = event.ts - self.asset_started.get(event.asset, event.ts)
                count = event.data.get("rows")
                detail = f", {rows(count)} rows" if isinstance(count, int) else ""
                self.err.write(
                    f"  [{progress.done}/{progress.total}] {event.asset}: materialized "
                    f"({duration(seconds)}{detail})\n"
                )
        elif kind == "check_evaluated" and event.status in ("fail", "error", "warn"):
            self._clear_live()
            severity = event.data.get("severity")
            self.err.write(
                f"  check {event.message} on {event.asset}: {event.status} "
                f"({event.data.get('failures')} rows, severity {severity})\n"
            )
        elif kind == "step_finished" and event.step:
            started = self.step_started.get(event.step, event.ts)
            self._clear_live()
            outcome = progress.step_outcome(event.step)  # blocked models: not "ok"
            self.err.write(
                f"{STATUS_MARK.get(outcome, outcome)}  {event.step} "
                f"({duration(event.ts - started)})\n"
            )
        self.err.flush()

    def summary(self, outcome: RunOutcome) -> None:
        self._clear_live()
        width = max([len(k) for k in outcome.assets] + [5])
        lines = [f"{'asset':<{width}}  {'status':<12}  {'rows':>12}  {'duration':>9}"]
        for key, asset in outcome.assets.items():
            lines.append(
                f"{key:<{width}}  {asset.status:<12}  "
                f"{rows(asset.metadata.get('rows')):>12}  "
                f"{duration(asset.duration):>9}"
            )
        lines.append(
            f"run {outcome.run_id} {outcome.status} in {duration(outcome.duration)}"
            + (f": {outcome.message}" if outcome.message and outcome.status != "succeeded" else "")
        )
        self.err.write("\n".join(lines) + "\n")
        self.err.flush()
