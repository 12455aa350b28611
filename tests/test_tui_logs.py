# ruff: noqa: F811  (pytest fixtures imported from tui_fixtures)
"""Pilot tests of the log view: filter by asset and level, `/` search, wrap, follow a live run,
and the runs screen's log visible at 80x24."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from lakehouse_tui import config as config_module
from lakehouse_tui.core.lock import LockHolder, RunLock
from lakehouse_tui.core.store import RunStore
from lakehouse_tui.tui.app import LakehouseApp
from lakehouse_tui.tui.log_filter import RUN_LINES, LogFilter, assets_in, matches
from lakehouse_tui.tui.screens.runs import RunsScreen
from lakehouse_tui.tui.widgets.log_view import LogView
from tui_fixtures import Lake, anyio_backend, forget_run, lake, settle  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

RUN = "run-logs-test"
LONG = "a long line " + "x" * 150 + " needle at the end"


@pytest.fixture
def store(lake: Lake) -> Iterator[RunStore]:
    db = RunStore(lake.store_path)
    try:
        yield db
    finally:
        forget_run(db, RUN)
        db.close()


def seed(store: RunStore, *, running: bool = False) -> None:
    """A run newer than any real one (the runs screen highlights it), with log lines of two
    assets and the run itself, at every level."""
    store.start_run(
        RUN,
        selection="dim_batch+",
        job=None,
        trigger="timer",
        pid=os.getpid(),
        plan=[],
        assets=[("dim_batch", "dbt"), ("mart_bioreactor_overview", "dbt")],
        started_at=time.time() + 3600,
    )
    now = time.time()
    store.add_logs(
        [
            (RUN, None, now, "info", "Running with dbt"),
            (RUN, "dim_batch", now, "info", "START dim_batch"),
            (RUN, "dim_batch", now, "warn", "dim_batch: a needle in a warning"),
            (RUN, "mart_bioreactor_overview", now, "error", "mart failed: needle"),
            (RUN, "mart_bioreactor_overview", now, "info", LONG),
        ]
    )
    if not running:
        store.finish_run(RUN, "failed", "mart failed")


async def runs_log(pilot: Pilot[object], app: LakehouseApp) -> LogView:
    await pilot.press("r")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    view = screen.query_one("#run-logs", LogView)
    await until(pilot, lambda: view.lines and view.lines[0].run_id == RUN, "the seeded run")
    return view


async def until(pilot: Pilot[object], condition: object, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


def texts(view: LogView) -> list[str]:
    return [strip.text for strip in view.log_lines.strips]


async def test_filter_search_and_wrap_on_the_runs_screen_at_80x24(
    lake: Lake, store: RunStore
) -> None:
    seed(store)
    app = LakehouseApp(config_module.load(None), warm_runs=False, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = await runs_log(pilot, app)
        # Visible at 80x24: the lines get rows of their own under the timeline.
        assert view.display and view.log_lines.size.height >= 5
        assert len(view.shown) == 5 and view.source is None  # a finished run: nothing to poll
        view.log_lines.focus()
        await pilot.pause()

        await pilot.press("A")  # first the run's own lines, then each asset
        assert view.filter.asset == RUN_LINES and [x.message for x in view.shown] == [
            "Running with dbt"
        ]
        await pilot.press("A")
        assert view.filter.asset == "dim_batch"
        assert {x.asset_key for x in view.shown} == {"dim_batch"}
        await pilot.press("L")  # warnings and worse
        assert [x.message for x in view.shown] == ["dim_batch: a needle in a warning"]
        await pilot.press("A", "A")  # the mart, then every asset again
        assert view.filter.asset is None
        assert {x.level for x in view.shown} == {"warn", "error"}
        await pilot.press("L")
        assert [x.level for x in view.shown] == ["error"]
        assert any("✗ mart_bioreactor_overview: mart failed" in t for t in texts(view))
        await pilot.press("L")  # all levels again
        assert len(view.shown) == 5

        await pilot.press("slash")
        await pilot.pause()
        assert view.has_class("-searching")
        await pilot.press(*"NEEDLE", "enter")
        await pilot.pause()
        assert not view.has_class("-searching") and app.focused is view.log_lines
        assert view.filter.search == "NEEDLE" and len(view.hits) == 3
        assert view.shown[view.hits[view.hit]].message == "dim_batch: a needle in a warning"
        await pilot.press("n", "n")
        assert view.shown[view.hits[view.hit]].message == LONG
        await pilot.press("N")
        assert view.shown[view.hits[view.hit]].message == "mart failed: needle"
        assert "/NEEDLE 2/3" in str(view.query_one(".log-bar").render())

        rows = len(texts(view))
        await pilot.press("w")  # wrap: the long line takes several rows, all within the width
        assert view.log_lines.wrap and len(texts(view)) > rows
        width = view.log_lines.size.width - 1  # the scrollbar
        assert all(len(t.rstrip()) <= width for t in texts(view))
        assert any(t.rstrip().endswith("needle at the end") for t in texts(view))
        await pilot.press("w")
        assert not view.log_lines.wrap and len(texts(view)) == rows


async def test_follow_mode_shows_a_live_runs_new_lines(lake: Lake, store: RunStore) -> None:
    lock = RunLock(
        lake.root / "state" / "lakehouse-tui" / "run.lock", LockHolder(RUN, 1, "timer", time.time())
    )
    with lock:  # the run is live: its process holds the warehouse
        seed(store, running=True)
        app = LakehouseApp(config_module.load(None), warm_runs=False, poll_interval=3600)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            view = await runs_log(pilot, app)
            assert view.source is not None and view.follow
            assert view.poller is not None and view.poller._active.is_set() is not False
            store.add_logs([(RUN, "dim_batch", time.time(), "info", "a line written later")])
            await until(
                pilot, lambda: view.lines[-1].message == "a line written later", "the new line"
            )
            lines = view.log_lines
            assert lines.scroll_offset.y == lines.max_scroll_y  # following: the end in view
            assert "live, following" in str(view.query_one(".log-bar").render())
            view.log_lines.focus()
            await pilot.press("F")
            assert not view.follow
            assert "live, paused (F)" in str(view.query_one(".log-bar").render())


def test_log_filter_rules() -> None:
    from lakehouse_tui.core.store import LogLine

    def line(asset: str | None, level: str) -> LogLine:
        return LogLine(1, "r", asset, 0.0, level, "m")

    lines = [line("b", "info"), line(None, "info"), line("a", "warning"), line("b", "ERROR")]
    assert assets_in(lines) == [RUN_LINES, "b", "a"]
    warn = LogFilter(level="warn")
    assert [x.level for x in lines if warn.shows(x)] == ["warning", "ERROR"]
    assert LogFilter().next_level().next_level().next_level() == LogFilter()
    assert LogFilter().next_asset(["x"]).next_asset(["x"]) == LogFilter()
    assert matches("a [b] A", "a") == [(0, 1), (6, 7)]
    assert matches("[/]", "[/]") == [(0, 3)]  # plain text, never a pattern or markup
