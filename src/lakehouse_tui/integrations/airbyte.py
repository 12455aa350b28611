"""Airbyte: trigger connection syncs and follow their jobs.

One interface over Airbyte's two HTTP APIs, picked by `[airbyte] api`:
`airbyte_public` (the public API, client-credentials bearer token; OSS, Enterprise and Cloud)
and `airbyte_config` (the configuration API; basic auth, or a bearer token when client_id is
set; self-managed only). Both share the polling loop in `AirbyteClient.sync`, which is what the
executor calls to materialize a connection asset. Server trouble is an `AirbyteError` (a
`TargetUnavailable`), config mistakes a `ConfigError`: one line naming the connection and
saying what to do. Secrets are read from the environment by `client_from_settings` and never
appear in messages or reprs."""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakehouse_tui import redact
from lakehouse_tui.errors import ConfigError, TargetUnavailable

if TYPE_CHECKING:
    from lakehouse_tui.config import AirbyteConnection, AirbyteSettings

# The job statuses of both APIs (the specs share the enum). `queued` is real.
ACTIVE_STATUSES = frozenset({"pending", "queued", "running", "incomplete"})
END_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


class AirbyteError(TargetUnavailable):
    """Airbyte cannot be reached, refused us, or a sync did not succeed."""


class AirbyteAuthError(AirbyteError):
    """Airbyte rejected the credentials (HTTP 401/403)."""


class UnknownConnection(AirbyteError):
    """A configured connection id or name does not exist on the server."""


