"""Hostile answers for the fake Airbyte server (tests/airbyte_server.py): what a broken proxy,
a stuck server or a confused deployment sends, which no spec describes.

Queued like the other faults, `server.fail(op, kind)`:

- "silent": read the request, never answer (until the server stops);
- "trickle": send the status line one byte every `trickle_seconds`, forever;
- "huge": an HTTP 500 whose body is `huge_bytes` long (counts what it managed to send);
- "array": do the work, answer 200 with the result wrapped in a JSON array;
- "nostatus": do the work, answer 200 with the job's `status` left out;
- "echo_secret": answer 403 with a detail that repeats the client secret after 147
  characters, the way some servers echo the request in their errors.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airbyte_server import FakeAirbyte

HOSTILE_KINDS = frozenset({"silent", "trickle", "huge", "array", "nostatus", "echo_secret"})
PADDING = "x" * 140


@dataclass
class Hostile:
    trickle_seconds: float = 0.5
    huge_bytes: int = 64 << 20
    sent: int = 0  # bytes of the huge body that left the server
    finished: threading.Event = field(default_factory=threading.Event)  # huge body all sent

    def answer(
        self,
        server: FakeAirbyte,
        h: BaseHTTPRequestHandler,
        kind: str,
        operation: Callable[[Any, Any, Any], tuple[int, Any, Any]],
        body: Any,
        query: Any,
        params: Any,
    ) -> None:
        h.close_connection = True
        try:
            if kind == "silent":
                server.stopping.wait()
            elif kind == "trickle":
                self._trickle(server, h)
            elif kind == "huge":
                self._huge(h)
            elif kind == "echo_secret":
                detail = (
                    f"{PADDING} secret={server.client_secret} is not valid for this application"
                )
                self._json(h, 403, {"status": 403, "title": "forbidden", "detail": detail})
            else:
                with server.lock:
                    _, out, _ = operation(body, query, params)
                self._json(h, 200, [out] if kind == "array" else _without_status(out))
        except OSError:  # the client hung up, as it should
            pass

    def _trickle(self, server: FakeAirbyte, h: BaseHTTPRequestHandler) -> None:
        line = b"HTTP/1.1 200 OK\r\nX-Padding: "
        position = 0
        while not server.stopping.wait(self.trickle_seconds):
            byte = line[position : position + 1] if position < len(line) else b"a"
            h.wfile.write(byte)
            h.wfile.flush()
            position += 1

    def _huge(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(500)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(self.huge_bytes))
        h.end_headers()
        chunk = b"Internal error. " * 4096  # 64 KiB
        while self.sent < self.huge_bytes:
            piece = chunk[: self.huge_bytes - self.sent]
            h.wfile.write(piece)
            self.sent += len(piece)
        self.finished.set()

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def _without_status(out: Any) -> Any:
    """A public JobResponse or a config JobInfoRead with the job's status removed."""
    if isinstance(out, dict) and isinstance(out.get("job"), dict):
        return {**out, "job": {k: v for k, v in out["job"].items() if k != "status"}}
    if isinstance(out, dict):
        return {k: v for k, v in out.items() if k != "status"}
    return out
