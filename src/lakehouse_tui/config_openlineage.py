"""The `[openlineage]` settings: kept apart from config.py, which declares their keys.

The section is optional: present, lineage is reported for every run; absent, nothing is
imported or sent. Cross-key rules (http needs a url, file needs a path) live here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lakehouse_tui.errors import ConfigError


@dataclass(frozen=True)
class OpenLineageSettings:
    enabled: bool = False
    transport: Literal["http", "file", "console"] = "http"
    url: str = ""
    namespace: str = "lakehouse-tui"
    api_key_env: str = ""
    timeout: float = 5.0
    path: Path | None = None

    def api_key(self) -> str | None:
        """The bearer key from the named environment variable (never stored anywhere)."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def destination(self) -> str:
        """Where events go, for messages: never includes the key."""
        if self.transport == "http":
            return self.url
        return str(self.path) if self.transport == "file" else "the console (stderr)"


def openlineage_settings(
    raw: Mapping[str, Any],
    values: dict[str, Any],
    fail: Callable[[str, str], ConfigError],
    resolve: Callable[[str], Path],
) -> OpenLineageSettings:
    """Settings from the checked `[openlineage]` values; `fail(key, why)` makes the error."""
    if "openlineage" not in raw:
        return OpenLineageSettings()
    needs = {"http": "url", "file": "path"}.get(values["transport"])
    if needs and not values[needs]:
        what = 'an http(s) URL like "http://localhost:5000"' if needs == "url" else "a file"
        raise fail(needs, f'required with transport = "{values["transport"]}": set it to {what}')
    if values["url"] and not re.match(r"^https?://[^/\s]+", values["url"]):
        raise fail("url", f"expected an http(s) URL, got {values['url']!r}")
    path = resolve(values["path"]) if values["path"] else None
    return OpenLineageSettings(**{**values, "path": path, "enabled": True})
