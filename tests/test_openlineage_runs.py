"""OpenLineage (issue 18), the rest: the publish step as its own job (DuckDB table in, its
PostgreSQL copy out) against the real PostgreSQL of the test session, no-op runs, and the HTTP
sender (one kept-alive connection, one reconnect, one-line failures), all against the real
validating HTTP server of tests/openlineage_server.py."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from engine_fixtures import Lake
from lakehouse_tui import cli
from lakehouse_tui.config import PostgresSettings
from openlineage_server import running
from pg_fixtures import PASSWORD_ENV, pg_rows

pytestmark = pytest.mark.slow

TOP = "selection:*"
TABLES = ("curated.dim_batch", "curated.fact_bioreactor_batch_stats")


def by_job(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["job"]["name"] == name]


def run_ended(job: str) -> Any:
    return lambda events: any(
        e["job"]["name"] == job and e["eventType"] in ("COMPLETE", "FAIL", "ABORT") for e in events
    )


def with_openlineage(config_path: str, url: str) -> None:
    path = Path(config_path)
    path.write_text(path.read_text() + f'[openlineage]\nurl = "{url}"\n')


def test_publish_is_a_job_from_the_duckdb_table_to_its_postgres_copy(
    pg_marts_config: str, pg_settings: PostgresSettings, pg_password: str, tmp_path: Path
) -> None:
    with running() as server:
        with_openlineage(pg_marts_config, server.url)
        assert cli.main(["--config", pg_marts_config, "--materialize", "*"]) == 0
        events = server.wait_for(run_ended(TOP))
    duck = f"duckdb://{(tmp_path / 'warehouse.duckdb').resolve()}"
    pg = f"postgres://{pg_settings.host}:{pg_settings.port}"
    parent = by_job(events, TOP)[0]["run"]["runId"]
    mart = by_job(events, "mart_bioreactor_overview")
    for table in TABLES:
        publish = by_job(events, f"publish:{table}")
        assert [e["eventType"] for e in publish] == ["START", "COMPLETE"], table
        assert publish[0]["run"]["facets"]["parent"]["run"]["runId"] == parent
        assert publish[0]["run"]["runId"] == publish[1]["run"]["runId"]
        assert publish[1]["job"]["facets"]["jobType"]["jobType"] == "COPY"
        done = publish[1]
        assert [(d["namespace"], d["name"]) for d in done["inputs"]] == [(duck, table)]
        output = done["outputs"][0]
        assert (output["namespace"], output["name"]) == (pg, table)
        # The copy's rows as PostgreSQL counts them; each column from the same one in DuckDB.
        (count,) = pg_rows(pg_settings, pg_password, f"select count(*) from {table}")[0]
        assert output["outputFacets"]["outputStatistics"]["rowCount"] == count > 0
        columns = [f["name"] for f in output["facets"]["schema"]["fields"]]
        lineage = output["facets"]["columnLineage"]["fields"]
        assert list(lineage) == columns and "batch_id" in columns
        assert all(
            lineage[c]["inputFields"] == [{"namespace": duck, "name": table, "field": c}]
            for c in columns
        )
        # Published before the mart that reads the copy starts, and the mart's input is
        # the very dataset the publish job wrote: Marquez links DuckDB -> copy -> mart.
        assert events.index(done) < events.index(mart[0])
        assert (pg, table) in {(d["namespace"], d["name"]) for d in mart[1]["inputs"]}
    assert pg_password not in json.dumps(events)


def test_a_failed_publish_reports_fail_with_the_error(
    pg_marts_config: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not the password")
    with running() as server:
        with_openlineage(pg_marts_config, server.url)
        assert cli.main(["--config", pg_marts_config, "--materialize", "*"]) == 1
        events = server.wait_for(run_ended(TOP))
    for table in TABLES:
        publish = by_job(events, f"publish:{table}")
        assert [e["eventType"] for e in publish] == ["START", "FAIL"], table
        error = publish[1]["run"]["facets"]["errorMessage"]["message"]
        assert "password" in error.lower(), error
        assert "not the password" not in error
    assert [e["eventType"] for e in by_job(events, TOP)] == ["START", "FAIL"]
    assert by_job(events, "dim_batch")[-1]["eventType"] == "COMPLETE"  # stands in DuckDB


def test_a_noop_run_reports_its_start_and_complete_and_no_child_run(lake: Lake) -> None:
    lake.demo()
    with running() as server:
        lake.write_config(f'[openlineage]\nurl = "{server.url}"\n')
        assert lake.cli("--materialize", "*").code == 0
        first = len(server.wait_for(run_ended(TOP)))
        noop = lake.cli("--materialize", "*", "--skip-unchanged")
        assert noop.code == 0, noop.err
        assert "recorded no-op run" in noop.err
        events = server.wait_for(lambda events: len(events) >= first + 2)[first:]
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        (TOP, "START"),
        (TOP, "COMPLETE"),
    ]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"]
    assert lake.last_run()["status"] == "noop"


def minimal_event(name: str) -> bytes:
    event = {
        "eventType": "START",
        "eventTime": "2026-12-02T00:00:00+00:00",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "test", "name": name},
        "producer": "https://github.com/lakehouse-tui/lakehouse-tui",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    return json.dumps(event).encode()


def test_the_http_sender_keeps_one_connection_reconnects_once_and_fails_in_one_line() -> None:
    from lakehouse_tui.integrations.openlineage_http import HttpSender

    with running() as server:
        send = HttpSender(server.url, 5.0, "key-123")
        for n in range(3):
            send(minimal_event(f"job-{n}"))
        assert server.connections == 1  # kept alive between events
        server.close_idle()  # the server drops the idle connection: sent again, once
        send(minimal_event("job-3"))
        assert [e["job"]["name"] for e in server.events] == [f"job-{n}" for n in range(4)]
        assert server.connections == 2
        assert {h["Authorization"] for h in server.headers} == {"Bearer key-123"}
        send.close()
        wrong = HttpSender(server.url + "/elsewhere", 5.0)
        with pytest.raises(ConnectionError) as answered:
            wrong(minimal_event("lost"))
        assert str(answered.value).startswith("HTTP 404 Not Found: ")
        assert "no such endpoint /elsewhere/api/v1/lineage" in str(answered.value)
        wrong.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionError) as refused:
        HttpSender(f"http://127.0.0.1:{port}", 5.0)(minimal_event("x"))
    assert str(refused.value) == f"Connection refused (127.0.0.1:{port})"
