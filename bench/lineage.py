"""Benchmark: what reporting a warm '*' run to OpenLineage costs, in CPU time, measured directly.

bench/warm.py (--lineage-only) times whole warm runs with [openlineage] on an endpoint that
is up and one that is down against an identical control; on a shared machine those
differences sit inside the noise. This measures the emitter itself: it replays the events
of a real '*' run (read back from the run store) through `LineageEmitter` (translator,
outbox, delivery), the endpoint up and down alternating, and reports the CPU time the
process spends per run, against the CPU time the warm executor spends on the run itself,
and the wall time a run's own thread waits at its end (the only place it waits for
OpenLineage). The endpoint (a 201 sink) runs in a child process so its CPU is not counted.

    .venv/bin/python bench/lineage.py [--repeats 20] [--batches 3 --hours 4 --hz 0.5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lakehouse_tui.runservice.child import WarmClient
from materialize import BIN
from warm import cpu_run, warm_run

SINK = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Marquez's server does

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
print("ready", flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def replay(
    urls: dict[str, str], repeats: int
) -> tuple[float, dict[str, list[tuple[float, float]]]]:
    """Replays the last run's events, alternating the endpoints in `urls` (name -> url).

    Returns the CPU seconds of the first replay (it imports the client and sqlglot) and, per
    endpoint, (CPU seconds of a whole replay, wall seconds of the end of another) for each
    repeat. The end is what a run's own thread waits for: the events up to the last
    materialization are fed and handled first (as they are while a run goes on), then the
    last ones are fed and the emitter closed, timed on the wall clock.
    """
    from dataclasses import replace

    from lakehouse_tui import config as config_module
    from lakehouse_tui.core.executor import RunEvent
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.integrations.openlineage_emitter import LineageContext, LineageEmitter
    from lakehouse_tui.integrations.openlineage_outbox import Outbox

    base = config_module.load(None)
    workspace = Workspace.open(base)
    try:
        rows = workspace.store.events(_last_run_id(base.store_path))
        targets = {key: "duckdb" for key, asset in workspace.graph.assets.items() if asset.sql}
        events = [_event(RunEvent, row) for row in rows]
        split = max(i for i, e in enumerate(events) if e.event == "asset_materialized")
        outbox = Outbox(base.state_dir)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in urls}
        first = 0.0

        def once(name: str, url: str, *, end_only: bool) -> tuple[float, float]:
            settings = config_module.OpenLineageSettings(enabled=True, url=url, timeout=5.0)
            config = replace(base, openlineage=settings)
            started = time.process_time()
            context = LineageContext(
                config, workspace.graph, workspace.setup, "selection:*", targets
            )
            emitter = LineageEmitter(context, warn=lambda line: None)
            for event in events[: split if end_only else len(events)]:
                emitter(event)
            if end_only:
                _settled(emitter, outbox, up=name == "up")
            end = time.perf_counter()
            for event in events[split if end_only else len(events) :]:
                emitter(event)
            emitter.close()
            wall, cpu = time.perf_counter() - end, time.process_time() - started
            for path in outbox.dir.glob("outbox.*"):  # what a down endpoint left
                path.unlink()
            return cpu, wall

        for index in range(repeats + 1):
            for name, url in urls.items():
                cpu, _ = once(name, url, end_only=False)  # CPU: nothing else in the process
                _, wall = once(name, url, end_only=True)  # the end, after the rest settled
                if index == 0:
                    first = max(first, cpu)
                else:
                    results[name].append((cpu, wall))
        return first, results
    finally:
        workspace.close()


def _settled(emitter: object, outbox: object, *, up: bool, limit: float = 30.0) -> None:
    """Wait until the emitter has built (and, endpoint up, sent) everything fed so far."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        if emitter.events.empty():  # type: ignore[attr-defined]
            waiting = outbox.status().waiting  # type: ignore[attr-defined]
            if (waiting == 0) if up else (waiting == last):
                return
            last = waiting
        time.sleep(0.02)
    sys.exit("the emitter did not settle")


def _last_run_id(store_path: Path) -> str:
    import sqlite3

    db = sqlite3.connect(store_path)
    try:
        return str(db.execute("select id from runs order by started_at desc limit 1").fetchone()[0])
    finally:
        db.close()


def _event(cls: type, row: dict[str, object]) -> Any:
    import json

    data = json.loads(str(row["data_json"])) if row.get("data_json") else {}
    status = data.pop("status", None) if isinstance(data, dict) else None
    return cls(
        str(row["event"]),
        str(row["run_id"]),
        float(str(row["ts"])),
        step=row.get("step"),
        asset=row.get("asset_key"),
        status=status,
        message=row.get("message"),
        data=data,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--hz", type=float, default=0.5)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lakehouse-bench-lineage-"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(root / name.lower())
    os.environ.pop("LAKEHOUSE_TUI_CONFIG", None)
    app = str(BIN / "lakehouse-tui")
    demo = [app, "demo", "--batches", str(args.batches), "--hours", str(args.hours)]
    subprocess.run([*demo, "--hz", str(args.hz)], check=True)

    client = WarmClient(None, restart=False)
    client.start()
    if not client.wait_ready(180):
        sys.exit("the warm executor did not start")
    warm_run(client, "*")  # parses and builds once
    run_cpu: list[float] = []
    for _ in range(5):
        cpu_run(client, "*", run_cpu)
    client.close()
    base = statistics.median(run_cpu)

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    urls = {"up": f"http://127.0.0.1:{port}", "down": f"http://127.0.0.1:{free_port()}"}
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        first, results = replay(urls, args.repeats)
    finally:
        sink.terminate()
        sink.wait(10)

    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"raw: {args.batches} batches x {args.hours} h x {args.hz} Hz; replays: {args.repeats}")
    print(f"  warm '*' executor CPU          {base:.3f} s   (median of {len(run_cpu)})")
    print(f"  first replay (imports client)  {first:.3f} s   (once per process)")
    print("  per replay, endpoint up and down alternating: median [quartiles] (min-max)")
    for name, values in results.items():
        cpu = [v[0] * 1000 for v in values]
        end = [v[1] * 1000 for v in values]
        c1, c2, c3 = statistics.quantiles(cpu, n=4, method="inclusive")
        e1, e2, e3 = statistics.quantiles(end, n=4, method="inclusive")
        print(
            f"  endpoint {name:<4} CPU {c2:5.1f} ms [{c1:.1f}, {c3:.1f}] ({min(cpu):.1f}-"
            f"{max(cpu):.1f}) = {c2 / 1000 / base:+.2%} of warm '*' CPU (target < +3%)"
        )
        print(
            f"  endpoint {name:<4} run's end waits {e2:5.1f} ms [{e1:.1f}, {e3:.1f}] "
            f"({min(end):.1f}-{max(end):.1f}) on the wall clock (the last events + close)"
        )


if __name__ == "__main__":
    main()
