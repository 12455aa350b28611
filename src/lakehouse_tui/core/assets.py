"""Assets: what can be materialized, translated from the dbt manifest plus non-dbt sources.

A *unit* asset is something one step materializes: the raw parquet files, an Airbyte
connection, or one dbt model. The four seed assets of the pipeline (raw_bioreactor_data,
dbt_staging_models, dbt_curated_models, dbt_postgres_marts) are kept: the raw one is a unit,
the three dbt ones are *group assets* whose members are the models selected by their tags.
`DbtTranslator` is the one place that decides how a dbt node becomes an asset; replace it to
change keys, groups or kinds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

RAW_ASSET = "raw_bioreactor_data"
RAW_GROUP = "raw_ingestion"


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    data_type: str | None = None


@dataclass(frozen=True)
class Check:
    """A dbt data test attached to an asset; `error` severity blocks downstream assets."""

    name: str
    unique_id: str
    asset_key: str
    test: str
    column: str | None
    severity: str
    parents: tuple[str, ...] = ()  # the dbt nodes the test reads (unique ids)
    stores_failures: bool = False

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    @property
    def runs_in_executor(self) -> bool:
        """Evaluated by the executor right after its model is built (core.checks), rather
        than as a dbt node: a test of one model that keeps no failure table. Tests of
        several models (relationships) stay dbt nodes, which dbt orders after all of them."""
        return len(self.parents) == 1 and not self.stores_failures


@dataclass(frozen=True)
class Asset:
    key: str
    group: str
    kind: str  # raw | airbyte | duckdb | postgres
    description: str
    deps: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    unique_id: str | None = None
    schema: str | None = None
    relation: str | None = None  # schema.table where the model lives
    materialized: str | None = None
    columns: tuple[Column, ...] = ()
    sql: str = ""
    path: str | None = None
    code_version: str | None = None
    checks: tuple[Check, ...] = ()
    unit_tests: tuple[str, ...] = ()  # dbt unit tests of the model, by name; dbt runs them
    group_asset: str | None = None  # the seed group asset this model belongs to
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class GroupAsset:
    key: str
    group: str
    tags: tuple[str, ...]
    description: str


GROUP_ASSETS: tuple[GroupAsset, ...] = (
    GroupAsset(
        "dbt_staging_models",
        "dbt_staging",
        ("stg",),
        "dbt staging models: typed views over the raw parquet files (DuckDB views).",
    ),
    GroupAsset(
        "dbt_curated_models",
        "dbt_curated",
        ("int", "curated"),
        "dbt intermediate and curated models: downsampled readings, batch dimension and "
        "per-batch statistics (DuckDB tables).",
    ),
    GroupAsset(
        "dbt_postgres_marts",
        "dbt_marts",
        ("mart",),
        "dbt marts for BI dashboards (PostgreSQL tables, or DuckDB in the embedded default).",
    ),
)

JOBS: dict[str, str] = {
    "ingest_raw_data": f"group:{RAW_GROUP}",
    "transform_dbt_models": "group:dbt_staging or group:dbt_curated or group:dbt_marts",
}


def airbyte_asset(key: str, connection: Any, description: str = "") -> Asset:
    """An Airbyte connection feeding the raw lake; `connection` is the config entry."""
    label = connection.name or connection.id
    return Asset(
        key=key,
        group=RAW_GROUP,
        kind="airbyte",
        description=description or f"Airbyte connection {label!r}: a sync lands new raw files.",
        tags=("airbyte",),
        extra={"connection": connection},
    )


# Evaluated by the raw step on each new or changed file (core.raw), not by dbt: on the
# staging view it re-read every file on every run (2.6 s of a 5 s warm run at 10M rows).
RAW_DUPLICATES_CHECK = Check(
    name="raw_no_duplicate_readings",
    unique_id="lakehouse_tui.raw_no_duplicate_readings",
    asset_key=RAW_ASSET,
    test="no_duplicate_readings",
    column=None,
    severity="warn",
)


def raw_asset(upstream: tuple[str, ...] = ()) -> Asset:
    return Asset(
        key=RAW_ASSET,
        group=RAW_GROUP,
        kind="raw",
        description="Raw bioreactor sensor readings: parquet files in the raw lake dir, one per "
        "batch, long format (batch_id, equipment_id, ts, tag, value, site).",
        deps=upstream,
        tags=("raw",),
        checks=(RAW_DUPLICATES_CHECK,),
    )


class DbtTranslator:
    """Maps a dbt manifest node to an asset. Subclass and override to customise."""

    def __init__(self, marts_target: str) -> None:
        self.marts_target = marts_target

    def asset_key(self, node: dict[str, Any]) -> str:
        return str(node["name"])

    def group_asset(self, node: dict[str, Any]) -> GroupAsset | None:
        tags = set(node.get("tags", []))
        for group in GROUP_ASSETS:
            if tags & set(group.tags):
                return group
        return None

    def kind(self, node: dict[str, Any]) -> str:
        return self.marts_target if "mart" in node.get("tags", []) else "duckdb"

    def description(self, node: dict[str, Any]) -> str:
        return " ".join(str(node.get("description") or "").split())

    def code_version(self, node: dict[str, Any]) -> str:
        """Hash of the model's SQL file and the config that shapes its output."""
        config = node.get("config", {})
        shape = {
            "checksum": node.get("checksum", {}).get("checksum"),
            "materialized": config.get("materialized"),
            "schema": node.get("schema"),
            "kind": self.kind(node),
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _checks(manifest: dict[str, Any], key_of: dict[str, str]) -> dict[str, list[Check]]:
    checks: dict[str, list[Check]] = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "test":
            continue
        attached = node.get("attached_node") or next(
            (dep for dep in node.get("depends_on", {}).get("nodes", []) if dep in key_of), None
        )
        if attached not in key_of:
            continue
        asset_key = key_of[attached]
        metadata = node.get("test_metadata") or {}
        checks.setdefault(asset_key, []).append(
            Check(
                name=str(node["name"]),
                unique_id=unique_id,
                asset_key=asset_key,
                test=str(metadata.get("name") or "singular"),
                column=node.get("column_name"),
                severity=str(node.get("config", {}).get("severity", "error")).lower(),
                parents=tuple(node.get("depends_on", {}).get("nodes", [])),
                stores_failures=bool(node.get("config", {}).get("store_failures")),
            )
        )
    return checks


def _unit_tests(manifest: dict[str, Any], key_of: dict[str, str]) -> dict[str, list[str]]:
    tests: dict[str, list[str]] = {}
    for node in manifest.get("unit_tests", {}).values():
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in key_of:
                tests.setdefault(key_of[parent], []).append(str(node["name"]))
    return tests


def dbt_assets(manifest: dict[str, Any], translator: DbtTranslator) -> list[Asset]:
    """Every dbt model as an asset; models that read raw files depend on the raw asset."""
    models = {
        uid: node
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }
    key_of = {uid: translator.asset_key(node) for uid, node in models.items()}
    checks = _checks(manifest, key_of)
    unit_tests = _unit_tests(manifest, key_of)
    assets = []
    for uid, node in models.items():
        deps = tuple(key_of[d] for d in node.get("depends_on", {}).get("nodes", []) if d in key_of)
        if not deps:
            deps = (RAW_ASSET,)  # a model with no model parents reads the raw lake
        group = translator.group_asset(node)
        key = key_of[uid]
        assets.append(
            Asset(
                key=key,
                group=group.group if group else "dbt_other",
                kind=translator.kind(node),
                description=translator.description(node),
                deps=deps,
                tags=tuple(node.get("tags", [])),
                unique_id=uid,
                schema=node.get("schema"),
                relation=f"{node.get('schema')}.{node.get('alias') or node['name']}",
                materialized=node.get("config", {}).get("materialized"),
                columns=tuple(
                    Column(
                        c["name"],
                        " ".join(str(c.get("description") or "").split()),
                        c.get("data_type"),
                    )
                    for c in node.get("columns", {}).values()
                ),
                sql=str(node.get("raw_code") or ""),
                path=node.get("original_file_path"),
                code_version=translator.code_version(node),
                checks=tuple(checks.get(key, [])),
                unit_tests=tuple(unit_tests.get(key, [])),
                group_asset=group.key if group else None,
            )
        )
    return assets
