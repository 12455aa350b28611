"""dbt's real cause, not its first line: a real dbt run whose models fail on a conversion.

The raw asset is not selected (`stg_bioreactor+`), so a raw file whose `value` column is
text reaches dbt unvalidated, and DuckDB's cast fails inside the downstream tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from engine_fixtures import Lake, write_parquet
from lakehouse_tui.core.dbt_run import cause_line
from lakehouse_tui.demo import RAW_SCHEMA

CAUSE = (
    "Conversion Error: Could not convert string 'abc' to DOUBLE when casting from source "
    "column value"
)


def test_a_failed_model_records_dbts_cause(lake: Lake) -> None:
    lake.raw_dir.mkdir()
    start = datetime(2026, 3, 1, 6, 0, 0)
    text_values = pa.schema(
        [(f.name, pa.string() if f.name == "value" else f.type) for f in RAW_SCHEMA]
    )
    write_parquet(
        lake.raw_dir / "FB-2026-001.parquet",
        {
            "batch_id": ["FB-2026-001"] * 3,
            "equipment_id": ["BR-01"] * 3,
            "ts": [start + timedelta(seconds=20 * i) for i in range(3)],
            "tag": ["ph"] * 3,
            "value": ["7.0", "abc", "7.1"],
            "site": ["cambridge"] * 3,
        },
        schema=text_values,
    )
    result = lake.cli("--materialize", "stg_bioreactor+")
    assert result.code == 1, result.err
    run = lake.last_run()
    assets = lake.run_assets(run["id"])
    assert assets["int_bioreactor_downsample_5m"]["message"] == CAUSE
    assert assets["fact_bioreactor_batch_stats"]["message"] == CAUSE
    assert f"fact_bioreactor_batch_stats failed ({CAUSE})" in run["message"]
    assert f"int_bioreactor_downsample_5m: failed: {CAUSE}" in result.err


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        (
            "Runtime Error in model stg_bioreactor (models/staging/stg_bioreactor.sql)\n"
            "  Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB used)",
            "Out of Memory Error: could not allocate block of size 256.0 KiB (1.0 GiB used)",
        ),
        (
            "  Runtime Error in model dim_batch (models/curated/dim_batch.sql)\n"
            "  \n  IO Error: No space left on device\n",
            "IO Error: No space left on device",
        ),
        (
            "\x1b[31mDatabase Error in model x (models/x.sql)\x1b[0m\n  LINE 3: x\n  ^^^\n  boom",
            "boom",
        ),
        ("Could not connect to PostgreSQL\nsecond line", "Could not connect to PostgreSQL"),
        ("", ""),
    ],
)
def test_cause_line(message: str, cause: str) -> None:
    assert cause_line(message) == cause
