"""OpenLineage (issue 18): every run reported, as it happens, to a real HTTP server on
127.0.0.1 that validates each event against the published schemas and answers 201 like
Marquez (tests/openlineage_server.py). Real dbt runs on a small lake; a cancel at an exact
point in a child process; the endpoint down, then back."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from engine_fixtures import Lake, extra_batch
from lakehouse_tui import config as config_module
from lakehouse_tui.errors import ConfigError
from openlineage_server import running

pytestmark = pytest.mark.slow

KEY_ENV = "LAKEHOUSE_TEST_OL_KEY"
KEY = "ol-key-VERY-SECRET-4c1d"
MODELS = (
    "stg_bioreactor",
    "int_bioreactor_downsample_5m",
    "dim_batch",
    "fact_bioreactor_batch_stats",
    "mart_bioreactor_overview",
)

# What each model's SQL (dbt/models/**) says its columns are computed from.
STG = "staging.stg_bioreactor"
DIM, FACT = "curated.dim_batch", "curated.fact_bioreactor_batch_stats"
RAW = "*.parquet"
TOP = "selection:*"  # the run-level job of `--materialize '*'`
EXPECTED_LINEAGE: dict[str, dict[str, set[tuple[str, str]]]] = {
    "stg_bioreactor": {c: {(RAW, c)} for c in ("batch_id", "equipment_id", "ts", "tag")}
    | {"value": {(RAW, "value")}, "site": {(RAW, "site")}}
    | {"source_file": {(RAW, "lakehouse_tui_file")}},  # read_parquet's filename column
    "int_bioreactor_downsample_5m": {
        "batch_id": {(STG, "batch_id")},
        "equipment_id": {(STG, "equipment_id")},
        "tag": {(STG, "tag")},
        "ts_5m": {(STG, "ts")},
        "avg_value": {(STG, "value")},
        "min_value": {(STG, "value")},
        "max_value": {(STG, "value")},
        "record_count": set(),  # count(*)
    },
    "dim_batch": {
        "batch_id": {(STG, "batch_id")},
        "equipment_id": {(STG, "equipment_id")},
        "site": {(STG, "site")},
        "batch_start": {(STG, "ts")},
        "batch_end": {(STG, "ts")},
        "record_count": set(),
    },
    "fact_bioreactor_batch_stats": {
        "batch_id": {(STG, "batch_id")},
        "equipment_id": {(STG, "equipment_id")},
        "tag": {(STG, "tag")},
        "batch_start": {(STG, "ts")},
        "batch_end": {(STG, "ts")},
        "avg_value": {(STG, "value")},
        "stddev_value": {(STG, "value")},
        "min_value": {(STG, "value")},
        "max_value": {(STG, "value")},
        "record_count": set(),
    },
    "mart_bioreactor_overview": {
        **{c: {(DIM, c)} for c in ("batch_id", "equipment_id", "site")},
        "batch_start": {(DIM, "batch_start")},
        "batch_end": {(DIM, "batch_end")},
        "duration_hours": {(DIM, "batch_start"), (DIM, "batch_end")},
        **{
            c: {(FACT, c)}
            for c in ("tag", "avg_value", "stddev_value", "min_value", "max_value", "record_count")
        },
    },
}


def configure(lake: Lake, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    lake.write_config(
        f'[openlineage]\nurl = "{url}"\napi_key_env = "{KEY_ENV}"\ntimeout = 5\n'
        'namespace = "bioreactor-test"\n'
    )


def by_job(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["job"]["name"] == name]


def run_ended(job: str) -> Any:
    return lambda events: any(
        e["job"]["name"] == job and e["eventType"] in ("COMPLETE", "FAIL", "ABORT") for e in events
    )


def outbox_text(lake: Lake) -> str:
    folder = lake.state_dir / "openlineage"
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_full_run_reports_the_run_and_each_asset(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.demo()
    with running() as server:
        configure(lake, server.url, monkeypatch)
        result = lake.cli("--materialize", "*")
        assert result.code == 0, result.err
        events = server.wait_for(run_ended(TOP))
    run_id = lake.last_run()["id"]
    top = by_job(events, TOP)
    assert [e["eventType"] for e in top] == ["START", "COMPLETE"]
    assert events[0] is top[0] and events[-1] is top[-1]  # the run brackets its assets
    parent = top[0]["run"]["runId"]
    assert top[1]["run"]["runId"] == parent
    counts = lake.table_counts()
    for key in ("raw_bioreactor_data", *MODELS):
        mine = by_job(events, key)
        assert [e["eventType"] for e in mine] == ["START", "COMPLETE"], key
        for event in mine:
            assert event["job"]["namespace"] == "bioreactor-test"
            facet = event["run"]["facets"]["parent"]
            assert facet["run"]["runId"] == parent
            assert facet["job"] == {"namespace": "bioreactor-test", "name": TOP}
        output = mine[1]["outputs"][0]
        rows = output["outputFacets"]["outputStatistics"]["rowCount"]
        if key in counts:
            assert rows == counts[key]
            assert output["namespace"] == f"duckdb://{lake.warehouse.resolve()}"
            assert mine[1]["job"]["facets"]["sql"]["query"].lstrip().startswith("--")
            assert mine[1]["job"]["facets"]["jobType"]["jobType"] == "MODEL"
        else:
            assert output == {**output, "namespace": f"file://{lake.raw_dir.resolve()}"}
    mart = by_job(events, "mart_bioreactor_overview")[1]
    assert {(d["namespace"], d["name"]) for d in mart["inputs"]} == {
        (f"duckdb://{lake.warehouse.resolve()}", DIM),
        (f"duckdb://{lake.warehouse.resolve()}", FACT),
    }
    schema = mart["outputs"][0]["facets"]["schema"]["fields"]
    assert [f["name"] for f in schema] == list(EXPECTED_LINEAGE["mart_bioreactor_overview"])
    fact = by_job(events, "fact_bioreactor_batch_stats")[1]["outputs"][0]["facets"]
    assertions = fact["dataQualityAssertions"]["assertions"]
    assert {"assertion": "accepted_values", "column": "tag", "success": True} in [
        {k: a.get(k) for k in ("assertion", "column", "success")} for a in assertions
    ]
    # The key went in the Authorization header, and nowhere else.
    assert {h.get("Authorization") for h in server.headers} == {f"Bearer {KEY}"}
    assert KEY not in outbox_text(lake) + result.err + result.out
    assert lake.cli("lineage", "status").out.startswith("openlineage: nothing waiting")
    assert run_id


def test_column_lineage_of_each_model_is_what_its_sql_says(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.demo()
    with running() as server:
        configure(lake, server.url, monkeypatch)
        assert lake.cli("--materialize", "*").code == 0
        events = server.wait_for(run_ended(TOP))
    for key in MODELS:
        complete = by_job(events, key)[-1]
        fields = complete["outputs"][0]["facets"]["columnLineage"]["fields"]
        found = {
            column: {(f["name"], f["field"]) for f in lineage["inputFields"]}
            for column, lineage in fields.items()
        }
        assert found == EXPECTED_LINEAGE[key], key


def test_a_failing_check_reports_fail_with_the_error(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.demo()
    extra_batch(lake.raw_dir / "FB-2026-070.parquet", "FB-2026-070", tag="turbidity")
    with running() as server:
        configure(lake, server.url, monkeypatch)
        result = lake.cli("--materialize", "*")
        assert result.code == 1
        events = server.wait_for(run_ended(TOP))
    top = by_job(events, TOP)
    assert [e["eventType"] for e in top] == ["START", "FAIL"]
    assert (
        "accepted_values_fact_bioreactor_batch_stats_tag"
        in (top[1]["run"]["facets"]["errorMessage"]["message"])
    )
    fact = by_job(events, "fact_bioreactor_batch_stats")
    assert [e["eventType"] for e in fact] == ["START", "FAIL"]
    error = fact[1]["run"]["facets"]["errorMessage"]["message"]
    assert error.startswith("check accepted_values_fact_bioreactor_batch_stats_tag")
    assert "failed: the new version was not published" in error
    assertions = fact[1]["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"]
    assert {"assertion": "accepted_values", "column": "tag", "success": False} in [
        {k: a.get(k) for k in ("assertion", "column", "success")} for a in assertions
    ]
    # dbt had started the mart when it skipped it: its child run ends ABORT, saying why.
    mart = by_job(events, "mart_bioreactor_overview")
    assert [e["eventType"] for e in mart] in ([], ["START", "ABORT"])
    if mart:
        assert "upstream" in mart[1]["run"]["facets"]["errorMessage"]["message"]


def test_a_cancelled_run_reports_abort(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_engine import _sigterm_at

    lake.demo()
    with running() as server:
        configure(lake, server.url, monkeypatch)
        done, run = _sigterm_at(lake, "asset_started", "dim_batch")
        assert done.returncode == 130, done.stderr
        events = server.wait_for(run_ended(TOP))
    assert [e["eventType"] for e in by_job(events, TOP)] == ["START", "ABORT"]
    assert [e["eventType"] for e in by_job(events, "dim_batch")] == ["START", "ABORT"]
    assert run["status"] == "cancelled"


def test_events_wait_while_the_endpoint_is_down_and_arrive_once_in_order(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.demo()
    port = free_port()
    configure(lake, f"http://127.0.0.1:{port}", monkeypatch)
    down = lake.cli("--materialize", "*")
    assert down.code == 0, down.err  # the run itself is not affected
    warning = [line for line in down.err_lines if line.startswith("openlineage:")]
    assert len(warning) == 1 and "14 waiting" in warning[0], down.err
    assert "lakehouse-tui lineage flush" in warning[0]
    spooled = [
        json.loads(line)
        for line in (lake.state_dir / "openlineage" / "outbox.jsonl").read_text().splitlines()
    ]
    assert len(spooled) == 14
    status = lake.cli("lineage", "status")
    assert status.code == 0 and "14 event(s) waiting" in status.out, status.out
    assert "ConnectionError" in status.out
    assert KEY not in outbox_text(lake) + down.err + status.out
    with running(port) as server:
        flushed = lake.cli("lineage", "flush")
        assert flushed.code == 0, flushed.err
        assert "sent 14 event(s)" in flushed.out
        assert server.events == spooled  # all of them, in order
        again = lake.cli("lineage", "flush")
        assert "nothing waiting" in again.out
        assert lake.cli("--materialize", "dim_batch").code == 0
        events = server.wait_for(lambda events: len(events) == 18)
    assert events[:14] == spooled  # sent once: the second run sent only its own four
    assert [(e["job"]["name"], e["eventType"]) for e in events[14:]] == [
        ("selection:dim_batch", "START"),
        ("dim_batch", "START"),
        ("dim_batch", "COMPLETE"),
        ("selection:dim_batch", "COMPLETE"),
    ]


def test_a_slow_endpoint_does_not_fail_the_run(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that takes the request and never answers: the client gives up after
    `timeout`, stops trying for the rest of the run, and the events wait."""
    lake.demo()
    with running() as server:
        server.hold.set()
        monkeypatch.setenv(KEY_ENV, KEY)
        lake.write_config(
            f'[openlineage]\nurl = "{server.url}"\napi_key_env = "{KEY_ENV}"\ntimeout = 1\n'
        )
        result = lake.cli("--materialize", "+stg_bioreactor")
        assert result.code == 0, result.err
        assert lake.last_run()["status"] == "succeeded"
        warning = [line for line in result.err_lines if line.startswith("openlineage:")]
        assert len(warning) == 1 and "6 waiting" in warning[0], result.err
        assert "no answer in time" in warning[0]
        assert server.held == 1  # one attempt, not one per event
    assert KEY not in outbox_text(lake) + result.err


