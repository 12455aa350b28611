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
  The raw parquet files, as read_parquet's first argument. lakehouse-tui sets
  LAKEHOUSE_TUI_RAW_FILES (a JSON list of names) to the files its raw step validated, so the
  model reads exactly those; without it (plain `dbt build`), every *.parquet in the raw dir.
-#}
{% macro raw_parquet_files() -%}
  {%- set raw_dir = env_var("LAKEHOUSE_TUI_RAW_DIR", "data/raw") -%}
  {%- set listed = env_var("LAKEHOUSE_TUI_RAW_FILES", "") -%}
  {%- if listed -%}
    [{% for name in fromjson(listed) %}{{ sql_string(glob_literal(raw_dir ~ "/" ~ name)) }}{{ ", " if not loop.last }}{% endfor %}]
  {%- else -%}
    {{ sql_string(glob_literal(raw_dir) ~ "/*.parquet") }}
  {%- endif -%}
{%- endmacro %}
