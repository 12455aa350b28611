"""The executor's `on_event` hook for OpenLineage: never slows or fails a run.

`LineageEmitter(event)` only puts the event on a queue: the run's thread never waits on the
network, the outbox file or the translation. A builder thread turns queued events into
OpenLineage events (`integrations.openlineage`, which imports the client and sqlglot, so the
run's own thread never does) and appends what has piled up in one write (no fsync per
event); a sender thread delivers the outbox in order over one kept-alive connection
(`openlineage_http`), starting with whatever an earlier run left waiting. The first failure
(a refused or timed-out connect, an error answer) ends sending for the rest of the run: the
endpoint is given up on once per run, not once per event, and the rest waits in the outbox
for the next run or `lakehouse-tui lineage flush`. `close()` waits a bounded time for the
last sends, syncs the outbox once if events wait, and says in one line what is waiting.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakehouse_tui.integrations.openlineage_outbox import Delivery, Outbox, describe, make_sender

if TYPE_CHECKING:
    from collections.abc import Callable

    from lakehouse_tui.config import Config
    from lakehouse_tui.core.dbt_setup import DbtSetup
    from lakehouse_tui.core.executor import RunEvent
    from lakehouse_tui.core.graph import AssetGraph

BUILD_WAIT = 30.0  # seconds close() waits for the builder (CPU and a local file only)


@dataclass(frozen=True)
class LineageContext:
    """What one run's events are translated with (`openlineage.LineageTranslator`)."""

    config: Config
    graph: AssetGraph
    setup: DbtSetup
    job_name: str  # the run-level job
    targets: dict[str, str] = field(default_factory=dict)  # asset -> dbt target it builds on
    publish: dict[str, tuple[str, ...]] = field(default_factory=dict)  # step -> its tables


class LineageEmitter:
    def __init__(self, context: LineageContext, warn: Callable[[str], None] | None = None) -> None:
        self.context = context
        self.settings = context.config.openlineage
        self.warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
        self.outbox = Outbox(context.config.state_dir)
        self.events: queue.SimpleQueue[RunEvent | None] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.built = threading.Event()
        self.down: str | None = None  # why the endpoint is given up on for this run
        self.problems: list[str] = []
        self.last: Delivery | None = None
        self.builder = threading.Thread(target=self.build, name="openlineage-build", daemon=True)
        self.sender = threading.Thread(target=self.send, name="openlineage-send", daemon=True)
        self.builder.start()
        self.sender.start()
        self.wake.set()  # deliver what an earlier run left waiting

    def __call__(self, event: RunEvent) -> None:
        self.events.put(event)

    def build(self) -> None:
        translator: Any = None
        try:
            while True:
                batch = [self.events.get()]
                with contextlib.suppress(queue.Empty):
                    while batch[-1] is not None:  # what else is queued goes in one append
                        batch.append(self.events.get_nowait())
                built: list[dict[str, Any]] = []
                for event in batch:
                    if event is None:
                        break
                    try:
                        if translator is None:
                            from lakehouse_tui.integrations.openlineage import LineageTranslator

                            translator = LineageTranslator(self.context)
                        built += translator.translate(event)
                    except Exception as err:  # a bug here must not fail the run: say it later
                        self.problems.append(f"{event.event}: {describe(err, None)}")
                if built:
                    self.outbox.append(built)
                    self.wake.set()
                if batch[-1] is None:
                    return
        finally:
            self.built.set()
            self.wake.set()

    def send(self) -> None:
        send: Any = None
        secret = self.settings.api_key()
        try:
            while True:
                self.wake.wait()
                self.wake.clear()
                finished = self.built.is_set()  # read first: nothing appended after is missed
                if self.down is None:
                    try:
                        send = send or make_sender(self.settings)
                        self.last = self.outbox.deliver(send, secret)
                        self.down = self.last.error
                    except Exception as err:  # the transport could not even be made
                        self.down = describe(err, secret)
                if finished:
                    return
        finally:
            with contextlib.suppress(Exception):
                getattr(send, "close", lambda: None)()

    def close(self) -> None:
        """End of the run: wait a bounded time for the last events, report what waits."""
        self.events.put(None)
        self.builder.join(BUILD_WAIT)
        self.sender.join(self.settings.timeout + 1.0)
        for problem in self.problems[:3]:
            self.warn(f"openlineage: could not build an event ({problem})")
        waiting = self.outbox.status().waiting
        if waiting:
            with contextlib.suppress(OSError):
                self.outbox.sync()
            why = self.down or "the endpoint is slow"
            self.warn(
                f"openlineage: {self.settings.destination()} did not take the events ({why}); "
                f"{waiting} waiting in {self.outbox.path}, sent at the next run or by "
                "`lakehouse-tui lineage flush`"
            )


def job_name(job: str | None, selection: str) -> str:
    """The run-level OpenLineage job: the named job, else the selection (prefixed, so that
    `--materialize dim_batch` is not mistaken for the dim_batch asset's own job)."""
    return job or f"selection:{selection or '*'}"


def report_noop(context: LineageContext, run_id: str, message: str) -> None:
    """A no-op run (everything selected unchanged, or nothing matched): its START and
    COMPLETE, so that it shows in Marquez like any run. No child runs: no asset ran, and a
    child run per skipped asset would read as work done."""
    from lakehouse_tui.core.run_events import RunEvent

    emitter = LineageEmitter(context)
    now = time.time()
    emitter(RunEvent("run_started", run_id, now, message=context.job_name))
    emitter(RunEvent("run_finished", run_id, now, status="noop", message=message))
    emitter.close()
