"""Command line entry point: argument parsing and error-to-exit-code mapping.

`lakehouse-tui` with no arguments opens the TUI; `--materialize SEL` runs headless; the
subcommands do one job each. Heavy modules are imported inside the command that needs them so
that headless paths never import Textual and the no-op run stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lakehouse_tui import __version__
from lakehouse_tui.errors import LakehouseError

if TYPE_CHECKING:
    from lakehouse_tui.config import Config

Command = Callable[[argparse.Namespace, "Config"], int]


# Every module in lakehouse_tui.commands that has `register(subparsers)` adds its parser and
# sets `handler=run`; modules keep heavy imports inside `run` so start-up stays fast.
def _command_modules() -> list[str]:
    import pkgutil

    from lakehouse_tui import commands

    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("headless runs")
    group.add_argument(
        "--materialize",
        metavar="SEL",
        help="materialize the assets matched by a selection ('*', 'name', '+name', 'name+', "
        "'group:dbt_curated', 'tag:mart', 'stale', ...) without opening the TUI",
    )
    group.add_argument(
        "--job",
        metavar="NAME",
        help="materialize a named job: ingest_raw_data or transform_dbt_models",
    )
    group.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    group.add_argument(
        "--json", action="store_true", help="print one JSON event per line on stdout"
    )
    group.add_argument(
        "--skip-unchanged",
        action="store_true",
        help="record a no-op and exit when nothing selected is stale",
    )
    group.add_argument(
        "--trigger",
        choices=("cli", "timer", "tui"),
        default="cli",
        help="what started the run, as recorded in the run history (default: cli)",
    )
    group.add_argument(
        "--wait", action="store_true", help="wait for a running run to finish instead of exiting 3"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse-tui",
        description="Terminal app and headless runner for the bioreactor lakehouse.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: see README)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    _add_run_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        module = importlib.import_module(f"lakehouse_tui.commands.{name}")
        if hasattr(module, "register"):
            module.register(commands)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    from lakehouse_tui import config as config_module

    handler: Command | None = getattr(args, "handler", None)
    if getattr(args, "needs_config", True) is False and handler is not None:
        # e.g. `init`, which must work even when the existing config is broken.
        return handler(args, None)  # type: ignore[arg-type]
    config = config_module.load(args.config)
    if handler is not None:
        return handler(args, config)
    if args.materialize is not None or args.job is not None:
        from lakehouse_tui.commands import materialize

        return materialize.run(args, config)
    from lakehouse_tui.commands import open_tui

    return open_tui.run(args, config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except LakehouseError as err:
        if args.debug:
            raise
        from lakehouse_tui.redact import mask

        print(f"lakehouse-tui: {mask(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("lakehouse-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        return 141


def entry() -> None:
    """Console-script entry: exit without the slow interpreter teardown after dbt ran."""
    # os._exit skips multiprocessing's cleanup of dbt's locks; the resource tracker would
    # then warn about them although the kernel frees them with the process.
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:multiprocessing.resource_tracker")
    code = main()
    if "dbt" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)
