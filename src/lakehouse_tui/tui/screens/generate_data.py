"""Offered when the raw lake dir has no parquet files: generate sample data?

On yes the dialog writes the files itself (in a worker, saying so) and closes with what it
wrote, so the app only has to reload.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lakehouse_tui import formatting as fmt
from lakehouse_tui.tui.messages import SampleDataGenerated
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors


class GenerateData(ReportsWorkerErrors, ModalScreen[SampleDataGenerated | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "generate", "Generate", id="generate.yes"),
        Binding("n,escape", "dismiss(None)", "Not now", id="generate.no"),
    ]

    def __init__(self, raw_dir: Path, *, empty: bool = True) -> None:
        super().__init__()
        self.raw_dir = raw_dir
        self.empty = empty

    def compose(self) -> ComposeResult:
        raw_dir = fmt.home_paths(str(self.raw_dir))
        if self.empty:
            body = (
                f"There are no raw parquet files in\n  {raw_dir}\nyet, so there is nothing "
                "to materialize.\n\nGenerate sample bioreactor data (8 batches of 24 h, about "
                "400,000 readings)? You can do it later with g or `lakehouse-tui demo`."
            )
        else:
            body = (
                f"Generate another set of sample data in\n  {raw_dir}\n"
                "(overwrites the sample batches)?"
            )
        with Vertical(id="generate-dialog", classes="dialog"):
            yield Static(
                "No raw data yet" if self.empty else "Sample data",
                classes="dialog-title",
                markup=False,
            )
            yield Static(body, id="generate-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Generate (y)", variant="primary", id="generate-yes")
                yield Button("Not now (n)", id="generate-no")

    def on_mount(self) -> None:
        self.query_one("#generate-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "generate-yes":
            self.action_generate()
        else:
            self.dismiss(None)

    def action_generate(self) -> None:
        for button in self.query(Button):
            button.disabled = True
        self.query_one("#generate-body", Static).update(
            f"Writing sample data to {fmt.home_paths(str(self.raw_dir))}…"
        )
        self.generate(force=not self.empty)

    @work(thread=True, exclusive=True, group="sample-data", exit_on_error=False)
    def generate(self, force: bool) -> None:
        from lakehouse_tui import demo
        from lakehouse_tui.errors import LakehouseError

        try:
            result = demo.generate(self.raw_dir, force=force)
        except LakehouseError as err:
            self.post_message(SampleDataGenerated(0, 0, str(err)))
            return
        self.post_message(SampleDataGenerated(len(result.files), result.rows))

    def on_sample_data_generated(self, message: SampleDataGenerated) -> None:
        self.dismiss(message)
