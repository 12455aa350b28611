"""Benchmark: batch partitions on ~104M raw rows (200 batches x 24 h x 1 Hz x 6 tags).

In one run, with medians over `--repeats`:
  floor            the five models' SQL run directly in DuckDB (in-process, no dbt)
  dbt build        plain `dbt build` CLI on dbt/ (rebuilds everything)
  full CLI         `lakehouse-tui --materialize '*' --full-refresh`
  full warm        the same through the warm executor (request -> idle line)
  1 batch CLI      one new batch file, then `--materialize '*' --skip-unchanged`
  1 batch warm     the same through the warm executor
Then, on a second lake of 1,000 small batches: the no-op (`--materialize '*'
--skip-unchanged` with nothing changed) and `status`. Peak memory (max RSS) of the full
refresh (CLI process; warm executor's high-water mark) against the floor's.

Targets (issue 15): 1 batch warm <= 5% of full warm and >= 20x faster than dbt build;
full warm <= 1.15x floor; no-op at 1,000 partitions < 0.15 s; status < 0.5 s.

    .venv/bin/python bench/partitions.py [--repeats 3] [--batches 200 --hours 24 --hz 1]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from materialize import BIN, compiled_sql, plain_dbt_build, timed

ADD_BATCH = """
import os, sys, numpy as np, pyarrow.parquet as pq
from pathlib import Path
from lakehouse_tui import demo
raw, index, hours, hz = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
table = demo.make_batch(index, hours, hz, np.random.default_rng(index), False)
target = raw / f"{demo.batch_id(index)}.parquet"
pq.write_table(table, raw / ".adding.partial")
os.replace(raw / ".adding.partial", target)
"""

FLOOR = """
import json, resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from materialize import floor_once
sql = json.loads(Path(sys.argv[2]).read_text())
print(floor_once(Path(sys.argv[3]), sql, 2, "4GB"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

PEAK = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], capture_output=True).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


