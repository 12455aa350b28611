"""Config loading: defaults, file precedence, the example file and one-line errors."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from engine_fixtures import isolate, run_cli
from lakehouse_tui import config as config_module
from lakehouse_tui import paths
from lakehouse_tui.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return isolate(monkeypatch, tmp_path)


def test_defaults_without_a_file_live_under_the_xdg_dirs(xdg: dict[str, str]) -> None:
    assert paths.find_config_path(None) is None
    config = config_module.load()
    data = Path(xdg["XDG_DATA_HOME"]) / "lakehouse-tui"
    assert config.path is None
    assert config.lake.raw_dir == data / "raw"
    assert config.lake.warehouse == data / "warehouse.duckdb"
    assert config.state_dir == Path(xdg["XDG_STATE_HOME"]) / "lakehouse-tui"
    assert config.cache_dir == Path(xdg["XDG_CACHE_HOME"]) / "lakehouse-tui"
    assert config.store_path == config.state_dir / "runs.sqlite"
    assert (
        paths.default_config_path()
        == Path(xdg["XDG_CONFIG_HOME"]) / "lakehouse-tui" / "config.toml"
    )
    # Every default comes from SCHEMA.
    assert config.lake.threads == config_module.SCHEMA["lake"]["threads"].default
    assert config.lake.memory_limit == "4GB"
    assert config.marts.target == "duckdb"
    assert config.schedule.cron == "0 2 * * *"
    assert config.schedule.timezone == "Europe/London"
    assert config.airbyte.connections == ()
    assert not config.airbyte.enabled


def _write(path: Path, threads: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[lake]\nthreads = {threads}\n", encoding="utf-8")
    return path


def test_precedence_flag_then_env_then_default_file(
    xdg: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = _write(paths.default_config_path(), 3)
    from_env = _write(tmp_path / "env.toml", 5)
    flag = _write(tmp_path / "flag.toml", 7)

    assert config_module.load().lake.threads == 3
    assert config_module.load().path == default

    monkeypatch.setenv("LAKEHOUSE_TUI_CONFIG", str(from_env))
    assert config_module.load().lake.threads == 5
    assert config_module.load(flag).lake.threads == 7
    assert config_module.load(str(flag)).path == flag


def test_precedence_through_the_cli(
    xdg: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI honours the same order; a broken file shows which one was read."""
    paths.default_config_path().parent.mkdir(parents=True)
    paths.default_config_path().write_text("[lake]\nthreads = 0\n", encoding="utf-8")
    env_file = tmp_path / "env.toml"
    env_file.write_text("[lake]\nthreads = -1\n", encoding="utf-8")
    flag_file = tmp_path / "flag.toml"
    flag_file.write_text("[lake]\nthreads = 999\n", encoding="utf-8")

    result = run_cli(["status"])
    assert result.code == 2 and str(paths.default_config_path()) in result.err
    monkeypatch.setenv("LAKEHOUSE_TUI_CONFIG", str(env_file))
    result = run_cli(["status"])
    assert result.code == 2 and str(env_file) in result.err
    result = run_cli(["--config", str(flag_file), "status"])
    assert result.code == 2 and str(flag_file) in result.err


