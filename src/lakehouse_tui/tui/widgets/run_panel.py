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

from lakehouse_tui import formatting as fmt
from lakehouse_tui.core.run_events import RunEvent
from lakehouse_tui.core.run_progress import FINAL_ASSET_EVENTS, RunProgress

__all__ = ["FINAL_ASSET_EVENTS", "RunPanel"]


class RunPanel(Vertical):
    """Shown at the bottom while a run goes and after it finished, until hidden with `l`.

    What it shows comes from one `RunProgress` (the reducer the CLI printer renders too);
    a run that did not succeed ends with its explanation: what failed and why, which checks
    failed, what was blocked and what never ran.
    """

    running: reactive[bool] = reactive(False)

    def __init__(
        self, *, clock: Callable[[], float], id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.progress = RunProgress()
        self.run_id = ""
        self.selection = ""
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.outcome = ""
        self.external = False
        self.queued = ""  # our run waits for the lock: who it waits for

    @property
    def cancelling(self) -> bool:
        return self.progress.cancelling

    @cancelling.setter
    def cancelling(self, value: bool) -> None:
        self.progress.cancelling = value

    @property
    def total(self) -> int:
        return self.progress.total

    @property
    def done(self) -> int:
        return self.progress.done

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-header"):
            yield Static("", id="run-summary")
            yield ProgressBar(total=None, show_eta=False, id="run-progress")
        yield Static("", id="run-current")
        yield RichLog(id="run-log", wrap=True, markup=False, highlight=False, max_lines=2000)

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
        self.progress = RunProgress(run_id=run_id, selection=selection)
        self.started_at = started_at if started_at is not None else self.clock()
        self.ended_at = None
        self.outcome = ""
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
        """A line in the log, wrapped at the log's width (once it is laid out)."""
        log = self.query_one("#run-log", RichLog)
        width = log.scrollable_content_region.width
        log.write(Text(text, style=style), width=width if width > 20 else None)

    def feed(self, event: RunEvent) -> None:
        progress = self.progress
        cancel = progress.is_cancel(event)
        progress.apply(event)
        kind, asset, data = event.event, event.asset, event.data
        if kind == "run_started":
            self.run_id = progress.run_id
            self.query_one("#run-progress", ProgressBar).update(
                total=max(progress.total, 1), progress=0
            )
            self.log_line(f"run {self.run_id}: {event.message} ({progress.total} assets)", "bold")
        elif kind == "step_started":
            self.log_line(f"▶ {event.step}: {event.message or ''}", "cyan")
        elif kind in FINAL_ASSET_EVENTS and asset:
            self.query_one("#run-progress", ProgressBar).update(progress=progress.done)
            if cancel:
                self.log_line(f"  {fmt.glyph('cancelled')} {asset} cancelled", "magenta")
            elif kind == "asset_materialized":
                rows = data.get("rows")
                self.log_line(
                    f"  ✓ {asset}  {fmt.rows(rows)} rows  {fmt.duration(data.get('duration'))}",
                    "green",
                )
            elif kind == "asset_failed":
                self.log_line(f"  ✗ {asset}: {event.message or 'failed'}", "bold red")
            else:
                self.log_line(f"  ⤼ {asset} skipped: {event.message or ''}", "magenta")
        elif kind == "check_evaluated" and event.status in ("fail", "error", "warn"):
            status = str(event.status)
            self.log_line(
                f"  {fmt.glyph(status)} check {event.message} on {asset}: {status} "
                f"({data.get('failures')} rows)",
                fmt.style(status),
            )
        elif kind == "step_finished" and event.step:
            # Counted from the step's assets: a step whose models were blocked did not succeed.
            outcome = progress.step_outcome(event.step)
            status = "skipped" if outcome == "partly skipped" else outcome
            self.log_line(
                f"{fmt.glyph(status)} {progress.step_summary(event.step)}", fmt.style(status)
            )
        elif kind == "run_finished":
            self.finish(str(event.status), event.message or "", data.get("duration"))
        self.tick()

    def finish(self, status: str, message: str = "", duration: Any = None) -> None:
        if not self.running:
            return
        was_running = list(self.progress.running)
        self.progress.finish(status, message, duration)
        self.running = False
        self.ended_at = self.clock()
        self.outcome = status
        if status == "cancelled":  # what was still running did not fail: it was stopped
            for asset in was_running:
                self.log_line(f"  {fmt.glyph('cancelled')} {asset} cancelled", "magenta")
        self.set_class(status == "not started", "-not-started")
        suffix = f" in {fmt.duration(duration)}" if isinstance(duration, int | float) else ""
        name = f"run {self.run_id} " if self.run_id else "run "
        text = f"{fmt.glyph(status)} {name}{status}{suffix}"
        explanation = self.progress.explanation() if status != "succeeded" else []
        if message and status != "succeeded" and not explanation:
            text += f": {message}"
        self.log_line(text, "bold " + fmt.style(status))
        for line in explanation:
            self.log_line(f"  {line}", explanation_style(line))
        if self.progress.total:
            self.query_one("#run-progress", ProgressBar).update(progress=self.progress.done)
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
            progress = self.progress
            running = ", ".join(progress.running) or ("starting…" if not progress.step else "")
            body = Text.assemble(
                ("step ", "dim"),
                progress.step or "-",
                ("  ", ""),
                (f"{fmt.glyph('running')} ", fmt.style("running")),
                running or "-",
            )
            if progress.queued:  # planned, not started: another glyph than running
                body.append(f"  {fmt.glyph('queued')} {len(progress.queued)} queued", style="dim")
            if progress.note:
                body.append(f"  {progress.note}", style="dim")
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
            explanation = self.progress.explanation() if status != "succeeded" else []
            if explanation:  # the cause first; the log lists the rest
                body = Text(
                    explanation[0],
                    style=explanation_style(explanation[0]),
                    no_wrap=True,
                    overflow="ellipsis",
                )
                if len(explanation) > 1:
                    body.append(f"  (+{len(explanation) - 1} more below)", style="dim")
            else:
                body = Text.assemble(
                    ("selection ", "dim"), self.selection, ("   l hides this panel", "dim")
                )
            if self.external and self.queued:
                body.append("   yours starts next", style="yellow")
        self.query_one("#run-summary", Static).update(head)
        self.query_one("#run-current", Static).update(body)


def explanation_style(line: str) -> str:
    if line.startswith(("failed", "check")):
        return "bold red"
    return "magenta" if line.startswith(("blocked", "cancelled")) else "dim"
