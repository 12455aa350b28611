"""The OpenLineage outbox: a JSON-lines file in the state dir that every event goes through.

Events are appended to `<state>/openlineage/outbox.jsonl` before they are sent, and
`outbox.sent` records how far delivery got (a byte offset and a checksum of the line before
it, written in place after each event the endpoint accepted; `outbox.error.json` keeps the
last failure). So an event is never lost when the endpoint is down or slow, or when the
process ends mid-run, and the waiting ones are sent in order, each once, by the next run or
by `lakehouse-tui lineage flush`. Once everything is delivered the file is emptied.
A lock file serializes the run's sender, `lineage flush` and appends across processes.
Appends are not fsynced one by one (a process that dies loses nothing it wrote); a run that
ends with events still waiting syncs the file once (`sync`), so they survive a power cut too.

The outbox holds only the events: the API key is read from its environment variable when a
transport is made, and masked out of every error message that is recorded or printed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config_openlineage import OpenLineageSettings

Send = Callable[[bytes], None]  # one event: a line of the outbox, JSON


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
    """One line naming what went wrong, without the secret: the operating system's reason
    when a connection failed (requests wraps it in a paragraph), else the first line."""
    text = mask(str(err), secret).strip()
    reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if reason:
        text = reason.group(1).strip()
    elif "timed out" in text.lower():
        text = "no answer in time (timed out)"
    lines = text.splitlines()
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class Outbox:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "openlineage"
        self.path = self.dir / "outbox.jsonl"
        self.sent_path = self.dir / "outbox.sent"  # byte offset delivered up to
        self.error_path = self.dir / "outbox.error.json"  # the last failed attempt
        self.lock_path = self.dir / "outbox.lock"
        self.made = False

    @contextmanager
    def locked(self) -> Iterator[None]:
        if not self.made:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.made = True
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def sent_offset(self) -> int:
        """How far the outbox file was delivered; 0 when the line recorded as the last one
        delivered is not there (the file was removed and made again)."""
        try:
            offset, length, crc = map(int, self.sent_path.read_text(encoding="ascii").split())
            with self.path.open("rb") as handle:
                handle.seek(offset - length)
                last = handle.read(length)
        except (OSError, ValueError):
            return 0
        return offset if len(last) == length and zlib.crc32(last) == crc else 0

    def append(self, events: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        with self.locked(), self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(offset after it, line) of every event not yet sent."""
        offset = self.sent_offset()
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            handle.seek(offset)
            for line in handle:
                offset += len(line)
                if not line.endswith(b"\n"):
                    return  # cut short by a crash mid-append: not an event
                yield offset, line

    def deliver(self, send: Send, secret: str | None = None) -> Delivery:
        """Send what is waiting, in order, until one fails; record how far it got after
        each event (a fixed-width offset written in place: cheap enough per event)."""
        with self.locked():
            sent, error = 0, None
            fd = os.open(self.sent_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                for offset, line in self.lines():
                    try:
                        event = json.loads(line)
                    except ValueError:
                        event = None  # not an event: dropped, not retried
                    if isinstance(event, dict):
                        try:
                            send(line)
                        except Exception as err:  # any transport failure: keep it for later
                            error = describe(err, secret)
                            break
                        sent += 1
                    mark = f"{offset:020d} {len(line):010d} {zlib.crc32(line):010d}\n"
                    os.pwrite(fd, mark.encode("ascii"), 0)
            finally:
                os.close(fd)
            waiting = sum(1 for _ in self.lines())
            if error is not None:
                self.error_path.write_text(
                    json.dumps({"error": error, "at": time.time()}), encoding="utf-8"
                )
            elif waiting == 0:
                self.path.write_bytes(b"")  # all delivered: start the file again
                self.sent_path.unlink(missing_ok=True)
                self.error_path.unlink(missing_ok=True)
            return Delivery(sent, waiting, error)

    def sync(self) -> None:
        """Make what was appended survive a crash of the machine (once per run, not per
        event: a crash of the process alone loses nothing that was written)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def status(self) -> OutboxStatus:
        waiting = [line for _, line in self.lines()]
        oldest = None
        if waiting:
            try:
                oldest = str(json.loads(waiting[0]).get("eventTime"))
            except (ValueError, AttributeError):
                oldest = None
        try:
            last = json.loads(self.error_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            last = {}
        return OutboxStatus(len(waiting), oldest, last.get("error"), last.get("at"))


def make_sender(settings: OpenLineageSettings) -> Send:
    """A function that sends one event (a line of the outbox) through the configured
    transport: HTTP over one kept-alive connection (`openlineage_http`), or the client's
    file transport, or stderr."""
    if settings.transport == "console":

        def to_console(line: bytes) -> None:
            print(json.dumps(json.loads(line), sort_keys=True), file=sys.stderr, flush=True)

        return to_console
    if settings.transport == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        assert settings.path is not None
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        file = FileTransport(FileConfig(log_file_path=str(settings.path), append=True))

        def to_file(line: bytes) -> None:
            file.emit(json.loads(line))

        return to_file
    from lakehouse_tui.integrations.openlineage_http import HttpSender

    return HttpSender(settings.url, settings.timeout, settings.api_key())
