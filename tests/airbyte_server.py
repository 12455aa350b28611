"""A real HTTP server on 127.0.0.1 that plays Airbyte for the client tests.

It serves the endpoints lakehouse-tui uses from BOTH Airbyte APIs (public `/api/public/v1`,
configuration `/api/v1`) and checks every request body, query parameter and its own response
against the JSON schemas in tests/specs/airbyte/*.yaml. Mismatches are collected in
`FakeAirbyte.errors`; the `running()` context manager fails the test when there are any.

Behaviour is scripted per test: each job walks through a list of statuses (one step per status
poll), may be held at `running` until `release` is set or it is cancelled, and `fail(op, kind)`
queues faults for a logical operation: "500", "401", "drop" (close the socket without an
answer), "drop_after" (do the work, then drop the answer) and "slow" (answer late), plus the
hostile answers of tests/airbyte_hostile.py ("silent", "trickle", "huge", "array",
"nostatus", "echo_secret").
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import referencing
import yaml
from referencing.jsonschema import DRAFT202012

from airbyte_hostile import HOSTILE_KINDS, Hostile

CLIENT_ID = "lakehouse-tui-app"
CLIENT_SECRET = "cs-VERY-SECRET-0f3a9"
USERNAME = "airbyte"
PASSWORD = "pw-VERY-SECRET-77b1"
WORKSPACE_ID = "5b0b3a4c-3e6b-4a8e-9f55-0a5f2d3c1e01"

PUBLIC_PREFIX = "/api/public/v1"
CONFIG_PREFIX = "/api"
END = ("succeeded", "failed", "cancelled")


# --- the spec ------------------------------------------------------------------------------


def spec_dir() -> Path:
    """tests/specs/airbyte (the copy kept in the repo, see its README); $AIRBYTE_SPEC_DIR
    points at another copy, e.g. a newer upstream one."""
    folder = Path(
        os.environ.get("AIRBYTE_SPEC_DIR") or Path(__file__).resolve().parent / "specs" / "airbyte"
    )
    if not (folder / "api.yaml").exists():
        raise FileNotFoundError(f"{folder}: no api.yaml; AIRBYTE_SPEC_DIR must name a spec folder")
    return folder


class Spec:
    """The three spec documents, with schema validation by JSON pointer."""

    def __init__(self, folder: Path) -> None:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.docs: dict[str, dict[str, Any]] = {}
        for name in ("api", "config", "problems"):
            with open(folder / f"{name}.yaml", encoding="utf-8") as handle:
                self.docs[name] = yaml.load(handle, Loader=loader)
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(
            (f"urn:{name}", DRAFT202012.create_resource(doc)) for name, doc in self.docs.items()
        )

    @functools.cache  # noqa: B019 - one Spec per test session
    def _validator(self, doc: str, pointer: str) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            {"$ref": f"urn:{doc}#{pointer}"}, registry=self.registry
        )

    def problems(self, doc: str, pointer: str, instance: Any) -> list[str]:
        errors = self._validator(doc, pointer).iter_errors(instance)
        return [f"{doc}#{pointer} at /{'/'.join(map(str, e.path))}: {e.message}" for e in errors]

    def operation(self, doc: str, template: str, method: str) -> dict[str, Any]:
        return self.docs[doc]["paths"][template][method.lower()]  # KeyError = not in the spec

    def parameters(self, doc: str, template: str, method: str) -> dict[str, tuple[str, Any]]:
        """name -> (JSON pointer of its schema, schema) for the path and operation parameters."""
        escaped = template.replace("~", "~0").replace("/", "~1")
        item = self.docs[doc]["paths"][template]
        found: dict[str, tuple[str, Any]] = {}
        for where, params in (
            (f"/paths/{escaped}/parameters", item.get("parameters", [])),
            (
                f"/paths/{escaped}/{method.lower()}/parameters",
                item.get(method.lower(), {}).get("parameters", []),
            ),
        ):
            for index, param in enumerate(params):
                found[param["name"]] = (f"{where}/{index}/schema", param["schema"])
        return found

    def request_pointer(self, doc: str, template: str, method: str) -> str | None:
        body = self.operation(doc, template, method).get("requestBody")
        if body is None:
            return None
        media = body["content"]["application/json"]["schema"]
        return media["$ref"].removeprefix("#")

    def response_pointer(self, doc: str, template: str, method: str, status: int) -> str | None:
        """The documented JSON schema for a status, or None when the spec gives none."""
        response = self.operation(doc, template, method)["responses"].get(str(status))
        if response is None:
            return None
        if "$ref" in response:  # config.yaml: #/components/responses/NotFoundResponse
            name = response["$ref"].rsplit("/", 1)[1]
            response = self.docs[doc]["components"]["responses"][name]
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        return schema["$ref"].removeprefix("#") if schema else None


@functools.cache
def load_spec() -> Spec:
    return Spec(spec_dir())


# --- scripted state ------------------------------------------------------------------------


@dataclass
class FakeConnection:
    id: str
    name: str
    status: str = "active"


@dataclass
class FakeJob:
    id: int
    connection_id: str
    statuses: list[str]
    hold: bool = False  # stay at `running` until the server's `release` is set
    failure: str = "Connection refused by bioreactor historian at 10.0.0.5:443"
    created: int = field(default_factory=lambda: int(time.time()))
    position: int = 0
    cancelled: bool = False

    @property
    def status(self) -> str:
        return "cancelled" if self.cancelled else self.statuses[self.position]

    def advance(self, release: threading.Event) -> None:
        if self.cancelled or self.status in END:
            return
        if self.hold and self.status == "running" and not release.is_set():
            return
        self.position = min(self.position + 1, len(self.statuses) - 1)

    @property
    def records(self) -> int:
        return {"succeeded": 1234, "running": 100, "failed": 7, "cancelled": 100}.get(
            self.status, 0
        )

    @property
    def bytes(self) -> int:
        return self.records * 46


@dataclass(frozen=True)
class Call:
    op: str
    method: str
    path: str
    body: Any
    query: dict[str, list[str]]


# Logical operations, so tests can be written once for both APIs.
PUBLIC_ROUTES = [
    ("POST", "/applications/token", "token"),
    ("GET", "/connections", "list_connections"),
    ("GET", "/connections/{connectionId}", "get_connection"),
    ("POST", "/jobs", "start"),
    ("GET", "/jobs", "list_jobs"),
    ("GET", "/jobs/{jobId}", "get_job"),
    ("DELETE", "/jobs/{jobId}", "cancel"),
]
CONFIG_ROUTES = [
    ("POST", "/v1/applications/token", "token"),
    ("POST", "/v1/connections/list", "list_connections"),
    ("POST", "/v1/connections/get", "get_connection"),
    ("POST", "/v1/connections/sync", "start"),
    ("POST", "/v1/jobs/list", "list_jobs"),
    ("POST", "/v1/jobs/get", "get_job"),
    ("POST", "/v1/jobs/cancel", "cancel"),
]


def _match(template: str, path: str) -> dict[str, str] | None:
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
    found = re.match(pattern, path)
    return found.groupdict() if found else None


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _problem(status: int, kind: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "status": status,
        "type": f"https://reference.airbyte.com/reference/errors#{kind}",
        "title": title,
        "detail": detail,
    }


class FakeAirbyte:
    """Airbyte's job and connection state plus the faults a test asks for."""

    def __init__(self, *, token_ttl: int = 180, slow_seconds: float = 1.0) -> None:
        self.spec = load_spec()
        self.lock = threading.Lock()
        self.connections: dict[str, FakeConnection] = {}
        self.jobs: dict[int, FakeJob] = {}
        self.job_ids = itertools.count(1001)
        self.script: list[str] = ["pending", "queued", "running", "succeeded"]
        self.hold = False
        self.release = threading.Event()
        self.stopping = threading.Event()
        self.conflict_status = 409  # older servers answered 500 for "already running"
        self.token_ttl = token_ttl
        self.slow_seconds = slow_seconds
        self.client_secret = CLIENT_SECRET
        self.hostile = Hostile()  # tests/airbyte_hostile.py: answers no real server gives
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.expired_token_uses = 0
        self.faults: dict[str, list[str]] = {}
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self.cancel_seen = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- test-facing helpers -------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add_connection(self, name: str, status: str = "active") -> str:
        conn = FakeConnection(str(uuid.uuid4()), name, status)
        self.connections[conn.id] = conn
        return conn.id

    def add_job(self, connection_id: str, statuses: list[str], *, hold: bool = False) -> FakeJob:
        job = FakeJob(next(self.job_ids), connection_id, list(statuses), hold=hold)
        self.jobs[job.id] = job
        return job

    def fail(self, op: str, *kinds: str) -> None:
        """Queue faults for the next calls of a logical operation, in order."""
        self.faults.setdefault(op, []).extend(kinds)

    def ops(self, op: str) -> list[Call]:
        return [c for c in self.calls if c.op == op]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- request handling ----------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        if parts.path.startswith(PUBLIC_PREFIX + "/"):
            doc, routes, rel = "api", PUBLIC_ROUTES, parts.path[len(PUBLIC_PREFIX) :]
        elif parts.path.startswith(CONFIG_PREFIX + "/v1/"):
            doc, routes, rel = "config", CONFIG_ROUTES, parts.path[len(CONFIG_PREFIX) :]
        else:
            return self._reject(h, f"unexpected path {h.command} {parts.path}")
        matches = [
            (template, op, params)
            for method, template, op in routes
            if method == h.command and (params := _match(template, rel)) is not None
        ]
        if not matches:
            return self._reject(h, f"no such operation {h.command} {parts.path}")
        template, op, params = matches[0]
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._reject(h, f"{op}: body is not JSON")
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            self.calls.append(Call(op, h.command, parts.path, body, query))
        problems = self._check_request(doc, template, h.command, body, query, params)
        if problems:
            return self._reject(h, "; ".join(problems))

        fault = self._next_fault(op)
        if fault in HOSTILE_KINDS:
            return self.hostile.answer(
                self, h, fault, getattr(self, f"_{doc}_{op}"), body, query, params
            )
        if fault == "drop":
            h.close_connection = True
            return None
        if fault == "slow":
            self.stopping.wait(self.slow_seconds)
        if fault in ("500", "401"):
            return self._reply(h, doc, template, *self._fault_answer(doc, int(fault)))

        denied = self._check_auth(doc, op, h)
        if denied is not None:
            return self._reply(h, doc, template, *denied)
        with self.lock:
            status, out, fallback = getattr(self, f"_{doc}_{op}")(body, query, params)
        if fault == "drop_after":
            h.close_connection = True
            return None
        return self._reply(h, doc, template, status, out, fallback)

    def _fault_answer(self, doc: str, status: int) -> tuple[int, Any, tuple[str, str]]:
        if doc == "config":
            message = "Internal Server Error" if status == 500 else "Unauthorized"
            return (
                status,
                {"message": message},
                ("config", "/components/schemas/KnownExceptionInfo"),
            )
        if status == 500:
            body = _problem(500, "unexpected-error", "unexpected-problem", "Internal error")
            return 500, body, ("problems", "/components/schemas/UnexpectedProblemResponse")
        body = _problem(401, "invalid-api-key", "invalid-api-key", "Invalid API key")
        return 401, body, ("problems", "/components/schemas/InvalidApiKeyProblemResponse")

    def _next_fault(self, op: str) -> str | None:
        with self.lock:
            queue = self.faults.get(op)
            return queue.pop(0) if queue else None

    def _check_request(
        self,
        doc: str,
        template: str,
        method: str,
        body: Any,
        query: dict[str, list[str]],
        path_params: dict[str, str],
    ) -> list[str]:
        problems: list[str] = []
        pointer = self.spec.request_pointer(doc, template, method)
        if pointer is None and body is not None:
            problems.append(f"{method} {template} takes no body")
        if pointer is not None:
            if body is None:
                problems.append(f"{method} {template} needs a JSON body")
            else:
                problems += self.spec.problems(doc, pointer, body)
        declared = self.spec.parameters(doc, template, method)
        for name, values in {**query, **{k: [v] for k, v in path_params.items()}}.items():
            if name not in declared:
                problems.append(f"{method} {template}: undeclared parameter {name}")
                continue
            pointer, schema = declared[name]
            kind = schema.get("type")
            value: Any = values if kind == "array" else values[-1]
            try:
                if kind == "integer":
                    value = int(value)
                elif kind == "boolean":
                    value = {"true": True, "false": False}[value]
            except (ValueError, KeyError):
                problems.append(f"{method} {template}: {name}={value!r} is not {kind}")
                continue
            problems += self.spec.problems(doc, pointer, value)
        return problems

    def _check_auth(self, doc: str, op: str, h: BaseHTTPRequestHandler) -> tuple[Any, ...] | None:
        header = h.headers.get("Authorization", "")
        if doc == "api":
            if op == "token":
                return None
            if not self._valid_token(header):
                body = _problem(401, "invalid-api-key", "invalid-api-key", "Invalid API key")
                return 401, body, ("problems", "/components/schemas/InvalidApiKeyProblemResponse")
            return None
        if op == "token":
            return None
        expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if header == f"Basic {expected}" or self._valid_token(header):
            return None
        return 401, {"message": "Unauthorized"}, (self.C, "/components/schemas/KnownExceptionInfo")

    def _valid_token(self, header: str) -> bool:
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        with self.lock:
            expiry = self.tokens.get(token)
            if expiry is not None and time.monotonic() >= expiry:
                self.expired_token_uses += 1
        return expiry is not None and time.monotonic() < expiry

    def _reject(self, h: BaseHTTPRequestHandler, problem: str) -> None:
        with self.lock:
            self.errors.append(problem)
        data = json.dumps({"message": problem}).encode()
        h.send_response(422)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        doc: str,
        template: str,
        status: int,
        body: Any,
        fallback: tuple[str, str] | None,
    ) -> None:
        pointer = self.spec.response_pointer(doc, template, h.command, status)
        target = (doc, pointer) if pointer else fallback
        if target is None:
            with self.lock:
                self.errors.append(f"server bug: HTTP {status} for {template} has no schema")
        else:
            problems = self.spec.problems(target[0], target[1], body)
            if problems:
                with self.lock:
                    self.errors.append("server response: " + "; ".join(problems))
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:  # the client gave up on a slow answer
            h.close_connection = True

    # --- shared state changes --------------------------------------------------------------

    def _active(self, connection_id: str) -> FakeJob | None:
        for job in self.jobs.values():
            if job.connection_id == connection_id and job.status not in END:
                return job
        return None

    def _start(self, connection_id: str) -> FakeJob | int:
        if connection_id not in self.connections:
            return 404
        if self._active(connection_id) is not None:
            return self.conflict_status
        return self.add_job(connection_id, self.script, hold=self.hold)

    def _get(self, job_id: int) -> FakeJob | None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.advance(self.release)
        return job

    def _cancel(self, job_id: int) -> FakeJob | int:
        self.cancel_seen.set()
        job = self.jobs.get(job_id)
        if job is None:
            return 404
        if job.status in END:
            return 409
        job.cancelled = True
        return job

    # --- public API ------------------------------------------------------------------------

    P = "problems"

    def _public_job(self, job: FakeJob) -> dict[str, Any]:
        return {
            "jobId": job.id,
            "status": job.status,
            "jobType": "sync",
            "startTime": _iso(job.created),
            "connectionId": job.connection_id,
            "lastUpdatedAt": _iso(job.created + 5),
            "duration": "PT5S",
            "rowsSynced": job.records,
            "bytesSynced": job.bytes,
        }

    def _public_connection(self, conn: FakeConnection) -> dict[str, Any]:
        return {
            "connectionId": conn.id,
            "name": conn.name,
            "sourceId": str(uuid.uuid5(uuid.NAMESPACE_URL, conn.id + "src")),
            "destinationId": str(uuid.uuid5(uuid.NAMESPACE_URL, conn.id + "dst")),
            "workspaceId": WORKSPACE_ID,
            "status": conn.status,
            "schedule": {"scheduleType": "manual"},
            "configurations": {"streams": []},
            "createdAt": 1700000000,
            "tags": [],
        }

    def _not_found(self, what: str) -> tuple[int, Any, tuple[str, str]]:
        body = _problem(404, "resource-not-found", "resource-not-found", f"{what} not found")
        return 404, body, (self.P, "/components/schemas/ResourceNotFoundProblemResponse")

    def _api_token(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != self.client_secret:
            problem = _problem(403, "forbidden", "forbidden", "Invalid client credentials")
            return 403, problem, (self.P, "/components/schemas/ForbiddenProblemResponse")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        self.tokens_issued += 1
        out = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        return 200, out, None

    def _api_list_connections(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        limit = int(query.get("limit", ["20"])[0])
        offset = int(query.get("offset", ["0"])[0])
        items = list(self.connections.values())[offset : offset + limit]
        return 200, {"data": [self._public_connection(c) for c in items]}, None

    def _api_get_connection(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        conn = self.connections.get(params["connectionId"])
        if conn is None:
            return self._not_found("connection")
        return 200, self._public_connection(conn), None

    def _api_start(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        result = self._start(body["connectionId"])
        if result == 404:
            return self._not_found("connection")
        if result == 409:
            detail = f"A sync is already running for: {body['connectionId']}"
            problem = _problem(409, "try-again-later", "try-again-later", detail)
            problem["data"] = {"message": detail}
            return (
                409,
                problem,
                (self.P, "/components/schemas/TryAgainLaterConflictProblemResponse"),
            )
        if result == 500:
            problem = _problem(
                500, "unexpected-error", "unexpected-problem", "sync already running"
            )
            return 500, problem, (self.P, "/components/schemas/UnexpectedProblemResponse")
        assert isinstance(result, FakeJob)
        return 200, self._public_job(result), None

    def _api_list_jobs(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        jobs = list(self.jobs.values())
        if "connectionId" in query:
            jobs = [j for j in jobs if j.connection_id == query["connectionId"][0]]
        if "status" in query:
            jobs = [j for j in jobs if j.status == query["status"][0]]
        if query.get("orderBy", [""])[0].endswith("DESC"):
            jobs.reverse()
        limit = int(query.get("limit", ["20"])[0])
        return 200, {"data": [self._public_job(j) for j in jobs[:limit]]}, None

    def _api_get_job(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        job = self._get(int(params["jobId"]))
        if job is None:
            return self._not_found("job")
        return 200, self._public_job(job), None

    def _api_cancel(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        result = self._cancel(int(params["jobId"]))
        if result == 404:
            return self._not_found("job")
        if result == 409:
            problem = _problem(409, "409-state-conflict", "state-conflict", "Job is not running")
            problem["data"] = {"message": "Job is not running"}
            return 409, problem, (self.P, "/components/schemas/StateConflictProblemResponse")
        assert isinstance(result, FakeJob)
        return 200, self._public_job(result), None

    # --- configuration API -----------------------------------------------------------------

    def _config_connection(self, conn: FakeConnection) -> dict[str, Any]:
        return {
            "connectionId": conn.id,
            "name": conn.name,
            "sourceId": str(uuid.uuid5(uuid.NAMESPACE_URL, conn.id + "src")),
            "destinationId": str(uuid.uuid5(uuid.NAMESPACE_URL, conn.id + "dst")),
            "syncCatalog": {"streams": []},
            "status": conn.status,
            "breakingChange": False,
            "workspaceId": WORKSPACE_ID,
        }

    def _config_attempts(self, job: FakeJob) -> list[dict[str, Any]]:
        status = job.status
        if status in ("pending", "queued"):
            return []
        attempt: dict[str, Any] = {
            "id": 0,
            "status": {"succeeded": "succeeded", "failed": "failed", "cancelled": "failed"}.get(
                status, "running"
            ),
            "createdAt": job.created,
            "updatedAt": job.created + 5,
            "recordsSynced": job.records,
            "bytesSynced": job.bytes,
        }
        if status in END:
            attempt["endedAt"] = job.created + 5
        if status in ("failed", "cancelled"):
            failure = {
                "failureOrigin": "source" if status == "failed" else "airbyte_platform",
                "failureType": "config_error" if status == "failed" else "manual_cancellation",
                "externalMessage": job.failure if status == "failed" else "Cancelled by user",
                "timestamp": (job.created + 5) * 1000,
            }
            attempt["failureSummary"] = {"failures": [failure], "partialSuccess": False}
        return [attempt]

    def _config_job_read(self, job: FakeJob) -> dict[str, Any]:
        return {
            "id": job.id,
            "configType": "sync",
            "configId": job.connection_id,
            "createdAt": job.created,
            "updatedAt": job.created + 5,
            "startedAt": job.created,
            "status": job.status,
            "aggregatedStats": {
                "recordsEmitted": job.records,
                "bytesEmitted": job.bytes,
                "recordsCommitted": job.records,
                "bytesCommitted": job.bytes,
                "recordsRejected": 0,
            },
        }

    def _config_job_info(self, job: FakeJob) -> dict[str, Any]:
        attempts = [{"attempt": a} for a in self._config_attempts(job)]
        return {"job": self._config_job_read(job), "attempts": attempts}

    C = "config"

    def _config_error(self, status: int, message: str) -> tuple[int, Any, Any]:
        return status, {"message": message}, (self.C, "/components/schemas/KnownExceptionInfo")

    def _config_token(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        if body["client_id"] != CLIENT_ID or body["client_secret"] != self.client_secret:
            return self._config_error(401, "Invalid client credentials")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl  # AccessToken has no expires_in
        self.tokens_issued += 1
        return 200, {"access_token": token}, None

    def _config_list_connections(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        if body["workspaceId"] != WORKSPACE_ID:
            return 404, {"message": "workspace not found"}, None
        conns = [self._config_connection(c) for c in self.connections.values()]
        return 200, {"connections": conns}, None

    def _config_get_connection(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        conn = self.connections.get(body["connectionId"])
        if conn is None:
            return 404, {"message": f"Could not find connection {body['connectionId']}"}, None
        return 200, self._config_connection(conn), None

    def _config_start(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        result = self._start(body["connectionId"])
        if result == 404:
            return 404, {"message": "connection not found"}, None
        if isinstance(result, int):
            return self._config_error(
                result, f"A sync is already running for: {body['connectionId']}"
            )
        return 200, self._config_job_info(result), None

    def _config_list_jobs(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        jobs = [j for j in self.jobs.values() if j.connection_id == body.get("configId")]
        if body.get("statuses"):
            jobs = [j for j in jobs if j.status in body["statuses"]]
        jobs.reverse()  # newest first, as the spec says
        size = (body.get("pagination") or {}).get("pageSize", 20)
        items = [
            {"job": self._config_job_read(j), "attempts": self._config_attempts(j)}
            for j in jobs[:size]
        ]
        return 200, {"jobs": items, "totalJobCount": len(jobs)}, None

    def _config_get_job(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        job = self._get(body["id"])
        if job is None:
            return 404, {"message": "job not found"}, None
        return 200, self._config_job_info(job), None

    def _config_cancel(self, body: Any, query: Any, params: Any) -> tuple[int, Any, Any]:
        result = self._cancel(body["id"])
        if result == 404:
            return 404, {"message": "job not found"}, None
        if isinstance(result, int):
            return self._config_error(409, "Job is not running")
        return 200, self._config_job_info(result), None


def _handler_for(server: FakeAirbyte) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real server
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_GET(self) -> None:
            try:
                server.handle(self)
            except Exception as err:  # a bug here must fail the test, not look like a drop
                with server.lock:
                    server.errors.append(f"server crashed on {self.command} {self.path}: {err!r}")
                raise

        do_POST = do_DELETE = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(**options: Any) -> Iterator[FakeAirbyte]:
    """Start a FakeAirbyte; fail the test if any request or response broke the spec."""
    server = FakeAirbyte(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, "Airbyte spec violations:\n" + "\n".join(server.errors)
