"""Where a section or key stands in the config file's text: the line number that every config
error names (`config.toml:7: [lake] threads: ...`)."""

from __future__ import annotations

import re


class Locator:
    """Finds the line of a key in the TOML text, for error messages (best effort)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line_of(self, section: str, key: str | None = None) -> int | None:
        in_section = False
        header = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
        for number, line in enumerate(self.lines, start=1):
            match = header.match(line)
            if match:
                name = match.group(1).strip('"')
                in_section = name == section or name.startswith(section + ".")
                if key is None and in_section:
                    return number
                continue
            if (
                in_section
                and key is not None
                and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line)
            ):
                return number
        return None
