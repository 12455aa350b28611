"""Live progress of one run: a progress bar, the current step and model, elapsed time, a log.

Fed with the runner's JSON events (our own child) or the store's step events (a run started
elsewhere, e.g. by the timer); the widget only displays, the app decides what to feed it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar, RichLog, Static

from lakehouse_tui.tui import format as fmt


class RunPanel(Vertical):
    """Shown at the bottom while a run goes and after it finished, until hidden with `l`."""

    running: reactive[bool] = reactive(False)

    def __init__(
        self, *, clock: Callable[[], float], id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.run_id = ""
        self.selection = ""
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.total = 0
        self.done = 0
        self.failed = 0
        self.step = ""
        self.current: list[str] = []
        self.outcome = ""
        self.external = False
        self.note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-header"):
            yield Static("", id="run-summary")
            yield ProgressBar(total=None, show_eta=False, id="run-progress")
        yield Static("", id="run-current")
        yield RichLog(id="run-log", wrap=False, markup=False, highlight=False, max_lines=2000)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)

    def watch_running(self, running: bool) -> None:
        self.set_class(running, "-running")

    # -- feeding ------------------------------------------------------------------------

    def begin(self, selection: str, *, external: bool = False) -> None:
        self.run_id, self.selection, self.external = "", selection, external
        self.started_at = self.clock()
        self.ended_at = None
        self.total = self.done = self.failed = 0
        self.step, self.current, self.outcome, self.note = "", [], "", ""
        self.running = True
        self.query_one("#run-log", RichLog).clear()
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        self.log_line(f"starting: {selection}", "bold")
        self.tick()

    def log_line(self, text: str, style: str = "") -> None:
        self.query_one("#run-log", RichLog).write(Text(text, style=style))

    def feed(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        asset = event.get("asset") or event.get("asset_key")
        step = event.get("step")
        data = event.get("data") or {}
        message = event.get("message")
        status = event.get("status")
        if kind == "run_started":
            self.run_id = str(event.get("run_id", ""))
            plan = data.get("plan", [])
            self.total = sum(len(s.get("assets", [])) for s in plan if s.get("kind") != "publish")
            self.query_one("#run-progress", ProgressBar).update(
                total=max(self.total, 1), progress=0
            )
            self.log_line(f"run {self.run_id}: {message} ({self.total} assets)", "bold")
        elif kind == "step_started":
            self.step = str(step or "")
            self.log_line(f"▶ {step}: {message or ''}", "cyan")
        elif kind == "asset_started" and asset:
            self.current.append(str(asset))
        elif kind == "asset_progress" and asset:  # e.g. an Airbyte sync's counters
            self.note = f"{asset}: {status or ''} {fmt.rows(data.get('records'))} records"
        elif kind in ("asset_materialized", "asset_failed", "asset_skipped") and asset:
            self.done += 1
            if asset in self.current:
                self.current.remove(str(asset))
            self.query_one("#run-progress", ProgressBar).update(progress=self.done)
            if kind == "asset_materialized":
                rows = data.get("rows")
                self.log_line(
                    f"  ✓ {asset}  {fmt.rows(rows)} rows  {fmt.duration(data.get('duration'))}",
                    "green",
                )
            elif kind == "asset_failed":
                self.failed += 1
                self.log_line(f"  ✗ {asset}: {message or 'failed'}", "bold red")
            else:
                self.log_line(f"  ⤼ {asset} skipped: {message or ''}", "magenta")
        elif kind == "check_evaluated" and status in ("fail", "error", "warn"):
            self.log_line(
                f"  {fmt.glyph(str(status))} check {message} on {asset}: {status} "
                f"({data.get('failures')} rows)",
                fmt.style(str(status)),
            )
        elif kind == "step_finished":
            self.log_line(f"{fmt.glyph(str(status))} {step} {status}", fmt.style(str(status)))
        elif kind == "run_finished":
            self.finish(str(status), message or "", data.get("duration"))
        self.tick()

    def finish(self, status: str, message: str = "", duration: Any = None) -> None:
        if not self.running:
            return
        self.running = False
        self.ended_at = self.clock()
        self.outcome = status
        self.current = []
        suffix = f" in {fmt.duration(duration)}" if isinstance(duration, int | float) else ""
        text = f"{fmt.glyph(status)} run {self.run_id or ''} {status}{suffix}"
        if message and status != "succeeded":
            text += f": {message}"
        self.log_line(text, "bold " + fmt.style(status))
        if self.total:
            self.query_one("#run-progress", ProgressBar).update(progress=self.done)
        else:
            self.query_one("#run-progress", ProgressBar).update(total=1, progress=1)
        self.tick()

    def tick(self) -> None:
        end = self.ended_at if self.ended_at is not None else self.clock()
        elapsed = fmt.clock(end - self.started_at) if self.started_at else "0:00"
        where = "elsewhere " if self.external else ""
        if self.running:
            head = Text.assemble(
                ("▶ ", "bold cyan"),
                (f"{where}run {self.run_id or '…'}", "bold"),
                f"  {self.done}/{self.total or '?'}  {elapsed}",
            )
            current = ", ".join(self.current) or ("starting…" if not self.step else "")
            body = Text.assemble(
                ("step ", "dim"), self.step or "-", ("  running ", "dim"), current or "-"
            )
            if self.note:
                body.append(f"  {self.note}", style="dim")
            if not self.external:
                body.append("   c cancels", style="dim")
        else:
            status = self.outcome or "idle"
            head = Text.assemble(
                (f"{fmt.glyph(status)} ", fmt.style(status)),
                (f"run {self.run_id}", "bold"),
                f"  {status}  {self.done}/{self.total}  {elapsed}",
            )
            body = Text.assemble(
                ("selection ", "dim"), self.selection, ("   l hides this panel", "dim")
            )
        self.query_one("#run-summary", Static).update(head)
        self.query_one("#run-current", Static).update(body)
