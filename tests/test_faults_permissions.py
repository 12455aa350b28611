"""The state dir and the data dir are the user's alone: dirs 0700, files 0600.

The run store holds log lines and data values, the profile names the warehouse, the
warehouse holds the data. A real run in a child process (whose umask the CLI sets); an
existing state dir from an older version is tightened when used; a secrets file others can
read is named with the chmod that fixes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine_fixtures import Lake
from test_schedule_command import env, main  # noqa: F401 - env: fake systemctl, temp HOME


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose(root: Path) -> list[str]:
    """Everything under root that group or others may use."""
    return [str(p) for p in [root, *root.rglob("*")] if mode(p) & 0o077]


def test_state_and_data_are_private_and_old_ones_are_tightened(lake: Lake) -> None:
    lake.config_path.write_text('[lake]\nraw_dir = "raw"\nthreads = 1\nmemory_limit = "1GB"\n')
    lake.demo()
    child = lake.spawn("--materialize", "*")
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    data_dir = Path(lake.env["XDG_DATA_HOME"]) / "lakehouse-tui"
    warehouse = data_dir / "warehouse.duckdb"
    profile = lake.state_dir / "dbt" / "profiles" / "profiles.yml"
    assert mode(lake.state_dir) == 0o700 and mode(data_dir) == 0o700
    for path in (lake.store_path, lake.lock_path, profile, warehouse):
        assert mode(path) == 0o600, path
    assert loose(lake.state_dir) == [] and loose(data_dir) == []

    # A state dir left by an older version (0755, files 0644) is tightened on the next run.
    for path in (lake.state_dir, profile.parent):
        path.chmod(0o755)
    for path in (lake.store_path, lake.lock_path, profile):
        path.chmod(0o644)
    child = lake.spawn("--materialize", "raw_bioreactor_data")
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert mode(lake.state_dir) == 0o700
    for path in (lake.store_path, lake.lock_path, profile):
        assert mode(path) == 0o600, path


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("action", ["install", "status"])
def test_schedule_warns_when_others_can_read_the_secrets_file(
    tmp_path: Path, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = Path(os.environ["XDG_CONFIG_HOME"]) / "lakehouse-tui" / "secrets.env"
    secrets.parent.mkdir(parents=True)
    secrets.write_text("LAKEHOUSE_PG_PASSWORD=hunter2\n")
    secrets.chmod(0o644)
    assert main(tmp_path, "schedule", action) == 0
    captured = capsys.readouterr()
    warning = f"warning: {secrets} can be read by other users; run: chmod 600 {secrets}"
    assert warning in (captured.out + captured.err).splitlines()
    assert "hunter2" not in captured.out + captured.err
    secrets.chmod(0o600)
    assert main(tmp_path, "schedule", action) == 0
    captured = capsys.readouterr()
    assert "can be read by other users" not in captured.out + captured.err
