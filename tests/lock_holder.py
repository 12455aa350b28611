"""A real process that holds the run lock until told to let go (a line on its stdin)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HOLD = """
import os, sys, time
from pathlib import Path
from lakehouse_tui.core.lock import LockHolder, RunLock

lock = RunLock(Path(sys.argv[1]), LockHolder(sys.argv[2], os.getpid(), "tui", time.time()))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
"""


class HeldLock:
    """`with HeldLock(path, run_id) as holder:`; `holder.release()` lets go (also on exit)."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> HeldLock:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(self.path), self.run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def release(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("go\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "released"
        process.wait(timeout=30)

    def __exit__(self, *exc: object) -> None:
        try:
            self.release()
        finally:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
