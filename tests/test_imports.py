"""Layering: the headless path never imports Textual, reading the graph never imports dbt,
and every CLI command and option has help text."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pytest

from lakehouse_tui.cli import build_parser

HEADLESS_MODULES = (
    "lakehouse_tui.cli",
    "lakehouse_tui.core.workspace",
    "lakehouse_tui.core.executor",
    "lakehouse_tui.commands.materialize",
    "lakehouse_tui.runservice.printer",
    "lakehouse_tui.runservice.headless_run",
    "lakehouse_tui.runservice.warm",
    "lakehouse_tui.runservice.child",
    "lakehouse_tui.runservice.warm_client",
    "lakehouse_tui.commands.status",
    "lakehouse_tui.core.asset_status",
    "lakehouse_tui.commands.sensor",
    "lakehouse_tui.commands.watch",
    "lakehouse_tui.sensor_run",
    "lakehouse_tui.core.freshness",
    "lakehouse_tui.core.file_settle",
    "lakehouse_tui.schedule.sensor_systemd",
    "lakehouse_tui.schedule.sensor_launchd",
)


def _modules_after(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return {"modules": set(json.loads(done.stdout.splitlines()[-1])), "stdout": done.stdout}


def test_headless_modules_do_not_import_textual_or_rich() -> None:
    imports = "\n".join(f"import {name}" for name in HEADLESS_MODULES)
    imports += "\nfrom lakehouse_tui.cli import build_parser\nbuild_parser()"
    modules = _modules_after(imports)["modules"]
    assert not any(m == "textual" or m.startswith("textual.") for m in modules)
    assert not any(m == "rich" or m.startswith("rich.") for m in modules)
    assert "dbt" not in modules


@pytest.mark.parametrize(
    "package",
    ["lakehouse_tui.core", "lakehouse_tui.config", "lakehouse_tui.demo", "lakehouse_tui.paths"],
)
def test_core_modules_never_import_textual(package: str) -> None:
    import pkgutil

    import lakehouse_tui.core

    names = [package]
    if package == "lakehouse_tui.core":
        names += [
            f"lakehouse_tui.core.{m.name}"
            for m in pkgutil.iter_modules(lakehouse_tui.core.__path__)
        ]
        # dbt_run imports dbt on purpose (only the executor imports it, lazily).
    modules = _modules_after("\n".join(f"import {n}" for n in names))["modules"]
    assert "textual" not in modules
    assert "rich" not in modules


def test_workspace_open_with_a_current_manifest_does_not_import_dbt(parsed_workspace: Any) -> None:
    lake = parsed_workspace.lake
    code = (
        "from lakehouse_tui import config\n"
        "from lakehouse_tui.core.workspace import Workspace\n"
        f"ws = Workspace.open(config.load({str(lake.config_path)!r}))\n"
        "print('assets', len(ws.graph.assets), ws.parsed_manifest is None)\n"
        "ws.close()\n"
    )
    result = _modules_after(code, env=lake.subprocess_env())
    assert "assets 6 True" in result["stdout"]
    assert "dbt" not in result["modules"]
    assert "textual" not in result["modules"]


def _walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not helps.get(name):
                    missing.append(f"{path} {name} (command)")
                missing += _walk(sub, f"{path} {name}")
            continue
        if not action.help or (action.help == argparse.SUPPRESS and action.dest != "version"):
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_command_and_option_has_help_text() -> None:
    parser = build_parser()
    assert _walk(parser, "lakehouse-tui") == []
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"init", "demo", "status"} <= set(subparsers.choices)


def test_help_runs_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in [None, *subparsers.choices]:
        argv = ["--help"] if name is None else [name, "--help"]
        with pytest.raises(SystemExit) as info:
            parser.parse_args(argv)
        assert info.value.code == 0
    assert "--materialize" in capsys.readouterr().out
