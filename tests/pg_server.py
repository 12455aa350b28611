"""A throwaway PostgreSQL 15 server in a temp dir, for tests and benchmarks.

No pytest here, so bench/ can import it too. PostgreSQL refuses to run as root, so when we are
root the data dir belongs to the `postgres` user and initdb/pg_ctl run via `runuser`.
Host (TCP) connections need a SCRAM password, so a wrong password is really refused; unix-socket
connections are trusted, which is how the admin (superuser `postgres`) sets things up.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin",)
SUPERUSER = "postgres"
# Settings that make a disposable server fast; durability does not matter here.
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=40 -c shared_buffers=64MB"
)


class PgServerError(RuntimeError):
    """The test server cannot be set up (binaries missing, initdb or start failed)."""


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    raise PgServerError(
        f"{name} not found on PATH or in {', '.join(PG_BIN_DIRS)}; install PostgreSQL 15 "
        "server binaries (apt-get install postgresql-15)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgServer:
    """A running server; `admin()` connects as superuser through the unix socket."""

    base: Path
    port: int
    run_as: str | None  # OS user the server runs as when we are root
    pg_ctl: str

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> str:
        return str(self.base)

    @property
    def log_path(self) -> Path:
        return self.base / "server.log"

    def admin(self, dbname: str = "postgres") -> Any:
        conn = psycopg2.connect(host=self.socket_dir, port=self.port, user=SUPERUSER, dbname=dbname)
        conn.autocommit = True
        return conn

    def create_role(self, name: str, password: str | None, *, superuser: bool = False) -> None:
        with contextlib.closing(self.admin()) as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN PASSWORD %s" + (" SUPERUSER" if superuser else "")
                ).format(sql.Identifier(name)),
                (password,),
            )

    def create_database(self, name: str, owner: str) -> None:
        with contextlib.closing(self.admin()) as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )

    def stop(self) -> None:
        _run(self.run_as, [self.pg_ctl, "-D", str(self.data_dir), "stop", "-m", "fast", "-w"])

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def start(tmp_root: str | None = None) -> PgServer:
    """initdb + pg_ctl start on a free 127.0.0.1 port; raises PgServerError on failure."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    run_as = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="lakehouse-pg-", dir=tmp_root))
    if run_as:
        try:
            entry = pwd.getpwnam(run_as)
        except KeyError:
            raise PgServerError("running as root but there is no `postgres` user") from None
        os.chown(base, entry.pw_uid, entry.pw_gid)
    data = base / "data"
    _run(
        run_as,
        [
            initdb,
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        ],
        cwd=base,
    )
    last_error = ""
    for _ in range(3):  # the free port can be taken between free_port() and the bind
        server = PgServer(base, free_port(), run_as, pg_ctl)
        try:
            _run(
                run_as,
                [
                    pg_ctl,
                    "-D",
                    str(data),
                    "-l",
                    str(server.log_path),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    f"-p {server.port} -k {base} {SERVER_OPTIONS}",
                    "start",
                ],
                cwd=base,
            )
            return server
        except PgServerError as err:
            last_error = f"{err}\n{server.log_tail()}"
    shutil.rmtree(base, ignore_errors=True)
    raise PgServerError(f"pg_ctl start failed three times:\n{last_error}")


@contextlib.contextmanager
def running(tmp_root: str | None = None) -> Iterator[PgServer]:
    server = start(tmp_root)
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.base, ignore_errors=True)


def _run(run_as: str | None, argv: list[str], cwd: Path | None = None) -> None:
    command = ["runuser", "-u", run_as, "--", *argv] if run_as else argv
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise PgServerError(
            f"{' '.join(argv[:2])} failed ({result.returncode}): {result.stderr.strip()}"
        )
