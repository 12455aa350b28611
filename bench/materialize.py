"""Benchmark: materializing all five models on ~10M raw rows, against its baselines.

In one run, with several repeats each, it times:
  floor        the same model SQL run directly in DuckDB (in-process, no dbt)
  dbt build    plain `dbt build` CLI on dbt/ (partial parsing warm, as users run it)
  materialize  `lakehouse-tui --materialize '*'` (write-audit-publish: checks before publishing)
  publish 1st  the same with LAKEHOUSE_TUI_PUBLISH=now (publish, then test: dbt's order)
  no-op        `lakehouse-tui --materialize '*' --skip-unchanged` with nothing changed
and prints medians and ratios. Targets: materialize <= 0.8x dbt build; no-op < 0.3 s;
write-audit-publish costs at most 5% (materialize / publish 1st <= 1.05x).

    .venv/bin/python bench/materialize.py [--repeats 5] [--batches 20 --hours 24 --hz 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

BIN = Path(sys.executable).parent
MODELS = (  # (schema, name, materialization) in dependency order
    ("staging", "stg_bioreactor", "view"),
    ("intermediate", "int_bioreactor_downsample_5m", "table"),
    ("curated", "dim_batch", "table"),
    ("curated", "fact_bioreactor_batch_stats", "table"),
    ("marts", "mart_bioreactor_overview", "table"),
)


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def compiled_sql(target: Path) -> dict[str, str]:
    folder = target / "compiled" / "lakehouse" / "models"
    return {path.stem: path.read_text() for path in folder.rglob("*.sql")}


def floor_once(warehouse: Path, sql: dict[str, str], threads: int, memory: str) -> float:
    warehouse.unlink(missing_ok=True)
    started = time.perf_counter()
    connection = duckdb.connect(str(warehouse))
    connection.execute(f"set threads = {threads}; set memory_limit = '{memory}'")
    for schema, name, kind in MODELS:
        # dbt-duckdb names the database after the file; compiled SQL refers to it.
        body = sql[name].replace('"warehouse".', f'"{warehouse.stem}".')
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(f"create or replace {kind} {schema}.{name} as {body}")
    connection.close()
    return time.perf_counter() - started


def plain_dbt_build(root: Path) -> tuple[list[str], Path]:
    """The baseline: `dbt build` CLI on dbt/ with the app's generated profile, and the raw dir
    it reads (pass it as LAKEHOUSE_TUI_RAW_DIR)."""
    state = root / "xdg_state_home" / "lakehouse-tui"
    argv = [
        str(BIN / "dbt"),
        "build",
        "--project-dir",
        str(Path(__file__).resolve().parents[1] / "dbt"),
        "--profiles-dir",
        str(state / "dbt" / "profiles"),
        "--target-path",
        str(root / "plain-target"),
        "--log-path",
        str(root / "plain-logs"),
    ]
    return argv, root / "xdg_data_home" / "lakehouse-tui" / "raw"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--hz", type=float, default=1.0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lakehouse-bench-"))
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(root / name.lower())
    env.pop("LAKEHOUSE_TUI_CONFIG", None)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    app = [str(BIN / "lakehouse-tui")]
    gen = [
        *app,
        "demo",
        "--batches",
        str(args.batches),
        "--hours",
        str(args.hours),
        "--hz",
        str(args.hz),
    ]
    subprocess.run(gen, env=env, check=True)

    # One run to parse, build and warm the OS cache; it also leaves the compiled SQL.
    timed([*app, "--materialize", "*"], env)
    state = root / "xdg_state_home" / "lakehouse-tui"
    sql = compiled_sql(state / "dbt" / "target")
    dbt_build, raw_dir = plain_dbt_build(root)
    env_dbt = dict(env, LAKEHOUSE_TUI_RAW_DIR=str(raw_dir))
    timed(dbt_build, env_dbt)  # first run parses; later ones partial-parse like a user's

    env_now = dict(env, LAKEHOUSE_TUI_PUBLISH="now")
    results: dict[str, list[float]] = {
        "floor": [],
        "dbt build": [],
        "materialize": [],
        "publish 1st": [],
        "no-op": [],
    }
    for _ in range(args.repeats):
        results["floor"].append(floor_once(root / "floor.duckdb", sql, 2, "4GB"))
        results["dbt build"].append(timed(dbt_build, env_dbt))
        results["materialize"].append(timed([*app, "--materialize", "*"], env))
        results["publish 1st"].append(timed([*app, "--materialize", "*"], env_now))
        results["no-op"].append(timed([*app, "--materialize", "*", "--skip-unchanged"], env))

    rows = subprocess.run(
        [*app, "status", "--json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    raw_rows = (
        next(line for line in rows.splitlines() if '"rows"' in line).split(":")[1].strip(" ,")
    )
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"raw rows: {int(raw_rows):,}; repeats: {args.repeats}; medians (all runs)")
    for name, values in results.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<12} {medians[name]:7.3f} s   [{runs}]")
    print(
        f"  materialize / dbt build   {medians['materialize'] / medians['dbt build']:.2f}x"
        "  (target <= 0.80x)"
    )
    print(f"  materialize / floor       {medians['materialize'] / medians['floor']:.2f}x")
    print(f"  dbt build / floor         {medians['dbt build'] / medians['floor']:.2f}x")
    print(f"  no-op                     {medians['no-op']:.3f} s  (target < 0.3 s)")
    wap = medians["materialize"] / medians["publish 1st"]
    print(f"  write-audit-publish cost  {wap:.3f}x of publish-then-test  (target <= 1.05x)")


if __name__ == "__main__":
    main()
