"""The Schedule panel: the nightly OS timer's status, with install and remove.

It runs `lakehouse-tui schedule status | install | remove` as a child process, so the panel
shows exactly what the CLI says and there is one implementation of each action.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from lakehouse_tui.runservice.argv import child_argv
from lakehouse_tui.tui.keys import SCHEDULE_BINDINGS
from lakehouse_tui.tui.widgets.footer import AppFooter
from lakehouse_tui.tui.worker_errors import ReportsWorkerErrors


def schedule_command(config_path: Path | None, action: str) -> tuple[int, str]:
    """Run one `schedule` action; returns (exit code, everything it printed)."""
    result = subprocess.run(
        child_argv("schedule", action, config_path=config_path),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


class ScheduleScreen(ReportsWorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(SCHEDULE_BINDINGS)

    class Output(Message):
        def __init__(self, action: str, code: int, text: str) -> None:
            super().__init__()
            self.action, self.code, self.text = action, code, text

    def __init__(self, config_path: Path | None) -> None:
        super().__init__()
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        with Vertical(id="schedule-dialog", classes="dialog"):
            yield Static("Nightly schedule (OS timer)", classes="dialog-title", markup=False)
            with VerticalScroll():
                yield Static("reading the timer's status…", id="schedule-status", markup=False)
            yield Static("", id="schedule-result", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.action_run("status")

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def action_run(self, action: str) -> None:
        code, text = schedule_command(self.config_path, action)
        self.post_message(self.Output(action, code, text))
        if action != "status":
            code, text = schedule_command(self.config_path, "status")
            self.post_message(self.Output("status", code, text))

    def on_schedule_screen_output(self, message: Output) -> None:
        if message.action == "status":
            self.query_one("#schedule-status", Static).update(message.text)
            return
        verdict = "done" if message.code == 0 else f"failed (exit {message.code})"
        self.query_one("#schedule-result", Static).update(
            f"{message.action} {verdict}:\n{message.text}"
        )
