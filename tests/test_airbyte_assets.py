"""Airbyte connections as assets in real runs: sync, then raw validation, then dbt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airbyte_server import CLIENT_ID, CLIENT_SECRET, FakeAirbyte, running
from lakehouse_tui import cli, demo
from lakehouse_tui.config import load
from lakehouse_tui.core.store import RunStore

HISTORIAN = "bioreactor historian -> lake"


@pytest.fixture
def server() -> Iterator[FakeAirbyte]:
    with running() as fake:
        yield fake


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeAirbyte) -> str:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", CLIENT_SECRET)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[lake]
raw_dir = "raw"
warehouse = "wh.duckdb"
[airbyte]
url = "{server.url}"
client_id = "{CLIENT_ID}"
client_secret_env = "TEST_AIRBYTE_CLIENT_SECRET"
poll_interval = 0.05
timeout = 30
[[airbyte.connections]]
name = "{HISTORIAN}"
asset = "airbyte_historian"
""",
        encoding="utf-8",
    )
    demo.generate(tmp_path / "raw", batches=2, hours=1, hz=0.02)
    return str(path)


def test_ingest_job_syncs_then_validates_raw(
    server: FakeAirbyte, config_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add_connection(HISTORIAN)
    code = cli.main(["--config", config_path, "--job", "ingest_raw_data", "--json"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    materialized = [e["asset"] for e in events if e["event"] == "asset_materialized"]
    assert materialized == ["airbyte_historian", "raw_bioreactor_data"]
    sync = next(e for e in events if e["event"] == "asset_materialized")
    assert sync["data"]["records"] > 0 and sync["data"]["job_id"] >= 1001
    assert any(e["event"] == "asset_progress" and e["status"] == "running" for e in events)
    assert server.errors == []
    # Secrets never reach the run store.
    store_bytes = (load(config_path).store_path).read_bytes()
    assert CLIENT_SECRET.encode() not in store_bytes


def test_failed_sync_blocks_everything_downstream(
    server: FakeAirbyte, config_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add_connection(HISTORIAN)
    server.script = ["pending", "running", "failed"]
    code = cli.main(["--config", config_path, "--materialize", "airbyte_historian+"])
    err = capsys.readouterr().err
    assert code == 1
    assert "airbyte_historian: failed: Airbyte connection" in err
    store = RunStore(load(config_path).store_path)
    run = store.last_run()
    assert run is not None and run.status == "failed"
    statuses = {a.asset_key: a.status for a in store.run_assets(run.id)}
    assert statuses["airbyte_historian"] == "failed"
    assert {s for k, s in statuses.items() if k != "airbyte_historian"} == {"skipped"}
    assert store.latest_materializations() == {}


def test_sigterm_during_a_sync_cancels_the_airbyte_job(
    server: FakeAirbyte, config_path: str, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    server.add_connection(HISTORIAN)
    server.hold = True  # the job stays `running` until cancelled
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lakehouse_tui",
            "--config",
            config_path,
            "--json",
            "--materialize",
            "airbyte_historian+",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert child.stdout is not None
    for line in child.stdout:  # wait for the runner to report the job running
        if '"asset_progress"' in line and '"running"' in line:
            break
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert server.cancel_seen.wait(10), "the Airbyte job was not cancelled on the server"
    store = RunStore(load(config_path).store_path)
    run = store.last_run()
    assert run is not None and run.status == "cancelled"
    statuses = {a.asset_key: a.status for a in store.run_assets(run.id)}
    assert set(statuses.values()) == {"cancelled"}


def leaked(secret: str, text: str, size: int = 6) -> list[str]:
    """The `size`-character pieces of the secret (as sent or whitespace-collapsed) in text."""
    forms = {secret, " ".join(secret.split())}
    pieces = {form[i : i + size] for form in forms for i in range(len(form) - size + 1)}
    return sorted(piece for piece in pieces if piece in text)


@pytest.mark.parametrize("secret", ["Q7-SeCrEt-4f2a-LONG-ENOUGH", "AB  two  spaces\tand-a-tab  Z9"])
def test_a_server_echoing_the_secret_leaks_no_part_of_it(
    secret: str,
    server: FakeAirbyte,
    config_path: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Echoed after 147 characters (where shortening used to cut the secret in half) or with
    runs of spaces (which collapsing whitespace used to hide from the mask)."""
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", secret)
    server.client_secret = secret
    server.add_connection(HISTORIAN)
    server.fail("token", "echo_secret", "echo_secret")  # one for each run below
    for extra in ([], ["--json"]):
        code = cli.main(["--config", config_path, "--materialize", "airbyte_historian", *extra])
        assert code == 1
    out, err = capsys.readouterr()
    assert "refused the application credentials" in err  # the failure is still explained
    assert "secret=***" in err
    assert leaked(secret, out + err) == []
    store = RunStore(load(config_path).store_path)
    run = store.last_run()
    assert run is not None and run.status == "failed" and "secret=***" in (run.message or "")
    rows = [a.message or "" for a in store.run_assets(run.id)]
    rows += [line.message for line in store.logs(run.id)]
    rows += [json.dumps(event) for event in store.events(run.id)]
    assert any("secret=***" in row for row in rows)
    assert leaked(secret, "\n".join(rows)) == []
    store.close()
    files = b"".join(p.read_bytes() for p in load(config_path).state_dir.glob("runs.sqlite*"))
    assert leaked(secret, files.decode("utf-8", "replace")) == []
