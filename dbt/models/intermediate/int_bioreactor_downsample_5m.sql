-- Readings downsampled to 5-minute buckets per batch, vessel and tag.
-- Incremental by batch: lakehouse-tui processes only new, changed or deleted batches.
select
    batch_id,
    equipment_id,
    tag,
    time_bucket(interval '5 minutes', ts) as ts_5m,
    avg(value) as avg_value,
    min(value) as min_value,
    max(value) as max_value,
    count(*) as record_count
from {{ ref('stg_bioreactor') }}
{% if lakehouse_batch_scoped() %}where {{ lakehouse_batch_filter() }}{% endif %}
group by batch_id, equipment_id, tag, ts_5m
