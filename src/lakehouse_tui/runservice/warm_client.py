"""The client of the warm executor (`python -m lakehouse_tui.runservice.warm`): one
long-lived process that serves the TUI's runs, so a run skips dbt's start-up. No Textual here."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse_tui.core.run_events import (
    ExitCode,
    RunEvent,
    WarmFatal,
    WarmIdle,
    WarmReady,
    parse_runner_line,
)
from lakehouse_tui.runservice.argv import child_argv
from lakehouse_tui.runservice.child import RunRequest, spawn

WARM_START_ATTEMPTS = 3  # consecutive start-up failures before giving up until asked again
STDERR_KEEP = 200


@dataclass
class WarmRun:
    """A run served by the warm executor; quacks like ChildRun for the app's run worker."""

    request: RunRequest
    client: WarmClient
    stderr_lines: list[str] = field(default_factory=list)
    exit_code: int | None = None
    error: str = ""
    cancelled: bool = False
    _queue: queue.Queue[RunEvent | None] = field(default_factory=queue.Queue)
    _done: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.client.submit(self)

    def events(self, on_line: Callable[[str], None] | None = None) -> Iterator[RunEvent]:
        """Each JSON event of this run, until its idle line (or the executor's death)."""
        while True:
            event = self._queue.get()
            if event is None:
                return
            yield event

    def wait(self) -> int:
        self._done.wait()
        return ExitCode.FAILED if self.exit_code is None else self.exit_code

    def cancel(self) -> bool:
        """SIGTERM to the warm executor: it records the run as cancelled and exits."""
        if self._done.is_set():
            return False
        self.cancelled = True
        return self.client.terminate()

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def process(self) -> subprocess.Popen[str] | None:
        return self.client.process

    def error_line(self) -> str:
        return self.error

    # called by the client's reader threads
    def _event(self, event: RunEvent | WarmIdle) -> None:
        if isinstance(event, WarmIdle):
            self._finish(event.exit_code, event.error)
        else:
            self._queue.put(event)

    def _finish(self, code: int, error: object) -> None:
        if self._done.is_set():
            return
        self.exit_code = code
        self.error = str(error) if error else ""
        self._done.set()
        self._queue.put(None)


