"""The user's configuration: TOML in, frozen dataclasses out.

Every key is declared once in `SCHEMA` with its type, default and a check, so unknown keys,
wrong types and bad values all produce the same kind of one-line error:
``config.toml:7: [lake] threads: expected a whole number >= 1, got 'four'``.
Secrets are never read here: the config only names the environment variables that hold them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lakehouse_tui import keymap, paths, redact
from lakehouse_tui.config_checks import (
    Check,
    boolean,
    cron_string,
    duration,
    env_var_name,
    integer,
    memory_size,
    nonempty_string,
    one_of,
    parse_duration,
    pg_name,
    positive_number,
    string,
    timezone_name,
)
from lakehouse_tui.config_locate import Locator
from lakehouse_tui.config_openlineage import OpenLineageSettings, openlineage_settings
from lakehouse_tui.config_sensor import FreshnessPolicy, SensorSettings, freshness_policies
from lakehouse_tui.errors import ConfigError


@dataclass(frozen=True)
class Key:
    default: Any
    check: Check
    doc: str


SCHEMA: dict[str, dict[str, Key]] = {
    "lake": {
        "raw_dir": Key(None, nonempty_string(), "directory of raw parquet files"),
        "warehouse": Key(None, nonempty_string(), "DuckDB warehouse file"),
        "memory_limit": Key("4GB", memory_size(), "DuckDB memory limit"),
        "threads": Key(2, integer(1, 256), "DuckDB threads and dbt concurrency"),
    },
    "marts": {
        "target": Key("duckdb", one_of("duckdb", "postgres"), "where the marts are built"),
    },
    "postgres": {
        "host": Key("localhost", nonempty_string(), "PostgreSQL host"),
        "port": Key(5432, integer(1, 65535), "PostgreSQL port"),
        "dbname": Key("lakehouse", pg_name(), "database"),
        "user": Key("lakehouse", pg_name(), "role"),
        "password_env": Key("LAKEHOUSE_PG_PASSWORD", env_var_name(), "env var with the password"),
        "sslmode": Key(
            "prefer",
            one_of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
            "libpq sslmode",
        ),
        "schema": Key("marts", pg_name(schema=True), "schema the marts are built in"),
        "connect_timeout": Key(5, integer(1, 300), "seconds before a connection attempt fails"),
    },
    "schedule": {
        "job": Key(
            "transform_dbt_models",
            one_of("transform_dbt_models", "ingest_raw_data"),
            "job the timer runs",
        ),
        "cron": Key("0 2 * * *", cron_string(), "five-field cron"),
        "timezone": Key("Europe/London", timezone_name(), "IANA time zone of the cron"),
        "max_wait": Key(
            "2h", duration(), "how long a timer run (or --wait) queues behind a running run"
        ),
    },
    "airbyte": {
        "url": Key("http://localhost:8000", nonempty_string(), "Airbyte server URL"),
        "api": Key("public", one_of("public", "config"), "which Airbyte API to use"),
        "username": Key("airbyte", string(), "basic-auth user (config API)"),
        "password_env": Key("AIRBYTE_PASSWORD", env_var_name(), "env var with the password"),
        "client_id": Key("", string(), "application client id (public API)"),
        "client_secret_env": Key(
            "AIRBYTE_CLIENT_SECRET", env_var_name(), "env var with the client secret"
        ),
        "workspace_id": Key("", string(), "workspace to discover connections in"),
        "discover": Key(False, boolean(), "make every connection of the workspace an asset"),
        "poll_interval": Key(2.0, positive_number(), "seconds between job status polls"),
        "timeout": Key(3600.0, positive_number(), "seconds before a sync is given up"),
        "after_sync": Key(
            "ask",
            one_of("ask", "materialize", "nothing"),
            "after a sync from the TUI: offer, start, or skip the downstream run",
        ),
        "connections": Key([], lambda v: None, "[[airbyte.connections]] entries"),
    },
    "keymap": {},  # binding id -> key, checked against lakehouse_tui.keymap
    # -- sensors and freshness (issue 16) --
    "sensor": {
        "selection": Key("raw_bioreactor_data+", nonempty_string(), "what new files run"),
        "settle": Key("2s", duration(), "quiet time of the raw dir before a run"),
        "settle_timeout": Key("10m", duration(), "run anyway after waiting this long"),
        "poll_interval": Key("1s", duration(), "how often `watch` looks at the raw dir"),
    },
    "freshness": {},  # asset, group asset or job -> max age, checked in _freshness
    # OpenLineage (integrations.openlineage): on when the section is present.
    "openlineage": {
        "transport": Key("http", one_of("http", "file", "console"), "where events go"),
        "url": Key("", string(), "OpenLineage endpoint (Marquez): POST {url}/api/v1/lineage"),
        "namespace": Key("lakehouse-tui", nonempty_string(), "OpenLineage job namespace"),
        "api_key_env": Key("", lambda v: None if v == "" else env_var_name()(v), "env var"),
        "timeout": Key(5.0, positive_number(), "seconds before one event is given up"),
        "path": Key("", string(), 'JSON-lines file for transport = "file"'),
    },
}

CONNECTION_KEYS: dict[str, Key] = {
    "id": Key("", string(), "connection id"),
    "name": Key("", string(), "connection name"),
    "asset": Key("", string(), "asset key to show it as"),
}


@dataclass(frozen=True)
class LakeSettings:
    raw_dir: Path
    warehouse: Path
    memory_limit: str
    threads: int


@dataclass(frozen=True)
class MartsSettings:
    target: Literal["duckdb", "postgres"]


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    dbname: str
    user: str
    password_env: str
    sslmode: str
    schema: str
    connect_timeout: int

    def password(self) -> str | None:
        return os.environ.get(self.password_env)

    def location(self) -> str:
        """Where the marts live, for display: never includes the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class ScheduleSettings:
    job: str
    cron: str
    timezone: str
    max_wait: str = "2h"

    @property
    def max_wait_seconds(self) -> float:
        return parse_duration(self.max_wait) or 0.0


