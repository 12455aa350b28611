"""`lakehouse-tui` with no arguments: open the TUI. (No `register`: not a subcommand.)"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


def run(args: argparse.Namespace, config: Config) -> int:
    import sys

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print(
            "lakehouse-tui: the TUI needs a terminal; use --materialize SEL or a subcommand "
            "(see --help) in scripts",
            file=sys.stderr,
        )
        return 2
    from lakehouse_tui.tui.app import create_app

    app = create_app(config, debug=bool(getattr(args, "debug", False)))
    app.run()
    return app.return_code or app.exit_code
