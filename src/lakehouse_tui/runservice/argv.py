"""The one place that builds the command line of a child `lakehouse-tui` process.

The TUI's runs (one-shot and warm), its parse and schedule helpers, the OS timer and the
sensor all start this package's own interpreter on this package; only what follows differs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def child_argv(
    *args: str,
    config_path: Path | None,
    module: str = "lakehouse_tui",
    installed: bool = False,
) -> list[str]:
    """`python -m MODULE [--config PATH] ARGS...` for this interpreter.

    `installed`: for a unit file or plist that outlives this process, the interpreter and
    the config as absolute paths. sys.executable is kept as given (not resolved): a venv's
    python is a symlink and resolving it would drop the venv and with it this package.
    """
    python = os.path.abspath(sys.executable) if installed else sys.executable
    argv = [python, "-m", module]
    if config_path is not None:
        path = config_path.expanduser().absolute() if installed else config_path
        argv += ["--config", str(path)]
    return [*argv, *args]