@dataclass(frozen=True)
class AirbyteConnection:
    id: str = ""
    name: str = ""
    asset: str = ""


@dataclass(frozen=True)
class AirbyteSettings:
    url: str
    api: Literal["public", "config"]
    username: str
    password_env: str
    client_id: str
    client_secret_env: str
    workspace_id: str
    discover: bool
    poll_interval: float
    timeout: float
    connections: tuple[AirbyteConnection, ...]
    after_sync: Literal["ask", "materialize", "nothing"] = "ask"

    @property
    def enabled(self) -> bool:
        return self.discover or bool(self.connections)


@dataclass(frozen=True)
class Config:
    path: Path | None
    lake: LakeSettings
    marts: MartsSettings
    postgres: PostgresSettings
    schedule: ScheduleSettings
    airbyte: AirbyteSettings
    keymap: Mapping[str, str] = field(default_factory=dict)
    sensor: SensorSettings = field(default_factory=SensorSettings)
    freshness: tuple[FreshnessPolicy, ...] = ()
    openlineage: OpenLineageSettings = field(default_factory=OpenLineageSettings)
    state_dir: Path = field(default_factory=paths.state_dir)
    cache_dir: Path = field(default_factory=paths.cache_dir)

    @property
    def store_path(self) -> Path:
        return self.state_dir / "runs.sqlite"


def _fail(
    path: Path | None, locator: Locator | None, section: str, key: str | None, msg: str
) -> ConfigError:
    where = str(path) if path else "config"
    line = locator.line_of(section, key) if locator else None
    if line:
        where += f":{line}"
    name = f"[{section}] {key}" if key else f"[{section}]"
    return ConfigError(f"{where}: {name}: {msg}")


def _section_values(
    raw: Mapping[str, Any],
    section: str,
    keys: Mapping[str, Key],
    path: Path | None,
    locator: Locator | None,
) -> dict[str, Any]:
    values = {name: key.default for name, key in keys.items()}
    for name, value in raw.items():
        if name not in keys:
            known = ", ".join(keys) or "none"
            raise _fail(path, locator, section, name, f"unknown key; known keys: {known}")
        expected = keys[name].check(value)
        if expected is not None:
            raise _fail(path, locator, section, name, f"expected {expected}, got {value!r}")
        values[name] = value
    return values


def _connections(
    raw: Any, path: Path | None, locator: Locator | None
) -> tuple[AirbyteConnection, ...]:
    if not isinstance(raw, list):
        raise _fail(
            path, locator, "airbyte", "connections", "expected [[airbyte.connections]] tables"
        )
    result = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise _fail(path, locator, "airbyte.connections", None, "expected a table")
        values = _section_values(entry, "airbyte.connections", CONNECTION_KEYS, path, locator)
        if not values["id"] and not values["name"]:
            raise _fail(
                path,
                locator,
                "airbyte.connections",
                None,
                'each entry needs id = "..." or name = "..."',
            )
        result.append(AirbyteConnection(**values))
    return tuple(result)


