"""Airbyte connections as assets upstream of the raw data, and the step that syncs them.

Configured `[[airbyte.connections]]` become assets without asking the server, so opening the
app never waits on Airbyte; with `discover = true` the workspace's connections are listed once
(if Airbyte cannot be reached, the configured ones are still shown and the reason is returned).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lakehouse_tui.config import AirbyteConnection, AirbyteSettings
from lakehouse_tui.core.assets import Asset, airbyte_asset
from lakehouse_tui.errors import LakehouseError


def connection_assets(settings: AirbyteSettings) -> tuple[list[Asset], str | None]:
    """(assets, problem): problem is a one-line reason when discovery failed."""
    from lakehouse_tui.integrations.airbyte import default_asset_key

    if not settings.enabled:
        return [], None
    entries = list(settings.connections)
    problem = None
    if settings.discover:
        try:
            entries += _discover(settings, entries)
        except LakehouseError as err:
            problem = f"Airbyte discovery failed: {err}"
    assets, seen = [], set()
    for entry in entries:
        key = entry.asset or default_asset_key(entry.name or entry.id)
        if key not in seen:
            seen.add(key)
            assets.append(airbyte_asset(key, entry))
    return assets, problem


def _discover(settings: AirbyteSettings, known: list[AirbyteConnection]) -> list[AirbyteConnection]:
    from lakehouse_tui.integrations.airbyte import client_from_settings

    known_ids = {c.id for c in known} | {c.name for c in known}
    with client_from_settings(settings) as client:
        return [
            AirbyteConnection(id=c.id, name=c.name)
            for c in client.list_connections()
            if c.id not in known_ids and c.name not in known_ids
        ]


def sync(
    settings: AirbyteSettings,
    connection: AirbyteConnection,
    on_update: Callable[[Any], None],
) -> dict[str, Any]:
    """Sync one connection to its end; returns the metadata to record.

    The sync runs in a thread so that Ctrl-C / SIGTERM in the main thread can cancel the
    Airbyte job on the server before the run records itself as cancelled.
    """
    from lakehouse_tui.integrations.airbyte import client_from_settings

    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with client_from_settings(settings) as client:
                resolved = client.resolve(connection)
                job = client.sync(
                    resolved.id,
                    poll_interval=settings.poll_interval,
                    timeout=settings.timeout,
                    on_update=on_update,
                    cancel_event=cancel,
                )
                outcome["metadata"] = {
                    "connection_id": resolved.id,
                    "connection_name": resolved.name,
                    "job_id": job.id,
                    "records": job.records,
                    "bytes": job.bytes,
                    "job_seconds": (job.ended - job.started).total_seconds()
                    if job.started and job.ended
                    else None,
                }
        except BaseException as err:  # handed to the main thread below
            outcome["error"] = err

    worker = threading.Thread(target=work, name="airbyte-sync", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        worker.join(30)
        raise
    if "error" in outcome:
        raise outcome["error"]
    metadata: dict[str, Any] = outcome["metadata"]
    return metadata
