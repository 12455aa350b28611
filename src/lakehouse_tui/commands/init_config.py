"""`lakehouse-tui init`: write the commented starter config."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from lakehouse_tui import paths
from lakehouse_tui.errors import ConfigError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "init",
        help="write a commented starter config file",
        description="Write config.example.toml (every key, commented) to --config PATH, "
        "$LAKEHOUSE_TUI_CONFIG or the user config dir; refuses to overwrite without --force.",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing config file")
    parser.set_defaults(handler=run, needs_config=False)


def run(args: argparse.Namespace, _config: object) -> int:
    named = args.config or os.environ.get(paths.CONFIG_ENV)
    target = Path(named).expanduser() if named else paths.default_config_path()
    if target.exists() and not args.force:
        raise ConfigError(f"{target}: already exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(paths.example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0
