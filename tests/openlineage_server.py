"""A real HTTP server on 127.0.0.1 that plays Marquez for the OpenLineage tests.

`POST /api/v1/lineage` validates the body against the published RunEvent schema
(tests/specs/openlineage/OpenLineage.json) and every facet in it against the schema its
`_schemaURL` names, from the same folder: no network, so a facet naming a spec version we
do not have is an error too. Valid events are kept in order and answered 201, as Marquez
does; invalid ones are answered 400 and their problems collected in `errors` (the
`running()` context manager fails the test when there are any). With `hold` set it reads
requests (counted in `held`) and answers none until `release` is set: an endpoint too slow
for the client. Request headers are kept, so tests can check the bearer key arrives (and
nowhere else). It speaks HTTP/1.1 with keep-alive, as Marquez does, and counts the
connections it was opened (`connections`); `close_idle()` drops the ones left open, as a
server does with idle keep-alive connections.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).resolve().parent / "specs" / "openlineage"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


class Spec:
    """The local OpenLineage schemas, by `$id`. Facet schemas point at the core schema of
    older versions (`1-0-2/OpenLineage.json#/$defs/DatasetFacet`, and the spec's own
    `1-0-1/OpenLineage.json/$defs/RunFacet` without a '#'): those base facets are the same
    in 2-0-2, so such references resolve to the local 2-0-2 definitions."""

    def __init__(self, folder: Path = SPEC_DIR) -> None:
        self.docs = {}
        for path in sorted(folder.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            self.docs[doc["$id"]] = doc
        core = self.docs[CORE]

        def retrieve(uri: str) -> referencing.Resource[Any]:
            match = re.fullmatch(r"https://openlineage\.io/spec/[\d-]+/OpenLineage\.json(.*)", uri)
            if match is None:
                raise referencing.exceptions.NoSuchResource(ref=uri)
            pointer = match.group(1)
            if pointer.startswith("/$defs/"):
                return DRAFT202012.create_resource({"$ref": f"{CORE}#{pointer}"})
            return DRAFT202012.create_resource(core)

        resources = [(uri, DRAFT202012.create_resource(doc)) for uri, doc in self.docs.items()]
        self.registry: referencing.Registry[Any] = referencing.Registry(
            retrieve=retrieve  # type: ignore[call-arg]
        ).with_resources(resources)

    def problems(self, schema_url: str, instance: Any) -> list[str]:
        document = schema_url.partition("#")[0]
        if document not in self.docs:
            return [f"no local schema for {schema_url}"]
        validator = jsonschema.Draft202012Validator(
            {"$ref": schema_url},
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]

    def event_problems(self, event: Any) -> list[str]:
        problems = self.problems(RUN_EVENT, event)
        if problems or not isinstance(event, dict):
            return problems
        for where, facets in _facets(event):
            for name, facet in facets.items():
                url = facet.get("_schemaURL", "") if isinstance(facet, dict) else ""
                problems += [f"{where}.{name}: {p}" for p in self.problems(url, facet)]
        return problems


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "run.facets", event["run"].get("facets") or {}
    yield "job.facets", event["job"].get("facets") or {}
    for side in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(side) or []):
            for key in ("facets", "inputFacets", "outputFacets"):
                yield f"{side}[{index}].{key}", dataset.get(key) or {}


class FakeMarquez:
    def __init__(self, port: int = 0) -> None:
        self.spec = Spec()
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.received = threading.Condition(self.lock)
        self.hold = threading.Event()  # set: answer nothing until `release` is set
        self.release = threading.Event()
        self.held = 0
        self.connections = 0
        self.open_sockets: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1
                    server.open_sockets.append(self.connection)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if server.hold.is_set():  # a slow endpoint: the client gives up first
                    with server.lock:
                        server.held += 1
                    server.release.wait(60)
                    return
                if self.path != "/api/v1/lineage":
                    self.answer(404, {"error": f"no such endpoint {self.path}"})
                    return
                try:
                    event = json.loads(body)
                except ValueError as err:
                    problems = [f"not JSON: {err}"]
                else:
                    problems = server.spec.event_problems(event)
                with server.received:
                    server.headers.append(dict(self.headers))
                    if problems:
                        server.errors += problems
                    else:
                        server.events.append(event)
                    server.received.notify_all()
                self.answer(400 if problems else 201, {"problems": problems} if problems else {})

            def answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def close_idle(self) -> None:
        """Shut the connections clients keep open (as a server does with idle ones)."""
        with self.lock:
            sockets, self.open_sockets = self.open_sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def wait_for(self, predicate: Any, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until `predicate(events)` holds (or fail); returns the events."""
        with self.received:
            if not self.received.wait_for(lambda: predicate(self.events), timeout):
                raise AssertionError(
                    f"timed out waiting for events; got {len(self.events)}: "
                    f"{[(e['eventType'], e['job']['name']) for e in self.events]}; "
                    f"errors {self.errors[:5]}"
                )
            return list(self.events)


@contextmanager
def running(port: int = 0) -> Iterator[FakeMarquez]:
    server = FakeMarquez(port)
    server.thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(10)
    assert not server.errors, server.errors[:10]
