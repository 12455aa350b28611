"""Where things live on disk: platformdirs locations and the bundled dbt project."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "lakehouse-tui"
CONFIG_ENV = "LAKEHOUSE_TUI_CONFIG"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def find_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file to read: --config, else $LAKEHOUSE_TUI_CONFIG, else the user config dir.

    Returns None when neither flag nor variable is set and the default file does not exist:
    the built-in defaults then apply.
    """
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    default = default_config_path()
    return default if default.exists() else None


def dbt_project_dir() -> Path:
    """The dbt project: bundled inside the wheel, or `dbt/` at the top of a source checkout."""
    package_dir = Path(__file__).resolve().parent
    bundled = package_dir / "dbt_project"
    if (bundled / "dbt_project.yml").exists():
        return bundled
    checkout = package_dir.parents[1] / "dbt"
    if (checkout / "dbt_project.yml").exists():
        return checkout
    raise FileNotFoundError(
        f"dbt project not found in {bundled} or {checkout}; reinstall lakehouse-tui"
    )


def example_config_path() -> Path:
    """config.example.toml: bundled in the wheel, or at the top of a source checkout."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (
        package_dir / "config.example.toml",
        package_dir.parents[1] / "config.example.toml",
    ):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("config.example.toml is missing; reinstall lakehouse-tui")
