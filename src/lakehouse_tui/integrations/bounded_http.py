"""HTTP requests with a hard deadline and a cap on the body, for every external client.

httpx's timeouts apply to each network operation, so a server that sends one byte every few
seconds never trips them, and `response.read()` keeps whatever the server sends (a 400 MB
error page takes gigabytes). Here each request:

- has a deadline for the whole exchange (connect, headers, body): a timer shuts the socket
  down when it passes, which wakes a blocked read; a `Deadline` shared by the retries of one
  logical call bounds the call as a whole;
- streams the body and stops reading past a cap (large for answers, small for errors, whose
  text only feeds a one-line message), so memory stays bounded whatever the server sends;
- opens its own connection (no keep-alive), so the timer always knows the socket.

Airbyte uses it now; S3 and OpenLineage clients are meant to use it too. Nothing here knows
secrets or builds messages beyond naming what went wrong.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

MAX_BODY = 16 << 20  # a successful answer: a page of connections with their stream lists
MAX_ERROR_BODY = 64 << 10  # an error answer: only its first line is ever shown

Params = Mapping[str, str | int | list[str]]


class RequestFailed(Exception):
    """No usable HTTP answer (refused, dropped, too slow, too large); the text is safe to show."""


class Deadline:
    """A point in time a whole call (all its retries) must finish by."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


@dataclass(frozen=True)
class Answer:
    """A status and a body read in full (or up to the cap, then `truncated`)."""

    status_code: int
    content: bytes
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not (or was cut at the cap)."""
        if self.truncated:
            raise ValueError("body cut at the size cap")
        return jsonlib.loads(self.content)


def describe(err: httpx.TransportError) -> str:
    if isinstance(err, httpx.TimeoutException):
        return "no answer within the request timeout"
    if isinstance(err, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(err, httpx.RemoteProtocolError):
        return "the server closed the connection without answering"
    return type(err).__name__


class BoundedHttp:
    """An httpx.Client whose every request is bounded in time and in body size."""

    def __init__(
        self,
        *,
        request_timeout: float = 30.0,
        max_body: int = MAX_BODY,
        max_error_body: int = MAX_ERROR_BODY,
    ) -> None:
        self.request_timeout = request_timeout
        self.max_body = max_body
        self.max_error_body = max_error_body
        self._http = httpx.Client(
            follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        deadline: Deadline,
        json: Any = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One exchange, over by `request_timeout` or the deadline, whichever comes first."""
        budget = min(self.request_timeout, deadline.remaining())
        if budget <= 0:
            raise RequestFailed(f"no time left of the {deadline.seconds:.3g} s allowed")
        watchdog = _Watchdog(budget)
        try:
            with self._http.stream(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=httpx.Timeout(budget),
                extensions={"trace": watchdog.trace},
            ) as response:
                cap = self.max_body if response.status_code < 300 else self.max_error_body
                return self._read(response, cap, watchdog)
        except httpx.TransportError as err:
            if watchdog.fired.is_set():
                raise RequestFailed(f"no complete answer within {budget:.3g} s") from None
            raise RequestFailed(describe(err)) from None
        finally:
            watchdog.cancel()

    @staticmethod
    def _read(response: httpx.Response, cap: int, watchdog: _Watchdog) -> Answer:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if size + len(chunk) > cap:
                chunks.append(chunk[: cap - size])
                if response.status_code < 300:
                    raise RequestFailed(f"an answer larger than {cap >> 20} MiB; stopped reading")
                return Answer(response.status_code, b"".join(chunks), truncated=True)
            chunks.append(chunk)
            size += len(chunk)
            if watchdog.fired.is_set():
                raise httpx.ReadTimeout("deadline")
        return Answer(response.status_code, b"".join(chunks))


class _Watchdog:
    """Shuts the request's socket down when its time is up, which wakes a blocked read."""

    def __init__(self, seconds: float) -> None:
        self.fired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: learn the socket as soon as it is connected."""
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
            if self.fired.is_set():
                self._shutdown(sock)

    def _fire(self) -> None:
        self.fired.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
