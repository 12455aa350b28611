"""A modal with one message: errors from a run (locked, usage) or a failed worker."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class MessageBox(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss(None)", "Close", id="message.close")
    ]

    def __init__(self, title: str, message: str, *, error: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.set_class(error, "-error")

    def compose(self) -> ComposeResult:
        with Vertical(id="message-dialog", classes="dialog"):
            yield Static(self.title_text, id="message-title", classes="dialog-title", markup=False)
            yield Static(self.message, id="message-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="message-ok")

    def on_mount(self) -> None:
        self.query_one("#message-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)
