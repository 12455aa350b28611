"""Read a child process's output line by line while it runs, so a test can wait for a line."""

from __future__ import annotations

import threading
from typing import IO

from engine_fixtures import wait_for


class Lines:
    """Collects `stream` (a child's stdout or stderr pipe) in a thread as it is written."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None, "start the child with stdout/stderr=subprocess.PIPE"
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def with_text(self, needle: str) -> list[str]:
        return [line for line in list(self.lines) if needle in line]

    def wait_for_line(self, needle: str, timeout: float = 60) -> str:
        """The first line containing `needle`, once the child has written it."""
        found = wait_for(lambda: self.with_text(needle), timeout, f"a line with {needle!r}")
        return str(found[0])

    def text(self, timeout: float = 60) -> str:
        """Everything, once the stream has closed (the child exited)."""
        self._thread.join(timeout)
        return "\n".join(self.lines)
