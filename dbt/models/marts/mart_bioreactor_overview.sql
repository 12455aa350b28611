-- Batches with their per-tag statistics, for BI dashboards.
select
    d.batch_id,
    d.equipment_id,
    d.site,
    d.batch_start,
    d.batch_end,
    extract(epoch from (d.batch_end - d.batch_start)) / 3600.0 as duration_hours,
    f.tag,
    f.avg_value,
    f.stddev_value,
    f.min_value,
    f.max_value,
    f.record_count
from {{ ref('dim_batch') }} as d
join {{ ref('fact_bioreactor_batch_stats') }} as f
    on f.batch_id = d.batch_id
