"""systemd unit files: checked by the real `systemd-analyze verify`; install/remove on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse_tui.errors import LakehouseError, UsageError
from lakehouse_tui.schedule import systemd
from lakehouse_tui.schedule.cron import parse_cron
from lakehouse_tui.schedule.job import TimerJob

FAKE_SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$TOOL_LOG"
state="$TOOL_STATE/enabled"
case "$*" in
  *"enable --now"*) touch "$state" ;;
  *"disable --now"*) rm -f "$state" ;;
  *is-enabled*) if [ -e "$state" ]; then echo enabled; else echo disabled; exit 1; fi ;;
  *is-active*) if [ -e "$state" ]; then echo active; else echo inactive; exit 3; fi ;;
esac
exit 0
"""


def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linger: str) -> Path:
    """Put recording `systemctl` and `loginctl` executables first on PATH."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL)
    (bin_dir / "loginctl").write_text(f'#!/bin/sh\necho "loginctl $*" >> "$TOOL_LOG"\n{linger}\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TOOL_LOG", str(log))
    monkeypatch.setenv("TOOL_STATE", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg config"))
    return log


def make_job(argv: tuple[str, ...], cron: str = "0 2 * * *") -> TimerJob:
    return TimerJob(
        spec=parse_cron(cron),
        timezone="Europe/London",
        job="transform_dbt_models",
        argv=argv,
        log_dir=Path("/nonexistent/logs"),
    )


def verify(unit_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(exist_ok=True)
    return subprocess.run(
        [
            "systemd-analyze",
            "--user",
            "verify",
            str(unit_dir / systemd.TIMER),
            str(unit_dir / systemd.SERVICE),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime)),
    )


@pytest.mark.parametrize(
    ("arg", "word"),
    [
        ("plain", "plain"),
        ("/a b/c", '"/a b/c"'),
        ("100%", "100%%"),
        ("$HOME", "$$HOME"),
        ('say "hi"\\', '"say \\"hi\\"\\\\"'),
        ("", '""'),
        (";", '";"'),
    ],
)
def test_quote_exec_arg(arg: str, word: str) -> None:
    assert systemd.quote_exec_arg(arg) == word


def test_line_breaks_are_refused() -> None:
    with pytest.raises(UsageError, match="line break"):
        systemd.quote_exec_arg("a\nb")


@pytest.mark.parametrize("cron", ["0 2 * * *", "0 0 1,15 * sun", "*/15 9-17 * * mon-fri"])
def test_units_pass_systemd_analyze_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cron: str
) -> None:
    # An interpreter path with a space and a `%` (a systemd specifier) must survive quoting.
    odd_dir = tmp_path / "my venv %h" / "bin"
    odd_dir.mkdir(parents=True)
    python = odd_dir / "python"
    python.symlink_to(sys.executable)
    config = tmp_path / "my config 100%.toml"
    argv = (str(python), "-m", "lakehouse_tui", "--config", str(config), "--job", "x")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    planned = systemd.plan(make_job(argv, cron))
    for path, content in planned.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    result = verify(systemd.unit_dir(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    service = (systemd.unit_dir() / systemd.SERVICE).read_text()
    assert f'ExecStart="{odd_dir.as_posix().replace("%", "%%")}/python" -m' in service


def test_verify_catches_a_missing_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above means something: verify does look at the ExecStart binary."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    planned = systemd.plan(make_job((str(tmp_path / "no such python"), "-m", "x")))
    for path, content in planned.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    result = verify(systemd.unit_dir(), tmp_path)
    assert result.returncode != 0
    assert "is not executable" in result.stderr


def test_timer_contents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    timer = systemd.render_timer(make_job(("/bin/true",), "0 0 1,15 * sun"))
    assert "OnCalendar=*-*-01,15 00:00:00 Europe/London\n" in timer
    assert "OnCalendar=Sun *-*-* 00:00:00 Europe/London\n" in timer
    assert "Persistent=true\n" in timer
    assert systemd.unit_dir() == tmp_path / "systemd" / "user"


def test_unit_dir_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert systemd.unit_dir() == tmp_path / ".config" / "systemd" / "user"


def test_install_is_idempotent_and_remove_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_tools(tmp_path, monkeypatch, "echo Linger=yes")
    planned = systemd.plan(make_job(("/bin/true",)))
    assert systemd.install(planned) == [f"wrote {path}" for path in planned.files]
    assert log.read_text().splitlines() == [
        "systemctl --user daemon-reload",
        "systemctl --user enable --now lakehouse-tui.timer",
    ]
    state = systemd.state(planned)
    assert (state.installed, state.up_to_date, state.enabled, state.active) == (
        True,
        True,
        "enabled",
        "active",
    )

    log.write_text("")
    before = {path: path.stat().st_mtime_ns for path in planned.files}
    assert systemd.install(planned) == [
        f"lakehouse-tui.timer already up to date in {systemd.unit_dir()}"
    ]
    assert {path: path.stat().st_mtime_ns for path in planned.files} == before
    assert "restart" not in log.read_text()

    # A changed schedule is updated in place and the running timer restarted.
    log.write_text("")
    changed = systemd.plan(make_job(("/bin/true",), "0 3 * * *"))
    assert systemd.install(changed) == [f"wrote {systemd.unit_dir() / systemd.TIMER}"]
    assert (
        "OnCalendar=*-*-* 03:00:00 Europe/London"
        in (systemd.unit_dir() / systemd.TIMER).read_text()
    )
    assert log.read_text().splitlines()[-1] == "systemctl --user restart lakehouse-tui.timer"

    log.write_text("")
    assert len(systemd.remove()) == 2
    assert log.read_text().splitlines() == [
        "systemctl --user disable --now lakehouse-tui.timer",
        "systemctl --user daemon-reload",
    ]
    assert sorted(p.name for p in (tmp_path / "xdg config").rglob("*") if p.is_file()) == []
    assert systemd.remove() == [f"no lakehouse-tui timer installed in {systemd.unit_dir()}"]


def test_remove_dry_run_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = fake_tools(tmp_path, monkeypatch, "echo Linger=yes")
    planned = systemd.plan(make_job(("/bin/true",)))
    systemd.install(planned)
    log.write_text("")
    lines = systemd.remove(dry_run=True)
    assert lines[0] == "would run: systemctl --user disable --now lakehouse-tui.timer"
    assert all(path.exists() for path in planned.files)
    assert log.read_text() == ""


def test_failing_systemctl_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tools(tmp_path, monkeypatch, "echo Linger=yes")
    (tmp_path / "fakebin" / "systemctl").write_text(
        "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n"
    )
    expected = (
        "^`systemctl --user daemon-reload` failed: Failed to connect to bus: No medium found$"
    )
    with pytest.raises(LakehouseError, match=expected):
        systemd.install(systemd.plan(make_job(("/bin/true",))))


@pytest.mark.parametrize(
    ("script", "expected"),
    [("echo Linger=yes", True), ("echo Linger=no", False), ("exit 1", False)],
)
def test_linger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, expected: bool
) -> None:
    log = fake_tools(tmp_path, monkeypatch, script)
    # With loginctl failing, logind's linger directory decides.
    monkeypatch.setattr(systemd, "LINGER_DIR", tmp_path / "linger")
    assert systemd.linger_enabled("alice") is expected
    assert log.read_text() == "loginctl show-user alice -p Linger\n"
    (tmp_path / "linger").mkdir()
    (tmp_path / "linger" / "alice").touch()
    if script == "exit 1":
        assert systemd.linger_enabled("alice") is True
