"""`lakehouse-tui airbyte list`: the Airbyte connections, their status and last sync job."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse_tui.config import AirbyteConnection, Config
    from lakehouse_tui.integrations.airbyte import AirbyteClient, Connection, Job


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "airbyte",
        help="inspect the Airbyte connections used as assets",
        description="The [[airbyte.connections]] (or, with discover = true, every connection "
        "of the workspace) that are assets upstream of raw_bioreactor_data.",
    )
    actions = parser.add_subparsers(dest="airbyte_action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="show the configured connections (all of them with discover = true), "
        "their status and last sync job",
    )
    # SUPPRESS keeps the top-level --json too, so `--json airbyte list` also works.
    listing.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print a JSON array"
    )
    listing.set_defaults(handler=run)


def _job_dict(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": job.id,
        "status": job.status,
        "started": job.started.isoformat() if job.started else None,
        "ended": job.ended.isoformat() if job.ended else None,
        "records": job.records,
        "bytes": job.bytes,
        "failure_reason": job.failure_reason,
    }


def _rows(client: AirbyteClient, config: Config, errors: list[str]) -> list[tuple[str, Connection]]:
    """(asset key, connection) for each configured entry, plus the rest when discovering."""
    from lakehouse_tui.integrations.airbyte import UnknownConnection, default_asset_key

    wanted: tuple[AirbyteConnection, ...] = config.airbyte.connections
    rows: list[tuple[str, Connection]] = []
    for entry in wanted:
        try:
            found = client.resolve(entry)
        except UnknownConnection as err:
            errors.append(str(err))
            continue
        rows.append((entry.asset or default_asset_key(found.name), found))
    if config.airbyte.discover:
        seen = {conn.id for _, conn in rows}
        for conn in client.list_connections():
            if conn.id not in seen:
                rows.append((default_asset_key(conn.name), conn))
    return rows


def _when(job: Job | None) -> str:
    moment = job and (job.ended or job.started)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def run(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.integrations.airbyte import client_from_settings

    settings = config.airbyte
    as_json = bool(getattr(args, "json", False))
    if not settings.enabled:
        if as_json:
            print("[]")
        else:
            print(
                "no Airbyte connections configured; add [[airbyte.connections]] entries or set "
                "discover = true in [airbyte]",
                file=sys.stderr,
            )
        return 0
    errors: list[str] = []
    with client_from_settings(settings) as client:
        rows = _rows(client, config, errors)
        listed = [(asset, conn, client.last_job(conn.id)) for asset, conn in rows]
    if as_json:
        out = [
            {
                "asset": asset,
                "id": conn.id,
                "name": conn.name,
                "status": conn.status,
                "last_job": _job_dict(job),
            }
            for asset, conn, job in listed
        ]
        print(json.dumps(out, indent=2))
    else:
        table = [("ASSET", "CONNECTION", "STATUS", "LAST JOB", "RESULT", "WHEN")]
        table += [
            (
                asset,
                conn.name,
                conn.status,
                str(job.id) if job else "-",
                job.status if job else "never synced",
                _when(job),
            )
            for asset, conn, job in listed
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    from lakehouse_tui.redact import mask

    for line in errors:
        print(f"lakehouse-tui: {mask(line)}", file=sys.stderr)
    return 1 if errors else 0
