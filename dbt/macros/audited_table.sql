{#-
  The `table` materialization on DuckDB and PostgreSQL, with write-audit-publish.

  Run by plain `dbt build`, it does what dbt's own does: build `<name>__dbt_tmp`, swap it in
  for `<name>` and drop the old version, in one transaction.

  When lakehouse-tui runs dbt it sets LAKEHOUSE_TUI_PUBLISH=after_checks: the new version is
  built and committed as `<name>__dbt_tmp` only, and `<name>` stays as it was. lakehouse-tui
  then swaps it in, runs the model's blocking checks inside the same transaction, and commits
  only when they pass; when one fails it rolls back, so readers never see the rejected data
  and the previous version stays exactly as it was (src/lakehouse_tui/core/audit.py).

  Only what this project uses is supported: SQL models, pre/post hooks, docs persisted.
-#}
{% macro lakehouse_audited_table() %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set staged_relation = make_intermediate_relation(target_relation) -%}
  {%- set backup_type = 'table' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_type) -%}
  {%- set publish_later = env_var('LAKEHOUSE_TUI_PUBLISH', 'now') == 'after_checks' -%}

  {#- Left over by a run that was killed before it published: never reused. -#}
  {% do adapter.drop_relation(staged_relation) %}
  {% do adapter.drop_relation(backup_relation) %}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ create_table_as(False, staged_relation, sql) }}
  {%- endcall %}

  {% if not publish_later %}
    {% if existing_relation is not none %}
      {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
    {{ adapter.rename_relation(staged_relation, target_relation) }}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% if not publish_later %}
    {% do persist_docs(target_relation, model) %}
  {% endif %}
  {{ adapter.commit() }}

  {% if not publish_later %}
    {% do adapter.drop_relation(backup_relation) %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{% materialization table, adapter='duckdb' %}
  {{ return(lakehouse_audited_table()) }}
{% endmaterialization %}

{% materialization table, adapter='postgres' %}
  {{ return(lakehouse_audited_table()) }}
{% endmaterialization %}
