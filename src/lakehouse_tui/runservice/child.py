"""Start the headless runner as a child process and follow its JSON events.

No Textual here: the app drives a `ChildRun` from a thread worker and turns each event into a
message. The child is the one way to materialize; cancelling sends it SIGTERM, and it records
the run as cancelled and exits 130. A run queued behind another process's run is a child
started with `--wait`: it blocks on the run lock and starts by itself when the lock is free.
The warm executor's client lives in `warm_client` (re-exported here).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakehouse_tui.core.run_events import RunEvent
from lakehouse_tui.runservice.argv import child_argv


@dataclass(frozen=True)
class RunRequest:
    """What to materialize: a selection, or a named job."""

    selection: str | None = None
    job: str | None = None
    label: str = ""
    wait: bool = False  # queue behind a run that holds the lock (`--wait`)
    partitions: tuple[str, ...] = ()  # only these batches (`--partition`)
    full_refresh: bool = False  # rebuild every batch (`--full-refresh`)
    trigger: str = "tui"  # "sensor" for the auto-materialize toggle's runs
    skip_unchanged: bool = False  # `--skip-unchanged`: nothing to do when no input changed

    def argv(self, config_path: Path | None) -> list[str]:
        args: list[str] = []
        if self.job is not None:
            args += ["--job", self.job]
        if self.selection is not None:
            args += ["--materialize", self.selection]
        if self.partitions:
            args += ["--partition", ",".join(self.partitions)]
        if self.full_refresh:
            args.append("--full-refresh")
        if self.wait:
            args.append("--wait")
        if self.skip_unchanged:
            args.append("--skip-unchanged")
        return child_argv(*args, "--trigger", self.trigger, "--json", config_path=config_path)

    @property
    def description(self) -> str:
        return self.label or (f"job {self.job}" if self.job else str(self.selection))


@dataclass
class ChildRun:
    request: RunRequest
    config_path: Path | None
    process: subprocess.Popen[str] | None = None
    stderr_lines: list[str] = field(default_factory=list)
    _stderr_thread: threading.Thread | None = None

    def start(self) -> None:
        self.process = spawn(self.request.argv(self.config_path), stdin=subprocess.DEVNULL)
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_thread.start()

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            line = line.rstrip("\n")
            if line:
                self.stderr_lines.append(line)

    def events(self, on_line: Callable[[str], None] | None = None) -> Iterator[RunEvent]:
        """Each JSON event the child prints, typed, until its stdout closes."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                if on_line is not None:
                    on_line(line)
                continue
            parsed = RunEvent.from_dict(event) if isinstance(event, dict) else None
            if parsed is not None:
                yield parsed

    def wait(self) -> int:
        assert self.process is not None
        code: int = self.process.wait()
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=5)
        return code

    def cancel(self) -> bool:
        """Ask the child to stop (SIGTERM); it records the run as cancelled."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            self.process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def error_line(self) -> str:
        """The child's one-line error (usage, config or lock), without the program prefix."""
        for line in reversed(self.stderr_lines):
            if line.startswith("lakehouse-tui: "):
                return line.removeprefix("lakehouse-tui: ")
        return self.stderr_lines[-1] if self.stderr_lines else ""


def spawn(argv: list[str], *, stdin: int) -> subprocess.Popen[str]:
    """A runner child process: line-buffered text pipes for its events and errors."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return subprocess.Popen(
        argv,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env,
        start_new_session=True,  # a Ctrl-C in the terminal must not reach the child
    )


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process in KiB (Linux /proc), None where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def __getattr__(name: str) -> Any:
    """`WarmClient` and `WarmRun` from `warm_client`, loaded on first use (no import cycle)."""
    if name in ("WarmClient", "WarmRun"):
        from lakehouse_tui.runservice import warm_client

        return getattr(warm_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
