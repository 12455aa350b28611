"""Two start-up costs of every in-process dbt invocation, cut without changing behaviour.

1. JSON schemas: on every start dbt asks mashumaro to build JSON schemas from its config
   dataclasses (Project, Configuration, credentials, flags...) just to validate a few YAML
   files: about 0.3 s, a tenth of a headless run on 10M rows. The schemas depend only on the
   installed dbt and adapter versions, so they are kept in a file keyed by those versions.
   Validation itself still runs, against the same schemas. A bad file falls back to building.
2. Behaviour-flag sources: registering the adapter labels each behaviour flag with the module
   that declared it by calling `inspect.stack()`, which reads the source of every frame
   (~0.1 s). Walking the frames' globals finds the same module name without reading files.
"""

from __future__ import annotations

import functools
import json
import sys
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


def _module_of_caller() -> str:
    """The first module on the stack outside dbt_common.behavior_flags (see 2. above)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        # Like inspect.getmodule: code without a source file (exec, -c) has no module.
        if (
            name
            and name != "dbt_common.behavior_flags"
            and not frame.f_code.co_filename.startswith("<")
        ):
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return "Unknown"


def install(cache_dir: Path) -> None:
    """Apply both shortcuts for the rest of the process (idempotent)."""
    global _installed, _path
    if _installed is not None:
        return
    from dbt_common.behavior_flags import BehaviorFlagRendered

    BehaviorFlagRendered._default_source = staticmethod(_module_of_caller)  # type: ignore[method-assign]
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
