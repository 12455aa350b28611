"""HTTP plumbing shared by both Airbyte APIs: retries, error mapping, starting a sync.

Transient trouble (connection refused, dropped connections, timeouts, 5xx, 429) is retried
with exponential backoff a bounded number of times, and every logical call (all its retries)
must finish within `call_budget` seconds, derived from `[airbyte] timeout`; each request is
also bounded in body size (`bounded_http`). Anything else becomes a one-line `AirbyteError`.
Messages are built from the status and the server's short detail only (never headers or
request bodies), with every secret masked on the raw text before it is shortened (`redact`).
An answer of the wrong shape (a JSON array, a job without `status`) is a `BadAnswer`.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lakehouse_tui import redact
from lakehouse_tui.integrations.airbyte import (
    ACTIVE_STATUSES,
    END_STATUSES,
    AirbyteAuthError,
    AirbyteClient,
    AirbyteError,
    BadAnswer,
    Connection,
    Job,
    UnknownConnection,
)
from lakehouse_tui.integrations.bounded_http import (
    Answer,
    BoundedHttp,
    Deadline,
    Params,
    RequestFailed,
)

MAX_CALL_SECONDS = 120.0  # a call's retries never take longer, whatever the sync timeout


class TransportFailure(Exception):
    """No HTTP answer at all (refused, dropped, timed out); the text is safe to show."""


@contextmanager
def expected_shape(where: str, payload: Any = None) -> Iterator[None]:
    """Turn a KeyError/TypeError... from reading an answer into a one-line `BadAnswer`."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        job_id = None
        if isinstance(payload, dict):
            job = payload.get("job")
            nested = job.get("id") if isinstance(job, dict) else None
            raw = payload.get("jobId", payload.get("id", nested))
            job_id = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(payload, list):
            shape = "a JSON array, not the object the API documents"
        elif isinstance(payload, dict):
            shape = "an object without the fields the API documents (e.g. a job's status)"
        else:
            shape = "a body the API does not document"
        raise BadAnswer(
            f"{where}: Airbyte answered HTTP 200 with {shape}; check [airbyte] url and api",
            job_id,
        ) from None


