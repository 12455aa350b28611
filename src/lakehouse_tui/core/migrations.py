"""The run store's schema: named migrations, applied in order, each in its own transaction and
recorded by name in the database (core.store applies them)."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "001_initial",
        """
        create table runs (
            id text primary key,
            selection text not null,
            job text,
            trigger text not null,
            pid integer not null,
            started_at real not null,
            ended_at real,
            status text not null,
            message text,
            plan_json text
        );
        create index runs_started on runs(started_at);
        create table run_assets (
            run_id text not null references runs(id),
            asset_key text not null,
            step text not null,
            status text not null,
            started_at real,
            ended_at real,
            message text,
            primary key (run_id, asset_key)
        );
        create table step_events (
            id integer primary key,
            run_id text not null references runs(id),
            ts real not null,
            step text,
            asset_key text,
            event text not null,
            message text,
            data_json text
        );
        create index step_events_run on step_events(run_id, id);
        create table materializations (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text not null,
            ts real not null,
            duration real,
            metadata_json text not null,
            code_version text,
            data_version text not null,
            input_versions_json text not null
        );
        create index materializations_asset on materializations(asset_key, id);
        create table check_results (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text not null,
            check_name text not null,
            ts real not null,
            status text not null,
            severity text not null,
            failures integer,
            message text
        );
        create index check_results_asset on check_results(asset_key, check_name, id);
        create table logs (
            id integer primary key,
            run_id text not null references runs(id),
            asset_key text,
            ts real not null,
            level text not null,
            message text not null
        );
        create index logs_run_asset on logs(run_id, asset_key, id);
        """,
    ),
    (
        "002_raw_file_scans",
        """
        create table raw_file_scans (
            file_key text primary key,
            rows integer not null,
            bytes integer not null,
            ts_min text,
            ts_max text,
            batch_ids_json text not null
        );
        """,
    ),
    (
        "003_check_failing_rows",
        """
        alter table check_results add column sample_json text;
        """,
    ),
    (
        "004_raw_file_duplicate_readings",
        """
        alter table raw_file_scans add column duplicate_readings integer;
        """,
    ),
    (
        "005_partitions",
        """
        alter table raw_file_scans add column batch_stats_json text;
        alter table raw_file_scans add column schema_signature text;
        alter table runs add column partitions_json text;
        create table partitions (
            asset_key text not null,
            partition_key text not null,
            status text not null,
            run_id text,
            input_version text,
            code_signature text,
            rows integer,
            ts_min text,
            ts_max text,
            updated_at real not null,
            attempt_status text,
            attempt_run_id text,
            attempt_message text,
            primary key (asset_key, partition_key)
        );
        create table partition_history (
            id integer primary key,
            run_id text not null,
            asset_key text not null,
            partition_key text not null,
            ts real not null,
            status text not null,
            rows integer,
            ts_min text,
            ts_max text,
            message text
        );
        create index partition_history_key on partition_history(asset_key, partition_key, id);
        """,
    ),
)
