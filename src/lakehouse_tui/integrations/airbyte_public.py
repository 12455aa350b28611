"""Airbyte public API client (`/api/public/v1` self-managed, `/v1` on Cloud).

Paths, bodies and fields follow shared/specs/airbyte/api.yaml: `POST /applications/token`
(client credentials -> bearer token with `expires_in`), `GET /connections`,
`GET /connections/{id}`, `POST /jobs`, `GET /jobs`, `GET /jobs/{id}`, `DELETE /jobs/{id}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lakehouse_tui.integrations.airbyte import Connection, Job, UnknownConnection
from lakehouse_tui.integrations.airbyte_http import (
    MAX_CALL_SECONDS,
    BearerToken,
    HttpAirbyteClient,
    Transport,
    expected_shape,
    fetch_token,
)
from lakehouse_tui.integrations.bounded_http import Answer, Deadline

PAGE = 100  # the spec's maximum `limit`


def public_base_url(url: str) -> str:
    """The API root for a configured server URL.

    `http://localhost:8000` -> `.../api/public/v1`; Cloud's `https://api.airbyte.com` -> `/v1`;
    a URL that already ends in `/v1` is used as it is.
    """
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.path.endswith("/v1"):
        return url
    if parts.hostname == "api.airbyte.com":
        return url + "/v1"
    if parts.path.endswith("/api"):
        return url + "/public/v1"
    return url + "/api/public/v1"


def parse_time(value: Any) -> datetime | None:
    """The spec types startTime/lastUpdatedAt as plain strings; servers send ISO 8601."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class PublicApiClient(HttpAirbyteClient):
    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        workspace_id: str = "",
        retries: int = 4,
        backoff: float = 0.5,
        request_timeout: float = 30.0,
        call_budget: float = MAX_CALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._client_id = client_id
        self._client_secret = client_secret
        self._workspace_id = workspace_id
        self._token = BearerToken(self._fetch_token, clock)
        self.transport = Transport(
            public_base_url(url),
            headers=self._token.headers,
            refresh_auth=self._token.drop,
            secrets=lambda: (self._client_secret, self._token.value),
            retries=retries,
            backoff=backoff,
            request_timeout=request_timeout,
            call_budget=call_budget,
        )

    def __repr__(self) -> str:
        return f"PublicApiClient({self.transport.base_url!r}, client_id={self._client_id!r})"

    def _fetch_token(self) -> tuple[str, float | None]:
        body = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
        }
        payload = fetch_token(self.transport, body)
        expires_in = payload.get("expires_in")
        return payload["access_token"], (
            float(expires_in) if isinstance(expires_in, int | float) else None
        )

    # --- API ----------------------------------------------------------------------------

    def _job(self, payload: Any) -> Job:
        started = parse_time(payload.get("startTime"))
        status = str(payload["status"])
        ended = (
            parse_time(payload.get("lastUpdatedAt"))
            if status
            in (
                "succeeded",
                "failed",
                "cancelled",
            )
            else None
        )
        rows = payload.get("rowsSynced")
        size = payload.get("bytesSynced")
        return Job(
            id=int(payload.get("jobId", payload.get("id"))),
            connection_id=str(payload.get("connectionId", "")),
            status=status,
            records=rows if isinstance(rows, int) else None,
            bytes=size if isinstance(size, int) else None,
            started=started,
            ended=ended,
            failure_reason=None,  # the public API does not report one
        )

    def list_connections(self) -> list[Connection]:
        where = "Airbyte connections"
        result: list[Connection] = []
        offset = 0
        while True:
            params: dict[str, str | int | list[str]] = {"limit": PAGE, "offset": offset}
            if self._workspace_id:
                params["workspaceIds"] = [self._workspace_id]
            response = self.transport.call("GET", "/connections", where=where, params=params)
            page = self.transport.object_of(response, where).get("data") or []
            result.extend(self._connection(item) for item in page)
            if len(page) < PAGE:
                return result
            offset += PAGE

    def get_connection(self, connection_id: str) -> Connection:
        where = self.label(connection_id)
        response = self.transport.call("GET", f"/connections/{connection_id}", where=where)
        if response.status_code in (400, 404):
            raise UnknownConnection(
                f"{where} not found on the server; fix the id in [[airbyte.connections]]"
            )
        return self._connection(self.transport.object_of(response, where))

    def _sync_request(self, connection_id: str, deadline: Deadline) -> Answer:
        body = {"connectionId": connection_id, "jobType": "sync"}
        return self.transport.send_once("POST", "/jobs", deadline=deadline, json=body)

    def get_job(self, job_id: int) -> Job:
        where = f"Airbyte job {job_id}"
        response = self.transport.call("GET", f"/jobs/{job_id}", where=where)
        return self.job_of(response, where)

    def cancel_job(self, job_id: int) -> Job:
        where = f"Airbyte job {job_id}"
        response = self.transport.call("DELETE", f"/jobs/{job_id}", where=where)
        if response.status_code == 409:  # the job is not running any more
            return self.get_job(job_id)
        return self.job_of(response, where)

    def recent_jobs(self, connection_id: str, limit: int = 5) -> list[Job]:
        where = self.label(connection_id)
        params: dict[str, str | int | list[str]] = {
            "connectionId": connection_id,
            "jobType": "sync",
            "limit": limit,
            "orderBy": "createdAt|DESC",
        }
        response = self.transport.call("GET", "/jobs", where=where, params=params)
        payload = self.transport.object_of(response, where)
        with expected_shape(where, payload):
            return [self._job(item) for item in payload["data"]]
