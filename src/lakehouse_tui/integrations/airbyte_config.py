"""Airbyte configuration API client (`/api/v1/...`, every call a JSON POST, basic auth).

Paths, bodies and fields follow shared/specs/airbyte/config.yaml: `connections/list|get|sync`
and `jobs/get|cancel|list`. This API is for self-managed OSS; Airbyte does not promise to keep
it stable, so prefer `api = "public"` where the server offers it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lakehouse_tui.errors import ConfigError
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


def config_base_url(url: str) -> str:
    """`http://localhost:8000` -> `http://localhost:8000/api/v1` (also accepts `.../api`)."""
    url = url.rstrip("/")
    path = urlsplit(url).path
    if path.endswith("/api/v1"):
        return url
    if path.endswith("/api"):
        return url + "/v1"
    return url + "/api/v1"


def _epoch(value: Any) -> datetime | None:
    """The config API sends times as epoch seconds."""
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and value > 0 else None


def _failure_reason(attempts: list[dict[str, Any]]) -> str | None:
    """The newest attempt's first failure, as Airbyte words it for users."""
    for attempt in reversed(attempts):
        summary = attempt.get("failureSummary") or {}
        for failure in summary.get("failures") or []:
            text = failure.get("externalMessage") or failure.get("internalMessage")
            if isinstance(text, str) and text.strip():
                origin = failure.get("failureOrigin")
                return f"{origin}: {text}" if origin and origin != "unknown" else text
    return None


def _count(job: dict[str, Any], attempts: list[dict[str, Any]], field: str) -> int | None:
    """Committed records/bytes: the job's aggregate, else the sum over its attempts."""
    stats = job.get("aggregatedStats") or {}
    value = stats.get(f"{field}Committed")
    if isinstance(value, int):
        return value
    per_attempt = [a.get(f"{field}Synced") for a in attempts]
    numbers = [n for n in per_attempt if isinstance(n, int)]
    return sum(numbers) if numbers else None


def job_from(job: dict[str, Any], attempts: list[dict[str, Any]]) -> Job:
    status = str(job["status"])
    ended = None
    if status in ("succeeded", "failed", "cancelled"):
        ends = [a["endedAt"] for a in attempts if isinstance(a.get("endedAt"), int)]
        ended = _epoch(max(ends)) if ends else _epoch(job.get("updatedAt"))
    return Job(
        id=int(job["id"]),
        connection_id=str(job.get("configId", "")),
        status=status,
        records=_count(job, attempts, "records"),
        bytes=_count(job, attempts, "bytes"),
        started=_epoch(job.get("startedAt")) or _epoch(job.get("createdAt")),
        ended=ended,
        failure_reason=_failure_reason(attempts) if status == "failed" else None,
    )


class ConfigApiClient(HttpAirbyteClient):
    """Basic auth (username + password), or with `client_id` a bearer token from
    `/api/v1/applications/token` (servers that have application credentials, e.g. abctl)."""

    def __init__(
        self,
        url: str,
        *,
        username: str = "",
        password: str = "",
        client_id: str = "",
        client_secret: str = "",
        workspace_id: str = "",
        retries: int = 4,
        backoff: float = 0.5,
        request_timeout: float = 30.0,
        call_budget: float = MAX_CALL_SECONDS,
    ) -> None:
        super().__init__()
        self._workspace_id = workspace_id
        self._who = f"client_id={client_id!r}" if client_id else f"username={username!r}"
        self._token: BearerToken | None = None
        self._basic: dict[str, str] = {}
        if client_id:
            credentials = {"client_id": client_id, "client_secret": client_secret}
            self._token = BearerToken(
                lambda: (fetch_token(self.transport, credentials)["access_token"], None)
            )
            self._known: tuple[str, ...] = (client_secret,)
        else:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self._basic = {"Authorization": f"Basic {pair}"}
            self._known = (password, pair)
        self.transport = Transport(
            config_base_url(url),
            headers=self._headers,
            refresh_auth=self._refresh,
            secrets=self._secret_values,
            retries=retries,
            backoff=backoff,
            request_timeout=request_timeout,
            call_budget=call_budget,
        )

    def _headers(self) -> dict[str, str]:
        return self._token.headers() if self._token else self._basic

    def _refresh(self) -> bool:
        return self._token.drop() if self._token else False

    def _secret_values(self) -> tuple[str, ...]:
        return (*self._known, self._token.value) if self._token else self._known

    def __repr__(self) -> str:
        return f"ConfigApiClient({self.transport.base_url!r}, {self._who})"

    def _post(self, path: str, body: dict[str, Any], where: str) -> Answer:
        return self.transport.call("POST", path, where=where, json=body)

    def _job(self, payload: Any) -> Job:
        # JobInfoRead: {"job": JobRead, "attempts": [{"attempt": AttemptRead, ...}]}
        attempts = [a["attempt"] for a in payload.get("attempts") or [] if "attempt" in a]
        return job_from(payload["job"], attempts)

    def list_connections(self) -> list[Connection]:
        if not self._workspace_id:
            raise ConfigError(
                "[airbyte] workspace_id is empty; the configuration API lists connections per "
                "workspace: copy the id from the Airbyte UI address (/workspaces/<id>/...)"
            )
        where = "Airbyte connections"
        response = self._post("/connections/list", {"workspaceId": self._workspace_id}, where)
        payload = self.transport.object_of(response, where)
        return [
            self._connection(item, self._workspace_id) for item in payload.get("connections") or []
        ]

    def get_connection(self, connection_id: str) -> Connection:
        where = self.label(connection_id)
        response = self._post("/connections/get", {"connectionId": connection_id}, where)
        if response.status_code in (404, 422):
            raise UnknownConnection(
                f"{where} not found on the server; fix the id in [[airbyte.connections]]"
            )
        return self._connection(self.transport.object_of(response, where), self._workspace_id)

    def _sync_request(self, connection_id: str, deadline: Deadline) -> Answer:
        body = {"connectionId": connection_id}
        return self.transport.send_once("POST", "/connections/sync", deadline=deadline, json=body)

    def get_job(self, job_id: int) -> Job:
        where = f"Airbyte job {job_id}"
        response = self._post("/jobs/get", {"id": job_id}, where)
        return self.job_of(response, where)

    def cancel_job(self, job_id: int) -> Job:
        where = f"Airbyte job {job_id}"
        response = self._post("/jobs/cancel", {"id": job_id}, where)
        if response.status_code == 409:  # the job is not running any more
            return self.get_job(job_id)
        return self.job_of(response, where)

    def recent_jobs(self, connection_id: str, limit: int = 5) -> list[Job]:
        where = self.label(connection_id)
        body = {
            "configTypes": ["sync"],
            "configId": connection_id,
            "pagination": {"pageSize": limit, "rowOffset": 0},
        }
        payload = self.transport.object_of(self._post("/jobs/list", body, where), where)
        # JobReadList: newest first, each {"job": JobRead, "attempts": [AttemptRead]}
        with expected_shape(where, payload):
            return [job_from(item["job"], item.get("attempts") or []) for item in payload["jobs"]]
