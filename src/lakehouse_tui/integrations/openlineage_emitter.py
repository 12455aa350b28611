"""The executor's `on_event` hook for OpenLineage: never slows or fails a run.

`LineageEmitter(event)` only puts the event on a queue. A builder thread turns it into
OpenLineage events (`integrations.openlineage`, which imports the client and sqlglot, so the
run's own thread never does) and appends them to the outbox; a sender thread delivers the
outbox in order, starting with whatever an earlier run left waiting. After the first failure
the sender stops trying for the rest of the run (one timeout, not one per event): the rest
waits in the outbox for the next run or `lakehouse-tui lineage flush`. `close()` waits a
bounded time for the last sends and says in one line what is still waiting.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from typing import TYPE_CHECKING, Any

from lakehouse_tui.integrations.openlineage_outbox import Delivery, Outbox, describe, make_sender

if TYPE_CHECKING:
    from collections.abc import Callable

    from lakehouse_tui.config import Config
    from lakehouse_tui.core.dbt_setup import DbtSetup
    from lakehouse_tui.core.executor import RunEvent
    from lakehouse_tui.core.graph import AssetGraph

BUILD_WAIT = 30.0  # seconds close() waits for the builder (CPU and a local file only)


class LineageEmitter:
    def __init__(
        self,
        config: Config,
        graph: AssetGraph,
        setup: DbtSetup,
        *,
        job_name: str,
        targets: dict[str, str],
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.settings = config.openlineage
        self.graph = graph
        self.setup = setup
        self.job_name = job_name
        self.targets = targets
        self.warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
        self.outbox = Outbox(config.state_dir)
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

                            translator = LineageTranslator(
                                self.config,
                                self.graph,
                                self.setup,
                                job_name=self.job_name,
                                targets=self.targets,
                            )
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
        send = None
        secret = self.settings.api_key()
        while True:
            self.wake.wait()
            self.wake.clear()
            finished = self.built.is_set()  # read first: nothing appended after it is missed
            if self.down is None:
                try:
                    send = send or make_sender(self.settings)
                    self.last = self.outbox.deliver(send, secret)
                    self.down = self.last.error
                except Exception as err:  # the transport could not even be made
                    self.down = describe(err, secret)
            if finished:
                return

    def close(self) -> None:
        """End of the run: wait a bounded time for the last events, report what waits."""
        self.events.put(None)
        self.builder.join(BUILD_WAIT)
        self.sender.join(self.settings.timeout + 1.0)
        for problem in self.problems[:3]:
            self.warn(f"openlineage: could not build an event ({problem})")
        waiting = self.outbox.status().waiting
        if waiting:
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
