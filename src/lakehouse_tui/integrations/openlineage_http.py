"""The OpenLineage HTTP transport of a run: one keep-alive connection, one event per POST.

The OpenLineage HTTP API takes one event per `POST {url}/api/v1/lineage` (there is no batch
endpoint in the spec), so what a run can save is the cost around each POST. The client's
`HttpTransport` goes through requests (about 1.4 ms of CPU per event here: settings merged,
hooks, adapters, the event serialized again); its `AsyncHttpTransport` runs an asyncio loop
with up to 100 requests in flight and only keeps a START before its own COMPLETE, so events of
different runs can arrive out of order, and what it has not sent is lost when the process
ends. Neither fits the outbox (in order, nothing lost), so the outbox's lines are posted as
they are, over one `http.client` connection kept open for the run (about 0.2 ms per event).

- The connect has its own short timeout (`CONNECT_TIMEOUT`, at most `timeout`): an endpoint
  that is down is found out in one attempt, and the run's sender gives up on it at once.
- A kept-alive connection the server has closed in the meantime is opened again once.
- HTTP(S)_PROXY / NO_PROXY are honoured as requests did (a tunnel for https), and so are
  REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE for https.
- Any answer but 2xx is a failure; the message never contains the key (the caller masks it).
"""

from __future__ import annotations

import http.client
import os
import ssl
import urllib.request
from urllib.parse import urlsplit

ENDPOINT = "/api/v1/lineage"
CONNECT_TIMEOUT = 2.0  # seconds: a reachable endpoint accepts a connection well within this


class HttpSender:
    """`send(body)` posts one event (JSON bytes); raises OSError-family errors on failure."""

    def __init__(self, url: str, timeout: float, api_key: str | None = None) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path.rstrip("/") + ENDPOINT
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.proxy = _proxy(parts.scheme, self.host)
        self.connection: http.client.HTTPConnection | None = None
        self.used = False  # the open connection has carried a request already

    def connect(self) -> http.client.HTTPConnection:
        host, port = (self.proxy or (self.host, self.port))[:2]
        connection: http.client.HTTPConnection
        if self.https:
            connection = http.client.HTTPSConnection(
                host, port, timeout=min(self.timeout, CONNECT_TIMEOUT), context=_tls_context()
            )
            if self.proxy:
                connection.set_tunnel(self.host, self.port)
        else:
            connection = http.client.HTTPConnection(
                host, port, timeout=min(self.timeout, CONNECT_TIMEOUT)
            )
        try:
            connection.connect()
        except TimeoutError:
            raise
        except OSError as err:  # refused, unreachable, unknown host: say which, in one line
            raise ConnectionError(f"{err.strerror or err} ({host}:{port})") from None
        if connection.sock is not None:
            connection.sock.settimeout(self.timeout)  # each read of the answer: `timeout`
        self.used = False
        return connection

    def __call__(self, body: bytes) -> None:
        reused = self.connection is not None and self.used
        try:
            self.post(body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
            self.post(body)  # the server had closed the idle kept-alive connection: once more

    def post(self, body: bytes) -> None:
        if self.connection is None:
            self.connection = self.connect()
        target = self.path
        if self.proxy and not self.https:  # a plain HTTP proxy takes the absolute URL
            target = f"http://{self.host}:{self.port}{self.path}"
        try:
            self.connection.request("POST", target, body=body, headers=self.headers)
            self.used = True
            answer = self.connection.getresponse()
            text = answer.read(64 << 10)
        except BaseException:
            self.close()
            raise
        if answer.will_close:
            self.close()
        if not 200 <= answer.status < 300:
            first = text.decode("utf-8", "replace").strip().splitlines()[:1]
            detail = f": {first[0][:160]}" if first else ""
            raise ConnectionError(f"HTTP {answer.status} {answer.reason}{detail}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _proxy(scheme: str, host: str) -> tuple[str, int] | None:
    """(host, port) of the proxy the environment names for this URL, if any."""
    proxies = urllib.request.getproxies()
    url = proxies.get(scheme)
    if not url or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return (parts.hostname or "localhost", parts.port or 80) if parts.hostname else None


def _tls_context() -> ssl.SSLContext:
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return ssl.create_default_context(cafile=bundle or None)
