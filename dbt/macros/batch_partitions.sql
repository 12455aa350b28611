{#-
  Batch partitions: lakehouse-tui's incremental runs replace exactly the batches that changed.

  The intermediate and curated models are `incremental` (delete+insert keyed on batch_id).
  lakehouse-tui tells them what to do through three environment variables, JSON lists:

    LAKEHOUSE_TUI_SCOPED_MODELS  the models to process for these batches only
    LAKEHOUSE_TUI_BATCHES        the batches to replace: new, changed or deleted ones
    LAKEHOUSE_TUI_BATCH_FILES    the raw files (names in the raw dir) holding those still present

  A scoped model reads `stg_bioreactor` filtered on its `source_file` column, which DuckDB
  pushes into the parquet scan, so only those files are opened. Without the variables (a plain
  `dbt build`, or `dbt build --full-refresh`) every model is rebuilt from all the raw files:
  the project stays a normal dbt project.
-#}
{% macro lakehouse_batch_scoped() -%}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set scoped = fromjson(env_var("LAKEHOUSE_TUI_SCOPED_MODELS", "[]")) -%}
  {{ return(model.name in scoped and is_incremental()) }}
{%- endmacro %}

{% macro lakehouse_batch_list(variable) -%}
  {%- set values = fromjson(env_var(variable, "[]")) -%}
  {%- if values -%}
    {%- for value in values %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor -%}
  {%- else -%}
    null
  {%- endif -%}
{%- endmacro %}

{#- The rows of the scoped batches: a WHERE condition on stg_bioreactor's columns. -#}
{% macro lakehouse_batch_filter() -%}
  {%- set raw_dir = env_var("LAKEHOUSE_TUI_RAW_DIR", "data/raw") -%}
  {%- set files = fromjson(env_var("LAKEHOUSE_TUI_BATCH_FILES", "[]")) -%}
  {%- if files -%}
    source_file in ({% for name in files %}{{ sql_string(raw_dir ~ "/" ~ name) }}{{ ", " if not loop.last }}{% endfor %})
    and batch_id in ({{ lakehouse_batch_list("LAKEHOUSE_TUI_BATCHES") }})
  {%- else -%}
    false
  {%- endif -%}
{%- endmacro %}

{#-
  `incremental` on DuckDB. Not scoped: the audited full build of `table`. Scoped: the batches'
  new rows are built as `<name>__dbt_tmp`; with LAKEHOUSE_TUI_PUBLISH=after_checks lakehouse-tui
  then replaces the batches in `<name>` and runs the blocking checks in one transaction
  (core/audit_batches.py); otherwise this does the delete+insert itself, in one transaction.
-#}
{% materialization incremental, adapter='duckdb' %}
  {%- if not lakehouse_batch_scoped() -%}
    {{ return(lakehouse_audited_table()) }}
  {%- endif -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set staged_relation = make_intermediate_relation(target_relation) -%}
  {%- set publish_later = env_var('LAKEHOUSE_TUI_PUBLISH', 'now') == 'after_checks' -%}
  {% do adapter.drop_relation(staged_relation) %}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% call statement('main') -%}
    {{ create_table_as(False, staged_relation, sql) }}
  {%- endcall %}
  {% if not publish_later %}
    {% call statement('replace_batches') -%}
      delete from {{ target_relation }}
      where batch_id in ({{ lakehouse_batch_list("LAKEHOUSE_TUI_BATCHES") }});
      insert into {{ target_relation }} by name select * from {{ staged_relation }};
      drop table {{ staged_relation }};
    {%- endcall %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
