"""Shared pytest setup: fixtures that live in helper modules of this directory."""

from engine_fixtures import built_lake, lake, parsed_workspace  # noqa: F401
from pg_fixtures import pg_marts_config, pg_password, pg_server, pg_settings  # noqa: F401
from tui_fixtures import base_lake, snapshot_lake  # noqa: F401  (once per session)
