"""The Checks tab shows the first rows a failed check found (write-audit-publish, issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from engine_fixtures import make_lake
from lakehouse_tui import config as config_module
from lakehouse_tui.tui.app import create_app
from lakehouse_tui.tui.widgets.asset_tree import AssetTree
from test_write_audit_publish import bad_batch
from tui_fixtures import anyio_backend, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def plain(renderable: object) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_checks_tab_shows_the_failing_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(monkeypatch, tmp_path / "lake")
    lake.demo()
    assert lake.cli("--materialize", "*").code == 0
    bad_batch(lake)
    assert lake.cli("--materialize", "*").code == 1
    monkeypatch.setenv("LAKEHOUSE_TUI_CONFIG", str(lake.config_path))
    app = create_app(config_module.load(None))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", AssetTree)
        tree.move_cursor(tree.nodes_by_key["fact_bioreactor_batch_stats"])
        await settle(pilot)
        await pilot.press("4")  # the Checks tab
        await settle(pilot)
        failing = plain(app.query_one("#checks-failing", Static).content)
        assert "First failing rows" in failing
        assert "accepted_values_fact_bioreactor_batch_stats_tag" in failing
        assert "turbidity" in failing and "value_field" in failing
