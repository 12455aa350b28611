-- Summary statistics of each sensor tag over each batch.
-- Incremental by batch: lakehouse-tui processes only new, changed or deleted batches.
select
    batch_id,
    min(equipment_id) as equipment_id,
    tag,
    min(ts) as batch_start,
    max(ts) as batch_end,
    avg(value) as avg_value,
    stddev_samp(value) as stddev_value,
    min(value) as min_value,
    max(value) as max_value,
    count(*) as record_count
from {{ ref('stg_bioreactor') }}
{% if lakehouse_batch_scoped() %}where {{ lakehouse_batch_filter() }}{% endif %}
group by batch_id, tag
