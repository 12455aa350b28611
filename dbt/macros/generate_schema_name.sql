{#- Use a model's custom schema name as is ("curated", not "marts_curated"), so the same
    schema names exist in DuckDB and, after publishing, in PostgreSQL. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
