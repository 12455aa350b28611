"""Benchmark: `lakehouse-tui watch`, from a new batch file landing to its batch being in
curated.dim_batch, and the watcher's CPU use while idle.

In one run it
  1. builds a lake (demo data, one full `--materialize '*'`),
  2. starts `lakehouse-tui watch` in a child process and, once it is watching, samples its
     utime+stime from /proc/<pid>/stat over --idle seconds (target < 1% of one core),
  3. lands --repeats new batch files (written beside the raw dir, then renamed into it, as a
     copy tool does) one at a time and, for each, takes the time from the rename to the end of
     the sensor run that materialized it (the run store's ended_at; the watcher's own line says
     when it is done, so DuckDB is not polled while the run writes), and checks the batch is in
     curated.dim_batch,
and prints the median latency, and as the baseline measured in the same run the median run
duration itself (what detecting and settling add is the difference). Target (issue 16): < 3 s
at 10M rows, with the incremental runs of issue 15; until then every run rebuilds the models.

    .venv/bin/python bench/sensor.py [--repeats 10] [--idle 60] [--settle 0.5s]
                                     [--poll 0.5s] [--batches 8 --hours 24 --hz 0.1]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Lines:
    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, needle: str, after: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [x for x in self.lines[after:] if needle in x]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"timed out waiting for {needle!r}:\n" + "\n".join(self.lines))
                self.changed.wait(left)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--settle", default="0.5s")
    parser.add_argument("--poll", default="0.5s")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--hz", type=float, default=0.1)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-sensor-"))
    env = dict(os.environ, **{v: str(root / v.lower()) for v in (
        "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")})  # fmt: skip
    env.pop("LAKEHOUSE_TUI_CONFIG", None)
    config = root / "lakehouse.toml"
    config.write_text(
        '[lake]\nraw_dir = "raw"\nwarehouse = "warehouse.duckdb"\n'
        f'[sensor]\nsettle = "{args.settle}"\npoll_interval = "{args.poll}"\n'
    )
    cli = [sys.executable, "-m", "lakehouse_tui", "--config", str(config)]
    demo = ["demo", "--batches", str(args.batches), "--hours", str(args.hours)]
    subprocess.run([*cli, *demo, "--hz", str(args.hz)], env=env, check=True, cwd=root)
    raw = root / "raw"
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in raw.glob("*.parquet"))
    subprocess.run([*cli, "--materialize", "*"], env=env, check=True, capture_output=True)
    template = pq.read_table(next(iter(sorted(raw.glob("*.parquet")))))

    watch = subprocess.Popen([*cli, "watch"], env=env, stderr=subprocess.PIPE, text=True)
    out = Lines(watch.stderr)
    try:
        out.wait_for("watch: watching", 0, 300)
        time.sleep(1.0)  # let start-up finish before sampling idle CPU
        before, started = cpu_seconds(watch.pid), time.monotonic()
        time.sleep(args.idle)
        idle_cpu = (cpu_seconds(watch.pid) - before) / (time.monotonic() - started)

        latencies, durations = [], []
        store = root / "xdg_state_home" / "lakehouse-tui" / "runs.sqlite"
        for index in range(1, args.repeats + 1):
            batch = f"BENCH-{index:03d}"
            table = template.set_column(
                template.schema.get_field_index("batch_id"),
                "batch_id",
                pa.array([batch] * template.num_rows, pa.string()),
            )
            scratch = root / f".{batch}.parquet"
            pq.write_table(table, scratch)
            mark = len(out.lines)
            landed = time.time()
            scratch.replace(raw / f"batch_{batch}.parquet")
            line = out.wait_for("(exit ", mark, 600)
            run_id = line.split("run ", 1)[1].split()[0]
            with sqlite3.connect(store) as db:
                start, end = db.execute(
                    "select started_at, ended_at from runs where id = ?", (run_id,)
                ).fetchone()
            with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
                found = con.execute(
                    "select count(*) from curated.dim_batch where batch_id = ?", [batch]
                ).fetchone()
            assert found and found[0] == 1, f"{batch} not in curated.dim_batch after {line}"
            latencies.append(end - landed)
            durations.append(end - start)
            print(f"  {batch}: landed -> in dim_batch {end - landed:.2f} s "
                  f"(run {end - start:.2f} s)", flush=True)  # fmt: skip
    finally:
        watch.terminate()
        code = watch.wait(60)
    latency, run = statistics.median(latencies), statistics.median(durations)
    print(f"raw rows: {rows:,} in {args.batches} batches (+ {args.repeats} new of "
          f"{template.num_rows:,} rows); settle {args.settle}, poll {args.poll}")  # fmt: skip
    spread = f"min {min(latencies):.2f}, max {max(latencies):.2f}"
    print(f"landed -> in curated.dim_batch, median of {len(latencies)}: {latency:.2f} s "
          f"({spread}); target < 3 s at 10M rows")  # fmt: skip
    print(f"baseline: the sensor run alone, median {run:.2f} s; detect + settle add "
          f"{latency - run:.2f} s ({latency / run:.2f}x)")  # fmt: skip
    print(f"watch idle CPU over {args.idle:.0f} s: {100 * idle_cpu:.3f}% of one core "
          f"(target < 1%); exit on SIGTERM: {code}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
