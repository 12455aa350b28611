"""The fake Airbyte must reject what the spec rejects, or the other tests prove little."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airbyte_server import PASSWORD, USERNAME, FakeAirbyte


@pytest.fixture
def fake() -> Iterator[FakeAirbyte]:
    server = FakeAirbyte()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def config_post(fake: FakeAirbyte, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{fake.url}/api/v1{path}", json=body, auth=(USERNAME, PASSWORD))


def test_request_body_missing_a_required_field_is_a_violation(fake: FakeAirbyte) -> None:
    response = config_post(fake, "/jobs/list", {"configId": "x"})  # configTypes is required
    assert response.status_code == 422
    assert any("'configTypes' is a required property" in e for e in fake.errors)


def test_request_field_of_the_wrong_type_is_a_violation(fake: FakeAirbyte) -> None:
    config_post(fake, "/jobs/get", {"id": "1001"})  # JobId is an int64
    assert any("is not of type 'integer'" in e for e in fake.errors)


def test_public_query_parameters_are_checked(fake: FakeAirbyte) -> None:
    base = f"{fake.url}/api/public/v1"
    httpx.get(f"{base}/jobs", params={"limit": 500})  # maximum is 100
    httpx.get(f"{base}/jobs", params={"status": "done"})  # not a JobStatusEnum value
    httpx.get(f"{base}/jobs", params={"connection": "x"})  # not a declared parameter
    assert len(fake.errors) == 3


def test_paths_outside_the_spec_are_violations(fake: FakeAirbyte) -> None:
    config_post(fake, "/workspaces/list", {})  # not in this config.yaml snapshot
    assert fake.errors


def test_own_responses_are_checked(fake: FakeAirbyte, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = fake.add_connection("historian")
    real = fake._config_connection

    def broken(conn: Any) -> dict[str, Any]:
        body = real(conn)
        del body["syncCatalog"]  # required by ConnectionRead
        return body

    monkeypatch.setattr(fake, "_config_connection", broken)
    config_post(fake, "/connections/get", {"connectionId": cid})
    assert any("'syncCatalog' is a required property" in e for e in fake.errors)


def test_valid_requests_leave_no_violations(fake: FakeAirbyte) -> None:
    cid = fake.add_connection("historian")
    assert config_post(fake, "/connections/sync", {"connectionId": cid}).status_code == 200
    assert config_post(fake, "/connections/sync", {"connectionId": cid}).status_code == 409
    assert fake.errors == []


def test_the_specs_come_from_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone has everything: the specs live in tests/specs, with their origin."""
    from pathlib import Path

    from airbyte_server import spec_dir

    monkeypatch.delenv("AIRBYTE_SPEC_DIR", raising=False)
    here = Path(__file__).resolve().parent / "specs"
    assert spec_dir() == here / "airbyte"
    readme = (here / "README.md").read_text()
    for spec in [*here.glob("airbyte/*.yaml"), *here.glob("openlineage/*.json")]:
        name = f"{spec.parent.name}/{spec.name}"
        assert name in readme or f"{spec.parent.name}/*Facet.json" in readme, name
    assert (here / "openlineage" / "OpenLineage.json").exists()