class Warm:
    """A warm executor child speaking its line protocol (see lakehouse_tui.warm)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakehouse_tui.warm"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.until("ready")

    def until(self, event: str) -> dict[str, object]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            data = json.loads(line)
            if data.get("event") in (event, "fatal"):
                if data.get("event") == "fatal":
                    sys.exit(f"warm executor: {data}")
                return data
        sys.exit("warm executor exited")

    def run(self, **request: object) -> float:
        assert self.process.stdin is not None
        started = time.perf_counter()
        self.process.stdin.write(json.dumps({"selection": "*", **request}) + "\n")
        self.process.stdin.flush()
        idle = self.until("idle")
        elapsed = time.perf_counter() - started
        if idle.get("exit_code") != 0:
            sys.exit(f"warm run {request} failed: {idle}")
        return elapsed

    def peak_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def lake_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(root / name.lower())
    env.pop("LAKEHOUSE_TUI_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def median_line(name: str, values: list[float]) -> str:
    runs = ", ".join(f"{v:.3f}" for v in values)
    return f"  {name:<14} {statistics.median(values):8.3f} s   [{runs}]"


def thousand_partitions(repeats: int) -> tuple[list[float], list[float]]:
    root = Path(tempfile.mkdtemp(prefix="lakehouse-bench-1k-"))
    env = lake_env(root)
    app = [str(BIN / "lakehouse-tui")]
    gen = [*app, "demo", "--batches", "1000", "--hours", "0.5", "--hz", "0.01"]
    subprocess.run(gen, env=env, check=True, capture_output=True)
    timed([*app, "--materialize", "*"], env)
    noop = [timed([*app, "--materialize", "*", "--skip-unchanged"], env) for _ in range(repeats)]
    status = [timed([*app, "status"], env) for _ in range(repeats)]
    return noop, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--hz", type=float, default=1.0)
    parser.add_argument("--root", type=Path, help="reuse the lake an earlier run left here")
    args = parser.parse_args()

    root = args.root or Path(tempfile.mkdtemp(prefix="lakehouse-bench-parts-"))
    env = lake_env(root)
    app = [str(BIN / "lakehouse-tui")]
    size = ["--batches", str(args.batches), "--hours", str(args.hours), "--hz", str(args.hz)]
    raw_dir = root / "xdg_data_home" / "lakehouse-tui" / "raw"
    if args.root is None:
        subprocess.run([*app, "demo", *size], env=env, check=True)
    else:
        args.batches = len(list(raw_dir.glob("*.parquet")))

    timed([*app, "--materialize", "*"], env)  # parse, build, warm the OS cache
    state = root / "xdg_state_home" / "lakehouse-tui"
    sql_file = root / "floor-sql.json"
    sql_file.write_text(json.dumps(compiled_sql(state / "dbt" / "target")))
    dbt_build, dbt_raw = plain_dbt_build(root)
    env_dbt = dict(env, LAKEHOUSE_TUI_RAW_DIR=str(dbt_raw))
    timed(dbt_build, env_dbt)

    bench_dir = str(Path(__file__).resolve().parent)
    results: dict[str, list[float]] = {
        k: []
        for k in ("floor", "dbt build", "full CLI", "full warm", "1 batch CLI", "1 batch warm")
    }
    peaks: dict[str, int] = {}
    next_batch = args.batches
    warm = Warm(env)

    def add_batch() -> None:
        nonlocal next_batch
        hours, hz = str(args.hours), str(args.hz)
        subprocess.run(
            [sys.executable, "-c", ADD_BATCH, str(raw_dir), str(next_batch), hours, hz],
            env=env,
            check=True,
        )
        next_batch += 1

    for _ in range(args.repeats):
        floor = subprocess.run(
            [sys.executable, "-c", FLOOR, bench_dir, str(sql_file), str(root / "floor.duckdb")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-2:]  # fmt: skip  (DuckDB's progress bar may come first)
        results["floor"].append(float(floor[0]))
        peaks["floor"] = max(peaks.get("floor", 0), int(floor[1]))
        results["dbt build"].append(timed(dbt_build, env_dbt))
        started = time.perf_counter()
        peak = subprocess.run(
            [sys.executable, "-c", PEAK, *app, "--materialize", "*", "--full-refresh"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        results["full CLI"].append(time.perf_counter() - started)
        if peak[0] != "0":
            sys.exit("full refresh failed")
        peaks["full CLI"] = max(peaks.get("full CLI", 0), int(peak[1]))
        results["full warm"].append(warm.run(full_refresh=True))
        add_batch()
        results["1 batch CLI"].append(timed([*app, "--materialize", "*", "--skip-unchanged"], env))
        add_batch()
        results["1 batch warm"].append(warm.run(skip_unchanged=True))
    peaks["full warm"] = warm.peak_kib()
    warm.close()

    status = json.loads(
        subprocess.run([*app, "status", "--json"], env=env, capture_output=True, text=True).stdout
    )
    raw_rows = next(s["rows"] for s in status if s["key"] == "raw_bioreactor_data")
    print(f"raw rows: {raw_rows:,} in {next_batch} batch files; repeats: {args.repeats}; medians")
    for name, values in results.items():
        print(median_line(name, values))
    med = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"  1 batch warm / full warm   {med['1 batch warm'] / med['full warm']:.1%}  (target <= 5%)"
    )
    print(
        f"  dbt build / 1 batch warm   {med['dbt build'] / med['1 batch warm']:.1f}x"
        "  (target >= 20x)"
    )
    print(f"  dbt build / 1 batch CLI    {med['dbt build'] / med['1 batch CLI']:.1f}x")
    print(f"  full warm / floor          {med['full warm'] / med['floor']:.2f}x  (target <= 1.15x)")
    print(f"  full CLI / floor           {med['full CLI'] / med['floor']:.2f}x")
    print(f"  full CLI / dbt build       {med['full CLI'] / med['dbt build']:.2f}x")
    print(
        "  peak memory (max RSS): " + ", ".join(f"{k} {v / 1024:.0f} MiB" for k, v in peaks.items())
    )
    noop, status_times = thousand_partitions(args.repeats)
    print("1,000 partitions:")
    print(median_line("no-op", noop) + "  (target < 0.15 s)")
    print(median_line("status", status_times) + "  (target < 0.5 s)")


if __name__ == "__main__":
    main()