class BadAnswer(AirbyteError):
    """HTTP 200 with a body of the wrong shape; `job_id` when it still named a job."""

    def __init__(self, message: str, job_id: int | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class SyncFailed(AirbyteError):
    """The sync job ended `failed`; `job.failure_reason` has Airbyte's reason when given."""

    def __init__(self, message: str, job: Job) -> None:
        super().__init__(message)
        self.job = job


class SyncCancelled(AirbyteError):
    """The sync ended `cancelled` (by us through the cancel event, or on the server).

    `job` is None when the event was set before a job was started.
    """

    def __init__(self, message: str, job: Job | None) -> None:
        super().__init__(message)
        self.job = job


class SyncTimedOut(AirbyteError):
    """The sync ran past `[airbyte] timeout`; the job was cancelled on the server."""

    def __init__(self, message: str, job: Job) -> None:
        super().__init__(message)
        self.job = job


@dataclass(frozen=True)
class Connection:
    id: str
    name: str
    status: str  # active | inactive | deprecated | locked
    workspace_id: str = ""


@dataclass(frozen=True)
class Job:
    id: int
    connection_id: str
    status: str
    records: int | None = None
    bytes: int | None = None
    started: datetime | None = None
    ended: datetime | None = None
    failure_reason: str | None = None

    @property
    def done(self) -> bool:
        return self.status in END_STATUSES


def default_asset_key(name: str) -> str:
    """An asset key for a connection that has no `asset = ...`: `airbyte_` + its name."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"airbyte_{slug or 'connection'}"


class AirbyteClient(ABC):
    """The common interface; subclasses speak one API each."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # connection id -> name, for messages

    # --- per-API operations -------------------------------------------------------------

    @abstractmethod
    def list_connections(self) -> list[Connection]:
        """The workspace's connections (on the public API without a workspace_id: all allowed)."""

    @abstractmethod
    def get_connection(self, connection_id: str) -> Connection:
        """One connection by id; `UnknownConnection` when the server does not know it."""

    @abstractmethod
    def start_sync(self, connection_id: str) -> Job:
        """Trigger a sync; when one is already running, return that job instead."""

    @abstractmethod
    def get_job(self, job_id: int) -> Job: ...

    @abstractmethod
    def cancel_job(self, job_id: int) -> Job:
        """Cancel a job on the server; a job that already ended is returned as it is."""

    @abstractmethod
    def recent_jobs(self, connection_id: str, limit: int = 5) -> list[Job]:
        """The newest sync jobs of a connection, newest first."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> AirbyteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shared behaviour ---------------------------------------------------------------

    def label(self, connection_id: str) -> str:
        """How messages name a connection: with its name once the client has seen it."""
        name = self._names.get(connection_id)
        if name:
            return f"Airbyte connection '{name}' ({connection_id})"
        return f"Airbyte connection {connection_id}"

    def remember(self, connection: Connection) -> Connection:
        self._names[connection.id] = connection.name
        return connection

    def last_job(self, connection_id: str) -> Job | None:
        jobs = self.recent_jobs(connection_id, limit=1)
        return jobs[0] if jobs else None

    def active_job(self, connection_id: str) -> Job | None:
        """The connection's running (or pending/queued/incomplete) sync job, if any."""
        for job in self.recent_jobs(connection_id):
            if job.status in ACTIVE_STATUSES:
                return job
        return None

    def resolve(self, wanted: AirbyteConnection) -> Connection:
        """The server's connection for a `[[airbyte.connections]]` entry, by id or by name."""
        if wanted.id:
            return self.get_connection(wanted.id)
        connections = self.list_connections()
        folded = wanted.name.casefold()
        exact = [c for c in connections if c.name == wanted.name]
        if not exact:
            exact = [c for c in connections if c.name.casefold() == folded]
        if len(exact) == 1:
            return self.remember(exact[0])
        if len(exact) > 1:
            ids = ", ".join(c.id for c in exact)
            raise UnknownConnection(
                f"Airbyte connection name '{wanted.name}' is ambiguous (ids {ids}); "
                'give id = "..." in [[airbyte.connections]] instead'
            )
        names = [c.name for c in connections]
        close = [n for n in names if folded in n.casefold() or n.casefold() in folded]
        close += difflib.get_close_matches(wanted.name, names, n=3, cutoff=0.5)
        close = list(dict.fromkeys(close))[:3]
        hint = (
            f"close names: {', '.join(repr(n) for n in close)}"
            if close
            else "`lakehouse-tui airbyte list` with discover = true shows every name"
        )
        raise UnknownConnection(
            f"Airbyte connection '{wanted.name}' not found on the server; fix the name in "
            f"[[airbyte.connections]] ({hint})"
        )

    def sync(
        self,
        connection_id: str,
        *,
        poll_interval: float,
        timeout: float,
        on_update: Callable[[Job], None] | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Job:
        """Run one sync to its end and return the succeeded job.

        Raises `SyncFailed`, `SyncCancelled` (the event was set, or someone cancelled it in
        Airbyte), `SyncTimedOut` (after cancelling the job on the server), or another
        `AirbyteError`; every message starts with the connection's name and id.
        """
        try:
            return self._sync(connection_id, poll_interval, timeout, on_update, cancel_event)
        except AirbyteError as err:
            where = self.label(connection_id)
            if connection_id not in str(err):
                # e.g. a refused token: say which asset's sync it stopped
                err.args = (f"{where}: {err}",)
            raise

    def _sync(
        self,
        connection_id: str,
        poll_interval: float,
        timeout: float,
        on_update: Callable[[Job], None] | None,
        cancel_event: threading.Event | None,
    ) -> Job:
        where = self.label(connection_id)
        cancel = cancel_event or threading.Event()
        if cancel.is_set():
            raise SyncCancelled(f"{where}: sync cancelled before it started", None)
        deadline = time.monotonic() + timeout
        try:
            job = self.start_sync(connection_id)
        except BadAnswer as err:
            # HTTP 200 of the wrong shape: a job was started; cancel it, then say so.
            raise self._abandon(connection_id, err.job_id, err) from None
        last: Job | None = None
        while True:
            if job != last and on_update is not None:
                on_update(job)
            last = job
            if job.done:
                return self._finished(job)
            if cancel.is_set():
                job, problem = self._cancel_and_settle(job, on_update)
                raise SyncCancelled(
                    f"{where}: sync job {job.id} {problem or 'cancelled on request'}", job
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                job, problem = self._cancel_and_settle(job, on_update)
                raise SyncTimedOut(
                    f"{where}: sync job {job.id} still running after {timeout:g} s and "
                    f"{problem or 'was cancelled'}; raise [airbyte] timeout if syncs take longer",
                    job,
                )
            # Waiting on the event (not sleeping) lets a cancel interrupt the pause at once.
            cancel.wait(min(poll_interval, remaining))
            if not cancel.is_set():
                try:
                    job = self.get_job(job.id)
                except BadAnswer as err:
                    raise self._abandon(connection_id, job.id, err) from None

    def _abandon(self, connection_id: str, job_id: int | None, err: AirbyteError) -> AirbyteError:
        """After an answer of the wrong shape: cancel the job we started (found by id, else
        as the connection's running job) and return the error to raise."""
        try:
            if job_id is None:
                running = self.active_job(connection_id)
                job_id = running.id if running is not None else None
            if job_id is None:
                return err
            with contextlib.suppress(AirbyteError):  # the cancel's answer may be as odd
                self.cancel_job(job_id)
        except AirbyteError as problem:
            return AirbyteError(
                f"{err}; the sync it started could not be cancelled ({problem}), "
                "cancel it in the Airbyte UI"
            )
        return AirbyteError(f"{err}; sync job {job_id} was cancelled")

    def _finished(self, job: Job) -> Job:
        where = self.label(job.connection_id)
        if job.status == "succeeded":
            return job
        if job.status == "failed":
            reason = (
                f": {redact.clean(job.failure_reason)}"
                if job.failure_reason
                else " (Airbyte gave no reason; see the job's logs in Airbyte)"
            )
            raise SyncFailed(
                f"{where}: sync job {job.id} failed{reason}; fix it in Airbyte and run again", job
            )
        raise SyncCancelled(
            f"{where}: sync job {job.id} was cancelled in Airbyte; run again to sync", job
        )

    def _cancel_and_settle(
        self, job: Job, on_update: Callable[[Job], None] | None, grace: float = 10.0
    ) -> tuple[Job, str | None]:
        """Cancel on the server, then poll briefly so the caller sees the end state.

        Returns the job and, when the cancel could not be done, what went wrong.
        """
        try:
            job = self.cancel_job(job.id)
            settle_by = time.monotonic() + grace
            pause = 0.05
            while not job.done and time.monotonic() < settle_by:
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                job = self.get_job(job.id)
        except AirbyteError as err:
            return job, f"could not be cancelled ({err}); cancel it in the Airbyte UI"
        if on_update is not None:
            on_update(job)
        return job, None


def secret_from_env(variable: str, purpose: str) -> str:
    """Read a secret from the environment; the message names the variable, never a value."""
    value = os.environ.get(variable)
    if not value:
        raise AirbyteAuthError(
            f"environment variable {variable} is not set; export it with the {purpose} "
            "(the config names the variable in [airbyte])"
        )
    return value


def client_from_settings(settings: AirbyteSettings, **options: Any) -> AirbyteClient:
    """Build the client for `settings.api`, reading its secret from the environment.

    `options` go to the client (retries, backoff, request_timeout), mainly for tests.
    Each call, retries included, must finish within `[airbyte] timeout` (at most two
    minutes): a silent or trickling server cannot hold a run longer than that.
    """
    from lakehouse_tui.integrations.airbyte_http import MAX_CALL_SECONDS

    options.setdefault("call_budget", min(settings.timeout, MAX_CALL_SECONDS))
    if settings.api == "public":
        from lakehouse_tui.integrations.airbyte_public import PublicApiClient

        if not settings.client_id:
            raise ConfigError(
                "[airbyte] client_id is empty; the public API needs an application's client id "
                "(`abctl local credentials` on OSS, Settings > Applications on Cloud)"
            )
        secret = secret_from_env(settings.client_secret_env, "Airbyte application client secret")
        return PublicApiClient(
            settings.url,
            client_id=settings.client_id,
            client_secret=secret,
            workspace_id=settings.workspace_id,
            **options,
        )
    from lakehouse_tui.integrations.airbyte_config import ConfigApiClient

    if settings.client_id:  # application credentials work on the config API too
        secret = secret_from_env(settings.client_secret_env, "Airbyte application client secret")
        return ConfigApiClient(
            settings.url,
            client_id=settings.client_id,
            client_secret=secret,
            workspace_id=settings.workspace_id,
            **options,
        )
    password = secret_from_env(settings.password_env, "Airbyte basic-auth password")
    return ConfigApiClient(
        settings.url,
        username=settings.username,
        password=password,
        workspace_id=settings.workspace_id,
        **options,
    )
