"""Benchmark: runs through the warm executor on ~10M raw rows, against its baselines.

In one run, with several repeats each, it times:
  floor         the five models' SQL run directly in DuckDB (in-process, no dbt)
  dbt build     plain `dbt build` CLI on dbt/ (partial parsing warm)
  cold '*'      `lakehouse-tui --materialize '*'` (a fresh process, as before)
  warm '*'      materialize everything through the warm executor (request -> idle line)
  warm dim      materialize `dim_batch` alone through the warm executor
  warm 1st      warm '*' in a second warm executor with LAKEHOUSE_TUI_PUBLISH=now (publish,
                then test), for the cost of write-audit-publish (target <= 1.05x)
and then, in rounds of their own (bench/lineage_warm.py: base, an identical control for the
noise floor, [openlineage] with the endpoint up and down, in a random order each round,
paired ratios with their spread, wall and executor CPU), what OpenLineage adds to warm '*'
(target: under 3%); `--lineage-only` measures just that. It prints medians, ratios and the
warm executor's resident memory when idle, after 1 run and after N more runs of dim_batch.
Then the TUI itself (a child process running the real app headless, as `run_test` does) with
its own warm executor: the resident memory of both, idle and after 1 and N runs of dim_batch
started through the app. Targets: warm '*' <= 1.4x
floor and >= 3x faster than dbt build; warm dim < 0.5 s; RSS growth over the loop of a few MB.

    .venv/bin/python bench/warm.py [--repeats 5] [--loop 100] [--tui-loop 100] [--rounds 15]
                                   [--lineage-only] [--batches 20 --hours 24 --hz 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lakehouse_tui.core.run_events import ExitCode
from lakehouse_tui.runservice.child import RunRequest, WarmClient, rss_kib
from lineage_warm import measure as lineage_cost
from materialize import BIN, compiled_sql, floor_once, plain_dbt_build, timed

TUI_MEMORY = r"""
import asyncio, json, os, sys
from lakehouse_tui import config
from lakehouse_tui.tui.app import create_app
from lakehouse_tui.runservice.child import RunRequest, rss_kib

async def main(runs):
    app = create_app(config.load(None), warm_runs=True)
    rss = {}
    async with app.run_test(size=(160, 48)) as pilot:
        while app.warm is None:
            await pilot.pause(0.05)
        assert await asyncio.to_thread(app.warm.wait_ready, 180)
        await app.workers.wait_for_complete()
        await pilot.pause()
        def sample(label):
            tui, warm = rss_kib(os.getpid()), rss_kib(app.warm.pid)
            rss[label] = {"tui": tui, "warm": warm}
        sample("idle")
        for index in range(runs):
            app.start_run(RunRequest(selection="dim_batch"))
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.child is not None or app.query_one("#run-panel").outcome != "succeeded":
                sys.exit(f"run {index + 1} through the TUI did not succeed")
            if index + 1 in (1, 10, runs):
                sample(f"after {index + 1} runs")
    print(json.dumps(rss))

asyncio.run(main(int(sys.argv[1])))
"""


def tui_memory(runs: int, env: dict[str, str]) -> dict[str, dict[str, int]]:
    """RSS (KiB) of the TUI process and its warm executor, idle and after runs through it."""
    result = subprocess.run(
        [sys.executable, "-c", TUI_MEMORY, str(runs)], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"the TUI memory run failed:\n{result.stderr[-2000:]}")
    memory: dict[str, dict[str, int]] = json.loads(result.stdout.splitlines()[-1])
    return memory


def test_sql(target: Path) -> list[str]:
    """The compiled SQL of dbt's data tests (they live in `<schema>.yml/` folders)."""
    folder = target / "compiled" / "lakehouse" / "models"
    return [path.read_text() for path in sorted(folder.rglob("*.yml/*.sql"))]