def test_relative_paths_are_relative_to_the_config_file(
    xdg: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "conf" / "lake.toml"
    path.parent.mkdir()
    path.write_text(
        '[lake]\nraw_dir = "data/raw"\nwarehouse = "/abs/wh.duckdb"\n', encoding="utf-8"
    )
    config = config_module.load(path)
    assert config.lake.raw_dir == tmp_path / "conf" / "data" / "raw"
    assert config.lake.warehouse == Path("/abs/wh.duckdb")


def test_missing_explicit_config_is_a_one_line_error(xdg: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = run_cli(["--config", str(missing), "status"])
    assert result.code == 2
    assert result.err_lines == [
        f"lakehouse-tui: {missing}: config file not found; create one with `lakehouse-tui init`"
    ]


# -- the example file -------------------------------------------------------------------


def test_example_config_parses_to_the_defaults(xdg: dict[str, str]) -> None:
    example = REPO / "config.example.toml"
    assert paths.example_config_path() == example
    config = config_module.load(example)
    defaults = config_module.from_mapping({})
    assert config.lake.threads == defaults.lake.threads
    assert config.lake.memory_limit == defaults.lake.memory_limit
    assert config.marts == defaults.marts
    assert config.postgres == defaults.postgres
    assert config.schedule == defaults.schedule
    assert config.airbyte == defaults.airbyte


def _documented_keys(text: str) -> dict[str, set[str]]:
    """Keys present in each section of the example, whether commented out or not."""
    found: dict[str, set[str]] = {}
    section = None
    for line in text.splitlines():
        stripped = line.strip().lstrip("#").strip()
        header = re.match(r"^\[\[?([A-Za-z0-9_.]+)\]\]?$", stripped)
        if header and not line.strip().startswith("#"):
            section = header.group(1)
            continue
        if header:  # a commented [[airbyte.connections]] example
            section = header.group(1)
            continue
        key = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", stripped)
        if key and section:
            found.setdefault(section, set()).add(key.group(1))
    return found


def test_every_schema_key_is_documented_in_the_example() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    documented = _documented_keys(text)
    for section, keys in config_module.SCHEMA.items():
        assert section in documented or not keys, f"[{section}] missing from config.example.toml"
        assert f"[{section}]" in text
        for key in keys:
            if key == "connections":
                assert "[[airbyte.connections]]" in text
                continue
            assert key in documented.get(section, set()), f"[{section}] {key} is not documented"
    for key in config_module.CONNECTION_KEYS:
        assert key in documented.get("airbyte.connections", set()), (
            f"connection key {key} undocumented"
        )


# -- broken files -----------------------------------------------------------------------

BROKEN = [
    pytest.param(
        "[lake]\nthreads = 2\nmemory_limit = \n",
        None,  # tomllib's own position: "(at line 3, column 16)"
        ["not valid TOML", "line 3"],
        id="bad-toml-syntax",
    ),
    pytest.param(
        "[lake]\nthreads = 2\n\n[warehouse]\npath = 'x'\n",
        4,
        ["[warehouse]", "unknown section", "[lake]", "[marts]"],
        id="unknown-section",
    ),
    pytest.param(
        "[lake]\nthreads = 2\nthread = 4\n",
        3,
        ["[lake] thread", "unknown key", "threads"],
        id="unknown-key",
    ),
    pytest.param(
        '[lake]\nmemory_limit = "2GB"\nthreads = "four"\n',
        3,
        ["[lake] threads", "expected a whole number 1-256", "'four'"],
        id="wrong-type",
    ),
    pytest.param(
        '[marts]\ntarget = "oracle"\n',
        2,
        ["[marts] target", '"duckdb" or "postgres"', "'oracle'"],
        id="bad-enum",
    ),
    pytest.param(
        '[schedule]\ncron = "0 2 * * *"\ntimezone = "Mars/Olympus_Mons"\n',
        3,
        ["[schedule] timezone", "IANA time zone", "Mars/Olympus_Mons"],
        id="bad-timezone",
    ),
    pytest.param(
        '[schedule]\ncron = "0 25 * * *"\n',
        2,
        ["[schedule] cron", "five-field cron", "'0 25 * * *'"],
        id="bad-cron-hour",
    ),
    pytest.param(
        '[schedule]\n\ncron = "daily"\n',
        3,
        ["[schedule] cron", "five-field cron", "'daily'"],
        id="bad-cron-word",
    ),
    pytest.param(
        '[postgres]\nhost = "db"\npassword_env = "hunter2!"\n',
        3,
        ["[postgres] password_env", "NAME of an environment variable", "not the secret"],
        id="password-instead-of-env-name",
    ),
    pytest.param(
        '[schedule]\ncron = "0 2 * * *"\nmax_wait = "soon"\n',
        3,
        ["[schedule] max_wait", 'a duration like "2h", "90m"', "'soon'"],
        id="bad-max-wait-word",
    ),
    pytest.param(
        "[schedule]\nmax_wait = 7200\n",
        2,
        ["[schedule] max_wait", "a duration like", "7200"],
        id="max-wait-number-without-unit",
    ),
    pytest.param(
        '[schedule]\nmax_wait = "0s"\n',
        2,
        ["[schedule] max_wait", "more than zero", "'0s'"],
        id="max-wait-zero",
    ),
    pytest.param(
        '[keymap]\nmaterialize_all = "A"\nshow_run = "R"\n',
        3,
        ["[keymap] show_run", "unknown binding id", "did you mean show_runs?"],
        id="keymap-unknown-id",
    ),
    pytest.param(
        # The README's old example: ctrl+r is refresh's key.
        '[keymap]\nmaterialize_all = "A"\nshow_runs = "ctrl+r"\n',
        3,
        ["[keymap] show_runs", '"ctrl+r" is already refresh\'s key', "remap refresh too"],
        id="keymap-collides-with-a-default",
    ),
    pytest.param(
        '[keymap]\nmaterialize_all = "x"\n\nsync = "x"\n',
        4,
        ["[keymap] sync", '"x" is already materialize_all\'s key', "[keymap] materialize_all"],
        id="keymap-two-remaps-on-one-key",
    ),
    pytest.param(
        '[keymap]\n"tab.logs" = "4"\n',
        2,
        ["[keymap] tab.logs", '"4" is already tab.checks\'s key'],
        id="keymap-collision-in-a-dotted-id",
    ),
    pytest.param(
        '[keymap]\nshow_schedule = "ctrl+p"\n',
        2,
        ["[keymap] show_schedule", '"ctrl+p"', "own key for the command palette"],
        id="keymap-takes-a-builtin-key",
    ),
    pytest.param(
        '[keymap]\nfilter = "down"\n',
        2,
        ["[keymap] filter", '"down"', "moving in the tree"],
        id="keymap-takes-a-tree-key",
    ),
    pytest.param(
        "[keymap]\nquit = 5\n",
        2,
        ["[keymap] quit", 'expected a key like "ctrl+r"'],
        id="keymap-not-a-string",
    ),
    pytest.param(
        '[airbyte]\nurl = "http://localhost:8000"\n\n[[airbyte.connections]]\nasset = "x"\n',
        4,
        ["[airbyte.connections]", 'id = "..." or name = "..."'],
        id="connection-without-id-or-name",
    ),
]


@pytest.mark.parametrize(("text", "line", "needles"), BROKEN)
def test_broken_config_gives_exit_2_and_one_line(
    xdg: dict[str, str], tmp_path: Path, text: str, line: int | None, needles: list[str]
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    result = run_cli(["--config", str(path), "status"])
    assert result.code == 2
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    message = result.err_lines[0]
    assert "Traceback" not in result.err
    prefix = f"lakehouse-tui: {path}:{line}: " if line else f"lakehouse-tui: {path}: "
    assert message.startswith(prefix), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


def test_wrong_type_error_message_exactly(xdg: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[lake]\nmemory_limit = "2GB"\nthreads = "four"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config_module.load(path)
    assert str(info.value) == f"{path}:3: [lake] threads: expected a whole number 1-256, got 'four'"


def test_debug_shows_the_traceback(xdg: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[marts]\ntarget = "oracle"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        run_cli(["--debug", "--config", str(path), "status"])


def test_valid_full_config_round_trips(xdg: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[lake]\nthreads = 4\n[marts]\ntarget = "postgres"\n[postgres]\nport = 6543\n'
        'password_env = "MY_PG_PW"\n[schedule]\ncron = "30 1 * * 1-5"\ntimezone = "UTC"\n'
        '[airbyte]\n[[airbyte.connections]]\nname = "historian"\n[keymap]\nquit = "ctrl+q"\n',
        encoding="utf-8",
    )
    config = config_module.load(path)
    assert config.lake.threads == 4
    assert config.marts.target == "postgres"
    assert config.postgres.port == 6543 and config.postgres.password_env == "MY_PG_PW"
    assert config.schedule.cron == "30 1 * * 1-5"
    assert config.airbyte.connections == (config_module.AirbyteConnection(name="historian"),)
    assert config.keymap == {"quit": "ctrl+q"}  # quit may keep Textual's own quit key


@pytest.mark.parametrize(
    ("text", "keymap"),
    [
        # A key another binding has is fine once that binding moves too.
        ('show_runs = "ctrl+r"\nrefresh = "f5"\n', {"show_runs": "ctrl+r", "refresh": "f5"}),
        ('sync = "r"\nshow_runs = "y"\n', {"sync": "r", "show_runs": "y"}),
        # Screens are separate: the runs screen's escape is not the filter's.
        ('"runs.rerun_failed" = "F"\n', {"runs.rerun_failed": "F"}),
        # A dotted id written as a TOML dotted key, and a list of keys.
        ('tab.logs = "L"\nrefresh = "ctrl+r,f5"\n', {"tab.logs": "L", "refresh": "ctrl+r,f5"}),
        # The names Textual knows keys by, for the characters people type.
        ('help = "?"\nfilter = " / "\n', {"help": "question_mark", "filter": "slash"}),
    ],
)
def test_keymaps_that_are_fine(
    xdg: dict[str, str], tmp_path: Path, text: str, keymap: dict[str, str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[keymap]\n" + text, encoding="utf-8")
    assert config_module.load(path).keymap == keymap


def test_the_readme_keymap_example_is_valid(xdg: dict[str, str], tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(\[keymap\]\n.*?)```", readme, re.S)
    assert example is not None, "README has no [keymap] example"
    path = tmp_path / "config.toml"
    path.write_text(example.group(1), encoding="utf-8")
    assert "show_runs" in config_module.load(path).keymap


def test_max_wait(xdg: dict[str, str], tmp_path: Path) -> None:
    assert config_module.load().schedule.max_wait_seconds == 2 * 3600
    path = tmp_path / "config.toml"
    for text, seconds in (
        ("90s", 90),
        ("10m", 600),
        ("1h30m", 5400),
        ("2 h", 7200),
        ("1.5h", 5400),
    ):
        path.write_text(f'[schedule]\nmax_wait = "{text}"\n', encoding="utf-8")
        assert config_module.load(path).schedule.max_wait_seconds == seconds, text


# -- init -------------------------------------------------------------------------------


def test_init_writes_the_starter_and_refuses_to_overwrite(xdg: dict[str, str]) -> None:
    target = paths.default_config_path()
    result = run_cli(["init"])
    assert result.code == 0, result.err
    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == example
    assert str(target) in result.err
    tomllib.loads(target.read_text(encoding="utf-8"))
    # The written file is the one that is now read by default.
    assert config_module.load().path == target

    target.write_text("# mine\n", encoding="utf-8")
    result = run_cli(["init"])
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert str(target) in result.err and "--force" in result.err
    assert target.read_text(encoding="utf-8") == "# mine\n"

    result = run_cli(["init", "--force"])
    assert result.code == 0
    assert target.read_text(encoding="utf-8") == example


def test_init_writes_to_the_config_flag_even_when_that_file_is_broken(
    xdg: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "sub" / "mine.toml"
    result = run_cli(["--config", str(target), "init"])
    assert result.code == 0
    assert target.exists()
    target.write_text("this is not toml = = =\n", encoding="utf-8")
    assert run_cli(["--config", str(target), "init"]).code == 2
    assert run_cli(["--config", str(target), "init", "--force"]).code == 0
    config_module.load(target)


def test_init_honours_the_config_env_var(
    xdg: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env.toml"
    monkeypatch.setenv("LAKEHOUSE_TUI_CONFIG", str(target))
    assert run_cli(["init"]).code == 0
    assert target.exists()
    assert not paths.default_config_path().exists()


def test_unreadable_config_is_one_line(xdg: dict[str, str], tmp_path: Path) -> None:
    directory = tmp_path / "a-dir.toml"
    directory.mkdir()
    result = run_cli(["--config", str(directory), "status"])
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith(f"lakehouse-tui: {directory}: not a regular file")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run_cli(["--config", str(binary), "status"])
    assert result.code == 2 and len(result.err_lines) == 1 and str(binary) in result.err
