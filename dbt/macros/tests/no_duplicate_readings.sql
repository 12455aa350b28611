{#- Fails (or warns) for each combination of `columns` that occurs in more than one row:
    the same reading twice, which would be counted twice downstream. A batch in two files
    is refused earlier, by the raw step; this catches copies within one file. -#}
{% test no_duplicate_readings(model, columns) %}
select {{ columns | join(", ") }}, count(*) as copies
from {{ model }}
group by {{ columns | join(", ") }}
having count(*) > 1
{% endtest %}
