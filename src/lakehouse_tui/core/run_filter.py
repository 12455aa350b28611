"""Filtering the run history: `status:failed trigger:timer asset:dim_batch nightly`.

Words with a field (`status:`, `trigger:`, `asset:`) keep the runs with that value; the same
field twice is either value (`status:failed status:cancelled`), different fields must all
hold. A status or trigger may be a prefix (`status:fail`); an asset may use `*`
(`asset:stg_*`) and matches the runs that had that asset in them. Any other word must appear
in the run's id, selection or message. No Textual here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from lakehouse_tui.core.records import RunRecord
from lakehouse_tui.errors import UsageError

FIELDS = ("status", "trigger", "asset")


@dataclass(frozen=True)
class RunFilter:
    statuses: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> RunFilter:
        found: dict[str, list[str]] = {name: [] for name in (*FIELDS, "word")}
        for word in text.split():
            name, colon, value = word.partition(":")
            if not colon:
                found["word"].append(word.lower())
                continue
            if name.lower() not in FIELDS:
                raise UsageError(
                    f"runs filter: unknown field {name + ':'!r}; use status:, trigger:, asset: "
                    "or plain words"
                )
            if not value:
                raise UsageError(f"runs filter: {word!r} needs a value, e.g. {name}:failed")
            found[name.lower()].append(value.lower() if name.lower() != "asset" else value)
        return cls(
            tuple(found["status"]),
            tuple(found["trigger"]),
            tuple(found["asset"]),
            tuple(found["word"]),
        )

    @property
    def empty(self) -> bool:
        return not (self.statuses or self.triggers or self.assets or self.words)

    def matches(self, run: RunRecord, assets: Iterable[str] = ()) -> bool:
        """Whether `run` (whose run assets are `assets`, needed for `asset:`) is kept."""
        if self.statuses and not any(run.status.startswith(s) for s in self.statuses):
            return False
        if self.triggers and not any(run.trigger.startswith(t) for t in self.triggers):
            return False
        if self.assets:
            keys = list(assets)
            if not any(fnmatch.filter(keys, pattern) for pattern in self.assets):
                return False
        text = f"{run.id} {run.selection} {run.message or ''}".lower()
        return all(word in text for word in self.words)
