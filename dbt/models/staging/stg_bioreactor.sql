-- The raw parquet files (those lakehouse-tui validated, else every *.parquet in the raw dir),
-- typed; rows without batch, timestamp or tag are dropped. `source_file` lets incremental models
-- read only the files of the batches they process (DuckDB prunes files on it).
select
    cast(batch_id as varchar) as batch_id,
    cast(equipment_id as varchar) as equipment_id,
    cast(ts as timestamp) as ts,
    cast(tag as varchar) as tag,
    cast(value as double) as value,
    cast(site as varchar) as site,
    lakehouse_tui_file as source_file
from read_parquet(
    {{ raw_parquet_glob() }}, union_by_name = {{ raw_union_by_name() }},
    filename = 'lakehouse_tui_file'
)
where {{ raw_file_filter('lakehouse_tui_file') }}
  and batch_id is not null
  and ts is not null
  and tag is not null
