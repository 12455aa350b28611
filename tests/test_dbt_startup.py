"""The dbt start-up shortcuts change nothing dbt can observe (run in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from pathlib import Path
from dbt.contracts.project import Project, ProjectFlags
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt_common.behavior_flags import BehaviorFlagRendered
patched = sys.argv[1] == "patched"
if patched:
    from lakehouse_tui.core import dbt_startup
    dbt_startup.install(Path(sys.argv[2]))
flag = BehaviorFlagRendered({"name": "x", "default": False, "description": "d"}, {})
sys.path.insert(0, sys.argv[-1])
import flag_maker  # a module in a real file, as adapters are
schemas = {c.__name__: c.json_schema() for c in (Project, ProjectFlags, DuckDBCredentials)}
if patched:
    dbt_startup.save()
sources = [flag._behavior_change_event.flag_source, flag_maker.make()]
print(json.dumps({"sources": sources, "schemas": schemas}))
"""


def probe(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_shortcuts_give_what_dbt_computes(tmp_path: Path) -> None:
    (tmp_path / "flag_maker.py").write_text(
        "from dbt_common.behavior_flags import BehaviorFlagRendered\n"
        "def make():\n"
        "    flag = BehaviorFlagRendered({'name': 'y', 'default': True, 'description': 'd'}, {})\n"
        "    return flag._behavior_change_event.flag_source\n"
    )
    cache = tmp_path / "cache"
    original = probe("original", str(cache), str(tmp_path))
    first = probe("patched", str(cache), str(tmp_path))  # builds and saves the schemas
    assert (cache / "dbt-json-schemas.json").exists()
    second = probe("patched", str(cache), str(tmp_path))  # serves them from the file
    assert original == first == second
    assert original["sources"] == ["Unknown", "flag_maker"]
