"""The raw asset: validate and describe the parquet files in the raw lake dir.

The scan reads parquet footers (schema, row counts, statistics), not the data, so it stays
fast on large files. A file that cannot be read, is empty or has the wrong columns or types
fails the raw asset with a message naming the file, so nothing downstream runs on bad input.
`fingerprint` (names, sizes, mtimes) is the raw data version used for staleness; it only
stats files and must stay free of heavy imports.

DuckDB treats `[ ] * ?` in a path as a glob, so every path is escaped (`glob_literal`) and the
scan checks it read exactly the one file it named. The validated names are handed to dbt
(`dbt_env`), whose staging model then reads exactly that set. A batch id found in two files
fails the raw asset when two files cover the same stretch of it (a copy: its readings
would be counted twice); a batch split across files by time is one partition of several files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse_tui.errors import DataError

RAW_FILES_ENV = "LAKEHOUSE_TUI_RAW_FILES"  # read by the dbt project's raw_file_filter()
RAW_UNIFORM_ENV = "LAKEHOUSE_TUI_RAW_UNIFORM"  # read by raw_union_by_name()
EXPECTED_COLUMNS = ("batch_id", "equipment_id", "ts", "tag", "value", "site")
STRING_COLUMNS = ("batch_id", "equipment_id", "tag", "site")


def parquet_files(raw_dir: Path) -> list[Path]:
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.glob("*.parquet") if p.is_file())


def fingerprint(raw_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in parquet_files(raw_dir):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # removed since it was listed: no longer part of the file set
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
    names: tuple[str, ...] = ()  # the validated files, by name in the raw dir
    duplicate_readings: tuple[tuple[str, int], ...] = ()  # (file name, repeated readings)
    uniform_schema: bool = False  # every file has the same column names and types

    def metadata(self) -> dict[str, Any]:
        return {
            "file_count": self.files,
            "bytes": self.bytes,
            "rows": self.rows,
            "ts_min": self.ts_min.isoformat(sep=" ") if self.ts_min else None,
            "ts_max": self.ts_max.isoformat(sep=" ") if self.ts_max else None,
            "batch_count": len(self.batch_ids),
            "batch_ids": list(self.batch_ids[:50]),
            "duplicate_readings": sum(count for _, count in self.duplicate_readings),
        }


# DuckDB type names as users know them from their data tools.
FRIENDLY_TYPES = {"VARCHAR": "string", "BLOB": "binary", "BOOLEAN": "boolean", "DATE": "date"}
NUMBER_TYPES = (
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)


def glob_literal(path: Path) -> str:
    """The path as a DuckDB file pattern that matches only itself: each glob character is
    put in a one-character class (`[` -> `[[]`)."""
    return "".join(f"[{c}]" if c in "[*?" else c for c in str(path))


def dbt_env(scan: RawScan) -> dict[str, str]:
    """What tells the dbt staging model to read exactly the validated files, and whether
    they share one schema: then DuckDB binds the view on one file's footer instead of
    reading every file's (union_by_name), so a query of a few batches opens only theirs."""
    return {
        RAW_FILES_ENV: json.dumps(list(scan.names)),
        RAW_UNIFORM_ENV: "1" if scan.uniform_schema else "",
    }


def _type_problem(name: str, duck_type: str) -> str | None:
    kind = duck_type.upper()
    shown = FRIENDLY_TYPES.get(kind, duck_type.lower())
    if name in STRING_COLUMNS and kind != "VARCHAR":
        return f"column {name} is {shown}, expected text"
    if name == "ts" and not kind.startswith("TIMESTAMP"):
        return f"column ts is {shown}, expected a timestamp"
    if name == "value" and not kind.startswith(NUMBER_TYPES):
        return f"column value is {shown}, expected a number"
    return None


def _bounds(connection: Any, path: Path, column: str) -> tuple[Any, Any]:
    """Min and max of a column: from the row-group statistics, else by reading it."""
    rows = connection.execute(
        "select stats_min_value, stats_max_value from parquet_metadata(?) where path_in_schema = ?",
        [glob_literal(path), column],
    ).fetchall()
    if rows and all(low is not None and high is not None for low, high in rows):
        return min(low for low, _ in rows), max(high for _, high in rows)
    row = connection.execute(
        f'select min("{column}")::varchar, max("{column}")::varchar from read_parquet(?)',
        [glob_literal(path)],
    ).fetchall()[0]
    return row[0], row[1]


