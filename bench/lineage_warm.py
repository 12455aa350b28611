"""What OpenLineage adds to a warm '*' run, measured so that the machine's noise shows.

Four warm executors on the same lake: `base` (no [openlineage]), `control` (the same as
base: the difference between the two is the noise floor of the method), `up` ([openlineage]
on a local endpoint answering 201, as Marquez) and `down` (connection refused: the events
wait in the outbox, emptied after each such run so the next `up` run does not send them).
Each round runs all four once, in a new random order, so drifts in the machine's load hit
every variant alike; per round each variant is compared with that round's base run (paired
ratios), and the medians and the spread (quartiles, min-max) of those ratios are reported,
for the wall time of the run and the CPU time of the executor process (all its threads:
DuckDB, dbt and the OpenLineage builder and sender).

    from lineage_warm import measure; measure(root, state, rounds=15)
or  .venv/bin/python bench/warm.py --lineage-only [--rounds 15]
"""

from __future__ import annotations

import random
import socket
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lakehouse_tui.runservice.child import WarmClient

VARIANTS = ("base", "control", "up", "down")


class Sink(BaseHTTPRequestHandler):
    """An OpenLineage endpoint that takes every event (201), like Marquez, and counts them."""

    received = 0
    protocol_version = "HTTP/1.1"  # keep-alive, as Marquez's server does

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Sink.received += 1
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def start_client(config: Path | None, name: str) -> WarmClient:
    client = WarmClient(config, restart=False)
    client.start()
    if not client.wait_ready(180):
        sys.exit(f"the {name} warm executor did not start: {list(client.stderr_lines)[-5:]}")
    return client


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def measure(root: Path, state: Path, rounds: int, seed: int = 18) -> list[str]:
    """Run the rounds; return the report's lines."""
    from warm import cpu_run, empty_outbox, warm_run

    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    configs: dict[str, Path | None] = {"base": None, "control": None}
    for name, port in (("up", sink.server_address[1]), ("down", closed_port)):
        path = root / f"openlineage-{name}.toml"
        path.write_text(f'[openlineage]\nurl = "http://127.0.0.1:{port}"\ntimeout = 5\n')
        configs[name] = path
    clients = {name: start_client(configs[name], name) for name in VARIANTS}
    wall: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        for name in VARIANTS:  # imports the OpenLineage client and sqlglot once; warms caches
            warm_run(clients[name], "*")
        empty_outbox(state)
        received_before = Sink.received
        order = list(VARIANTS)
        shuffle = random.Random(seed)
        for _ in range(rounds):
            shuffle.shuffle(order)
            for name in order:
                wall[name].append(cpu_run(clients[name], "*", cpu[name]))
                if name == "down":
                    empty_outbox(state)
    finally:
        for client in clients.values():
            client.close()
        sink.shutdown()
    return report(wall, cpu, rounds, Sink.received - received_before)


def report(
    wall: dict[str, list[float]], cpu: dict[str, list[float]], rounds: int, received: int
) -> list[str]:
    lines = [
        f"OpenLineage cost on warm '*': {rounds} rounds, the 4 variants in a random order "
        "each round; per variant: median [quartiles] (min-max)"
    ]
    for name in VARIANTS:
        w1, w2, w3 = quartiles(wall[name])
        c1, c2, c3 = quartiles(cpu[name])
        lines.append(
            f"  {name:<8} wall {w2:6.3f} s [{w1:.3f}, {w3:.3f}] ({min(wall[name]):.3f}-"
            f"{max(wall[name]):.3f})   executor CPU {c2:6.3f} s [{c1:.3f}, {c3:.3f}] "
            f"({min(cpu[name]):.3f}-{max(cpu[name]):.3f})"
        )
    lines.append(
        "  added vs base, paired per round: median [quartiles] (min-max) of variant/base - 1"
    )
    for name in VARIANTS[1:]:
        parts = []
        for label, values in (("wall", wall), ("CPU", cpu)):
            ratios = [v / b - 1 for v, b in zip(values[name], values["base"], strict=True)]
            q1, q2, q3 = quartiles(ratios)
            low, high = min(ratios), max(ratios)
            parts.append(f"{label} {q2:+6.1%} [{q1:+.1%}, {q3:+.1%}] ({low:+.1%}, {high:+.1%})")
        what = "noise floor (identical to base)" if name == "control" else "target < +3%"
        lines.append(f"  {name:<8} " + "   ".join(parts) + f"   {what}")
    for name in ("up", "down"):
        for label, values in (("wall", wall), ("CPU", cpu)):
            diff = statistics.median(values[name]) - statistics.median(values["base"])
            lines.append(
                f"  {name:<4} {label:<4} median minus base median: {diff * 1000:+7.1f} ms "
                f"({statistics.median(values[name]) / statistics.median(values['base']) - 1:+.1%})"
            )
    lines.append(
        f"  events the endpoint took in the rounds: {received} ({received / rounds:.0f} a run)"
    )
    return lines
