"""`lakehouse-tui demo`: generate sample bioreactor data in the raw dir."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="generate sample bioreactor data in the raw dir",
        description="Write sample fermentation batches (one parquet file per batch) into "
        "[lake] raw_dir, so every asset can be materialized without real data.",
    )
    parser.add_argument("--batches", type=int, default=8, help="number of batches (default 8)")
    parser.add_argument("--hours", type=float, default=24.0, help="hours per batch (default 24)")
    parser.add_argument(
        "--hz", type=float, default=0.1, help="samples per second per tag (default 0.1)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--force", action="store_true", help="overwrite existing batch files")
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the raw dir already has parquet files (for set-up scripts)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui import demo
    from lakehouse_tui.core.raw import parquet_files

    if args.if_missing and parquet_files(config.lake.raw_dir):
        print(f"{config.lake.raw_dir} already has data; nothing generated", file=sys.stderr)
        return 0
    result = demo.generate(
        config.lake.raw_dir,
        batches=args.batches,
        hours=args.hours,
        hz=args.hz,
        seed=args.seed,
        force=args.force,
    )
    rate = result.rows / result.seconds if result.seconds else float("inf")
    print(
        f"wrote {len(result.files)} batch files, {result.rows:,} rows to {config.lake.raw_dir} "
        f"in {result.seconds:.2f} s ({rate / 1e6:.1f}M rows/s)",
        file=sys.stderr,
    )
    return 0
