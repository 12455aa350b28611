"""`[marts] target = "postgres"` end to end: real dbt runs, a real PostgreSQL 15 server."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import duckdb
import pytest

from lakehouse_tui import cli, demo
from lakehouse_tui.config import PostgresSettings, load
from lakehouse_tui.core.store import RunStore
from pg_fixtures import pg_rows

MART_COLUMNS = (
    "batch_id, equipment_id, site, batch_start, batch_end, duration_hours, tag, "
    "avg_value, stddev_value, min_value, max_value, record_count"
)
EXPECTED_FROM_CURATED = f"""
select {MART_COLUMNS} from (
    select d.batch_id, d.equipment_id, d.site, d.batch_start, d.batch_end,
           epoch(d.batch_end - d.batch_start) / 3600.0 as duration_hours, f.tag,
           f.avg_value, f.stddev_value, f.min_value, f.max_value, f.record_count
    from curated.dim_batch d join curated.fact_bioreactor_batch_stats f using (batch_id)
) order by batch_id, tag
"""


@pytest.fixture
def config_path(pg_marts_config: str) -> str:
    return pg_marts_config


def same(a: list[tuple[object, ...]], b: list[tuple[object, ...]]) -> bool:
    def close(x: object, y: object) -> bool:
        if isinstance(x, float) or isinstance(y, float):
            return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]
        return x == y

    return len(a) == len(b) and all(
        len(r) == len(s) and all(close(x, y) for x, y in zip(r, s, strict=True))
        for r, s in zip(a, b, strict=True)
    )


def test_full_run_builds_the_mart_in_postgres(
    config_path: str,
    pg_settings: PostgresSettings,
    pg_password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--config", config_path, "--materialize", "*"]) == 0
    config = load(config_path)
    with contextlib.closing(duckdb.connect(str(config.lake.warehouse), read_only=True)) as duck:
        expected = duck.execute(EXPECTED_FROM_CURATED).fetchall()
        assert duck.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone() == (0,), "with target postgres the mart must not be built in DuckDB"
    actual = pg_rows(
        pg_settings,
        pg_password,
        f"select {MART_COLUMNS} from marts.mart_bioreactor_overview order by batch_id, tag",
    )
    assert len(expected) == 3 * len(demo.TAGS)
    assert same(actual, expected)
    capsys.readouterr()
    assert cli.main(["--config", config_path, "status", "--json"]) == 0
    out = capsys.readouterr().out
    assert (
        f"{pg_settings.host}:{pg_settings.port}/{pg_settings.dbname}/marts.mart_bioreactor_overview"
        in out
    )
    assert pg_password not in out
    # The TUI's Preview tab reads the mart from PostgreSQL.
    from lakehouse_tui.tui.data import load_postgres_preview

    shown = load_postgres_preview(
        config.postgres, "mart_bioreactor_overview", "mart_bioreactor_overview"
    )
    assert (shown.error, len(shown.rows)) == ("", len(expected))
    assert shown.columns == [c.strip() for c in MART_COLUMNS.split(",")]


def test_wrong_password_fails_only_the_marts_and_a_rerun_recovers(
    config_path: str,
    pg_settings: PostgresSettings,
    pg_password: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(pg_settings.password_env, "not the password")
    assert cli.main(["--config", config_path, "--materialize", "*"]) == 1
    err = capsys.readouterr().err
    assert "refused the password" in err and pg_settings.password_env in err
    assert "Traceback" not in err
    store = RunStore(load(config_path).store_path)
    run = store.last_run()
    assert run is not None and run.status == "failed"
    statuses = {a.asset_key: a.status for a in store.run_assets(run.id)}
    assert statuses.pop("mart_bioreactor_overview") == "failed"
    assert set(statuses.values()) == {"materialized"}

    monkeypatch.setenv(pg_settings.password_env, pg_password)
    assert cli.main(["--config", config_path, "--materialize", "stale"]) == 0
    rerun = store.last_run()
    assert rerun is not None and rerun.status == "succeeded"
    assert [a.asset_key for a in store.run_assets(rerun.id)] == ["mart_bioreactor_overview"]
    for line in store.logs(run.id):
        assert pg_password not in line.message


def test_postgres_down_fails_fast_with_one_line(
    config_path: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(config_path).read_text(encoding="utf-8")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    Path(config_path).write_text(
        text.replace(f"port = {load(config_path).postgres.port}", f"port = {free_port}"),
        encoding="utf-8",
    )
    assert cli.main(["--config", config_path, "--materialize", "*"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "mart_bioreactor_overview: failed" in line]
    assert lines and "connection refused; is PostgreSQL running" in lines[0]


def test_a_schema_that_breaks_out_of_its_quotes_is_refused_before_anything_runs(
    config_path: str,
    pg_settings: PostgresSettings,
    pg_password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """dbt-postgres quotes the schema but does not escape a `"` in it: this one used to
    create public.pwned. Now the config is refused, naming file, line and key."""
    text = Path(config_path).read_text(encoding="utf-8")
    crafted = """schema = 'marts"; create table public.pwned (i int); --'"""
    text = text.replace('schema = "marts"', crafted)
    Path(config_path).write_text(text, encoding="utf-8")
    assert cli.main(["--config", config_path, "--materialize", "*"]) == 2
    err = capsys.readouterr().err.strip()
    number = text.splitlines().index(crafted) + 1
    value = crafted.split(" = ")[1][1:-1]
    assert err == (
        f"lakehouse-tui: {config_path}:{number}: [postgres] schema: expected a PostgreSQL "
        "name of 1-63 bytes without quotes, backslashes or control characters that does not "
        f"start with pg_, got {value!r}"
    )
    tables = pg_rows(pg_settings, pg_password, "select to_regclass('public.pwned')::text")
    assert tables == [(None,)]


def test_an_odd_but_legal_schema_name_holds_the_marts(
    config_path: str,
    pg_settings: PostgresSettings,
    pg_password: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    odd = "Marts 2026-Q1 $x"
    text = Path(config_path).read_text(encoding="utf-8")
    Path(config_path).write_text(text.replace('"marts"', f'"{odd}"'), encoding="utf-8")
    assert cli.main(["--config", config_path, "--materialize", "*"]) == 0
    rows = pg_rows(
        pg_settings, pg_password, f'select count(*) from "{odd}".mart_bioreactor_overview'
    )
    assert rows == [(3 * len(demo.TAGS),)]
    store = RunStore(load(config_path).store_path)
    latest = store.latest_materializations()["mart_bioreactor_overview"]
    assert latest.metadata["rows"] == 3 * len(demo.TAGS)
    assert latest.metadata["location"].endswith(f"/{odd}.mart_bioreactor_overview")
