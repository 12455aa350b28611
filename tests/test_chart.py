"""The History tab's plots (tui.chart, no Textual): labelled axes, constants not at zero."""

from __future__ import annotations

import re
import subprocess
import sys

from lakehouse_tui.core.store import Materialization
from lakehouse_tui.tui.chart import POINT, plot, value_range
from lakehouse_tui.tui.widgets.history_plot import parse_data_time, series

BASE = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC


def area(rows: list[str], height: int) -> list[str]:
    return rows[:height]


def test_a_constant_series_is_a_labelled_line_at_mid_height() -> None:
    xs = [BASE + 600 * i for i in range(5)]
    drawn = plot(xs, [2400.0] * 5, None, width=40, height=9, y_label=lambda v: f"{v:,.0f}")
    lines = area(drawn.rows, drawn.height)
    marked = [i for i, row in enumerate(lines) if POINT in row]
    assert len(marked) == 1
    row = marked[0]
    assert 0 < row < drawn.height - 1  # not on the floor, where zero would be
    assert lines[row].startswith("2,400 ┤")  # the value is written on the line itself
    assert lines[row].count(POINT) == 5
    assert value_range([2400.0]) == (2160.0, 2640.0)
    assert value_range([0.0, 0.0]) == (-1.0, 1.0)


def test_axes_are_labelled_with_values_and_times() -> None:
    xs = [BASE, BASE + 1800, BASE + 3600]
    drawn = plot(xs, [1.0, 4.0, 2.0], None, width=60, height=10, y_label=lambda v: f"{v:.1f} s")
    assert drawn.rows[0].startswith("4.0 s ┤")
    assert drawn.rows[drawn.height - 1].startswith("1.0 s ┤")
    axis = drawn.rows[drawn.height]
    assert axis.strip().startswith("└┬") and axis.count("┬") == 3
    times = re.findall(r"\d\d:\d\d", drawn.rows[-1])
    assert len(times) == 3  # first, middle and last materialization
    assert len(drawn.rows) == 10 and all(len(row) <= 60 for row in drawn.rows)
    # the highest point is in the top row, the lowest in the bottom one
    assert POINT in drawn.rows[0] and POINT in drawn.rows[drawn.height - 1]


def test_ranges_are_bars_from_first_to_last_timestamp() -> None:
    xs = [BASE, BASE + 600]
    drawn = plot(xs, [0.0, 0.0], [10.0, 20.0], width=30, height=8, y_label=lambda v: f"{v:.0f}")
    lines = area(drawn.rows, drawn.height)
    columns = [{c for c, ch in enumerate(row) if c >= drawn.left and ch != " "} for row in lines]
    first, second = min(columns[-1]), max(columns[-1])  # both bars reach the bottom
    assert first < second
    assert first not in columns[0] and second in columns[0]  # only the second reaches 20


def test_narrow_plots_keep_one_tick_and_fit() -> None:
    drawn = plot([BASE], [5.0], None, width=20, height=4, y_label=lambda v: f"{v:.0f}")
    assert len(drawn.rows) == 4 and all(len(row) <= 20 for row in drawn.rows)
    assert POINT in "".join(drawn.rows)


def materialization(
    ts: float, rows: int | None, duration: float | None, **meta: str
) -> Materialization:
    metadata: dict[str, object] = dict(meta)
    if rows is not None:
        metadata["rows"] = rows
    return Materialization(
        id=1,
        run_id="run-1",
        asset_key="a",
        ts=ts,
        duration=duration,
        metadata=metadata,
        code_version=None,
        data_version="v",
        input_versions={},
    )


def test_series_from_materializations() -> None:
    history = [
        materialization(BASE, 100, 1.5, ts_min="2026-01-05 06:00:00", ts_max="2026-01-06 06:00:00"),
        materialization(BASE + 60, None, None),
    ]
    found = series(history)
    assert found["rows"].xs == [BASE] and found["rows"].lows == [100.0]
    assert found["duration"].lows == [1.5]
    assert found["range"].highs is not None
    assert found["range"].highs[0] - found["range"].lows[0] == 86400
    assert found["range"].y_label(found["range"].lows[0]) == "01-05 06:00"
    assert parse_data_time("not a time") is None
    assert series([])["rows"].missing == "never materialized"


def test_the_chart_module_imports_no_textual() -> None:
    code = "import sys, lakehouse_tui.tui.chart; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
