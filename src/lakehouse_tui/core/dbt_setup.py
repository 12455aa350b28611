"""Everything dbt needs from our config: the generated profile, paths, env and CLI flags.

The profile is generated from the user's config into the state dir; users never edit
profiles.yml. Secrets stay out of it: the PostgreSQL password is an `env_var()` reference to
the variable named in the config. dbt's target/, logs/ and partial-parse files also live in
the state dir, so the installed package can stay read-only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse_tui import filesystem, paths
from lakehouse_tui.config import Config
from lakehouse_tui.core.raw import RAW_FILES_ENV, RAW_UNIFORM_ENV
from lakehouse_tui.errors import LakehouseError

PROFILE_NAME = "lakehouse"
RAW_DIR_ENV = "LAKEHOUSE_TUI_RAW_DIR"
PUBLISH_ENV = "LAKEHOUSE_TUI_PUBLISH"  # read by dbt/macros/audited_table.sql
# Set per run by core.partition_scope (read by dbt/macros/batch_partitions.sql).
RUN_SCOPED_ENV = (
    "LAKEHOUSE_TUI_SCOPED_MODELS",
    "LAKEHOUSE_TUI_BATCHES",
    "LAKEHOUSE_TUI_BATCH_FILES",
)
PUBLISH_AFTER_CHECKS = "after_checks"
PUBLISH_NOW = "now"
DUCKDB_TARGET = "duckdb"
POSTGRES_TARGET = "postgres"
DUCKDB_MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class DbtSetup:
    project_dir: Path
    profiles_dir: Path
    target_path: Path
    log_path: Path
    env: dict[str, str]
    # Set during a run (the raw files it validated); not part of the manifest's fingerprint.
    run_env: dict[str, str] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return self.target_path / "manifest.json"

    def target_path_for(self, target: str) -> Path:
        """One target dir per dbt target: a manifest and its partial-parse state hold
        target-specific database and schema names, so the targets must not share them."""
        if target == DUCKDB_TARGET:
            return self.target_path
        return self.target_path.with_name(f"target-{target}")

    def args(self, command: str, *extra: str, target: str = DUCKDB_TARGET) -> list[str]:
        """dbt CLI arguments for `command` with our paths (the same for dbtRunner)."""
        return [
            command,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target-path",
            str(self.target_path_for(target)),
            "--log-path",
            str(self.log_path),
            "--target",
            target,
            "--no-send-anonymous-usage-stats",
            "--no-version-check",
            *extra,
        ]

    def apply_env(self) -> None:
        """Our variables into os.environ. Without a validated file list (no raw step in
        this run) the staging model reads the raw dir's *.parquet, as plain `dbt build`;
        without a batch scope every model is built whole. Nothing of an earlier run in the
        same process (the warm executor) carries over."""
        os.environ.update(self.env)
        for name in (RAW_FILES_ENV, RAW_UNIFORM_ENV, *RUN_SCOPED_ENV):
            os.environ.pop(name, None)
        os.environ.update(self.run_env)


def _yaml_str(value: str) -> str:
    # JSON strings are valid YAML scalars and escape everything that needs it.
    return json.dumps(value)


def render_profile(config: Config) -> str:
    lake = config.lake
    lines = [
        f"{PROFILE_NAME}:",
        f"  target: {DUCKDB_TARGET}",
        "  outputs:",
        f"    {DUCKDB_TARGET}:",
        "      type: duckdb",
        f"      path: {_yaml_str(str(lake.warehouse))}",
        f"      schema: {DUCKDB_MARTS_SCHEMA}",
        f"      threads: {lake.threads}",
        "      settings:",
        f"        memory_limit: {_yaml_str(lake.memory_limit)}",
        f"        threads: {lake.threads}",
    ]
    if config.marts.target == "postgres":
        pg = config.postgres
        lines += [
            f"    {POSTGRES_TARGET}:",
            "      type: postgres",
            f"      host: {_yaml_str(pg.host)}",
            f"      port: {pg.port}",
            f"      dbname: {_yaml_str(pg.dbname)}",
            f"      user: {_yaml_str(pg.user)}",
            # A reference, rendered by dbt at run time: the password never touches the disk.
            f"      password: \"{{{{ env_var('{pg.password_env}') }}}}\"",
            f"      schema: {_yaml_str(pg.schema)}",
            f"      sslmode: {_yaml_str(pg.sslmode)}",
            f"      connect_timeout: {pg.connect_timeout}",
            f"      threads: {lake.threads}",
        ]
    return "\n".join(lines) + "\n"


def publish_mode() -> str:
    """Tables are built aside and published by the executor after their blocking checks
    (core.audit; dbt/macros/audited_table.sql); plain `dbt build` publishes at once.
    LAKEHOUSE_TUI_PUBLISH=now brings back publish-then-test, for bench/ to measure the cost."""
    return PUBLISH_NOW if os.environ.get(PUBLISH_ENV) == PUBLISH_NOW else PUBLISH_AFTER_CHECKS


def prepare(config: Config) -> DbtSetup:
    """Write the profile (only when it changed, to keep dbt's partial parse valid)."""
    root = config.state_dir / "dbt"
    setup = DbtSetup(
        project_dir=paths.dbt_project_dir(),
        profiles_dir=root / "profiles",
        target_path=root / "target",
        log_path=root / "logs",
        env={RAW_DIR_ENV: str(config.lake.raw_dir), PUBLISH_ENV: publish_mode()},
    )
    hint = "set XDG_STATE_HOME to a directory"
    filesystem.private_dir(config.state_dir, "state dir", hint)
    filesystem.tighten(config.state_dir)
    filesystem.private_dir(setup.profiles_dir, "state dir", hint)
    # dbt-duckdb creates the warehouse file but not its directory (the default data dir).
    filesystem.private_dir(config.lake.warehouse.parent, "warehouse dir", "check [lake] warehouse")
    profile = setup.profiles_dir / "profiles.yml"
    text = render_profile(config)
    if not profile.exists() or profile.read_text(encoding="utf-8") != text:
        try:
            profile.write_text(text, encoding="utf-8")
        except OSError as err:
            reason = filesystem.describe(err)
            raise LakehouseError(f"{filesystem.short(profile)}: cannot write ({reason})") from None
    filesystem.tighten(profile)
    return setup
