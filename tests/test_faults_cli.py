"""Hostile state on disk and hostile input: one line on stderr, never a traceback.

Every case runs the real CLI in a child process (`python -m lakehouse_tui`) against a real
lake: a corrupt run store, a lock file that is a directory, a state dir under a file, a raw
dir that is a file, an over-long path, a raw file that vanishes while it is read, a selection
nested 3,000 deep, a config file that is a FIFO, and an unexpected exception.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine_fixtures import Lake

DEADLINE = 120.0


@pytest.fixture
def ran(built_lake: Lake) -> Lake:
    """A lake with data and one full run, shared by the module; each case puts back what it
    breaks."""
    return built_lake


def run(
    lake: Lake, *args: str, env: dict[str, str] | None = None, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process; `args` follow `--config`."""
    return subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", "--config", str(config or lake.config_path), *args],
        env={**lake.subprocess_env(), **(env or {})},
        cwd=lake.root,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def patched_cli(lake: Lake, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -c code args`: `code` patches something, then runs cli.main(sys.argv[2:])."""
    main = "from lakehouse_tui.cli import main\nsys.exit(main(sys.argv[2:]))\n"
    return subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + main, *args],
        env=lake.subprocess_env(),
        cwd=lake.root,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert the exit code and a single line on stderr without a traceback; the line."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    assert done.returncode == code, done.stderr
    assert lines[0].startswith("lakehouse-tui: ")
    return lines[0]


def test_a_corrupt_run_store_says_how_to_move_it_aside(ran: Lake) -> None:
    backup = ran.root / "runs.sqlite.good"
    shutil.copy(ran.store_path, backup)
    try:
        ran.store_path.write_bytes(b"this is not SQLite\n" * 512)
        line = one_line(run(ran, "status"), 1)
        assert f"{ran.store_path} is not a readable run store (file is not a database)" in line
        command = line.split("(the old file is kept): ", 1)[1]
        assert command.startswith(f"mv {ran.store_path} {ran.store_path}.corrupt")
        # Doing what it says: the old file is kept and a new store starts.
        subprocess.run(command, shell=True, check=True)
        assert run(ran, "status").returncode == 0
        assert Path(f"{ran.store_path}.corrupt").read_bytes().startswith(b"this is not SQLite")
    finally:
        for leftover in ran.state_dir.glob("runs.sqlite*"):
            leftover.unlink()
        shutil.copy(backup, ran.store_path)


def test_a_run_lock_that_is_a_directory(ran: Lake) -> None:
    ran.lock_path.unlink()
    ran.lock_path.mkdir()
    try:
        line = one_line(run(ran, "--materialize", "raw_bioreactor_data"), 1)
    finally:
        ran.lock_path.rmdir()
    assert line == (
        f"lakehouse-tui: {ran.lock_path} is a directory, not the run lock file; "
        f"remove it (rmdir {ran.lock_path}) and run again"
    )


def test_a_state_home_that_is_a_file(ran: Lake) -> None:
    state_home = ran.root / "state-is-a-file"
    state_home.write_text("not a directory\n")
    line = one_line(run(ran, "status", env={"XDG_STATE_HOME": str(state_home)}), 1)
    assert line == (
        f"lakehouse-tui: cannot create the state dir {state_home}/lakehouse-tui: "
        f"{state_home} is a file, not a directory; set XDG_STATE_HOME to a directory"
    )


def test_demo_into_a_raw_dir_that_is_a_file(ran: Lake) -> None:
    raw_file = ran.root / "raw-is-a-file"
    raw_file.write_text("x")
    config = ran.root / "raw-file.toml"
    config.write_text(f'[lake]\nraw_dir = "{raw_file}"\n')
    line = one_line(run(ran, "demo", "--batches", "1", config=config), 1)
    assert line == (
        f"lakehouse-tui: cannot create the raw dir {raw_file}: {raw_file} is a file, not a "
        "directory; set [lake] raw_dir to a directory"
    )
    assert raw_file.read_text() == "x"


def test_an_over_long_raw_dir_path(ran: Lake) -> None:
    config = ran.root / "long.toml"
    config.write_text(f'[lake]\nraw_dir = "{ran.root}/{"r" * 5000}"\nthreads = 1\n')
    line = one_line(run(ran, "status", config=config), 1)
    assert "the path is too long for the file system" in line
    assert "(5" in line and "characters)" in line  # shortened, with its real length
    assert len(line) < 400


def test_a_raw_file_that_vanishes_between_listing_and_stat(ran: Lake) -> None:
    # The real raw dir listing, then the file really disappears before it is looked at:
    # what a concurrent `mv` does. The child only moves the timing; the rest is real.
    gone = ran.raw_dir / "FB-2026-099.parquet"
    shutil.copy(next(ran.raw_dir.glob("*.parquet")), gone)
    code = (
        "import os\n"
        "from pathlib import Path\n"
        "from lakehouse_tui.core import raw\n"
        "gone, aside = Path(sys.argv[1]), Path(sys.argv[1] + '.aside')\n"
        "listing = raw.parquet_files\n"
        "def parquet_files(raw_dir):\n"
        "    if aside.exists():\n"
        "        os.replace(aside, gone)\n"
        "    files = listing(raw_dir)\n"
        "    os.replace(gone, aside)\n"
        "    return files\n"
        "raw.parquet_files = parquet_files\n"
    )

    def child(*args: str) -> subprocess.CompletedProcess[str]:
        return patched_cli(ran, code, str(gone), "--config", str(ran.config_path), *args)

    try:
        status = child("status")
        assert status.returncode == 0, status.stderr
        assert status.stderr == ""
        materialized = child("--materialize", "raw_bioreactor_data")
        assert "Traceback" not in materialized.stderr, materialized.stderr
        assert materialized.returncode == 1, materialized.stderr
        run_id = ran.last_run()["id"]
        message = ran.run_assets(run_id)["raw_bioreactor_data"]["message"]
        assert message == (
            f"{gone}: disappeared while the raw dir was being read (moved or deleted?); "
            "run again once the files stop changing"
        )
    finally:
        for leftover in (gone, Path(f"{gone}.aside")):
            leftover.unlink(missing_ok=True)


@pytest.mark.parametrize("nesting", ["(", "not "], ids=["parentheses", "nots"])
def test_a_selection_nested_3000_deep(ran: Lake, nesting: str) -> None:
    closing = ")" * 3000 if nesting == "(" else ""
    selection = nesting * 3000 + "dim_batch" + closing
    line = one_line(run(ran, "--materialize", selection, "--dry-run"), 2)
    assert "nested too deeply" in line and "use fewer parentheses and 'not's" in line
    assert len(line) < 200


def test_a_config_file_that_is_a_fifo(ran: Lake) -> None:
    fifo = ran.root / "config-fifo.toml"
    os.mkfifo(fifo)
    line = one_line(run(ran, "status", config=fifo), 2)  # returns: nobody writes the FIFO
    assert line == f"lakehouse-tui: {fifo}: not a regular file; point --config at a TOML file"


def test_an_unexpected_error_is_one_line_naming_debug(ran: Lake) -> None:
    # A bug we do not know of yet, raised from inside a real command.
    code = (
        "from lakehouse_tui.commands import status\n"
        "def broken(args, config):\n"
        "    raise ValueError('a bug\\nwith a second line')\n"
        "status.run = broken\n"
    )

    def child(*args: str) -> subprocess.CompletedProcess[str]:
        return patched_cli(ran, code, "-", "--config", str(ran.config_path), *args)

    line = one_line(child("status"), 1)
    assert line == (
        "lakehouse-tui: unexpected error: ValueError: a bug "
        "(run with --debug for the traceback, and please report it)"
    )
    debug = child("--debug", "status")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_the_recovery_command_quotes_odd_paths(tmp_path: Path) -> None:
    from lakehouse_tui.core.store_error import recovery_command

    store = tmp_path / "it's here" / "runs.sqlite"
    store.parent.mkdir()
    store.write_bytes(b"")
    Path(f"{store}-wal").write_bytes(b"")
    command = recovery_command(store)
    assert shlex.split(command) == [
        "mv",
        str(store),
        f"{store}.corrupt",
        "&&",
        "mv",
        f"{store}-wal",
        f"{store}.corrupt-wal",
    ]
