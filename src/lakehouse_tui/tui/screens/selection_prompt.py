"""The `:` prompt: type any selection expression, see what it selects, run it.

As in k9s, `:` opens a one-line prompt. The word being typed completes (grey suggestion; tab
or → takes it) to asset and group keys, `group:`, `tag:` and `kind:` values, `stale` and the
words `and`/`or`/`not` (`core.selection_complete`); the other candidates are listed under
it. Each change re-evaluates the selection in a worker and shows the plan's assets in run
order, or the selection's one-line error. Enter hands the selection to the app, which asks
with the full plan exactly as the materialize keys do (and queues behind another run the
same way); escape closes the prompt. Up and down recall earlier selections of this session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from lakehouse_tui.core.selection_complete import completions
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from lakehouse_tui.core.graph import AssetGraph
    from lakehouse_tui.core.workspace import Workspace

HISTORY: list[str] = []  # this session's selections, newest last


class SelectionSuggester(Suggester):
    """The first completion of the word being typed, as Input's grey suggestion."""

    def __init__(self, graph: AssetGraph) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.graph = graph

    async def get_suggestion(self, value: str) -> str | None:
        found = completions(self.graph, value, limit=1)
        return found[0] if found else None


@dataclass
class PlanShown(Message):
    """The worker evaluated `text`: the assets in run order, or why it cannot."""

    text: str
    assets: list[str]
    error: str = ""


class SelectionPrompt(ReportsWorkerErrors, ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="select.close"),
        Binding("tab", "complete", "Complete", id="select.complete"),
        Binding("up", "history(-1)", "Earlier", show=False, id="select.earlier"),
        Binding("down", "history(1)", "Later", show=False, id="select.later"),
    ]

    def __init__(self, workspace: Workspace, initial: str = "") -> None:
        super().__init__()
        self.workspace = workspace
        self.initial = initial
        self.plan_for = ""  # the text the plan shown belongs to
        self.ok = False
        self.history_at = len(HISTORY)
        self.completing = False  # the word being typed has completions

    def compose(self) -> ComposeResult:
        with Vertical(id="select-dialog", classes="dialog"):
            yield Static(
                "Materialize a selection", id="select-title", classes="dialog-title", markup=False
            )
            yield Input(
                value=self.initial,
                placeholder="e.g. +dim_batch, group:dbt_curated_models, tag:mart and not stale",
                suggester=SelectionSuggester(self.workspace.graph),
                id="select-input",
            )
            yield Static("", id="select-completions")
            with VerticalScroll(id="select-plan-scroll"):
                yield Static("", id="select-plan")
            yield Static(
                "tab completes · enter shows the plan to run · escape closes · "
                "syntax: name, +name, name+, group:, tag:, kind:, stale, and/or/not",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#select-input", Input).focus()
        self.changed_to(self.initial)

    @property
    def input(self) -> Input:
        return self.query_one("#select-input", Input)

    @on(Input.Changed, "#select-input")
    def input_changed(self, event: Input.Changed) -> None:
        self.changed_to(event.value)

    def changed_to(self, text: str) -> None:
        found = completions(self.workspace.graph, text, limit=8)
        self.completing = bool(found)
        shown = "  ".join(f.rsplit(" ", 1)[-1].lstrip("(,").lstrip("0123456789+") for f in found)
        self.query_one("#select-completions", Static).update(Text(shown))
        self.ok = False
        if text.strip():
            self.evaluate(text)
        else:
            self.show_plan(PlanShown(text, [], "Type a selection; * is every asset."))

    @work(thread=True, exclusive=True, group="select-plan", exit_on_error=False)
    def evaluate(self, text: str) -> None:
        from lakehouse_tui.errors import LakehouseError

        try:
            keys, description = self.workspace.resolve(text, None)
            plan = self.workspace.plan(keys, description)
        except LakehouseError as err:
            self.post_message(PlanShown(text, [], str(err)))
            return
        self.post_message(PlanShown(text, [key for key, _ in plan.asset_steps()]))

    @on(PlanShown)
    def show_plan(self, message: PlanShown) -> None:
        if message.text != self.input.value:
            return  # typed on since: a newer evaluation is coming
        self.plan_for, self.ok = message.text, not message.error and bool(message.assets)
        plan = self.query_one("#select-plan", Static)
        if message.error and self.completing:  # a word half typed: not an error yet
            plan.update(Text("… tab completes the word (the names above)", style="dim"))
        elif message.error:
            plan.update(Text(message.error, style="red" if message.text.strip() else "dim"))
        elif not message.assets:
            plan.update(Text("Selects nothing: there is nothing to materialize.", style="yellow"))
        else:
            text = Text(f"{len(message.assets)} assets, in run order:\n", style="bold")
            for number, key in enumerate(message.assets, start=1):
                text.append(f"{number:>3}. ", style="dim")
                text.append(f"{key}\n")
            plan.update(text)

    def action_complete(self) -> None:
        found = completions(self.workspace.graph, self.input.value, limit=1)
        if found:
            self.input.value = found[0]
            self.input.cursor_position = len(found[0])

    def action_history(self, step: int) -> None:
        if not HISTORY:
            return
        self.history_at = min(max(self.history_at + step, 0), len(HISTORY))
        value = HISTORY[self.history_at] if self.history_at < len(HISTORY) else ""
        self.input.value = value
        self.input.cursor_position = len(value)

    @on(Input.Submitted, "#select-input")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if text == self.plan_for and not self.ok:
            self.app.bell()  # the reason is on screen, under the prompt
            return
        if not HISTORY or HISTORY[-1] != text:
            HISTORY.append(text)
        self.dismiss(text)
