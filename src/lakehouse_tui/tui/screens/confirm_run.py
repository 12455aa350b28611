"""The confirmation dialog: the exact plan (as `--dry-run` prints it) before anything runs."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmRun(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Run", id="confirm.run"),
        Binding("n,escape", "dismiss(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self, title: str, plan_text: str, *, runnable: bool = True, yes_label: str = "Run"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.plan_text = plan_text
        self.runnable = runnable
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.title_text, id="confirm-title", classes="dialog-title", markup=False)
            with VerticalScroll(id="confirm-plan-scroll"):
                yield Static(self.plan_text, id="confirm-plan", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self.yes_label} (y)",
                    variant="primary",
                    id="confirm-run",
                    disabled=not self.runnable,
                )
                yield Button("Cancel (n)", id="confirm-cancel")

    def on_mount(self) -> None:
        button = "#confirm-run" if self.runnable else "#confirm-cancel"
        self.query_one(button, Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(self.runnable)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-run" and self.runnable)
