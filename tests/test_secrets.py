"""The one masking function: secrets named by the config are masked on the raw text, in the
forms a server may echo them, before the text is shortened."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse_tui import redact
from lakehouse_tui.config import load
from test_airbyte_assets import leaked


def test_the_postgres_password_named_by_the_config_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[postgres]\npassword_env = "TEST_SECRET_PG"\n', encoding="utf-8")
    monkeypatch.setenv("TEST_SECRET_PG", "pg  pass'word")
    load(path)
    text = "x" * 200 + " FATAL: password pg  pass'word, or pg pass'word, or pg%20%20pass%27word"
    assert leaked("pg  pass'word", redact.clean(text, 230)) == []
    assert redact.clean(text, 1000).endswith("password ***, or ***, or ***")
