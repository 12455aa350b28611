"""The value checks of the config schema, and the duration syntax of `[schedule] max_wait`.

A check returns None when the value is fine, else the expected form as words, which the
loader turns into ``config.toml:7: [lake] threads: expected a whole number 1-256, got 'four'``.

`pg_name` guards the values that dbt-postgres pastes into SQL (it quotes identifiers but does
not escape a `"` inside them, and puts the schema and database into string literals), so a
value that could break out of its quotes is refused here with a one-line error naming the
file, line and key, before anything runs.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from lakehouse_tui.schedule.cron import CronError, parse_cron

# A check returns None when the value is fine, else the expected form as words.
Check = Callable[[Any], str | None]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def string() -> Check:
    return lambda v: None if isinstance(v, str) else "a string"


def nonempty_string() -> Check:
    return lambda v: None if isinstance(v, str) and v.strip() else "a non-empty string"


def integer(low: int, high: int) -> Check:
    return lambda v: None if _is_int(v) and low <= v <= high else f"a whole number {low}-{high}"


def positive_number() -> Check:
    return lambda v: None if _is_number(v) and v > 0 else "a number > 0"


def boolean() -> Check:
    return lambda v: None if isinstance(v, bool) else "true or false"


def one_of(*choices: str) -> Check:
    words = " or ".join(f'"{c}"' for c in choices)
    return lambda v: None if v in choices else words


def env_var_name() -> Check:
    pattern = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
    return lambda v: (
        None
        if isinstance(v, str) and pattern.match(v)
        else "the NAME of an environment variable (e.g. LAKEHOUSE_PG_PASSWORD), not the secret"
    )


def memory_size() -> Check:
    pattern = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
    return lambda v: None if isinstance(v, str) and pattern.match(v) else 'a size like "4GB"'


def cron_string() -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return 'a five-field cron string like "0 2 * * *"'
        try:
            parse_cron(v)
        except CronError as err:
            return f'a five-field cron string like "0 2 * * *" ({err})'
        return None

    return check


def timezone_name() -> Check:
    def check(v: Any) -> str | None:
        expected = 'an IANA time zone like "Europe/London"'
        if not isinstance(v, str) or not v:
            return expected
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return expected
        return None

    return check


_DURATION = re.compile(
    r"^\s*(?:(?P<d>\d+(?:\.\d+)?)\s*d)?\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m(?:in)?)?"
    r"\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s)?\s*$"
)
DURATION_FORM = 'a duration like "2h", "90m", "1h30m", "45s" or "1d"'


def parse_duration(text: str) -> float | None:
    """Seconds in "2h", "90m", "1h30m", "45s", "1d" (d, h, m or min, s); None when not of
    that form."""
    match = _DURATION.match(text)
    if match is None or not any(match.groupdict().values()):
        return None
    days, hours, minutes, seconds = (float(match.group(unit) or 0) for unit in "dhms")
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def duration() -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, str) and (parse_duration(v) or 0) > 0
        return None if ok else f"{DURATION_FORM}, more than zero"

    return check


PG_NAME_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated


def pg_name(*, schema: bool = False) -> Check:
    """A PostgreSQL identifier that stays inside its quotes: 1-63 bytes, no quote, backslash
    or control character (a schema also not pg_*, which PostgreSQL reserves)."""
    bad = re.compile(r"[\"'\\\x00-\x1f\x7f]")
    expected = (
        "a PostgreSQL name of 1-63 bytes without quotes, backslashes or control characters"
        + (" that does not start with pg_" if schema else "")
    )

    def check(v: Any) -> str | None:
        if not isinstance(v, str) or not v.strip() or bad.search(v):
            return expected
        if len(v.encode()) > PG_NAME_BYTES or (schema and v.lower().startswith("pg_")):
            return expected
        return None

    return check
