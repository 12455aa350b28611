"""Cache the JSON schemas dbt builds to validate its project, profile and flags.

On every start dbt asks mashumaro to build JSON schemas from its config dataclasses (Project,
Configuration, credentials, flags...) just to validate a few YAML files: about 0.3 s, a tenth
of a headless run on 10M rows. The schemas depend only on the installed dbt and adapter
versions, so they are kept in a file in the cache dir, keyed by those versions. Validation
itself still runs, against the same schemas. Any problem with the file falls back to dbt's
own behaviour.
"""

from __future__ import annotations

import functools
import json
from importlib import metadata
from pathlib import Path
from typing import Any

_installed: dict[str, Any] | None = None
_path: Path | None = None
_dirty = False


def _versions() -> str:
    names = ("dbt-core", "dbt-common", "dbt-duckdb", "dbt-postgres", "mashumaro")
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ",".join(found)


def install(cache_dir: Path) -> None:
    """Serve dbt's JSON schemas from the cache file from now on (idempotent)."""
    global _installed, _path
    if _installed is not None:
        return
    from dbt_common.dataclass_schema import dbtClassMixin

    _path = cache_dir / "dbt-json-schemas.json"
    versions = _versions()
    try:
        stored = json.loads(_path.read_text(encoding="utf-8"))
        schemas = stored["schemas"] if stored.get("versions") == versions else {}
    except (OSError, ValueError, KeyError, TypeError):
        schemas = {}
    _installed = {"versions": versions, "schemas": schemas}
    build = dbtClassMixin.json_schema.__func__  # type: ignore[attr-defined]

    @functools.lru_cache
    def json_schema(cls: type) -> Any:
        global _dirty
        key = f"{cls.__module__}.{cls.__qualname__}"
        if key not in schemas:
            schemas[key] = build(cls)
            _dirty = True
        return schemas[key]

    dbtClassMixin.json_schema = classmethod(json_schema)  # type: ignore[arg-type,assignment,method-assign]


def save() -> None:
    """Write newly built schemas to the cache file (atomically); errors are ignored."""
    global _dirty
    if not _dirty or _installed is None or _path is None:
        return
    try:
        _path.parent.mkdir(parents=True, exist_ok=True)
        partial = _path.with_suffix(".partial")
        partial.write_text(json.dumps(_installed), encoding="utf-8")
        partial.replace(_path)
        _dirty = False
    except OSError:
        pass
