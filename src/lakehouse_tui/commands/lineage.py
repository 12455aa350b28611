"""`lakehouse-tui lineage status|flush`: the OpenLineage events waiting in the outbox.

Every run appends its events to the outbox in the state dir and sends them as it goes
(`integrations.openlineage_emitter`); when the endpoint was down they wait there. `status`
says how many wait, since when and why; `flush` sends them now, in order (a run does the
same before sending its own). Neither imports the OpenLineage client unless it sends.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from lakehouse_tui.errors import LakehouseError

if TYPE_CHECKING:
    from lakehouse_tui.config import Config


class LineageError(LakehouseError):
    """The endpoint did not take the waiting events, or OpenLineage is not configured."""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "lineage", help="show or send the OpenLineage events waiting to be delivered"
    )
    actions = parser.add_subparsers(dest="lineage_action", metavar="ACTION", required=True)
    actions.add_parser(
        "status", help="how many events wait in the outbox, since when, and the last error"
    ).set_defaults(handler=status)
    actions.add_parser(
        "flush", help="send the waiting events now, in order (exit 1 if the endpoint fails)"
    ).set_defaults(handler=flush)


def status(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.integrations.openlineage_outbox import Outbox

    outbox = Outbox(config.state_dir)
    state = outbox.status()
    enabled = config.openlineage.enabled
    where = config.openlineage.destination() if enabled else "nowhere: no [openlineage] section"
    if not state.waiting:
        print(f"openlineage: nothing waiting (events go to {where})")
        return 0
    print(f"openlineage: {state.waiting} event(s) waiting in {outbox.path} for {where}")
    if state.oldest:
        print(f"  oldest event: {state.oldest}")
    if state.last_error:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.failed_at or 0))
        print(f"  last attempt failed at {when}: {state.last_error}")
    print("  send them with `lakehouse-tui lineage flush` (a run also sends them first)")
    return 0


def flush(args: argparse.Namespace, config: Config) -> int:
    from lakehouse_tui.integrations.openlineage_outbox import Outbox, describe, make_sender

    settings = config.openlineage
    outbox = Outbox(config.state_dir)
    if not outbox.status().waiting:
        print("openlineage: nothing waiting")
        return 0
    if not settings.enabled:
        raise LineageError(
            f"events wait in {outbox.path} but [openlineage] is not configured: add the "
            "section to the config file (see config.example.toml) and flush again"
        )
    secret = settings.api_key()
    try:
        send = make_sender(settings)
    except Exception as err:
        raise LineageError(
            f"openlineage: cannot reach {settings.destination()}: {describe(err, secret)}"
        ) from None
    delivery = outbox.deliver(send, secret)
    print(f"openlineage: sent {delivery.sent} event(s) to {settings.destination()}")
    if delivery.error:
        raise LineageError(
            f"openlineage: {settings.destination()} did not take the events ({delivery.error}); "
            f"{delivery.waiting} still waiting in {outbox.path}"
        )
    return 0
