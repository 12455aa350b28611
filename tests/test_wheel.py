"""The built wheel works on its own: bundled dbt project and example config, and a full
`demo` + `--materialize '*'` with the installed console script, run outside the checkout.

How the wheel is installed without a package index (the test machine may be offline):
- the wheel is built with `python -m build --wheel --no-isolation` (hatchling comes from the
  project's venv instead of being downloaded into an isolated build env);
- a fresh venv is created with `python -m venv --without-pip`, and the project venv's pip
  installs the wheel into it with `pip --python <fresh python> install --no-deps`;
- the dependencies (dbt, duckdb, ...) are not reinstalled: the project venv's site-packages is
  put on PYTHONPATH. PYTHONPATH does not process .pth files, so the editable install of the
  checkout (a .pth file) stays invisible and `lakehouse_tui` is imported from the wheel; the
  test asserts that.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine_fixtures import xdg_env

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=REPO,
    )
    (wheel,) = dist.glob("lakehouse_tui-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ]
    )
    deps = [p for p in site.getsitepackages() if p.endswith("site-packages")]
    work = root / "elsewhere"  # outside the checkout
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_TUI")}
    env.update(xdg_env(work))
    env["PYTHONPATH"] = os.pathsep.join(deps)
    env["PYTHONWARNINGS"] = "ignore::UserWarning:multiprocessing.resource_tracker"
    yield {"wheel": wheel, "venv": venv, "python": python, "env": env, "cwd": work}


def test_wheel_contains_the_dbt_project_and_example_config(installed: dict[str, object]) -> None:
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())  # type: ignore[arg-type]
    assert "lakehouse_tui/dbt_project/dbt_project.yml" in names
    assert "lakehouse_tui/dbt_project/models/staging/stg_bioreactor.sql" in names
    assert "lakehouse_tui/dbt_project/macros/generate_schema_name.sql" in names
    assert "lakehouse_tui/config.example.toml" in names
    assert not any("/target/" in n or n.endswith("partial_parse.msgpack") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_installed_package_uses_its_bundled_files(installed: dict[str, object]) -> None:
    code = (
        "import lakehouse_tui, lakehouse_tui.paths as p\n"
        "print(lakehouse_tui.__file__)\nprint(p.dbt_project_dir())\nprint(p.example_config_path())\n"
    )
    done = _run([str(installed["python"]), "-c", code], env=installed["env"], cwd=installed["cwd"])
    package_file, project_dir, example = done.stdout.splitlines()
    venv = Path(str(installed["venv"])).resolve()
    package_dir = Path(package_file).resolve().parent
    assert package_dir.is_relative_to(venv), package_file
    assert package_dir.parent.name == "site-packages"
    assert Path(project_dir) == package_dir / "dbt_project"
    assert Path(example) == package_dir / "config.example.toml"
    assert not Path(project_dir).is_relative_to(REPO)


def test_installed_console_script_runs_demo_and_materialize(installed: dict[str, object]) -> None:
    script = Path(str(installed["venv"])) / "bin" / "lakehouse-tui"
    assert script.exists()
    env, cwd = installed["env"], installed["cwd"]
    _run([str(script), "init"], env=env, cwd=cwd)
    _run([str(script), "demo", "--batches", "2", "--hours", "1", "--hz", "0.05"], env=env, cwd=cwd)
    done = _run([str(script), "--materialize", "*"], env=env, cwd=cwd)
    assert "succeeded" in done.stderr
    status = _run([str(script), "status", "--json"], env=env, cwd=cwd)
    import json

    entries = {e["key"]: e for e in json.loads(status.stdout)}
    assert {e["status"] for e in entries.values()} == {"materialized"}
    assert entries["dim_batch"]["rows"] == 2
    # dbt's target and logs went to the state dir, not into the installed package.
    package = Path(str(installed["venv"])).resolve()
    assert not list(package.rglob("dbt_project/target"))
    assert not list(package.rglob("dbt_project/logs"))
    state = Path(str(env["XDG_STATE_HOME"])) / "lakehouse-tui"  # type: ignore[index]
    assert (state / "dbt" / "target" / "manifest.json").exists()
    assert (state / "runs.sqlite").exists()
