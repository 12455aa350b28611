"""Every Airbyte call is bounded: a real HTTP server that stays silent, trickles, sends a huge
body or answers 200 with the wrong shape cannot hold a run past `[airbyte] timeout`, blow up
memory, or leave a job running on the server."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from airbyte_server import CLIENT_SECRET, FakeAirbyte, running
from lakehouse_tui.config import AirbyteSettings, load
from lakehouse_tui.core import airbyte_assets
from lakehouse_tui.errors import LakehouseError
from test_airbyte_cli import write_config

HISTORIAN = "bioreactor historian -> lake"
TIMEOUT = 3.0  # [airbyte] timeout in these tests


@pytest.fixture
def server() -> Iterator[FakeAirbyte]:
    with running() as fake:
        fake.add_connection(HISTORIAN)
        yield fake


def settings_for(
    tmp_path: Path, url: str, api: str, monkeypatch: pytest.MonkeyPatch
) -> AirbyteSettings:
    monkeypatch.setenv("TEST_AIRBYTE_CLIENT_SECRET", CLIENT_SECRET)
    extra = (
        f'poll_interval = 0.05\ntimeout = {TIMEOUT}\n[[airbyte.connections]]\nname = "{HISTORIAN}"'
    )
    path = write_config(tmp_path, url, "public" if api == "public" else "config-token", extra)
    return load(path).airbyte


def bound(settings: AirbyteSettings) -> float:
    """Generous: two whole call budgets (a call and the token fetch inside it) plus slack."""
    return 2 * settings.timeout + 10


def sync(settings: AirbyteSettings) -> tuple[LakehouseError | None, float]:
    started = time.monotonic()
    try:
        airbyte_assets.sync(settings, settings.connections[0], lambda job: None)
    except LakehouseError as err:
        return err, time.monotonic() - started
    return None, time.monotonic() - started


@pytest.mark.parametrize("kind", ["silent", "trickle"])
def test_a_server_that_never_finishes_answering_fails_within_the_timeout(
    kind: str, server: FakeAirbyte, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, server.url, "public", monkeypatch)
    server.hostile.trickle_seconds = 0.2
    server.fail("token", *[kind] * 10)
    err, elapsed = sync(settings)
    assert err is not None and "\n" not in str(err)
    assert elapsed < bound(settings), f"{kind}: took {elapsed:.1f} s"
    assert f"within the {TIMEOUT:g} s allowed per call" in str(err)
    assert "raise [airbyte] timeout" in str(err)


def test_a_huge_error_body_is_not_read_into_memory(
    server: FakeAirbyte, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, server.url, "public", monkeypatch)
    server.fail("token", "huge")  # then the retry gets a real token and the sync succeeds
    tracemalloc.start()
    try:
        err, _ = sync(settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err is None
    assert not server.hostile.finished.is_set()
    assert server.hostile.sent < server.hostile.huge_bytes // 4
    assert peak < 16 << 20, (
        f"peak {peak >> 20} MiB while a {server.hostile.huge_bytes >> 20} MiB body came"
    )


@pytest.mark.parametrize("api", ["public", "config"])
@pytest.mark.parametrize(
    ("op", "kind"),
    [("start", "nostatus"), ("start", "array"), ("get_job", "array"), ("get_job", "nostatus")],
)
def test_a_200_of_the_wrong_shape_is_one_line_and_cancels_the_job(
    api: str,
    op: str,
    kind: str,
    server: FakeAirbyte,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(tmp_path, server.url, api, monkeypatch)
    server.hold = True  # the job would run until cancelled
    server.fail(op, kind)
    err, elapsed = sync(settings)
    assert err is not None and "\n" not in str(err), err
    assert "Airbyte answered HTTP 200 with " + (
        "a JSON array" if kind == "array" else "an object without"
    ) in str(err)
    assert "check [airbyte] url and api" in str(err)
    (job,) = server.jobs.values()
    assert job.cancelled, "the job started by the sync is still running on the server"
    assert f"sync job {job.id} was cancelled" in str(err)
    assert elapsed < bound(settings)
