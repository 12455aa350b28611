"""The Airbyte client against a spec-checked server on 127.0.0.1, for both APIs."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airbyte_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    WORKSPACE_ID,
    FakeAirbyte,
    running,
)
from lakehouse_tui.config import AirbyteConnection, AirbyteSettings
from lakehouse_tui.errors import ConfigError, TargetUnavailable
from lakehouse_tui.integrations.airbyte import (
    AirbyteAuthError,
    AirbyteClient,
    AirbyteError,
    Job,
    SyncCancelled,
    SyncFailed,
    SyncTimedOut,
    UnknownConnection,
    client_from_settings,
)
from lakehouse_tui.integrations.airbyte_config import ConfigApiClient, config_base_url
from lakehouse_tui.integrations.airbyte_public import PublicApiClient, public_base_url

FAST: dict[str, Any] = {"retries": 3, "backoff": 0.01, "request_timeout": 2.0}
NAME = "bioreactor historian -> lake"


def make_client(api: str, url: str, **options: Any) -> AirbyteClient:
    """`api`: "public", "config" (basic auth) or "config-token" (config API, bearer token)."""
    opts = {**FAST, **options}
    secret = opts.pop("secret", None)
    if api == "public":
        return PublicApiClient(
            url,
            client_id=CLIENT_ID,
            client_secret=secret or CLIENT_SECRET,
            workspace_id=WORKSPACE_ID,
            **opts,
        )
    if api == "config-token":
        return ConfigApiClient(
            url,
            client_id=CLIENT_ID,
            client_secret=secret or CLIENT_SECRET,
            workspace_id=WORKSPACE_ID,
            **opts,
        )
    return ConfigApiClient(
        url, username=USERNAME, password=secret or PASSWORD, workspace_id=WORKSPACE_ID, **opts
    )


@pytest.fixture
def server() -> Iterator[FakeAirbyte]:
    with running() as fake:
        yield fake


@pytest.fixture(params=["public", "config", "config-token"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(api: str, server: FakeAirbyte) -> Iterator[AirbyteClient]:
    with make_client(api, server.url) as made:
        yield made


@pytest.fixture
def conn_id(server: FakeAirbyte, client: AirbyteClient) -> str:
    cid = server.add_connection(NAME)
    client.resolve(AirbyteConnection(name=NAME))  # so messages can name it
    return cid


def run_sync(client: AirbyteClient, cid: str, **options: Any) -> Job:
    options.setdefault("poll_interval", 0.01)
    options.setdefault("timeout", 10.0)
    return client.sync(cid, **options)


def assert_one_line(err: BaseException) -> None:
    text = str(err)
    assert text and "\n" not in text, text


# --- the happy path and every end state ------------------------------------------------------


def test_sync_runs_to_success_with_records_and_bytes(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    seen: list[Job] = []
    job = run_sync(client, conn_id, on_update=seen.append)
    assert job.status == "succeeded"
    assert (job.records, job.bytes) == (1234, 1234 * 46)
    assert job.started is not None and job.ended is not None
    assert job.connection_id == conn_id
    assert [j.status for j in seen] == ["pending", "queued", "running", "succeeded"]
    assert len(server.ops("start")) == 1


def test_incomplete_between_attempts_keeps_polling(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.script = ["pending", "running", "incomplete", "running", "succeeded"]
    statuses: list[str] = []
    job = run_sync(client, conn_id, on_update=lambda j: statuses.append(j.status))
    assert job.status == "succeeded"
    assert "incomplete" in statuses


def test_failed_job_raises_one_line_with_reason(
    api: str, server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.script = ["pending", "running", "failed"]
    with pytest.raises(SyncFailed) as caught:
        run_sync(client, conn_id)
    err = caught.value
    assert_one_line(err)
    assert isinstance(err, TargetUnavailable)
    assert NAME in str(err) and f"job {err.job.id} failed" in str(err)
    if api.startswith("config"):  # only the configuration API reports why
        assert "Connection refused by bioreactor historian" in str(err)
        assert err.job.failure_reason is not None
    else:
        assert "Airbyte gave no reason" in str(err)


def test_job_cancelled_in_airbyte_raises(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.script = ["pending", "running", "cancelled"]
    with pytest.raises(SyncCancelled, match="cancelled in Airbyte") as caught:
        run_sync(client, conn_id)
    assert_one_line(caught.value)
    assert caught.value.job.status == "cancelled"


# --- tokens ----------------------------------------------------------------------------------


def test_public_token_is_refreshed_before_it_expires() -> None:
    with running(token_ttl=1) as server:
        cid = server.add_connection(NAME)
        server.hold = True
        timer = threading.Timer(1.5, server.release.set)  # keep the job running past one TTL
        timer.start()
        try:
            with make_client("public", server.url) as client:
                job = run_sync(client, cid, poll_interval=0.05)
        finally:
            timer.cancel()
        assert job.status == "succeeded"
        assert server.tokens_issued >= 2
        assert server.expired_token_uses == 0


@pytest.mark.parametrize("flavour", ["public", "config-token"])
def test_token_revoked_early_is_fetched_again(server: FakeAirbyte, flavour: str) -> None:
    cid = server.add_connection(NAME)
    server.fail("get_job", "401")
    with make_client(flavour, server.url) as client:
        assert run_sync(client, cid).status == "succeeded"
    assert server.tokens_issued == 2


# --- already running -----------------------------------------------------------------------


@pytest.mark.parametrize("conflict_status", [409, 500])
def test_already_running_attaches_to_that_job(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str, conflict_status: int
) -> None:
    server.conflict_status = conflict_status  # 500 is what older servers answer
    existing = server.add_job(conn_id, ["running", "running", "succeeded"])
    job = run_sync(client, conn_id)
    assert job.id == existing.id and job.status == "succeeded"
    assert len(server.jobs) == 1
    assert len(server.ops("start")) == 1


# --- transient trouble ---------------------------------------------------------------------


def test_retries_500_then_succeeds(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.fail("start", "500", "500")
    server.fail("get_job", "500")
    job = run_sync(client, conn_id)
    assert job.status == "succeeded"
    assert len(server.ops("start")) == 3
    assert len(server.jobs) == 1


def test_retries_dropped_connections(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.fail("start", "drop")
    server.fail("get_job", "drop", "drop")
    assert run_sync(client, conn_id).status == "succeeded"
    assert len(server.jobs) == 1


def test_dropped_answer_to_a_started_sync_does_not_start_a_second_job(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.fail("start", "drop_after")  # the job exists, but the answer never arrives
    assert run_sync(client, conn_id).status == "succeeded"
    assert len(server.jobs) == 1


def test_slow_answer_times_out_and_is_retried(api: str) -> None:
    with running(slow_seconds=2.0) as server:
        cid = server.add_connection(NAME)
        server.fail("get_job", "slow")
        started = time.monotonic()
        with make_client(api, server.url, request_timeout=0.3) as client:
            assert run_sync(client, cid).status == "succeeded"
        assert time.monotonic() - started < 2.0  # did not wait for the slow answer


def test_gives_up_after_bounded_retries_with_one_line(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.fail("get_job", *["500"] * 10)
    with pytest.raises(AirbyteError, match=r"failed 4 times \(HTTP 500") as caught:
        run_sync(client, conn_id)
    assert_one_line(caught.value)


def test_unreachable_server_is_one_clear_line(api: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        make_client(api, f"http://127.0.0.1:{port}") as client,
        pytest.raises(AirbyteError) as caught,
    ):
        client.get_connection("0b8e2f0e-6a4b-4a4d-9f0e-1c2d3e4f5a6b")
    assert_one_line(caught.value)
    assert "connection refused" in str(caught.value)
    assert "abctl local status" in str(caught.value)


# --- refusals ----------------------------------------------------------------------------


def test_bad_credentials_are_one_clear_line(api: str, server: FakeAirbyte) -> None:
    server.add_connection(NAME)
    with (
        make_client(api, server.url, secret="wrong-SECRET-xyz") as client,
        pytest.raises(AirbyteAuthError) as caught,
    ):
        client.list_connections()
    text = str(caught.value)
    assert_one_line(caught.value)
    assert "refused" in text and "credentials" in text
    assert "wrong-SECRET-xyz" not in text


def test_401_from_config_api_mid_sync_names_the_connection(server: FakeAirbyte) -> None:
    cid = server.add_connection(NAME)
    server.fail("get_job", "401")
    with make_client("config", server.url) as client:
        client.resolve(AirbyteConnection(id=cid))
        with pytest.raises(AirbyteAuthError, match="HTTP 401") as caught:
            run_sync(client, cid)
    assert_one_line(caught.value)
    assert str(caught.value).startswith(f"Airbyte connection '{NAME}' ({cid}): ")


def test_unknown_connection_name_lists_close_names(
    server: FakeAirbyte, client: AirbyteClient
) -> None:
    server.add_connection(NAME)
    server.add_connection("fermenter sensors -> lake")
    with pytest.raises(UnknownConnection) as caught:
        client.resolve(AirbyteConnection(name="bioreactor historian"))
    assert_one_line(caught.value)
    assert "'bioreactor historian' not found" in str(caught.value)
    assert repr(NAME) in str(caught.value)


def test_unknown_connection_id(server: FakeAirbyte, client: AirbyteClient) -> None:
    missing = "0b8e2f0e-6a4b-4a4d-9f0e-1c2d3e4f5a6b"
    with pytest.raises(UnknownConnection, match=missing):
        client.resolve(AirbyteConnection(id=missing))
    with pytest.raises(UnknownConnection, match=missing):
        client.start_sync(missing)


def test_resolve_by_id_and_by_name(server: FakeAirbyte, client: AirbyteClient) -> None:
    cid = server.add_connection(NAME)
    assert client.resolve(AirbyteConnection(id=cid)).name == NAME
    assert client.resolve(AirbyteConnection(name=NAME.upper())).id == cid
    assert [c.id for c in client.list_connections()] == [cid]


# --- cancelling and timeouts ---------------------------------------------------------------


def test_cancel_event_cancels_the_job_on_the_server(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.hold = True
    cancel = threading.Event()
    running_seen = threading.Event()

    def watch(job: Job) -> None:
        if job.status == "running":
            running_seen.set()

    outcome: list[BaseException] = []

    def work() -> None:
        try:
            # A long poll interval: the cancel must not wait for the next poll.
            run_sync(client, conn_id, poll_interval=30.0, on_update=watch, cancel_event=cancel)
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=work)
    server.script = ["running", "succeeded"]
    worker.start()
    assert running_seen.wait(5)
    cancel.set()
    worker.join(5)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], SyncCancelled)
    assert outcome[0].job.status == "cancelled"
    assert "cancelled on request" in str(outcome[0])
    assert len(server.ops("cancel")) == 1
    assert all(job.status == "cancelled" for job in server.jobs.values())


def test_cancel_before_start_starts_nothing(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SyncCancelled, match="before it started"):
        run_sync(client, conn_id, cancel_event=cancel)
    assert server.ops("start") == []


def test_cancel_that_fails_says_so(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.hold = True
    server.fail("cancel", *["500"] * 10)
    with pytest.raises(SyncTimedOut, match="could not be cancelled") as caught:
        run_sync(client, conn_id, timeout=0.2)
    assert_one_line(caught.value)
    assert "cancel it in the Airbyte UI" in str(caught.value)


def test_timeout_cancels_the_job_and_raises(
    server: FakeAirbyte, client: AirbyteClient, conn_id: str
) -> None:
    server.hold = True
    with pytest.raises(SyncTimedOut) as caught:
        run_sync(client, conn_id, timeout=0.3)
    assert_one_line(caught.value)
    assert "[airbyte] timeout" in str(caught.value)
    assert server.cancel_seen.is_set()
    assert caught.value.job.status == "cancelled"


# --- secrets --------------------------------------------------------------------------------


def test_secrets_never_reach_logs_messages_or_reprs(
    api: str, server: FakeAirbyte, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = server.add_connection(NAME)
    texts: list[str] = []
    with make_client(api, server.url) as good:
        texts.append(repr(good))
        run_sync(good, cid)
        server.script = ["running", "failed"]
        with pytest.raises(SyncFailed) as failed:
            run_sync(good, cid)
        texts += [str(failed.value), repr(failed.value)]
    with make_client(api, server.url, secret="wrong-SECRET-xyz") as bad:
        texts.append(repr(bad))
        with pytest.raises(AirbyteAuthError) as refused:
            bad.list_connections()
        texts += [str(refused.value), repr(refused.value)]
    texts.append(caplog.text)
    tokens = list(server.tokens)
    for secret in [CLIENT_SECRET, PASSWORD, "wrong-SECRET-xyz", *tokens]:
        for text in texts:
            assert secret not in text


def settings(url: str, api: str, **changes: Any) -> AirbyteSettings:
    values: dict[str, Any] = {
        "url": url,
        "api": "public" if api == "public" else "config",
        "username": USERNAME,
        "password_env": "TEST_AIRBYTE_PASSWORD",
        "client_id": "" if api == "config" else CLIENT_ID,
        "client_secret_env": "TEST_AIRBYTE_CLIENT_SECRET",
        "workspace_id": WORKSPACE_ID,
        "discover": False,
        "poll_interval": 0.01,
        "timeout": 10.0,
        "connections": (),
    }
    return AirbyteSettings(**{**values, **changes})


def test_factory_reads_the_secret_named_in_the_config(
    api: str, server: FakeAirbyte, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_AIRBYTE_PASSWORD", PASSWORD)
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", CLIENT_SECRET)
    cid = server.add_connection(NAME)
    with client_from_settings(settings(server.url, api), **FAST) as client:
        assert client.resolve(AirbyteConnection(name=NAME)).id == cid


def test_factory_names_a_missing_variable(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_AIRBYTE_PASSWORD", raising=False)
    monkeypatch.delenv("TEST_AIRBYTE_CLIENT_SECRET", raising=False)
    variable = "TEST_AIRBYTE_PASSWORD" if api == "config" else "TEST_AIRBYTE_CLIENT_SECRET"
    with pytest.raises(
        AirbyteAuthError, match=f"environment variable {variable} is not set"
    ) as caught:
        client_from_settings(settings("http://127.0.0.1:9", api))
    assert_one_line(caught.value)


def test_public_api_needs_a_client_id() -> None:
    with pytest.raises(ConfigError, match="client_id is empty"):
        client_from_settings(settings("http://127.0.0.1:9", "public", client_id=""))


@pytest.mark.parametrize(
    ("url", "public", "config"),
    [
        (
            "http://localhost:8000",
            "http://localhost:8000/api/public/v1",
            "http://localhost:8000/api/v1",
        ),
        (
            "http://localhost:8000/",
            "http://localhost:8000/api/public/v1",
            "http://localhost:8000/api/v1",
        ),
        ("https://api.airbyte.com", "https://api.airbyte.com/v1", "https://api.airbyte.com/api/v1"),
        ("http://host:8001/api", "http://host:8001/api/public/v1", "http://host:8001/api/v1"),
    ],
)
def test_base_urls(url: str, public: str, config: str) -> None:
    assert public_base_url(url) == public
    assert config_base_url(url) == config
