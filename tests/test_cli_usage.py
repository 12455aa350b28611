"""The CLI as a new user meets it: plans as JSON, comma lists, `--config` after the
subcommand, progress in a pipe, empty selections, run flags without a run, and help text."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine_fixtures import Lake
from lakehouse_tui.cli import build_parser

MODELS = (
    "stg_bioreactor",
    "int_bioreactor_downsample_5m",
    "dim_batch",
    "fact_bioreactor_batch_stats",
    "mart_bioreactor_overview",
)


def test_dry_run_json_prints_the_plan_as_json(built_lake: Lake) -> None:
    result = built_lake.cli("--materialize", "dim_batch,stg_bioreactor", "--dry-run", "--json")
    assert result.code == 0, result.err
    plan = json.loads(result.out)
    assert plan["selection"] == "dim_batch,stg_bioreactor"
    assert plan["assets"] == ["stg_bioreactor", "dim_batch"]
    (step,) = plan["steps"]
    assert step["kind"] == "dbt" and step["target"] == "duckdb"
    assert step["dbt_select"][:2] == ["stg_bioreactor", "dim_batch"]
    assert "not_null_dim_batch_batch_id" in step["executor_checks"]
    # The text plan says the same.
    text = built_lake.cli("--materialize", "dim_batch,stg_bioreactor", "--dry-run")
    assert "2 assets in 1 steps" in text.out and "assets: stg_bioreactor, dim_batch" in text.out


def test_piped_progress_has_a_line_per_asset(built_lake: Lake) -> None:
    """Not a terminal (a pipe, the journal): no live line, so each asset says when it starts
    and when it has materialized, with its rows."""
    err = built_lake.first_run.err  # type: ignore[attr-defined]
    lines = err.splitlines()
    for key in ("raw_bioreactor_data", *MODELS):
        assert f"  {key}: started" in lines, err
        done = [
            line for line in lines if line.startswith("  [") and f"] {key}: materialized (" in line
        ]
        assert len(done) == 1 and " rows)" in done[0], err
    # In order: a model starts before it is done, and the counter counts up to 6/6.
    assert lines.index("  dim_batch: started") < next(
        i for i, line in enumerate(lines) if "] dim_batch: materialized" in line
    )
    assert any(line.startswith("  [6/6] ") for line in lines)
    assert "\r" not in err and "\033[" not in err
    # dbt models say when dbt built them (and their checks passed), before the dbt step ends.
    built = next(i for i, line in enumerate(lines) if line.startswith("  dim_batch: built in "))
    step_done = next(i for i, line in enumerate(lines) if line.startswith("ok  dbt duckdb"))
    assert built < step_done


def test_a_kind_no_asset_has_is_an_empty_selection(built_lake: Lake) -> None:
    runs = len(built_lake.runs())
    result = built_lake.cli("--materialize", "kind:postgres")
    assert result.code == 0, result.err
    assert result.err_lines == [result.err_lines[0]]
    assert result.err_lines[0].startswith("no asset matches 'kind:postgres'; recorded no-op run")
    assert built_lake.runs()[-1]["status"] == "noop" and len(built_lake.runs()) == runs + 1
    # A misspelt kind is still an error with a suggestion.
    typo = built_lake.cli("--materialize", "kind:postgress")
    assert typo.code == 2 and "did you mean postgres?" in typo.err


def test_config_after_the_subcommand(built_lake: Lake, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[lake]\nthreads = "four"\n', encoding="utf-8")
    # built_lake.cli puts its own --config first; the one after the subcommand wins.
    result = built_lake.cli("status", "--config", str(broken))
    assert result.code == 2
    assert result.err_lines == [
        f"lakehouse-tui: {broken}:2: [lake] threads: expected a whole number 1-256, got 'four'"
    ]
    ok = built_lake.cli("status", "--json", "--config", str(built_lake.config_path))
    assert ok.code == 0 and {a["key"] for a in json.loads(ok.out)} >= set(MODELS)

    other = tmp_path / "other.toml"
    other.write_text('[schedule]\ncron = "30 4 * * *"\n', encoding="utf-8")
    shown = built_lake.cli("schedule", "show", "--config", str(other))
    assert shown.code == 0, shown.err
    assert "OnCalendar=*-*-* 04:30:00 Europe/London" in shown.out
    assert f"--config {other}" in shown.out


@pytest.mark.parametrize(
    ("argv", "flags"),
    [
        (["--dry-run"], "--dry-run"),
        (["--json", "--skip-unchanged"], "--json, --skip-unchanged"),
        (["--wait"], "--wait"),
        (["--max-wait", "5m"], "--max-wait"),
        (["--trigger", "timer"], "--trigger"),
    ],
)
def test_run_flags_without_a_run_are_a_usage_error(
    tmp_path: Path, argv: list[str], flags: str
) -> None:
    """Not "the TUI needs a terminal": the flags only mean something with a headless run.
    In a child with no terminal and no config at all, as a new user would type it."""
    done = subprocess.run(
        [sys.executable, "-m", "lakehouse_tui", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"lakehouse-tui: {flags}: only with a headless run; add --materialize SEL or --job NAME "
        "(e.g. lakehouse-tui --materialize '*' --dry-run)\n"
    )


def test_max_wait_needs_a_duration(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--materialize", "*", "--max-wait", "soon"])
    assert info.value.code == 2  # argparse's own usage error
    assert 'argument --max-wait: expected a duration like "2h"' in capsys.readouterr().err


def _subcommands(
    parser: argparse.ArgumentParser, path: str
) -> list[tuple[str, argparse.ArgumentParser, str | None]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((f"{path} {name}", sub, helps.get(name)))
                found += _subcommands(sub, f"{path} {name}")
    return found


def test_every_subcommand_has_a_description_in_its_help() -> None:
    """Fails when a command (e.g. a new module in lakehouse_tui.commands) has no help text:
    the list of commands and its own --help would show nothing."""
    commands = _subcommands(build_parser(), "lakehouse-tui")
    names = {name for name, _, _ in commands}
    assert {
        "lakehouse-tui status",
        "lakehouse-tui schedule install",
        "lakehouse-tui airbyte list",
    } <= names
    for name, sub, help_line in commands:
        assert help_line, f"{name}: no help= in add_parser"
        assert sub.description, f"{name}: its --help has no description"
        text = sub.format_help()
        assert sub.description.split()[0] in text
        assert "--config PATH" in text and "--debug" in text, f"{name}: no --config/--debug"


def test_help_documents_the_selection_syntax() -> None:
    text = build_parser().format_help()
    for needle in (
        "selections (--materialize SEL",
        "+dim_batch, dim_batch+",
        "group:dbt_curated",
        "kind:duckdb",
        "stale",
        "a,b is a or b",
        "exit codes: 0",
        "--max-wait DURATION",
    ):
        assert needle in text, needle
    for name in ("status", "schedule", "init", "demo", "airbyte"):
        assert f"    {name} " in text, f"{name} missing from the command list"