class Transport:
    """One bounded HTTP client plus retry and auth hooks; never holds a secret in its repr."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Callable[[], dict[str, str]],
        refresh_auth: Callable[[], bool] = lambda: False,
        secrets: Callable[[], tuple[str, ...]] = tuple,
        retries: int = 4,
        backoff: float = 0.5,
        request_timeout: float = 30.0,
        call_budget: float = MAX_CALL_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.call_budget = call_budget
        self._headers = headers
        self._refresh_auth = refresh_auth
        self._secrets = secrets
        redact.register(*secrets())  # so the run store and the CLI mask them too
        self._http = BoundedHttp(request_timeout=min(request_timeout, call_budget))
        # The auth hooks may not be thread-safe, and fetching a token re-enters send_once,
        # hence a re-entrant lock.
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def scrub(self, text: str, limit: int = 160) -> str:
        """The server's text as one short line, every secret masked before shortening."""
        return redact.clean(text, limit, self._secrets())

    def deadline(self) -> Deadline:
        return Deadline(self.call_budget)

    def pause(self, attempt: int, deadline: Deadline) -> None:
        time.sleep(min(self.backoff * 2**attempt, 30.0, deadline.remaining()))

    def send_once(
        self,
        method: str,
        path: str,
        *,
        deadline: Deadline | None = None,
        json: Any = None,
        params: Params | None = None,
        auth: bool = True,
    ) -> Answer:
        """One request; a 401 with a refreshable credential is retried once with a new one."""
        deadline = deadline or self.deadline()
        for renewed in (False, True):
            with self._lock:
                headers = self._headers() if auth else {}
            try:
                response = self._http.request(
                    method,
                    self.base_url + path,
                    deadline=deadline,
                    json=json,
                    params=params,
                    headers=headers,
                )
            except RequestFailed as err:
                raise TransportFailure(str(err)) from None
            if response.status_code == 401 and auth and not renewed:
                with self._lock:
                    retry = self._refresh_auth()
                if retry:
                    continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def call(
        self,
        method: str,
        path: str,
        *,
        where: str,
        json: Any = None,
        params: Params | None = None,
        auth: bool = True,
    ) -> Answer:
        """A request retried through transient failures; returns any answer below 500."""
        deadline = self.deadline()
        problem = ""
        attempts = 0
        for attempt in range(self.retries + 1):
            if attempt:
                self.pause(attempt - 1, deadline)
            if deadline.expired:
                break
            attempts += 1
            try:
                response = self.send_once(
                    method, path, deadline=deadline, json=json, params=params, auth=auth
                )
            except TransportFailure as err:
                problem = str(err)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                problem = f"HTTP {response.status_code}{self.detail(response)}"
                continue
            return response
        raise self.unreachable(where, problem, attempts)

    def unreachable(self, where: str, problem: str, attempts: int) -> AirbyteError:
        tries = "once" if attempts == 1 else f"{attempts} times"
        return AirbyteError(
            f"{where}: Airbyte at {self.base_url} failed {tries} ({problem}) within the "
            f"{self.call_budget:.3g} s allowed per call; check the Airbyte server "
            "(`abctl local status`) and [airbyte] url, or raise [airbyte] timeout"
        )

    def detail(self, response: Answer) -> str:
        """`: <server's short reason>` from a problem or KnownExceptionInfo body, or ''."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return f": {self.scrub(text)}" if text else ""
        if isinstance(body, dict):
            for key in ("detail", "message", "title"):
                value = body.get(key)
                if isinstance(value, str) and value.strip():
                    return f": {self.scrub(value)}"
        return ""

    def fail(self, response: Answer, where: str) -> AirbyteError:
        """The error for an answer the caller did not expect."""
        status = response.status_code
        if status in (401, 403):
            return AirbyteAuthError(
                f"{where}: Airbyte refused the credentials (HTTP {status}{self.detail(response)}); "
                "check [airbyte] client_id/username and the secret's environment variable"
            )
        return AirbyteError(
            f"{where}: Airbyte answered HTTP {status}{self.detail(response)}; "
            "check [airbyte] url and api"
        )

    def json_of(self, response: Answer, where: str) -> Any:
        if response.status_code >= 300:
            raise self.fail(response, where)
        try:
            return response.json()
        except ValueError:
            raise AirbyteError(
                f"{where}: Airbyte answered HTTP {response.status_code} without JSON; "
                "check that [airbyte] url points at the Airbyte server"
            ) from None

    def object_of(self, response: Answer, where: str) -> dict[str, Any]:
        """`json_of` for answers the API documents as an object."""
        payload = self.json_of(response, where)
        with expected_shape(where, payload):
            if not isinstance(payload, dict):
                raise TypeError(type(payload).__name__)
        return payload


class BearerToken:
    """A client-credentials access token, fetched lazily and renewed before it runs out.

    `fetch` returns the token and its lifetime in seconds (None when the server gives none; the
    token is then kept until a 401 says otherwise).
    """

    def __init__(
        self,
        fetch: Callable[[], tuple[str, float | None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.value = ""
        self._renew_at = float("inf")

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def headers(self) -> dict[str, str]:
        if not self.value or self._clock() >= self._renew_at:
            token, lifetime = self._fetch()
            redact.register(token)
            self.value = token
            # Renew a fifth of the lifetime early (at most a minute) so no request goes out
            # with a token that expires on the way.
            self._renew_at = (
                float("inf")
                if lifetime is None
                else self._clock() + lifetime - min(60.0, lifetime / 5)
            )
        return {"Authorization": f"Bearer {self.value}"}

    def drop(self) -> bool:
        """On a 401: the token may have been revoked or expired early; get a new one once."""
        self.value = ""
        return True


def fetch_token(transport: Transport, body: dict[str, str]) -> dict[str, Any]:
    """POST {base}/applications/token (both APIs have it); the answer has `access_token`."""
    where = "Airbyte application token"
    response = transport.call("POST", "/applications/token", where=where, json=body, auth=False)
    if response.status_code in (400, 401, 403, 422):
        raise AirbyteAuthError(
            f"Airbyte refused the application credentials (HTTP {response.status_code}"
            f"{transport.detail(response)}); check [airbyte] client_id and the variable named "
            "by client_secret_env"
        )
    payload = transport.object_of(response, where)
    token = payload.get("access_token")
    if not isinstance(token, str) or not token:
        raise AirbyteError(f"{where}: the answer has no access_token; check [airbyte] url")
    return dict(payload)


class HttpAirbyteClient(AirbyteClient):
    """What both HTTP clients share: the transport and the start-a-sync logic."""

    transport: Transport

    @abstractmethod
    def _sync_request(self, connection_id: str, deadline: Deadline) -> Answer:
        """Send the trigger-a-sync request once (may raise TransportFailure)."""

    @abstractmethod
    def _job(self, payload: Any) -> Job:
        """A Job from the body of the trigger/get/cancel answer."""

    def job_of(self, response: Answer, where: str) -> Job:
        """The Job in an answer; `BadAnswer` (naming the job when it can) if it has none."""
        payload = self.transport.json_of(response, where)
        with expected_shape(where, payload):
            job = self._job(payload)
            if job.status not in ACTIVE_STATUSES | END_STATUSES:
                raise ValueError(job.status)
            return job

    def close(self) -> None:
        self.transport.close()

    def _connection(self, item: dict[str, Any], workspace_id: str = "") -> Connection:
        """A Connection from either API's connection object (the same field names)."""
        with expected_shape("Airbyte connection", item):
            return self.remember(
                Connection(
                    id=str(item["connectionId"]),
                    name=str(item.get("name", "")),
                    status=str(item.get("status", "")),
                    workspace_id=str(item.get("workspaceId", workspace_id)),
                )
            )

    def start_sync(self, connection_id: str) -> Job:
        where = self.label(connection_id)
        t = self.transport
        deadline = t.deadline()
        problem = ""
        attempts = 0
        for attempt in range(t.retries + 1):
            if attempt:
                t.pause(attempt - 1, deadline)
            if deadline.expired:
                break
            attempts += 1
            try:
                response = self._sync_request(connection_id, deadline)
            except TransportFailure as err:
                problem = str(err)
            else:
                status = response.status_code
                if status < 300:
                    return self.job_of(response, where)
                if status == 404:
                    raise UnknownConnection(
                        f"{where} not found on the server{t.detail(response)}; "
                        "fix the id in [[airbyte.connections]]"
                    )
                if status != 409 and status < 500:
                    raise t.fail(response, where)
                problem = f"HTTP {status}{t.detail(response)}"
            # 409 means a sync is already running: follow that job instead of failing. Older
            # servers answer 500 for the same thing, and a dropped answer may hide a job we
            # did start, so look for a running job before trying again.
            running = self.active_job(connection_id)
            if running is not None:
                return running
        raise t.unreachable(f"{where}: could not start a sync", problem, attempts)
