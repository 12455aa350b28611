"""Asked when another process (the CLI, the timer, another TUI) holds the warehouse.

It names the other run (id, trigger, pid, since when) and offers to queue this run behind it
(the runner is started with `--wait` and begins by itself when that run finishes) or not to
run at all.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class RunBlocked(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w,y,enter", "dismiss(True)", "Queue behind it", id="blocked.queue"),
        Binding("n,escape", "dismiss(False)", "Cancel", id="blocked.cancel"),
    ]

    def __init__(self, what: str, holder: str) -> None:
        super().__init__()
        self.what = what
        self.holder = holder

    @property
    def message(self) -> str:
        return (
            f"Another run holds the warehouse:\n  {self.holder}\n\n"
            f"Queue {self.what} behind it? It starts by itself when that run finishes; "
            "c cancels it while it waits."
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="blocked-dialog", classes="dialog"):
            yield Static("The warehouse is busy", classes="dialog-title", markup=False)
            yield Static(self.message, id="blocked-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Queue behind it (w)", variant="primary", id="blocked-queue")
                yield Button("Cancel (n)", id="blocked-cancel")

    def on_mount(self) -> None:
        self.query_one("#blocked-queue", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "blocked-queue")
