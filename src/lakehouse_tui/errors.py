"""One family of user-facing errors.

Every message is one line that names the file, field or asset at fault and says what to do.
The CLI maps the class to an exit code and prints no traceback unless --debug is given.
"""

from __future__ import annotations

from lakehouse_tui.core.run_events import ExitCode


class LakehouseError(Exception):
    """A problem the user can fix; `str(err)` is the one line shown to them."""

    exit_code: int = ExitCode.FAILED


class UsageError(LakehouseError):
    """Bad command-line usage, e.g. an unknown asset in a selection."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file is missing a value, has an unknown key or a value of the wrong form."""


class DataError(LakehouseError):
    """Input data (raw parquet files) is unusable."""


class LockedError(LakehouseError):
    """Another run holds the warehouse lock."""

    exit_code = ExitCode.LOCKED


class TargetUnavailable(LakehouseError):
    """An external system (PostgreSQL, Airbyte) cannot be reached or refused us."""


class StoreError(LakehouseError):
    """The run store cannot be read or written (corrupt file, full disk, no permission)."""
