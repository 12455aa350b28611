"""`lakehouse-tui airbyte list` through the real CLI entry point and a spec-checked server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airbyte_server import CLIENT_ID, CLIENT_SECRET, PASSWORD, WORKSPACE_ID, FakeAirbyte, running
from lakehouse_tui import cli

HISTORIAN = "bioreactor historian -> lake"
SENSORS = "fermenter sensors -> lake"


@pytest.fixture
def server() -> Iterator[FakeAirbyte]:
    with running() as fake:
        yield fake


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("LAKEHOUSE_TUI_CONFIG", raising=False)
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("TEST_AIRBYTE_PASSWORD", PASSWORD)


def write_config(tmp_path: Path, url: str, api: str, entries: str, discover: bool = False) -> str:
    """`api`: "public", "config" (basic auth) or "config-token" (config API, client id)."""
    client_id = "" if api == "config" else CLIENT_ID
    api = "public" if api == "public" else "config"
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[airbyte]
url = "{url}"
api = "{api}"
client_id = "{client_id}"
client_secret_env = "TEST_AIRBYTE_CLIENT_SECRET"
password_env = "TEST_AIRBYTE_PASSWORD"
workspace_id = "{WORKSPACE_ID}"
discover = {str(discover).lower()}
{entries}
""",
        encoding="utf-8",
    )
    return str(path)


@pytest.mark.parametrize("api", ["public", "config", "config-token"])
def test_list_json_shows_status_and_last_job(
    api: str, server: FakeAirbyte, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    historian = server.add_connection(HISTORIAN)
    sensors = server.add_connection(SENSORS, status="inactive")
    server.add_job(historian, ["failed"])
    done = server.add_job(historian, ["succeeded"])
    entries = f"""
[[airbyte.connections]]
name = "{HISTORIAN}"
asset = "raw_historian"

[[airbyte.connections]]
id = "{sensors}"
"""
    config = write_config(tmp_path, server.url, api, entries)
    assert cli.main(["--config", config, "airbyte", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["asset"], r["name"], r["status"]) for r in rows] == [
        ("raw_historian", HISTORIAN, "active"),
        ("airbyte_fermenter_sensors_lake", SENSORS, "inactive"),
    ]
    assert rows[0]["last_job"]["id"] == done.id
    assert rows[0]["last_job"]["status"] == "succeeded"
    assert rows[0]["last_job"]["records"] == 1234
    assert rows[1]["last_job"] is None


def test_list_table_with_discover(
    server: FakeAirbyte, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    historian = server.add_connection(HISTORIAN)
    server.add_connection(SENSORS)
    job = server.add_job(historian, ["succeeded"])
    config = write_config(tmp_path, server.url, "public", "", discover=True)
    assert cli.main(["--config", config, "airbyte", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ASSET", "CONNECTION", "STATUS", "LAST", "JOB", "RESULT", "WHEN"]
    assert "airbyte_bioreactor_historian_lake" in lines[1]
    assert str(job.id) in lines[1] and "succeeded" in lines[1]
    assert "never synced" in lines[2]


def test_unknown_connection_is_reported_and_others_still_listed(
    server: FakeAirbyte, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add_connection(HISTORIAN)
    entries = f"""
[[airbyte.connections]]
name = "{HISTORIAN}"

[[airbyte.connections]]
name = "bioreactor historian"
"""
    config = write_config(tmp_path, server.url, "config", entries)
    assert cli.main(["--config", config, "airbyte", "list"]) == 1
    captured = capsys.readouterr()
    assert HISTORIAN in captured.out
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("lakehouse-tui: Airbyte connection 'bioreactor historian'")
    assert repr(HISTORIAN) in errors[0]


def test_bad_credentials_exit_with_one_line(
    server: FakeAirbyte,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.add_connection(HISTORIAN)
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", "wrong-SECRET-xyz")
    config = write_config(tmp_path, server.url, "public", "", discover=True)
    assert cli.main(["--config", config, "airbyte", "list"]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "refused the application credentials" in captured.err
    assert "wrong-SECRET-xyz" not in captured.err


def test_missing_secret_variable_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_AIRBYTE_PASSWORD")
    config = write_config(tmp_path, "http://127.0.0.1:9", "config", "", discover=True)
    assert cli.main(["--config", config, "airbyte", "list"]) != 0
    assert "TEST_AIRBYTE_PASSWORD is not set" in capsys.readouterr().err


def test_nothing_configured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", "public", "")
    assert cli.main(["--config", config, "airbyte", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
