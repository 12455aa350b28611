"""The settings of `[sensor]` and `[freshness]` (issue 16), apart from config.py's schema so
that module stays small. `[freshness]` names are free-form (assets, group assets, jobs): the
loader checks each value here and `core.freshness` checks each name against the asset graph,
naming the file and line kept in `FreshnessPolicy.where`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lakehouse_tui.config_checks import DURATION_FORM, parse_duration
from lakehouse_tui.errors import ConfigError


@dataclass(frozen=True)
class SensorSettings:
    selection: str = "raw_bioreactor_data+"
    settle: str = "2s"
    settle_timeout: str = "10m"
    poll_interval: str = "1s"

    def seconds(self, name: str) -> float:
        """A duration setting in seconds: seconds("settle")."""
        return parse_duration(str(getattr(self, name))) or 0.0


@dataclass(frozen=True)
class FreshnessPolicy:
    """`[freshness] name = "26h"`: name is an asset, a group asset or a job."""

    name: str
    max_age: str
    seconds: float
    where: str  # file:line, for errors about the name


def freshness_policies(
    raw: Mapping[str, Any],
    where_of: Callable[[str], str],
    fail: Callable[[str, str], ConfigError],
) -> tuple[FreshnessPolicy, ...]:
    """name -> max age, from the parsed `[freshness]` table."""
    policies = []
    for name, value in raw.items():
        seconds = parse_duration(value) if isinstance(value, str) else None
        if not seconds:
            raise fail(name, f"expected {DURATION_FORM}, more than zero, got {value!r}")
        policies.append(FreshnessPolicy(name, value, seconds, where_of(name)))
    return tuple(policies)