def _batch_ids(connection: Any, path: Path) -> set[str]:
    low, high = _bounds(connection, path, "batch_id")
    if low is None or low == high:
        return {low} if low is not None else set()
    rows = connection.execute(
        "select distinct batch_id from read_parquet(?) where batch_id is not null",
        [glob_literal(path)],
    ).fetchall()
    return {row[0] for row in rows}


def _timestamp(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text is not None else None


def file_key(path: Path) -> str:
    """Identity of a file's content for caching: name, size and modification time, the
    same evidence the raw data version (`fingerprint`) rests on."""
    stat = path.stat()
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"


@dataclass(frozen=True)
class FileScan:
    """What validating one parquet file found."""

    rows: int
    bytes: int
    ts_min: str | None
    ts_max: str | None
    batch_ids: tuple[str, ...]
    # Readings (batch, tag, ts) that occur more than once in the file; None: not counted yet
    # (validated by an older version).
    duplicate_readings: int | None = None
    # (batch, rows, ts_min, ts_max) per batch, for a file holding several (one: the file's own).
    batch_stats: tuple[tuple[str, int, str | None, str | None], ...] = ()
    schema_signature: str | None = None  # its columns' names and types, in name order

    def stats_of(self, batch: str) -> tuple[int, str | None, str | None]:
        """Rows and time range of one of the file's batches."""
        for name, rows, low, high in self.batch_stats:
            if name == batch:
                return rows, low, high
        return self.rows, self.ts_min, self.ts_max


def scan_file(connection: Any, path: Path) -> FileScan:
    """Validate one parquet file; raises DataError naming it and the problem."""
    import duckdb

    pattern = glob_literal(path)
    try:
        columns = dict(
            (row[0], row[1])
            for row in connection.execute(
                "describe select * from read_parquet(?)", [pattern]
            ).fetchall()
        )
        footers = connection.execute(
            "select file_name, num_rows from parquet_file_metadata(?)", [pattern]
        ).fetchall()
    except duckdb.Error as err:
        reason = str(err).splitlines()[0].split(": ", 1)[-1]
        raise DataError(
            f"{path}: not a readable parquet file ({reason}); replace or remove it"
        ) from None
    if [name for name, _ in footers] != [str(path)]:  # the escaping is what makes this hold
        raise DataError(f"{path}: could not be read by its exact name; rename the file")
    rows = sum(count or 0 for _, count in footers)
    missing = [c for c in EXPECTED_COLUMNS if c not in columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; expected "
            f"{', '.join(EXPECTED_COLUMNS)}"
        )
    for name in EXPECTED_COLUMNS:
        problem = _type_problem(name, columns[name])
        if problem:
            raise DataError(f"{path}: {problem}; fix the file or remove it from the raw dir")
    if rows == 0:
        raise DataError(f"{path}: has no rows; remove it or replace it with a full batch file")
    try:
        low, high = (_timestamp(v) for v in _bounds(connection, path, "ts"))
        batch_ids = _batch_ids(connection, path)
        duplicates = _duplicate_readings(connection, path)
        per_batch = _batch_stats(connection, path) if len(batch_ids) > 1 else ()
    except (duckdb.Error, ValueError) as err:
        raise DataError(
            f"{path}: cannot read its data ({str(err).splitlines()[0]}); replace or remove it"
        ) from None
    return FileScan(
        int(rows),
        path.stat().st_size,
        low.isoformat(sep=" ") if low else None,
        high.isoformat(sep=" ") if high else None,
        tuple(sorted(batch_ids)),
        duplicates,
        per_batch,
        ",".join(f"{name}:{kind}" for name, kind in sorted(columns.items())),
    )


def _batch_stats(
    connection: Any, path: Path
) -> tuple[tuple[str, int, str | None, str | None], ...]:
    rows = connection.execute(
        "select batch_id, count(*), min(ts)::varchar, max(ts)::varchar from read_parquet(?) "
        "where batch_id is not null group by batch_id order by batch_id",
        [glob_literal(path)],
    ).fetchall()
    return tuple((str(b), int(n), low, high) for b, n, low, high in rows)


def _duplicate_readings(connection: Any, path: Path) -> int:
    """How many readings (batch, tag, ts) the file holds more than once. It reads the file's
    three key columns, once per new or changed file: the check costs the new batch only."""
    row = connection.execute(
        "select count(*) from (select 1 from read_parquet(?) "
        "group by batch_id, tag, ts having count(*) > 1)",
        [glob_literal(path)],
    ).fetchone()
    return int(row[0]) if row else 0


def scan(
    raw_dir: Path, known: Mapping[str, FileScan] | None = None
) -> tuple[RawScan, dict[str, FileScan]]:
    """Validate every parquet file and summarise them; raises DataError naming a bad file.

    `known` holds earlier results by `file_key`: a file that has not changed since it was
    validated is not read again. Returns the summary and the per-file results (for `known`
    next time). DuckDB reads only footers and statistics where they suffice; dbt imports it
    anyway, where pyarrow would add an import of its own to every run.
    """
    files = parquet_files(raw_dir)
    if not files:
        raise DataError(
            f"raw dir {raw_dir} has no parquet files; run `lakehouse-tui demo` to generate "
            "sample data, or copy batch files there"
        )
    known = known or {}
    results: dict[str, FileScan] = {}
    by_path: dict[Path, FileScan] = {}
    connection = None
    try:
        for path in files:
            try:
                key = file_key(path)
                if key in known and _complete(known[key]):
                    results[key] = by_path[path] = known[key]
                    continue
                if connection is None:
                    import duckdb

                    connection = duckdb.connect()
                results[key] = by_path[path] = scan_file(connection, path)
            except FileNotFoundError:
                raise DataError(
                    f"{path}: disappeared while the raw dir was being read (moved or deleted?); "
                    "run again once the files stop changing"
                ) from None
    finally:
        if connection is not None:
            connection.close()
    _refuse_duplicate_batches(raw_dir, by_path)
    scans = list(results.values())
    lows = [s.ts_min for s in scans if s.ts_min]
    highs = [s.ts_max for s in scans if s.ts_max]
    summary = RawScan(
        files=len(files),
        bytes=sum(s.bytes for s in scans),
        rows=sum(s.rows for s in scans),
        ts_min=_timestamp(min(lows)) if lows else None,
        ts_max=_timestamp(max(highs)) if highs else None,
        batch_ids=tuple(sorted({b for s in scans for b in s.batch_ids})),
        names=tuple(path.name for path in files),
        duplicate_readings=tuple(
            (path.name, count)
            for path, found in by_path.items()
            if (count := found.duplicate_readings or 0)
        ),
        uniform_schema=len({s.schema_signature for s in scans}) == 1,
    )
    return summary, results


def _complete(found: FileScan) -> bool:
    """Validated by a version that recorded all we need now (else read the file again)."""
    return (
        found.duplicate_readings is not None
        and found.schema_signature is not None
        and (len(found.batch_ids) <= 1 or bool(found.batch_stats))
    )


def _refuse_duplicate_batches(raw_dir: Path, by_path: Mapping[Path, FileScan]) -> None:
    """A batch may be split across files (by time, say), but two files covering the same
    stretch of one batch are a copy: every reading would be counted twice downstream."""
    seen: dict[str, list[tuple[Path, str | None, str | None]]] = {}
    clashes: list[tuple[str, Path, Path]] = []
    for path, found in by_path.items():
        for batch in found.batch_ids:
            _, low, high = found.stats_of(batch)
            for other, other_low, other_high in seen.get(batch, []):
                if _overlap(low, high, other_low, other_high):
                    clashes.append((batch, other, path))
                    break
            seen.setdefault(batch, []).append((path, low, high))
    if clashes:
        batch, one, other = clashes[0]
        more = f" (and {len(clashes) - 1} more batch(es) in two files)" if len(clashes) > 1 else ""
        raise DataError(
            f"raw dir {raw_dir}: batch {batch} is in both {one.name} and {other.name} over the "
            f"same time span{more}; remove or move one of the files so its readings are not "
            "counted twice"
        )


def _overlap(
    low: str | None, high: str | None, other_low: str | None, other_high: str | None
) -> bool:
    if None in (low, high, other_low, other_high):
        return True  # cannot tell: assume the worst
    return str(low) <= str(other_high) and str(other_low) <= str(high)