class WarmClient:
    """Keeps one warm executor (`python -m lakehouse_tui.runservice.warm`) alive and hands it runs.

    `new_run()` returns a WarmRun when the executor is ready and idle, else None (the caller
    falls back to a one-shot ChildRun). When the process exits — cancelled, crashed, killed —
    a fresh one is started; `on_problem` hears about crashes and start-up failures (called
    from a reader thread). No Textual here.
    """

    def __init__(
        self,
        config_path: Path | None,
        *,
        on_problem: Callable[[str], None] | None = None,
        restart: bool = True,
    ) -> None:
        self.config_path = config_path
        self.on_problem = on_problem
        self.restart = restart
        self.process: subprocess.Popen[str] | None = None
        self.current: WarmRun | None = None
        self.stderr_lines: deque[str] = deque(maxlen=STDERR_KEEP)
        self.failures = 0
        self.starts = 0
        self.closed = False
        self.last_error = ""
        self.got_ready = False
        self._lock = threading.Lock()
        self._ready = threading.Event()

    def argv(self) -> list[str]:
        return child_argv(config_path=self.config_path, module="lakehouse_tui.runservice.warm")

    def start(self) -> None:
        """Start the executor process (returns at once; readiness comes later)."""
        with self._lock:
            if self.closed or (self.process is not None and self.process.poll() is None):
                return
            self._ready.clear()
            self.got_ready = False
            try:
                process = spawn(self.argv(), stdin=subprocess.PIPE)
            except OSError as err:
                self.last_error = f"cannot start the warm executor: {err}"
                self._problem(self.last_error)
                return
            self.process = process
            self.starts += 1
        threading.Thread(target=self._read_stdout, args=(process,), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(process,), daemon=True).start()

    @property
    def ready(self) -> bool:
        """Ready and idle: a run handed over now starts at once."""
        return self._ready.is_set() and self.current is None and not self.closed

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def new_run(self, request: RunRequest) -> WarmRun | None:
        with self._lock:
            if not self.ready:
                return None
            run = WarmRun(request, self)
            self.current = run
            return run

    def submit(self, run: WarmRun) -> None:
        process = self.process
        if run is not self.current or process is None or process.stdin is None:
            raise OSError("the warm executor is not ready")
        request = run.request
        line = json.dumps(
            {
                "selection": request.selection,
                "job": request.job,
                "trigger": request.trigger,
                "skip_unchanged": request.skip_unchanged,
            }
            | {"partitions": list(request.partitions), "full_refresh": request.full_refresh}
        )
        try:
            process.stdin.write(line + "\n")
            process.stdin.flush()
        except (OSError, ValueError) as err:
            with self._lock:
                self.current = None
            raise OSError(f"the warm executor went away: {err}") from None

    def ensure_started(self) -> None:
        """Start a process if none is alive (also after start-up failures made it give up)."""
        process = self.process
        if process is None or process.poll() is not None:
            self.failures = 0
            self.start()

    def terminate(self) -> bool:
        process = self.process
        if process is None or process.poll() is not None:
            return False
        try:
            process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop the executor (cancelling any run) and start no other."""
        with self._lock:
            self.closed = True
            process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()  # an idle executor exits on end of input
        except OSError:
            pass
        self.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _problem(self, text: str) -> None:
        if self.on_problem is not None and not self.closed:
            # The UI may be gone; a report must not kill the reader.
            with contextlib.suppress(Exception):
                self.on_problem(text)

    def _read_stderr(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            line = line.rstrip("\n")
            if not line:
                continue
            self.stderr_lines.append(line)
            run = self.current
            if run is not None and run.process is process and len(run.stderr_lines) < 1000:
                run.stderr_lines.append(line)

    def _read_stdout(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        fatal = ""
        for line in process.stdout:
            try:
                event = parse_runner_line(json.loads(line))
            except ValueError:
                continue
            if event is None:
                continue
            if isinstance(event, WarmReady):
                self.failures = 0
                self.got_ready = True
                self.last_error = ""
                self._ready.set()
            elif isinstance(event, WarmFatal):
                fatal = event.error
            elif self.current is not None:
                run = self.current
                if isinstance(event, WarmIdle):
                    with self._lock:
                        if event.exit_code == ExitCode.CANCELLED:
                            self._ready.clear()  # it exits next; its replacement will say
                        self.current = None
                run._event(event)
        code = process.wait()
        self._exited(process, code, fatal)

    def _exited(self, process: subprocess.Popen[str], code: int, fatal: str) -> None:
        was_ready = self.got_ready
        with self._lock:
            if process is not self.process:
                return
            self._ready.clear()
            run, self.current = self.current, None
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        expected = self.closed or (run is not None and run.cancelled) or code == ExitCode.CANCELLED
        if run is not None:
            detail = self.stderr_lines[-1] if self.stderr_lines else ""
            run._finish(
                code if code > 0 else ExitCode.FAILED,
                "run cancelled"
                if run.cancelled
                else f"the warm executor died during the run ({how})"
                + (f": {detail}" if detail else ""),
            )
        if self.closed:
            return
        if not was_ready:
            self.failures += 1
            self.last_error = fatal or (self.stderr_lines[-1] if self.stderr_lines else how)
            give_up = self.failures >= WARM_START_ATTEMPTS
            self._problem(
                f"the warm executor did not start ({self.last_error}); "
                + ("runs use a fresh process each" if give_up else "trying again")
            )
            if give_up:
                return
        elif not expected:
            self.last_error = f"the warm executor exited ({how})"
            self._problem(f"{self.last_error}; starting a fresh one")
        if self.restart:
            self.start()
