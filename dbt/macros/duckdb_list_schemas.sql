{#-
  dbt-core 1.11 hands list_schemas the database quoted ('"warehouse"'), and dbt-duckdb 1.11
  compares that to the bare catalog name: no schema ever matches, so every run re-creates
  every schema (four extra connections and transactions). Strip the quotes before comparing.
-#}
{% macro duckdb__list_schemas(database) -%}
  {% set sql %}
    select schema_name
    from system.information_schema.schemata
    {% if database is not none %}
    where lower(catalog_name) = {{ sql_string(database | replace('"', '') | lower) }}
    {% endif %}
  {% endset %}
  {{ return(run_query(sql)) }}
{%- endmacro %}
