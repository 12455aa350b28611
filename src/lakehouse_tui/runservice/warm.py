"""The warm executor: one long-lived headless runner that serves many runs.

    python -m lakehouse_tui.runservice.warm [--config PATH]

It imports dbt and its adapters once, opens the workspace, loads dbt's manifest and then
prints `{"event": "ready", ...}`. Each line on stdin is a run request::

    {"selection": "*", "job": null, "trigger": "tui", "skip_unchanged": false,
     "partitions": ["FB-2026-001"], "full_refresh": false}   (the last two optional)

and each run goes through the headless runner's own path (`headless_run.run_selection`: lock,
staleness, plan, executor), printing the same JSON events on stdout, then one
`{"event": "idle", "exit_code": N, "error": "one line" | null}` line. Usage (2) and lock (3)
errors come back on that line; the process keeps serving.

Between runs it holds neither the run lock nor the DuckDB file (dbt_run releases dbt-duckdb's
handle after every invoke), and it re-reads the config and the dbt project before each run:
dbt re-parses only when the project's fingerprint changed.

SIGTERM cancels the running run like the headless runner does (recorded as cancelled), after
which the process prints its idle line and exits 130; the client starts a fresh one. No
Textual here.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from lakehouse_tui.core import cancel, manifest
from lakehouse_tui.core.run_events import ExitCode, WarmFatal, WarmIdle, WarmReady
from lakehouse_tui.errors import LakehouseError, UsageError
from lakehouse_tui.redact import mask_fields
from lakehouse_tui.runservice.headless_run import RunOptions, run_selection

if TYPE_CHECKING:
    from lakehouse_tui.core.executor import RunOutcome
    from lakehouse_tui.core.workspace import Workspace

TRIGGERS = ("cli", "timer", "tui", "sensor")  # sensor: the TUI's auto-materialize toggle
REQUEST_KEYS = {"selection", "job", "trigger", "skip_unchanged", "partitions", "full_refresh"}


def emit(out: IO[str], message: WarmReady | WarmIdle | WarmFatal) -> None:
    out.write(json.dumps(mask_fields(message.to_dict()), default=str) + "\n")
    out.flush()


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def parse_request(line: str) -> RunOptions:
    """A request line as run options; UsageError names what is wrong with it."""
    try:
        data = json.loads(line)
    except ValueError:
        raise UsageError(
            f"warm executor: a request must be one JSON object, got {line!r}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError("warm executor: a request must be one JSON object")
    unknown = sorted(set(data) - REQUEST_KEYS)
    if unknown:
        raise UsageError(f"warm executor: unknown request keys: {', '.join(unknown)}")
    selection, job = data.get("selection"), data.get("job")
    trigger = data.get("trigger", "tui")
    for name, value in (("selection", selection), ("job", job)):
        if value is not None and not isinstance(value, str):
            raise UsageError(f"warm executor: {name} must be a string or null")
    if trigger not in TRIGGERS:
        raise UsageError(f"warm executor: trigger must be one of {', '.join(TRIGGERS)}")
    chosen = data.get("partitions") or []
    if not isinstance(chosen, list) or not all(isinstance(p, str) for p in chosen):
        raise UsageError("warm executor: partitions must be a list of batch ids")
    return RunOptions(
        selection=selection,
        job=job,
        trigger=str(trigger),
        skip_unchanged=bool(data.get("skip_unchanged", False)),
        partitions=tuple(chosen),
        full_refresh=bool(data.get("full_refresh", False)),
        wait=False,
        json=True,
    )


@dataclass
class WarmExecutor:
    """Keeps dbt imported and its Manifest decoded; opens a fresh workspace per run."""

    config_path: str | None
    manifest_key: str | None = None
    msgpack: bytes | None = field(default=None, repr=False)
    spare: Any | None = field(default=None, repr=False)  # a decoded Manifest for the next run
    runs: int = 0

    def warm_up(self) -> None:
        """Import dbt and the adapters, decode the manifest and compile the checks once
        (the slow parts)."""
        import dbt.adapters.duckdb
        import dbt.cli.main  # noqa: F401

        from lakehouse_tui.core import dbt_run  # noqa: F401

        workspace = self.open_workspace()
        try:
            self.prime_dbt(workspace)
        finally:
            workspace.close()
        self.prepare_next()

    @staticmethod
    def prime_dbt(workspace: Workspace) -> None:
        """One cheap dbt invocation (`ls`, no warehouse access), so the first real run finds
        dbt's project, profile and adapter set-up already done; and the checks' SQL compiled
        (core.checks caches it per manifest)."""
        from dbt.cli.main import dbtRunner

        from lakehouse_tui.core import checks
        from lakehouse_tui.core.dbt_run import release_duckdb

        setup = workspace.setup
        setup.apply_env()
        args = setup.args("ls", "--select", "dim_batch", "--log-level", "none", "--quiet")
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                dbtRunner(manifest=workspace.dbt_manifest()).invoke(args)
                checks.compiled(setup, workspace.dbt_manifest(), manifest.manifest_key(setup))
        finally:
            release_duckdb()

    def open_workspace(self) -> Workspace:
        """The config and workspace as they are now; dbt re-parses only if the project or
        profile changed (Workspace.open checks the fingerprint)."""
        from lakehouse_tui import config as config_module
        from lakehouse_tui.core.workspace import Workspace

        workspace = Workspace.open(config_module.load(self.config_path))
        if workspace.parsed_manifest is not None:
            self.msgpack = self.spare = None  # parsed just now: what we hold is stale
        key = manifest.manifest_key(workspace.setup)
        if key is None or key != self.manifest_key or self.msgpack is None:
            self.msgpack = (workspace.setup.target_path / manifest.PARTIAL_PARSE_FILE).read_bytes()
            self.manifest_key, self.spare = key, None
        if workspace.parsed_manifest is None:
            # A fresh Manifest per run: dbt compiles nodes in place, so one is not reused
            # across invocations. Decoded while idle when we can (prepare_next).
            spare, self.spare = self.spare, None
            workspace.parsed_manifest = spare or manifest.decode_dbt_manifest(self.msgpack)
        return workspace

    def prepare_next(self) -> None:
        """While idle, decode the Manifest the next run will use (20-30 ms off its path)."""
        if self.msgpack is not None and self.spare is None:
            self.spare = manifest.decode_dbt_manifest(self.msgpack)

    def run(self, options: RunOptions, on_outcome: Callable[[RunOutcome], None]) -> int:
        from lakehouse_tui.core.executor import new_run_id

        started = time.perf_counter()
        workspace = self.open_workspace()
        run_id = new_run_id()
        try:
            return run_selection(workspace, options, started, on_outcome=on_outcome, run_id=run_id)
        except KeyboardInterrupt:
            settle_cancelled(workspace, run_id, options.trigger)
            raise
        finally:
            workspace.close()
            self.runs += 1

    def serve(self, requests: IO[str], out: IO[str]) -> int:
        """Serve request lines until stdin closes (0) or a run is cancelled (130)."""
        while True:
            line = requests.readline()
            if not line:
                return 0
            if not line.strip():
                continue
            code, error = self.serve_one(line, out)
            emit(out, WarmIdle(code, error, self.runs))
            if code == ExitCode.CANCELLED:
                return code
            release_memory()
            self.prepare_next()

    def serve_one(self, line: str, out: IO[str]) -> tuple[int, str | None]:
        outcomes: list[RunOutcome] = []
        try:
            code = self.run(parse_request(line), outcomes.append)
        except LakehouseError as err:
            print(f"lakehouse-tui: {err}", file=sys.stderr, flush=True)
            return err.exit_code, first_line(err)
        except KeyboardInterrupt:
            return ExitCode.CANCELLED, "interrupted"
        except Exception as err:  # an unexpected bug: keep serving, say what happened
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
            return ExitCode.FAILED, f"{type(err).__name__}: {first_line(err)}"
        if code == 0 or not outcomes:
            return code, None
        outcome = outcomes[-1]
        return code, f"run {outcome.run_id} {outcome.status}: {outcome.message}"


def settle_cancelled(workspace: Workspace, run_id: str, trigger: str) -> None:
    """A cancel that landed outside the executor's own handling (e.g. just after it reported
    run_started): record the run as cancelled rather than leave it running."""
    from lakehouse_tui.core.executor import RunEvent

    store = workspace.store
    record = store.get_run(run_id)
    if record is None or record.status != "running":
        return
    message = "cancelled by the user"
    for asset in store.run_assets(run_id):
        if asset.status in ("pending", "running"):
            store.set_asset_status(run_id, asset.asset_key, "cancelled", "run cancelled")
    store.finish_run(run_id, "cancelled", message)
    store.add_event(run_id, "run_finished", message=message, status="cancelled")
    event = RunEvent("run_finished", run_id, time.time(), status="cancelled", message=message)
    sys.stdout.write(json.dumps(event.to_dict(), default=str) + "\n")
    sys.stdout.flush()


def release_memory() -> None:
    """Hand the C heap's free pages back to the OS while idle (DuckDB and dbt leave several
    tens of MB free after a run); a no-op where glibc's malloc_trim is missing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lakehouse_tui.runservice.warm",
        description="Serve materialization requests (JSON lines on stdin) in one warm process.",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (default: see README)")
    args = parser.parse_args(argv)
    cancel.install()  # SIGTERM: the TUI's cancel key (recorded as cancelled)
    out = sys.stdout
    started = time.perf_counter()
    executor = WarmExecutor(args.config)
    try:
        executor.warm_up()
    except LakehouseError as err:
        emit(out, WarmFatal(err.exit_code, first_line(err)))
        return err.exit_code
    except KeyboardInterrupt:
        return ExitCode.CANCELLED
    except Exception as err:
        traceback.print_exc(file=sys.stderr)
        emit(out, WarmFatal(ExitCode.FAILED, f"{type(err).__name__}: {first_line(err)}"))
        return ExitCode.FAILED
    emit(out, WarmReady(os.getpid(), round(time.perf_counter() - started, 3)))
    try:
        return executor.serve(sys.stdin, out)
    except KeyboardInterrupt:  # SIGTERM while idle
        return ExitCode.CANCELLED
    except BrokenPipeError:  # the client went away
        return ExitCode.BROKEN_PIPE


def entry() -> None:
    # Exit without the slow interpreter teardown after dbt ran (as the CLI does).
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:multiprocessing.resource_tracker")
    code = main()
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
