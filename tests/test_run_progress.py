"""The typed run protocol (`RunEvent.from_dict`, the warm executor's lines, `ExitCode`) and
the `RunProgress` reducer that the CLI printer and the TUI run panel both render."""

from __future__ import annotations

import io

from lakehouse_tui.core import run_events
from lakehouse_tui.core.asset_status import blocked_by, checks_summary
from lakehouse_tui.core.run_events import ExitCode, RunEvent, parse_runner_line
from lakehouse_tui.core.run_progress import RunProgress
from lakehouse_tui.errors import LockedError, UsageError
from lakehouse_tui.runservice.printer import ProgressPrinter

PLAN = [
    {"name": "raw", "kind": "raw", "assets": ["raw_bioreactor_data"]},
    {"name": "dbt duckdb", "kind": "dbt", "assets": ["stg", "dim_batch", "fact"]},
    {"name": "publish", "kind": "publish", "assets": ["fact"]},
]


def failed_run() -> list[RunEvent]:
    """The events of a run in which a blocking check on stg failed (as the executor emits)."""

    def ev(event: str, **fields: object) -> RunEvent:
        parsed = RunEvent.from_dict({"event": event, "run_id": "r1", "ts": 1.0, **fields})
        assert parsed is not None
        return parsed

    blocked = "upstream stg failed check accepted_values_stg_tag"
    return [
        ev("run_started", message="*", data={"trigger": "tui", "plan": PLAN}),
        ev("step_started", step="raw"),
        ev("asset_started", step="raw", asset="raw_bioreactor_data"),
        ev("asset_materialized", step="raw", asset="raw_bioreactor_data", data={"rows": 9}),
        ev("step_finished", step="raw", status="succeeded"),
        ev("step_started", step="dbt duckdb"),
        ev("asset_started", step="dbt duckdb", asset="stg"),
        ev(
            "check_evaluated",
            asset="stg",
            status="fail",
            message="accepted_values_stg_tag",
            data={"failures": 3, "severity": "error"},
        ),
        ev(
            "asset_failed",
            step="dbt duckdb",
            asset="stg",
            status="failed",
            message="check accepted_values_stg_tag failed: 3 rows",
        ),
        ev(
            "asset_skipped", step="dbt duckdb", asset="dim_batch", status="skipped", message=blocked
        ),
        ev("asset_skipped", step="dbt duckdb", asset="fact", status="skipped", message=blocked),
        ev("step_finished", step="dbt duckdb", status="succeeded"),  # as the executor says
        ev("run_finished", status="failed", message="stg failed", data={"duration": 2.0}),
    ]


def test_from_dict_types_a_runner_line_and_refuses_what_is_not_one() -> None:
    event = RunEvent.from_dict(
        {"event": "asset_failed", "run_id": "r", "ts": 3, "asset_key": "stg", "data": [1]}
    )
    assert event == RunEvent("asset_failed", "r", 3.0, asset="stg", data={})
    assert RunEvent.from_dict({"no": "event"}) is None
    assert parse_runner_line(["not", "a", "dict"]) is None
    assert parse_runner_line({"event": "ready", "pid": 7, "seconds": 1.5}) == run_events.WarmReady(
        7, 1.5
    )
    idle = run_events.WarmIdle(ExitCode.LOCKED, "held by run x", 2)
    assert parse_runner_line(idle.to_dict()) == idle
    fatal = run_events.WarmFatal(2, "bad config")
    assert parse_runner_line(fatal.to_dict()) == fatal
    assert parse_runner_line({"event": "idle", "exit_code": "?"}) == run_events.WarmIdle(1)


def test_one_exit_code_enum_behind_the_errors() -> None:
    assert (UsageError.exit_code, LockedError.exit_code) == (ExitCode.USAGE, ExitCode.LOCKED)
    assert int(ExitCode.CANCELLED) == 130


def test_a_failed_run_explains_what_failed_why_and_what_was_blocked() -> None:
    progress = RunProgress()
    for event in failed_run():
        progress.apply(event)
    assert (progress.total, progress.done, progress.status) == (4, 4, "failed")
    assert progress.step_outcome("raw") == "succeeded"
    assert progress.step_outcome("dbt duckdb") == "failed"  # never "succeeded"
    assert progress.step_summary("dbt duckdb") == "dbt duckdb: 1 failed, 2 skipped"
    assert progress.explanation() == [
        "failed: stg: check accepted_values_stg_tag failed: 3 rows",
        "check accepted_values_stg_tag on stg: fail (3 rows)",
        "blocked: dim_batch, fact (stg failed check accepted_values_stg_tag)",
    ]


def test_queued_and_running_assets_are_told_apart() -> None:
    progress = RunProgress()
    for event in failed_run()[:7]:  # stg started
        progress.apply(event)
    assert progress.running == ["stg"]
    assert progress.queued == ["dim_batch", "fact"]


def test_the_cli_printer_renders_the_same_reducer() -> None:
    err = io.StringIO()
    printer = ProgressPrinter(json_out=False, err=err, out=io.StringIO())
    for event in failed_run():
        printer(event)
    text = err.getvalue()
    assert "ok  raw" in text
    assert "FAILED  dbt duckdb" in text and "ok  dbt duckdb" not in text
    assert printer.progress.explanation()[0].startswith("failed: stg")


def test_skipped_checks_say_skipped_and_a_blocked_asset_names_the_check() -> None:
    assert checks_summary(["skipped", "skipped"]) == "2 skipped"
    assert checks_summary(["pass", "fail", "skipped"]) == "1/2 pass, 1 fail, 1 skipped"
    assert checks_summary(["pass", "pass"]) == "2/2 pass"
    assert blocked_by("upstream stg failed check not_null_x") == "check not_null_x on stg"
    assert blocked_by("upstream stg failed") == "stg failed"
