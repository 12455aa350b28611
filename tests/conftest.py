"""Shared pytest setup: fixtures that live in helper modules of this directory."""

from pg_fixtures import pg_password, pg_server, pg_settings  # noqa: F401