def _keymap(raw: Mapping[str, Any], path: Path | None, locator: Locator | None) -> dict[str, str]:
    """binding id -> key; `tab.overview = "7"` (a dotted TOML key) means the id tab.overview."""
    flat: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{sub}": inner for sub, inner in value.items()})
        else:
            flat[name] = value
    for binding_id, key in flat.items():
        if not isinstance(key, str) or not key.strip():
            raise _fail(path, locator, "keymap", binding_id, 'expected a key like "ctrl+r"')
    # Textual matches key names as given: "?" must reach it as "question_mark".
    flat = {binding_id: ",".join(keymap.keys_of(key)) for binding_id, key in flat.items()}
    for binding_id, problem in keymap.problems(flat)[:1]:
        raise _fail(path, locator, "keymap", binding_id, problem)
    return flat


def _freshness(
    raw: Mapping[str, Any], path: Path | None, locator: Locator | None
) -> tuple[FreshnessPolicy, ...]:
    def where_of(name: str) -> str:
        line = locator.line_of("freshness", name) if locator else None
        return f"{path or 'config'}{f':{line}' if line else ''}"

    return freshness_policies(
        raw, where_of, lambda name, msg: _fail(path, locator, "freshness", name, msg)
    )


def _resolve_path(value: str, base: Path | None) -> Path:
    path = Path(os.path.expandvars(value)).expanduser()
    if not path.is_absolute() and base is not None:
        path = base.parent / path
    return path


def from_mapping(raw: Mapping[str, Any], path: Path | None = None, text: str = "") -> Config:
    """Build a Config from parsed TOML; relative paths are relative to the config file."""
    locator = Locator(text) if text else None
    for section, value in raw.items():
        if section not in SCHEMA:
            known = ", ".join(f"[{s}]" for s in SCHEMA)
            raise _fail(path, locator, section, None, f"unknown section; known sections: {known}")
        if not isinstance(value, dict):
            raise _fail(path, locator, section, None, "expected a table like [section]")
    keymap_raw = _keymap(raw.get("keymap", {}), path, locator)

    def values(section: str) -> dict[str, Any]:
        return _section_values(raw.get(section, {}), section, SCHEMA[section], path, locator)

    lake = values("lake")
    data = paths.data_dir()
    airbyte = values("airbyte")
    airbyte["connections"] = _connections(airbyte["connections"], path, locator)
    postgres = values("postgres")
    # Whatever these variables hold is masked in every message, log line and error.
    redact.register_env(
        postgres["password_env"], airbyte["password_env"], airbyte["client_secret_env"]
    )
    return Config(
        path=path,
        lake=LakeSettings(
            raw_dir=_resolve_path(lake["raw_dir"], path) if lake["raw_dir"] else data / "raw",
            warehouse=(
                _resolve_path(lake["warehouse"], path)
                if lake["warehouse"]
                else data / "warehouse.duckdb"
            ),
            memory_limit=lake["memory_limit"],
            threads=lake["threads"],
        ),
        marts=MartsSettings(**values("marts")),
        postgres=PostgresSettings(**postgres),
        schedule=ScheduleSettings(**values("schedule")),
        airbyte=AirbyteSettings(**airbyte),
        keymap=dict(keymap_raw),
        sensor=SensorSettings(**values("sensor")),
        freshness=_freshness(raw.get("freshness", {}), path, locator),
        openlineage=openlineage_settings(
            raw,
            values("openlineage"),
            lambda key, why: _fail(path, locator, "openlineage", key, why),
            lambda value: _resolve_path(value, path),
        ),
    )


def load(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read the config named by --config / $LAKEHOUSE_TUI_CONFIG / the user config dir.

    With no file anywhere, the defaults apply (everything under the platformdirs dirs).
    """
    path = paths.find_config_path(explicit)
    if path is None:
        return from_mapping({})
    try:
        if path.exists() and not path.is_file():
            # Reading a FIFO would wait for a writer forever; a directory cannot be read.
            raise ConfigError(
                f"{path}: not a regular file; point --config at a TOML file"
            ) from None
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; create one with `lakehouse-tui init`"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config file ({err})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib reports "... (at line 3, column 7)"; keep it on one line.
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return from_mapping(raw, path, text)
