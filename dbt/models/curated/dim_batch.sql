-- One row per batch: where it ran and when.
select
    batch_id,
    min(equipment_id) as equipment_id,
    min(site) as site,
    min(ts) as batch_start,
    max(ts) as batch_end,
    count(*) as record_count
from {{ ref('stg_bioreactor') }}
group by batch_id
