"""TUI benchmarks: start-up to first full paint, and key latency while a big run goes.

    .venv/bin/python bench/tui_startup.py [--rows-millions 10] [--skip-latency]

1. Start-up: a fresh process opens the TUI (headless) on a lake whose run store holds 200 runs
   and reports when the tree, statuses and the first asset's details are painted. Baseline:
   a minimal Textual app started the same way. Target < 0.8 s.
2. Key latency: while a materialization of ~N million raw rows runs (a child process, as from
   the TUI), press up/down in the tree and record how long each key takes to be handled.
   Baseline: the same presses with no run going. Target < 100 ms.
Figures are printed; nothing here is part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_APP = r"""
import sys, time
from lakehouse_tui import config
from lakehouse_tui.tui.app import LakehouseApp

class BenchApp(LakehouseApp):
    def on_details_loaded(self, message):
        super().on_details_loaded(message)
        self.call_after_refresh(self.done)

    def done(self):
        print(time.time(), flush=True)
        self.exit()

BenchApp(config.load(None), offer_sample_data=False).run(headless=True, size=(160, 48))
"""

BASELINE_APP = r"""
import time
from textual.app import App
from textual.widgets import Footer, Header, Tree

class Hello(App):
    def compose(self):
        yield Header()
        tree = Tree("root")
        for i in range(10):
            tree.root.add_leaf(f"node {i}")
        yield tree
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.done)

    def done(self):
        print(time.time(), flush=True)
        self.exit()

Hello().run(headless=True, size=(160, 48))
"""


def lake_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LAKEHOUSE_TUI_CONFIG"}
    env.update(
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_CACHE_HOME=str(root / "cache"),
    )
    return env


def materialize(env: dict[str, str], selection: str = "*") -> None:
    subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", "--materialize", selection],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def add_runs(store_path: Path, count: int) -> None:
    """Synthetic history: `count` finished runs, each with assets, events and logs."""
    from lakehouse_tui.core.store import RunStore

    store = RunStore(store_path)
    keys = ["raw_bioreactor_data", "stg_bioreactor", "dim_batch", "fact_bioreactor_batch_stats"]
    now = time.time() - count * 3600
    for number in range(count):
        run_id = f"bench-{number:05d}"
        store.start_run(
            run_id,
            selection="*",
            job=None,
            trigger=("timer", "cli", "tui")[number % 3],
            pid=1,
            plan=[],
            assets=[(k, "dbt duckdb") for k in keys],
            started_at=now + number * 3600,
        )
        for key in keys:
            store.set_asset_status(run_id, key, "materialized")
            store.add_event(run_id, "asset_materialized", asset_key=key, data={"rows": 100})
        store.add_logs(
            [(run_id, k, time.time(), "info", f"line {i}") for k in keys for i in range(20)]
        )
        store.finish_run(run_id, "succeeded")
    store.close()


def first_paint(code: str, env: dict[str, str], repeat: int = 3) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        times.append(float(out.strip().splitlines()[-1]) - started)
    return times


async def key_latency(env: dict[str, str], run: bool, presses: int) -> list[float]:
    os.environ.update(env)
    from lakehouse_tui import config
    from lakehouse_tui.runservice.child import RunRequest
    from lakehouse_tui.tui.app import LakehouseApp
    from lakehouse_tui.tui.widgets.run_panel import RunPanel

    app = LakehouseApp(config.load(None), offer_sample_data=False, poll_interval=2.0)
    latencies: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.state is None:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        panel = app.query_one("#run-panel", RunPanel)
        if run:
            app.start_run(RunRequest(selection="*"))
            while not panel.run_id:
                await pilot.pause(0.05)
        tree = app.query_one("#tree")
        for number in range(presses):
            key = "down" if number % 8 < 4 else "up"
            before = tree.cursor_line  # type: ignore[attr-defined]
            started = time.perf_counter()
            app.simulate_key(key)  # through the app's queue to the focused tree, as a real key
            while tree.cursor_line == before and (time.perf_counter() - started) < 5:  # type: ignore[attr-defined]
                await asyncio.sleep(0.0005)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
            if run and not panel.running:
                break
        if run:
            still_running = panel.running
            await app.workers.wait_for_complete()
            print(
                f"  run outcome: {panel.outcome}; presses during the run: {len(latencies)}"
                + (" (run outlasted the presses)" if still_running else "")
            )
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rows-millions", type=float, default=10.0)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()

    from lakehouse_tui import demo

    with tempfile.TemporaryDirectory(prefix="tui-bench-") as tmp:
        root = Path(tmp)
        env = lake_env(root)
        raw_dir = root / "data" / "lakehouse-tui" / "raw"
        demo.generate(raw_dir, batches=2, hours=2, hz=0.05)
        materialize(env)
        add_runs(root / "state" / "lakehouse-tui" / "runs.sqlite", args.runs)
        base = first_paint(BASELINE_APP, env)
        ours = first_paint(CHILD_APP, env)
        print(f"start-up to first full paint ({args.runs} runs in the store):")
        print(f"  minimal Textual app: median {statistics.median(base):.3f} s")
        print(
            f"  lakehouse-tui:       median {statistics.median(ours):.3f} s "
            f"(x{statistics.median(ours) / statistics.median(base):.2f} of baseline; "
            "target < 0.8 s)"
        )
        if args.skip_latency:
            return
        # About 6 tags x 3600 readings per batch-hour at 1 Hz: size the batches for the rows.
        rows = args.rows_millions * 1_000_000
        hours = 24.0
        batches = max(1, round(rows / (hours * 3600 * 6)))
        started = time.perf_counter()
        result = demo.generate(raw_dir, batches=batches, hours=hours, hz=1.0, force=True)
        print(f"generated {result.rows:,} raw rows in {time.perf_counter() - started:.1f} s")
        idle = asyncio.run(key_latency(env, run=False, presses=40))
        busy = asyncio.run(key_latency(env, run=True, presses=400))
        print("key handling latency (key event posted to tree cursor moved):")
        print(
            f"  idle:            max {max(idle) * 1000:.1f} ms, "
            f"median {statistics.median(idle) * 1000:.1f} ms"
        )
        print(
            f"  during the run:  max {max(busy) * 1000:.1f} ms, median "
            f"{statistics.median(busy) * 1000:.1f} ms (x{max(busy) / max(idle):.2f} of idle max; "
            "target < 100 ms)"
        )


if __name__ == "__main__":
    main()
