-- One row per batch: where it ran and when.
-- Incremental by batch: lakehouse-tui processes only new, changed or deleted batches.
select
    batch_id,
    min(equipment_id) as equipment_id,
    min(site) as site,
    min(ts) as batch_start,
    max(ts) as batch_end,
    count(*) as record_count
from {{ ref('stg_bioreactor') }}
{% if lakehouse_batch_scoped() %}where {{ lakehouse_batch_filter() }}{% endif %}
group by batch_id
