"""Live progress of one run: a progress bar, the current step and model, elapsed time, a log.

Fed with the runner's JSON events (our own child) or the store's step events (a run started
elsewhere, e.g. by the timer); the widget only displays, the run control decides what to feed
it. It shows one run at a time (`run_id`); a run of ours queued behind another process's run
is a note (`queued`) under that run's progress, never lines in its log.
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

FINAL_ASSET_EVENTS = ("asset_materialized", "asset_failed", "asset_skipped", "asset_cancelled")


def is_cancelled(event: dict[str, Any], cancelling: bool) -> bool:
    """An asset stopped by a cancel: recorded so, or reported failed after we sent SIGTERM
    (dbt reports the interrupted model as an error)."""
    kind = event.get("event")
    if kind == "asset_cancelled" or event.get("status") == "cancelled":
        return True
    return cancelling and kind == "asset_failed"


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
        self.queued = ""  # our run waits for the lock: who it waits for
        self.cancelling = False

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

    def begin(
        self,
        selection: str,
        *,
        external: bool = False,
        run_id: str = "",
        started_at: float | None = None,
    ) -> None:
        """Show a new run (and only it): ours, or one started elsewhere (since `started_at`)."""
        self.run_id, self.selection, self.external = run_id, selection, external
        self.started_at = started_at if started_at is not None else self.clock()
        self.ended_at = None
        self.total = self.done = self.failed = 0
        self.step, self.current, self.outcome, self.note = "", [], "", ""
        self.cancelling = False
        if not external:
            self.queued = ""
        self.running = True
        self.remove_class("-not-started")
        self.query_one("#run-log", RichLog).clear()
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        where = "elsewhere" if external else "starting"
        self.log_line(f"{where}: {selection}", "bold")
        self.tick()

    def set_queued(self, holder: str) -> None:
        """Our run waits for `holder` to release the warehouse ("" when it no longer waits)."""
        self.queued = holder
        self.tick()

    def shows(self, run_id: object) -> bool:
        """True when the panel shows that run (of ours or from elsewhere)."""
        return bool(run_id) and run_id == self.run_id

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
        elif kind in FINAL_ASSET_EVENTS and asset:
            self.done += 1
            if asset in self.current:
                self.current.remove(str(asset))
            self.query_one("#run-progress", ProgressBar).update(progress=self.done)
            if is_cancelled(event, self.cancelling):
                self.log_line(f"  {fmt.glyph('cancelled')} {asset} cancelled", "magenta")
            elif kind == "asset_materialized":
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
        if status == "cancelled":  # what was still running did not fail: it was stopped
            for asset in self.current:
                self.log_line(f"  {fmt.glyph('cancelled')} {asset} cancelled", "magenta")
        self.current = []
        self.set_class(status == "not started", "-not-started")
        suffix = f" in {fmt.duration(duration)}" if isinstance(duration, int | float) else ""
        name = f"run {self.run_id} " if self.run_id else "run "
        text = f"{fmt.glyph(status)} {name}{status}{suffix}"
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
        waiting = self.running and bool(self.queued) and not self.external and not self.run_id
        self.set_class(waiting, "-queued")
        if waiting:
            head = Text.assemble(
                (f"{fmt.glyph('queued')} ", "bold yellow"),
                ("queued", "bold"),
                f"  {self.selection}  {elapsed}",
                ("   c cancels", "dim"),
            )
            body = Text.assemble(("waiting for ", "dim"), self.queued)
        elif self.running:
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
            if self.external and self.queued:
                body.append("   yours is queued behind it; c cancels yours", style="yellow")
            elif not self.external:
                body.append("   cancelling…" if self.cancelling else "   c cancels", style="dim")
        elif self.outcome == "not started":
            head = Text.assemble(
                (f"{fmt.glyph('not started')} ", fmt.style("not started")),
                ("not started", "bold"),
                f"  {self.selection}",
            )
            body = Text.assemble(("nothing ran", "dim"), ("   l hides this panel", "dim"))
        else:
            status = self.outcome or "idle"
            head = Text.assemble(
                (f"{fmt.glyph(status)} ", fmt.style(status)),
                (f"{where}run {self.run_id}", "bold"),
                f"  {status}  {self.done}/{self.total}  {elapsed}",
            )
            body = Text.assemble(
                ("selection ", "dim"), self.selection, ("   l hides this panel", "dim")
            )
            if self.external and self.queued:
                body.append("   yours starts next", style="yellow")
        self.query_one("#run-summary", Static).update(head)
        self.query_one("#run-current", Static).update(body)
