{#-
  Values from outside the project (the raw dir, file names) are put into SQL only through
  these macros, never pasted: `sql_string` makes a SQL string literal ('' for a quote), and
  `glob_literal` makes a DuckDB file pattern that matches only the path itself (each glob
  character in a one-character class, `[` -> `[[]`).
-#}
{% macro sql_string(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro glob_literal(path) -%}
  {{ path | string | replace("[", "[[]") | replace("*", "[*]") | replace("?", "[?]") }}
{%- endmacro %}

{#-
  The raw parquet files. `raw_parquet_glob()` is every *.parquet in the raw dir;
  `raw_file_filter(column)` keeps the rows of the files lakehouse-tui's raw step validated
  (LAKEHOUSE_TUI_RAW_FILES, a JSON list of names), by exact name: a file added after the
  validation is never read, and one removed since simply drops out. Without the variable
  (plain `dbt build`) it keeps every file.
-#}
{% macro raw_parquet_glob() -%}
  {{ sql_string(glob_literal(env_var("LAKEHOUSE_TUI_RAW_DIR", "data/raw")) ~ "/*.parquet") }}
{%- endmacro %}

{% macro raw_file_filter(column) -%}
  {%- set listed = env_var("LAKEHOUSE_TUI_RAW_FILES", "") -%}
  {%- if listed -%}
    {%- set raw_dir = env_var("LAKEHOUSE_TUI_RAW_DIR", "data/raw") -%}
    {{ column }} in ({% for name in fromjson(listed) %}{{ sql_string(raw_dir ~ "/" ~ name) }}{{ ", " if not loop.last }}{% endfor %})
  {%- else -%}
    true
  {%- endif -%}
{%- endmacro %}

{#- union_by_name unless lakehouse-tui found every validated file has the same columns and
    types (LAKEHOUSE_TUI_RAW_UNIFORM=1): DuckDB then binds on one file's footer and opens only
    the files a query needs. -#}
{% macro raw_union_by_name() -%}
  {{- "false" if env_var("LAKEHOUSE_TUI_RAW_UNIFORM", "") == "1" else "true" -}}
{%- endmacro %}
