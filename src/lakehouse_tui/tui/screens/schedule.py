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
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
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
        self.install_failed = False  # the last install failed: the status must not say "yes"

    def compose(self) -> ComposeResult:
        with Vertical(id="schedule-dialog", classes="dialog"):
            yield Static("Nightly schedule (OS timer)", classes="dialog-title", markup=False)
            # The outcome of install/remove first: an error is the first thing one sees.
            yield Static("", id="schedule-result", markup=False)
            with VerticalScroll():
                yield Static("reading the timer's status…", id="schedule-status", markup=False)
        yield AppFooter()

    def action_remove(self) -> None:
        """x: removing the timer stops the nightly runs, so ask first."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_run("remove")

        self.app.push_screen(
            ConfirmRun(
                "Remove the nightly timer?",
                "The OS timer is disabled and its unit files deleted: no nightly runs until "
                "you install it again (i). The run history stays.",
                yes_label="Remove",
            ),
            answered,
        )

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
            self.query_one("#schedule-status", Static).update(self.status_text(message.text))
            return
        if message.action in ("install", "remove"):
            self.install_failed = message.action == "install" and message.code != 0
        verdict = "done" if message.code == 0 else f"failed (exit {message.code})"
        result = self.query_one("#schedule-result", Static)
        result.set_class(message.code != 0, "-error")
        result.update(f"{message.action} {verdict}:\n{message.text}")

    def status_text(self, text: str) -> str:
        """The status as `schedule status` prints it; after a failed install the files may be
        there, but the timer is not installed: never "installed: yes" under the error."""
        if not self.install_failed:
            return text
        return "\n".join(
            "installed: no, the install failed (see above); fix that and press i again"
            if line.startswith("installed: yes")
            else line
            for line in text.splitlines()
        )