def floor_with_tests(warehouse: Path, sql: dict[str, str], tests: list[str]) -> float:
    """The floor, then each data test's query on the result: what `dbt build` must do."""
    started = time.perf_counter()
    floor_once(warehouse, sql, 2, "4GB")
    connection = duckdb.connect(str(warehouse))
    connection.execute("set threads = 2; set memory_limit = '4GB'")
    for body in tests:
        body = body.replace('"warehouse".', f'"{warehouse.stem}".')
        connection.execute(f"select count(*) from ({body}) as failures").fetchall()
    connection.close()
    return time.perf_counter() - started


def warm_run(client: WarmClient, selection: str) -> float:
    started = time.perf_counter()
    if not client.wait_ready(120):
        sys.exit(f"the warm executor is not ready: {list(client.stderr_lines)[-5:]}")
    run = client.new_run(RunRequest(selection=selection))
    assert run is not None
    run.start()
    for _ in run.events():
        pass
    code = run.wait()
    elapsed = time.perf_counter() - started
    if code != ExitCode.OK:
        sys.exit(f"warm run of {selection} failed ({code}): {run.error_line()}")
    return elapsed


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux): less swayed by other work on the
    machine than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_run(client: WarmClient, selection: str, cpu: list[float]) -> float:
    """warm_run, also recording the CPU time the executor process spent on it."""
    before = cpu_seconds(client.pid)
    elapsed = warm_run(client, selection)
    cpu.append(cpu_seconds(client.pid) - before)
    return elapsed


