"""Generate realistic bioreactor sensor data: one parquet file per batch, long format.

Curves follow a fed-batch fermentation: cells grow along a logistic curve, so dissolved
oxygen falls while agitation, off-gas CO2 and acid production (pH drift) rise; temperature is
held near 37 C. Every batch has noise and a few sensor dropouts (gaps, null readings); one
batch has a temperature excursion. Everything is vectorised with numpy and pyarrow, and the
output depends only on the arguments (same seed, same bytes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse_tui import filesystem
from lakehouse_tui.errors import UsageError

TAGS = ("temperature", "ph", "do", "pressure", "agitation", "co2")
EQUIPMENT = ("BR-01", "BR-02", "BR-03", "BR-04")
SITE_OF_EQUIPMENT = {"BR-01": "cambridge", "BR-02": "cambridge", "BR-03": "basel", "BR-04": "basel"}
FIRST_BATCH_START = datetime(2026, 1, 5, 6, 0, 0)
RAW_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("equipment_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("tag", pa.string()),
        ("value", pa.float64()),
        ("site", pa.string()),
    ]
)


@dataclass(frozen=True)
class DemoResult:
    files: list[Path]
    rows: int
    seconds: float


def batch_id(index: int) -> str:
    return f"FB-{FIRST_BATCH_START.year}-{index + 1:03d}"


def _tag_curves(t: np.ndarray, rng: np.random.Generator, excursion: bool) -> dict[str, np.ndarray]:
    """Sensor values for one batch; `t` is batch progress from 0 to 1."""
    growth = 1.0 / (1.0 + np.exp(-10.0 * (t - 0.45)))
    n = t.size
    temperature = 37.0 + 0.08 * np.sin(t * 40.0) + rng.normal(0.0, 0.05, n)
    if excursion:
        # A cooling-jacket fault: about 4% of the batch spent well above set point.
        window = (t > 0.55) & (t < 0.59)
        temperature = temperature + window * (3.5 * np.sin((t - 0.55) / 0.04 * np.pi))
    return {
        "temperature": temperature,
        "ph": 7.05 - 0.35 * growth + 0.03 * np.sin(t * 25.0) + rng.normal(0.0, 0.01, n),
        "do": np.clip(98.0 - 68.0 * growth + rng.normal(0.0, 1.2, n), 0.0, 100.0),
        "pressure": 1.20 + 0.04 * growth + rng.normal(0.0, 0.005, n),
        "agitation": 200.0 + 450.0 * growth + rng.normal(0.0, 3.0, n),
        "co2": 0.04 + 4.5 * growth + rng.normal(0.0, 0.05, n),
    }


def _dropout_mask(n: int, hz: float, rng: np.random.Generator) -> np.ndarray:
    """True where a reading exists: a couple of 5-20 minute gaps per tag, at random."""
    keep = np.ones(n, dtype=bool)
    for _ in range(int(rng.integers(0, 3))):
        length = int(rng.uniform(300, 1200) * hz)
        start = int(rng.integers(0, max(1, n - length)))
        keep[start : start + length] = False
    return keep


def make_batch(
    index: int, hours: float, hz: float, rng: np.random.Generator, excursion: bool
) -> pa.Table:
    """One batch's long-format table."""
    n = int(hours * 3600 * hz)
    if n < 1:
        raise UsageError(f"--hours {hours} at --hz {hz} gives no samples; raise either")
    equipment = EQUIPMENT[index % len(EQUIPMENT)]
    start = FIRST_BATCH_START + timedelta(hours=index * (hours + 6.0))
    start_us = int((start - datetime(1970, 1, 1)).total_seconds() * 1_000_000)
    ts_all = start_us + (np.arange(n, dtype=np.int64) * (1_000_000 / hz)).astype(np.int64)
    t = np.linspace(0.0, 1.0, n)
    curves = _tag_curves(t, rng, excursion)
    ts_parts, value_parts, tag_parts = [], [], []
    for tag in TAGS:
        keep = _dropout_mask(n, hz, rng)
        values = curves[tag][keep]
        ts_parts.append(ts_all[keep])
        value_parts.append(values)
        tag_parts.append(pa.repeat(pa.scalar(tag), values.size))
    values = np.concatenate(value_parts)
    # A flaky transmitter: about one reading in 20,000 arrives empty.
    null_mask = rng.random(values.size) < 5e-5
    rows = values.size
    return pa.table(
        [
            pa.repeat(pa.scalar(batch_id(index)), rows),
            pa.repeat(pa.scalar(equipment), rows),
            pa.array(np.concatenate(ts_parts), type=pa.timestamp("us")),
            pa.concat_arrays(tag_parts),
            pa.array(values, mask=null_mask, type=pa.float64()),
            pa.repeat(pa.scalar(SITE_OF_EQUIPMENT[equipment]), rows),
        ],
        schema=RAW_SCHEMA,
    )


def generate(
    raw_dir: Path,
    *,
    batches: int = 8,
    hours: float = 24.0,
    hz: float = 0.1,
    seed: int = 7,
    force: bool = False,
    on_file: Callable[[Path, int], None] | None = None,
) -> DemoResult:
    """Write `batches` parquet files into raw_dir; refuses to overwrite unless force."""
    import time

    if batches < 1:
        raise UsageError("--batches must be at least 1")
    if hours <= 0 or hz <= 0:
        raise UsageError("--hours and --hz must be greater than 0")
    targets = [raw_dir / f"{batch_id(i)}.parquet" for i in range(batches)]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise UsageError(
            f"{existing[0]} already exists ({len(existing)} of {batches} batch files); "
            "pass --force to overwrite them"
        )
    filesystem.private_dir(raw_dir, "raw dir", "set [lake] raw_dir to a directory")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    excursion_batch = batches // 2
    total = 0
    for index, target in enumerate(targets):
        table = make_batch(index, hours, hz, rng, excursion=index == excursion_batch)
        # Write beside the target and rename, so a reader never sees half a file.
        partial = target.with_name(f".{target.name}.partial")
        pq.write_table(table, partial, compression="snappy")
        os.replace(partial, target)
        total += table.num_rows
        if on_file is not None:
            on_file(target, table.num_rows)
    return DemoResult(files=targets, rows=total, seconds=time.perf_counter() - started)
