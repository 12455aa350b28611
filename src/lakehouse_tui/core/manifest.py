"""dbt's manifest.json, parsed only when the project changed.

Reading the asset graph must not import dbt (it costs over a second), so the graph is built
from manifest.json. A fingerprint of everything that shapes the manifest (project files,
profile, env, dbt version) is stored beside it; `dbt parse` runs only when that changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from lakehouse_tui.core.dbt_setup import DUCKDB_TARGET, PUBLISH_ENV, DbtSetup
from lakehouse_tui.errors import LakehouseError

FINGERPRINT_FILE = "lakehouse_tui_fingerprint.txt"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"  # dbt's own name for it


def project_fingerprint(setup: DbtSetup) -> str:
    digest = hashlib.sha256()
    for path in sorted(setup.project_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            rel = path.relative_to(setup.project_dir)
            if rel.parts[0] in ("target", "logs", "dbt_packages"):
                continue
            digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    profile = setup.profiles_dir / "profiles.yml"
    digest.update(profile.read_bytes() if profile.exists() else b"")
    # How tables are published is decided at run time, not when dbt parses.
    parse_env = {k: v for k, v in setup.env.items() if k != PUBLISH_ENV}
    digest.update(json.dumps(parse_env, sort_keys=True).encode())
    digest.update(str(setup.project_dir).encode())
    digest.update(dbt_core_version().encode())
    return digest.hexdigest()


def dbt_core_version() -> str:
    """dbt-core's version file, found on sys.path without importing dbt or
    importlib.metadata (which alone costs more than the rest of a no-op run)."""
    for entry in sys.path:
        candidate = Path(entry or ".") / "dbt" / "__version__.py"
        with contextlib.suppress(OSError):
            return candidate.read_text(encoding="utf-8")
    return "unknown"


def read_current(setup: DbtSetup) -> dict[str, Any] | None:
    """The manifest as JSON if it matches the project as it is now, else None."""
    stamp = setup.target_path / FINGERPRINT_FILE
    try:
        if stamp.read_text(encoding="utf-8") != project_fingerprint(setup):
            return None
        with setup.manifest_path.open(encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
            return data
    except (OSError, ValueError):
        return None


def parse(setup: DbtSetup) -> Any:
    """Run `dbt parse` in-process; writes manifest.json and returns dbt's Manifest object."""
    from dbt.cli.main import dbtRunner

    setup.apply_env()
    result = dbtRunner().invoke(setup.args("parse", "--quiet"))
    if not result.success or result.result is None:
        reason = str(result.exception) if result.exception else "see the dbt log"
        raise LakehouseError(
            f"dbt could not parse the project in {setup.project_dir}: {reason.splitlines()[0]}"
        )
    (setup.target_path / FINGERPRINT_FILE).write_text(project_fingerprint(setup), encoding="utf-8")
    return result.result


def ensure(setup: DbtSetup) -> tuple[dict[str, Any], Any | None]:
    """(manifest JSON, dbt Manifest object if we had to parse now else None)."""
    current = read_current(setup)
    if current is not None:
        return current, None
    parsed = parse(setup)
    with setup.manifest_path.open(encoding="utf-8") as handle:
        return json.load(handle), parsed


def manifest_key(setup: DbtSetup, target: str = DUCKDB_TARGET) -> str | None:
    """Names the parsed manifest of `target` on disk: changes whenever dbt writes a new one.
    None when there is none yet."""
    try:
        stamp = (setup.target_path / FINGERPRINT_FILE).read_text(encoding="utf-8")
        stat = (setup.target_path_for(target) / PARTIAL_PARSE_FILE).stat()
    except OSError:
        return None
    return f"{stamp}:{stat.st_mtime_ns}:{stat.st_size}"


def load_dbt_manifest(setup: DbtSetup) -> Any:
    """dbt's Manifest object, to hand to dbtRunner so that it skips parsing.

    Read from dbt's own partial-parse file, which holds the complete internal manifest;
    manifest.json does not (generic tests lose their kwargs when rebuilt from it).
    """
    return decode_dbt_manifest((setup.target_path / PARTIAL_PARSE_FILE).read_bytes())


def decode_dbt_manifest(data: bytes) -> Any:
    """dbt's Manifest object from the bytes of its partial-parse file."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    return Manifest.from_msgpack(data, decoder=extended_mashumuro_decoder)