def empty_outbox(state: Path) -> None:
    for path in (state / "openlineage").glob("outbox.*"):
        path.unlink()


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop", type=int, default=100, help="dim_batch runs for the RSS loop")
    parser.add_argument("--tui-loop", type=int, default=100, help="dim_batch runs via the TUI")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--hz", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the OpenLineage cost")
    parser.add_argument("--lineage-only", action="store_true", help="only the OpenLineage cost")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lakehouse-bench-warm-"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(root / name.lower())
    os.environ.pop("LAKEHOUSE_TUI_CONFIG", None)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env = dict(os.environ)
    app = [str(BIN / "lakehouse-tui")]
    gen = [*app, "demo", "--batches", str(args.batches), "--hours", str(args.hours)]
    subprocess.run([*gen, "--hz", str(args.hz)], env=env, check=True)

    timed([*app, "--materialize", "*"], env)  # parses, builds, warms the OS cache
    state = root / "xdg_state_home" / "lakehouse-tui"
    if args.lineage_only:
        load = f"{os.getloadavg()[0]:.2f}"
        lines = lineage_cost(root, state, args.rounds)
        print(f"load average before: {load}; after: {os.getloadavg()[0]:.2f}")
        print(f"raw: {args.batches} batches x {args.hours} h x {args.hz} Hz")
        print("\n".join(lines))
        return
    sql = compiled_sql(state / "dbt" / "target")
    tests = test_sql(state / "dbt" / "target")
    dbt_build, raw_dir = plain_dbt_build(root)
    env_dbt = dict(env, LAKEHOUSE_TUI_RAW_DIR=str(raw_dir))
    timed(dbt_build, env_dbt)  # first run parses; later ones partial-parse like a user's

    load_before = f"{os.getloadavg()[0]:.2f}"  # other work on the machine skews the figures
    client = WarmClient(None, restart=False)
    started = time.perf_counter()
    client.start()
    if not client.wait_ready(180):
        sys.exit(f"the warm executor did not start: {list(client.stderr_lines)[-5:]}")
    ready_after = time.perf_counter() - started
    assert client.pid is not None
    pid = client.pid
    rss = {"idle": rss_kib(pid)}
    os.environ["LAKEHOUSE_TUI_PUBLISH"] = "now"  # the second executor's environment
    publish_first = WarmClient(None, restart=False)
    publish_first.start()
    del os.environ["LAKEHOUSE_TUI_PUBLISH"]
    if not publish_first.wait_ready(180):
        sys.exit("the publish-first warm executor did not start")
    warm_run(publish_first, "*")
    first = warm_run(client, "*")
    rss["after 1 run"] = rss_kib(pid)

    results: dict[str, list[float]] = {
        "floor": [],
        "floor+tests": [],
        "dbt build": [],
        "cold '*'": [],
        "warm '*'": [],
        "warm dim": [],
        "warm 1st": [],
    }
    cpu: dict[str, list[float]] = {"warm '*'": []}
    for _ in range(args.repeats):
        results["floor"].append(floor_once(root / "floor.duckdb", sql, 2, "4GB"))
        results["floor+tests"].append(floor_with_tests(root / "floor.duckdb", sql, tests))
        results["dbt build"].append(timed(dbt_build, env_dbt))
        results["cold '*'"].append(timed([*app, "--materialize", "*"], env))
        results["warm '*'"].append(cpu_run(client, "*", cpu["warm '*'"]))
        results["warm dim"].append(warm_run(client, "dim_batch"))
        results["warm 1st"].append(warm_run(publish_first, "*"))
    publish_first.close()
    runs_before_loop = 1 + 2 * args.repeats
    lineage_lines = lineage_cost(root, state, args.rounds) if args.rounds else []
    rss[f"after {runs_before_loop} runs"] = rss_kib(pid)
    loop: list[float] = []
    for index in range(args.loop):
        loop.append(warm_run(client, "dim_batch"))
        if index == 9:
            rss[f"after {runs_before_loop + 10} runs"] = rss_kib(pid)
    rss[f"after {runs_before_loop + args.loop} runs"] = rss_kib(pid)
    client.close()
    tui_rss = tui_memory(args.tui_loop, env) if args.tui_loop else {}

    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"load average before: {load_before}; after: {os.getloadavg()[0]:.2f}")
    print(f"raw: {args.batches} batches x {args.hours} h x {args.hz} Hz; repeats: {args.repeats}")
    print(f"  warm executor ready after {ready_after:.2f} s; its first '*' run {first:.3f} s")
    for name, values in results.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<11} {medians[name]:7.3f} s   [{runs}]")
    floor, dbt, warm_all = medians["floor"], medians["dbt build"], medians["warm '*'"]
    print(f"  warm '*' / floor          {warm_all / floor:.2f}x  (target <= 1.40x)")
    print(f"  dbt build / warm '*'      {dbt / warm_all:.2f}x  (target >= 3x)")
    with_tests = medians["floor+tests"]
    print(f"  warm '*' / (floor+tests)  {warm_all / with_tests:.2f}x  ({len(tests)} data tests)")
    cold = medians["cold '*'"]
    print(f"  cold '*' / warm '*'       {cold / warm_all:.2f}x")
    print(f"  warm dim_batch            {medians['warm dim']:.3f} s  (target < 0.5 s)")
    wap = warm_all / medians["warm 1st"]
    print(f"  write-audit-publish cost  {wap:.3f}x of publish-then-test  (target <= 1.05x)")
    print(
        "  executor CPU per warm '*': "
        + "; ".join(f"{name} {statistics.median(values):.3f} s" for name, values in cpu.items())
    )
    print("\n".join(lineage_lines))
    if loop:
        print(
            f"  dim_batch loop of {len(loop)}: median {statistics.median(loop):.3f} s, "
            f"min {min(loop):.3f} s, max {max(loop):.3f} s"
        )
    print("  warm executor RSS: " + "; ".join(f"{k} {mib(v)}" for k, v in rss.items()))
    for label, sizes in tui_rss.items():
        total = sizes["tui"] + sizes["warm"]
        print(
            f"  TUI + warm executor, {label:<15} {mib(total)} "
            f"(TUI {mib(sizes['tui'])}, executor {mib(sizes['warm'])})"
        )


if __name__ == "__main__":
    main()
