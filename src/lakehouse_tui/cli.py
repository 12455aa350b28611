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
from lakehouse_tui.errors import LakehouseError, UsageError

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
        "--partition",
        metavar="KEY",
        action="append",
        default=None,
        help="process only these batches (partitions) in the incremental models; repeatable, "
        "or a comma list (KEY,KEY)",
    )
    group.add_argument(
        "--partition-range",
        metavar="FIRST...LAST",
        action="append",
        default=None,
        help="a backfill of the batches from FIRST to LAST, both included (Dagster's syntax)",
    )
    group.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the selected models from every raw file, as dbt's --full-refresh",
    )
    group.add_argument(
        "--trigger",
        choices=("cli", "timer", "tui", "sensor"),
        default="cli",
        help="what started the run, as recorded in the run history (default: cli)",
    )
    group.add_argument(
        "--wait",
        action="store_true",
        help="queue behind a running run instead of exiting 3, saying every 30 s what it waits "
        "for; gives up (exit 3, recorded as a failed run) after [schedule] max_wait (default 2h)",
    )
    group.add_argument(
        "--settle",
        action="store_true",
        help="first wait until the raw dir has been quiet for [sensor] settle and every parquet "
        "file in it is complete (what the OS sensor runs); runs again when files landed "
        "during the run",
    )
    group.add_argument(
        "--max-wait",
        metavar="DURATION",
        type=_duration,
        help="like --wait, giving up after DURATION (e.g. 90s, 10m, 1h30m) instead of "
        "[schedule] max_wait",
    )


def _duration(text: str) -> float:
    from lakehouse_tui.config_checks import DURATION_FORM, parse_duration

    seconds = parse_duration(text)
    if seconds is None:
        raise argparse.ArgumentTypeError(f"expected {DURATION_FORM}, got {text!r}")
    return seconds


EPILOG = """\
selections (--materialize SEL, Dagster's asset selection syntax):
  *                          every asset
  dim_batch, key:dim_batch   one asset; dim_* with wildcards; a group asset
                             (dbt_curated_models) means all its models
  +dim_batch, dim_batch+     with everything upstream / downstream
  2+name, name+1             with N levels upstream / downstream
  group:dbt_curated          by group; tag:mart by dbt tag; kind:duckdb by kind
                             (raw, airbyte, duckdb, postgres)
  stale                      what changed or failed since it last materialized
  a and b, a or b, not a     combinations, with ( ... ); a,b is a or b
  e.g. --materialize 'dim_batch,stg_bioreactor'  --materialize '+mart_bioreactor_overview'

exit codes: 0 succeeded or nothing to do, 1 a step or blocking check failed, 2 usage or
config error, 3 another run holds the warehouse, 130 cancelled.
"""

# Options every subcommand accepts too (`status --config X`); SUPPRESS keeps the value given
# before the subcommand when it is not repeated after it.
COMMON_OPTIONS: tuple[tuple[str, dict[str, object]], ...] = (
    ("--config", {"metavar": "PATH", "help": "config file (default: see README)"}),
    ("--debug", {"action": "store_true", "help": "show tracebacks for errors"}),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse-tui",
        description="Terminal app and headless runner for the bioreactor lakehouse. "
        "Without arguments it opens the TUI; --materialize SEL or --job NAME runs headless.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for flag, options in COMMON_OPTIONS:
        parser.add_argument(flag, **options)  # type: ignore[arg-type]
    _add_run_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        module = importlib.import_module(f"lakehouse_tui.commands.{name}")
        if hasattr(module, "register"):
            module.register(commands)
    _finish_subcommands(commands)
    return parser


def _finish_subcommands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Give every (nested) subcommand the common options, and its help line as the
    description of its own --help when it has no longer one."""
    helps = {action.dest: action.help for action in commands._choices_actions}
    for name, sub in commands.choices.items():
        if sub.description is None and helps.get(name):
            text = str(helps[name])
            sub.description = text[0].upper() + text[1:] + "."
        for flag, options in COMMON_OPTIONS:
            sub.add_argument(flag, default=argparse.SUPPRESS, **options)  # type: ignore[arg-type]
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _finish_subcommands(action)


RUN_FLAGS = (
    "dry_run", "json", "skip_unchanged", "wait", "max_wait", "settle", "partition",
    "partition_range", "full_refresh",
)  # fmt: skip


def _check_run_flags(args: argparse.Namespace) -> None:
    """Run options without --materialize/--job would silently open the TUI instead."""
    given = [flag for flag in RUN_FLAGS if getattr(args, flag) not in (None, False)]
    if args.trigger != "cli":
        given.append("trigger")
    if given:
        flags = ", ".join("--" + flag.replace("_", "-") for flag in given)
        raise UsageError(
            f"{flags}: only with a headless run; add --materialize SEL or --job NAME "
            "(e.g. lakehouse-tui --materialize '*' --dry-run)"
        )


def _dispatch(args: argparse.Namespace) -> int:
    from lakehouse_tui import config as config_module

    handler: Command | None = getattr(args, "handler", None)
    if getattr(args, "needs_config", True) is False and handler is not None:
        # e.g. `init`, which must work even when the existing config is broken.
        return handler(args, None)  # type: ignore[arg-type]
    headless = args.materialize is not None or args.job is not None
    if handler is None and not headless:
        _check_run_flags(args)
    config = config_module.load(args.config)
    if handler is not None:
        return handler(args, config)
    if headless:
        from lakehouse_tui.commands import materialize

        return materialize.run(args, config)
    from lakehouse_tui.commands import open_tui

    return open_tui.run(args, config)


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_tui import filesystem

    parser = build_parser()
    args = parser.parse_args(argv)
    # Everything we, SQLite, DuckDB and dbt create is for this user only (run store, logs,
    # warehouse, profile); restored on return for callers that run us in-process.
    umask = os.umask(filesystem.PRIVATE_UMASK)
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
    except Exception as err:
        # Last resort: one line, never a traceback, unless asked for one.
        if args.debug:
            raise
        print(f"lakehouse-tui: {_unexpected(err)}", file=sys.stderr)
        return 1
    finally:
        os.umask(umask)


def _unexpected(err: Exception) -> str:
    from lakehouse_tui import filesystem

    if isinstance(err, OSError):
        return f"{filesystem.os_error_line(err)} (run with --debug for the traceback)"
    if isinstance(err, RecursionError):
        return "input nested too deeply (run with --debug for the traceback)"
    text = str(err).strip().splitlines()
    detail = filesystem.short(text[0], 200) if text else ""
    return (
        f"unexpected error: {type(err).__name__}{': ' + detail if detail else ''} "
        "(run with --debug for the traceback, and please report it)"
    )


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
