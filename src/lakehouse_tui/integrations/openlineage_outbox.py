"""The OpenLineage outbox: a JSON-lines file in the state dir that every event goes through.

Events are appended to `<state>/openlineage/outbox.jsonl` before they are sent, and
`outbox.state.json` records how far delivery got (a byte offset, written after each event
the endpoint accepted). So an event is never lost when the endpoint is down or slow, or when
the process ends mid-run, and the waiting ones are sent in order, each once, by the next run
or by `lakehouse-tui lineage flush`. Once everything is delivered the file is emptied.
A lock file serializes the run's sender, `lineage flush` and appends across processes.

The outbox holds only the events: the API key is read from its environment variable when a
transport is made, and masked out of every error message that is recorded or printed.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config_openlineage import OpenLineageSettings

Send = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Delivery:
    sent: int
    waiting: int
    error: str | None = None


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int
    oldest: str | None  # eventTime of the oldest waiting event
    last_error: str | None
    failed_at: float | None


def mask(text: str, secret: str | None) -> str:
    """`text` with the secret replaced, on the raw text before anything shortens it."""
    return text.replace(secret, "***") if secret else text


def describe(err: BaseException, secret: str | None) -> str:
    """One line naming what went wrong, without the secret."""
    lines = mask(str(err), secret).strip().splitlines()
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class Outbox:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "openlineage"
        self.path = self.dir / "outbox.jsonl"
        self.state_path = self.dir / "outbox.state.json"
        self.lock_path = self.dir / "outbox.lock"

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"sent": 0}
        return data if isinstance(data, dict) else {"sent": 0}

    def write_state(self, state: dict[str, Any]) -> None:
        temporary = self.state_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(self.state_path)

    def append(self, events: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        with self.locked(), self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def waiting(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(offset after it, event or None if unreadable) of every event not yet sent."""
        offset = int(self.read_state().get("sent", 0))
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            handle.seek(offset)
            for line in handle:
                offset += len(line)
                if not line.endswith(b"\n"):
                    return  # an append in progress (without the lock): not an event yet
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                yield offset, event if isinstance(event, dict) else None

    def deliver(self, send: Send, secret: str | None = None) -> Delivery:
        """Send what is waiting, in order, until one fails; record how far it got."""
        with self.locked():
            state = self.read_state()
            sent = 0
            error = None
            for offset, event in self.waiting():
                if event is not None:  # a line that is not an event is dropped, not retried
                    try:
                        send(event)
                    except Exception as err:  # any transport failure: keep it for later
                        error = describe(err, secret)
                        break
                    sent += 1
                state["sent"] = offset
                self.write_state(state)
            waiting = sum(1 for _ in self.waiting())
            if error is not None:
                state.update(last_error=error, failed_at=time.time())
            elif waiting == 0:
                self.path.write_bytes(b"")  # all delivered: start the file again
                state = {"sent": 0}
            self.write_state(state)
            return Delivery(sent, waiting, error)

    def status(self) -> OutboxStatus:
        events = [event for _, event in self.waiting()]
        state = self.read_state()
        oldest = next((str(e.get("eventTime")) for e in events if e is not None), None)
        return OutboxStatus(len(events), oldest, state.get("last_error"), state.get("failed_at"))


def make_sender(settings: OpenLineageSettings) -> Send:
    """A function that sends one event through the configured transport (the client's)."""
    if settings.transport == "console":

        def to_console(event: dict[str, Any]) -> None:
            print(json.dumps(event, sort_keys=True), file=sys.stderr, flush=True)

        return to_console
    if settings.transport == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        assert settings.path is not None
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        file = FileTransport(FileConfig(log_file_path=str(settings.path), append=True))
        return file.emit  # type: ignore[return-value]
    from openlineage.client.transport.http import (
        ApiKeyTokenProvider,
        HttpConfig,
        HttpTransport,
        TokenProvider,
    )

    key = settings.api_key()
    auth = ApiKeyTokenProvider({"api_key": key}) if key else TokenProvider({})
    # No retries inside the client: a failed event waits in the outbox for the next attempt.
    retry = {"total": 0, "connect": 0, "read": 0, "status": 0, "status_forcelist": []}
    config = HttpConfig(url=settings.url, timeout=settings.timeout, auth=auth, retry=retry)
    http = HttpTransport(config)
    return http.emit  # type: ignore[return-value]
