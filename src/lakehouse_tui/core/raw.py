"""The raw asset: validate and describe the parquet files in the raw lake dir.

The scan reads parquet footers (schema, row counts, statistics), not the data, so it stays
fast on large files. A file that cannot be read, is empty or has the wrong columns or types
fails the raw asset with a message naming the file, so nothing downstream runs on bad input.
`fingerprint` (names, sizes, mtimes) is the raw data version used for staleness; it only
stats files and must stay free of heavy imports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse_tui.errors import DataError

EXPECTED_COLUMNS = ("batch_id", "equipment_id", "ts", "tag", "value", "site")
STRING_COLUMNS = ("batch_id", "equipment_id", "tag", "site")


def parquet_files(raw_dir: Path) -> list[Path]:
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.glob("*.parquet") if p.is_file())


def fingerprint(raw_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in parquet_files(raw_dir):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return "raw-" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class RawScan:
    files: int
    bytes: int
    rows: int
    ts_min: datetime | None
    ts_max: datetime | None
    batch_ids: tuple[str, ...]

    def metadata(self) -> dict[str, Any]:
        return {
            "file_count": self.files,
            "bytes": self.bytes,
            "rows": self.rows,
            "ts_min": self.ts_min.isoformat(sep=" ") if self.ts_min else None,
            "ts_max": self.ts_max.isoformat(sep=" ") if self.ts_max else None,
            "batch_count": len(self.batch_ids),
            "batch_ids": list(self.batch_ids[:50]),
        }


def _type_problem(name: str, arrow_type: Any) -> str | None:
    import pyarrow as pa

    def is_text(t: Any) -> bool:
        return bool(
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or (pa.types.is_dictionary(t) and is_text(t.value_type))
        )

    if name in STRING_COLUMNS and not is_text(arrow_type):
        return f"column {name} is {arrow_type}, expected text"
    if name == "ts" and not pa.types.is_timestamp(arrow_type):
        return f"column ts is {arrow_type}, expected a timestamp"
    if name == "value" and not (
        pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type)
    ):
        return f"column value is {arrow_type}, expected a number"
    return None


def _ts_range(file: Any, ts_index: int) -> tuple[datetime | None, datetime | None]:
    low: datetime | None = None
    high: datetime | None = None
    metadata = file.metadata
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(ts_index).statistics
        if stats is None or not stats.has_min_max:
            import pyarrow.compute as pc

            column = file.read(columns=["ts"]).column("ts")
            bounds = pc.min_max(column)
            return bounds["min"].as_py(), bounds["max"].as_py()
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return low, high


def _batch_ids(file: Any, index: int) -> set[str]:
    metadata = file.metadata
    found: set[str] = set()
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or stats.min != stats.max:
            import pyarrow.compute as pc

            column = file.read(columns=["batch_id"]).column("batch_id")
            return {v for v in pc.unique(column).to_pylist() if v is not None}
        found.add(stats.min)
    return found


def scan(raw_dir: Path) -> RawScan:
    """Validate every parquet file and summarise them; raises DataError naming a bad file."""
    import pyarrow.parquet as pq

    files = parquet_files(raw_dir)
    if not files:
        raise DataError(
            f"raw dir {raw_dir} has no parquet files; run `lakehouse-tui demo` to generate "
            "sample data, or copy batch files there"
        )
    total_rows = total_bytes = 0
    ts_min: datetime | None = None
    ts_max: datetime | None = None
    batch_ids: set[str] = set()
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
        except Exception as err:  # pyarrow raises several types for a bad footer
            raise DataError(
                f"{path}: not a readable parquet file ({str(err).splitlines()[0]}); "
                "replace or remove it"
            ) from None
        missing = [c for c in EXPECTED_COLUMNS if c not in schema.names]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)}; expected "
                f"{', '.join(EXPECTED_COLUMNS)}"
            )
        for name in EXPECTED_COLUMNS:
            problem = _type_problem(name, schema.field(name).type)
            if problem:
                raise DataError(f"{path}: {problem}; fix the file or remove it from the raw dir")
        rows = parquet.metadata.num_rows
        if rows == 0:
            raise DataError(f"{path}: has no rows; remove it or replace it with a full batch file")
        low, high = _ts_range(parquet, schema.get_field_index("ts"))
        if low is not None and high is not None:
            ts_min = low if ts_min is None else min(ts_min, low)
            ts_max = high if ts_max is None else max(ts_max, high)
        batch_ids |= _batch_ids(parquet, schema.get_field_index("batch_id"))
        total_rows += rows
        total_bytes += path.stat().st_size
    return RawScan(len(files), total_bytes, total_rows, ts_min, ts_max, tuple(sorted(batch_ids)))