def test_a_run_left_events_waiting_sends_them_first(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.demo()
    port = free_port()
    configure(lake, f"http://127.0.0.1:{port}", monkeypatch)
    assert lake.cli("--materialize", "+stg_bioreactor").code == 0
    with running(port) as server:
        assert lake.cli("--materialize", "dim_batch").code == 0
        events = server.wait_for(lambda events: len(events) == 10)
    jobs = [(e["job"]["name"], e["eventType"]) for e in events]
    assert jobs == [
        ("selection:+stg_bioreactor", "START"),
        ("raw_bioreactor_data", "START"),
        ("raw_bioreactor_data", "COMPLETE"),
        ("stg_bioreactor", "START"),
        ("stg_bioreactor", "COMPLETE"),
        ("selection:+stg_bioreactor", "COMPLETE"),
        ("selection:dim_batch", "START"),
        ("dim_batch", "START"),
        ("dim_batch", "COMPLETE"),
        ("selection:dim_batch", "COMPLETE"),
    ]


def test_file_transport_writes_json_lines(lake: Lake) -> None:
    lake.demo()
    lake.write_config('[openlineage]\ntransport = "file"\npath = "lineage/events.jsonl"\n')
    assert lake.cli("--materialize", "raw_bioreactor_data").code == 0
    lines = (lake.root / "lineage" / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["eventType"] for line in lines] == [
        "START",
        "START",
        "COMPLETE",
        "COMPLETE",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[openlineage]\nurl = 'http://x'\ncolour = 1\n", "[openlineage] colour: unknown key"),
        ("[openlineage]\nnamespace = 'x'\n", '[openlineage] url: required with transport = "http"'),
        ("[openlineage]\ntransport = 'file'\n", "[openlineage] path: required with transport"),
        ("[openlineage]\nurl = 'localhost:5000'\n", "[openlineage] url: expected an http(s) URL"),
        ("[openlineage]\nurl = 'http://x'\napi_key_env = 'abc def'\n", "api_key_env: expected"),
        ("[openlineage]\ntransport = 'kafka'\n", '[openlineage] transport: expected "http"'),
    ],
)
def test_bad_openlineage_config_is_one_line_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_without_openlineage_the_headless_path_imports_neither_client_nor_sqlglot(
    lake: Lake,
) -> None:
    lake.demo()
    done = lake.python(
        "import sys\nfrom lakehouse_tui.cli import main\n"
        f"code = main(['--config', {str(lake.config_path)!r}, '--materialize', "
        "'raw_bioreactor_data'])\n"
        "assert code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openlineage', 'sqlglot')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert not os.path.exists(lake.state_dir / "openlineage")


def test_marts_in_postgres_are_postgres_datasets(
    pg_marts_config: str, pg_settings: Any, pg_password: str, tmp_path: Path
) -> None:
    from lakehouse_tui import cli

    config_path = Path(pg_marts_config)
    with running() as server:
        text = config_path.read_text() + f'[openlineage]\nurl = "{server.url}"\n'
        config_path.write_text(text)
        assert cli.main(["--config", str(config_path), "--materialize", "*"]) == 0
        events = server.wait_for(run_ended(TOP))
    pg = f"postgres://{pg_settings.host}:{pg_settings.port}"
    mart = by_job(events, "mart_bioreactor_overview")
    assert [e["eventType"] for e in mart] == ["START", "COMPLETE"]
    output = mart[1]["outputs"][0]
    assert (output["namespace"], output["name"]) == (pg, "marts.mart_bioreactor_overview")
    # It reads the curated tables published to PostgreSQL, which keep their schema names.
    assert {(d["namespace"], d["name"]) for d in mart[1]["inputs"]} == {(pg, DIM), (pg, FACT)}
    fields = output["facets"]["columnLineage"]["fields"]
    assert fields["avg_value"]["inputFields"] == [
        {"namespace": pg, "name": FACT, "field": "avg_value"}
    ]
    assert "curated" in mart[1]["job"]["facets"]["sql"]["query"]
    state = tmp_path / "xdg_state_home" / "lakehouse-tui" / "openlineage"
    assert pg_password not in "".join(p.read_text() for p in state.glob("*"))


def test_outbox_delivers_in_order_once_and_survives_its_file_being_removed(
    tmp_path: Path,
) -> None:
    from lakehouse_tui.integrations.openlineage_outbox import Outbox

    outbox = Outbox(tmp_path)
    delivered: list[dict[str, Any]] = []
    outbox.append([{"n": 1}, {"n": 2}])

    def refuse(event: dict[str, Any]) -> None:
        if event["n"] == 2:
            raise ConnectionError("[Errno 111] Connection refused")
        delivered.append(event)

    first = outbox.deliver(refuse)
    assert (first.sent, first.waiting) == (1, 1)
    assert first.error == "ConnectionError: Connection refused"
    assert outbox.status().last_error == first.error
    outbox.append([{"n": 3}])
    assert outbox.deliver(delivered.append).waiting == 0
    assert [e["n"] for e in delivered] == [1, 2, 3]
    assert outbox.status().waiting == 0 and outbox.status().last_error is None
    outbox.append([{"n": 4}, {"n": 5}])
    outbox.deliver(lambda event: None if event["n"] == 4 else refuse({"n": 2}))
    outbox.path.unlink()  # someone removed the file; the recorded offset is not for a new one
    outbox.append([{"n": 6}])
    assert outbox.deliver(delivered.append).sent == 1
    assert [e["n"] for e in delivered] == [1, 2, 3, 6]
