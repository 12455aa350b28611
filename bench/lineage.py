"""Benchmark: what reporting a warm '*' run to OpenLineage costs, in CPU time, measured directly.

bench/warm.py times whole warm runs with [openlineage] on an endpoint that is up and one that
is down; on a shared machine those differences sit inside the noise (+-10% run to run). This
measures the emitter itself: it replays the events of a real '*' run (read back from the run
store) through `LineageEmitter` (translator, outbox, delivery) and reports the CPU time the
process spends per run, against the CPU time the warm executor spends on the run itself.
The endpoint (a 201 sink) runs in a child process so its own CPU is not counted.

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


def replay(url: str, repeats: int) -> tuple[float, list[float]]:
    """CPU seconds of the first replay (it imports the client and sqlglot) and of the rest."""
    from dataclasses import replace

    from lakehouse_tui import config as config_module
    from lakehouse_tui.core.executor import RunEvent
    from lakehouse_tui.core.workspace import Workspace
    from lakehouse_tui.integrations.openlineage_emitter import LineageEmitter
    from lakehouse_tui.integrations.openlineage_outbox import Outbox

    base = config_module.load(None)
    settings = config_module.OpenLineageSettings(enabled=True, url=url, timeout=5.0)
    config = replace(base, openlineage=settings)
    workspace = Workspace.open(config)
    try:
        rows = workspace.store.events(_last_run_id(config.store_path))
        targets = {key: "duckdb" for key, asset in workspace.graph.assets.items() if asset.sql}
        events = [_event(RunEvent, row) for row in rows]
        times: list[float] = []
        for _ in range(repeats + 1):
            started = time.process_time()
            emitter = LineageEmitter(
                config, workspace.graph, workspace.setup, job_name="selection:*", targets=targets
            )
            for event in events:
                emitter(event)
            emitter.close()
            times.append(time.process_time() - started)
            for path in Outbox(config.state_dir).dir.glob("outbox.*"):  # what a down endpoint left
                path.unlink()
        return times[0], times[1:]
    finally:
        workspace.close()


def _last_run_id(store_path: Path) -> str:
    import sqlite3

    db = sqlite3.connect(store_path)
    try:
        return str(db.execute("select id from runs order by started_at desc limit 1").fetchone()[0])
    finally:
        db.close()


def _event(cls: type, row: dict[str, object]) -> object:
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
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        first_up, up = replay(f"http://127.0.0.1:{port}", args.repeats)
    finally:
        sink.terminate()
        sink.wait(10)
    _, down = replay(f"http://127.0.0.1:{free_port()}", args.repeats)

    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"raw: {args.batches} batches x {args.hours} h x {args.hz} Hz; replays: {args.repeats}")
    print(f"  warm '*' executor CPU          {base:.3f} s   (median of {len(run_cpu)})")
    print(f"  first replay (imports client)  {first_up:.3f} s   (once per process)")
    for name, times in (("up", up), ("down", down)):
        cost = statistics.median(times)
        print(
            f"  OpenLineage, endpoint {name:<4}     {cost * 1000:6.1f} ms CPU per run = "
            f"{cost / base:+.1%} of warm '*'  (target < +3%)"
        )


if __name__ == "__main__":
    main()
