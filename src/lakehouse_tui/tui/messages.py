"""Messages the app's workers post to the UI: past-tense dataclasses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.message import Message

from lakehouse_tui.core.run_events import RunEvent
from lakehouse_tui.runservice.child import RunRequest
from lakehouse_tui.tui.data import AssetDetails, LakeState, Preview


@dataclass
class WorkspaceOpened(Message):
    workspace: Any  # lakehouse_tui.core.workspace.Workspace


@dataclass
class WorkspaceFailed(Message):
    error: str


@dataclass
class StateLoaded(Message):
    state: LakeState


@dataclass
class DetailsLoaded(Message):
    details: AssetDetails


@dataclass
class PreviewLoaded(Message):
    preview: Preview


@dataclass
class RunEventReceived(Message):
    """One event of a run: our child's stdout, or the store for a run started elsewhere."""

    event: RunEvent
    external: bool = False
    row_id: int = 0  # the store's event id, for a run started elsewhere


@dataclass
class RunLogLines(Message):
    """dbt log lines of a run, read from the store as the run writes them."""

    run_id: str
    lines: list[str]


@dataclass
class RunExited(Message):
    request: RunRequest
    code: int
    error: str = ""
    stderr: list[str] = field(default_factory=list)


@dataclass
class SampleDataGenerated(Message):
    files: int
    rows: int
    error: str = ""


NodeT = TypeVar("NodeT", bound=DOMNode)
MessageT = TypeVar("MessageT", bound=Message)


def unless_closing(
    handler: Callable[[NodeT, MessageT], None],
) -> Callable[[NodeT, MessageT], None]:
    """For the app's handlers of worker messages: one still queued while the app exits finds
    the main screen's widgets gone; drop it instead of failing."""

    @functools.wraps(handler)
    def guarded(node: NodeT, message: MessageT) -> None:
        if node.query("#tree"):
            handler(node, message)

    return guarded
