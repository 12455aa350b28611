# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""TUI: the Schedule panel (issue 6) and the Airbyte sync key with its downstream offer (#7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from airbyte_server import FakeAirbyte, running
from lakehouse_tui import config as config_module
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.screens.confirm_run import ConfirmRun
from lakehouse_tui.tui.screens.schedule import ScheduleScreen
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from test_schedule_command import install_fake_tools
from tui_fixtures import Lake, airbyte_config, anyio_backend, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def text_of(screen: object, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())  # type: ignore[attr-defined]


async def test_schedule_panel_installs_and_removes_the_timer(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_tools(tmp_path, monkeypatch)
    units = tmp_path / "units-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(units))
    app = LakehouseApp(config_module.load(None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        assert "installed: no" in text_of(screen, "#schedule-status")
        await pilot.press("i")
        await settle(pilot)
        assert "install done" in text_of(screen, "#schedule-result")
        assert "installed: yes" in text_of(screen, "#schedule-status")
        timer = units / "systemd" / "user" / "lakehouse-tui.timer"
        assert "OnCalendar=*-*-* 02:00:00 Europe/London" in timer.read_text()
        assert "loginctl enable-linger" in text_of(screen, "#schedule-status")
        await pilot.press("x")  # asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmRun)
        await pilot.press("y")
        await settle(pilot)
        assert "remove done" in text_of(screen, "#schedule-result")
        assert not timer.exists()
        await pilot.press("escape")
        assert not isinstance(app.screen, ScheduleScreen)


@pytest.fixture
def airbyte() -> Iterator[FakeAirbyte]:
    with running() as fake:
        yield fake


async def test_sync_key_syncs_the_connection_then_offers_downstream(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airbyte: FakeAirbyte
) -> None:
    airbyte.add_connection("historian")
    airbyte.hold = True  # the job stays `running` until released, so the live note shows
    path = airbyte_config(tmp_path, airbyte.url, monkeypatch)
    store = RunStore(lake.store_path)
    app = LakehouseApp(config_module.load(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["airbyte_historian"])
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun)
        assert "Airbyte sync of airbyte_historian" in text_of(app.screen, "#confirm-plan")
        await pilot.press("y")
        # While the job runs, the node shows its live record count (the server reports 100).
        for _ in range(2000):  # bounded: at most ~50 s
            if tree.notes.get("airbyte_historian") == "100 rec":
                break
            await pilot.pause(0.025)
        label = tree.label_for("airbyte_historian", 0, 40).plain
        assert "100 rec" in label and label.startswith("▶ airbyte_historian"), label
        airbyte.release.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "airbyte_historian" not in tree.notes
        run = store.last_run()
        assert run is not None and (run.selection, run.status) == ("airbyte_historian", "succeeded")
        # The offer: everything the synced data feeds, without syncing again.
        assert isinstance(app.screen, ConfirmRun), "expected the downstream offer"
        plan = text_of(app.screen, "#confirm-plan")
        assert "raw_bioreactor_data" in plan and "mart_bioreactor_overview" in plan
        assert "Airbyte sync" not in plan
        await pilot.press("n")
    assert airbyte.errors == []
    store.close()
