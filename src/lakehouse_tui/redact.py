"""The one place that keeps secrets out of text: every secret the process knows is masked.

Secrets reach this registry two ways: the config registers the NAMES of the environment
variables it points at (PostgreSQL and Airbyte passwords, client secrets; S3 and OpenLineage
credentials when they land), whose values are read when text is masked; integrations
register values they make up or receive (a basic-auth header, a bearer token).

`mask` works on the raw text, before anything shortens it or collapses its whitespace, so a
secret is never cut in half (a prefix would still leak) and one with runs of spaces still
matches. It also masks the forms a server may echo a secret in: whitespace-collapsed,
JSON-escaped and URL-encoded. `clean` is mask, then one line, then shorten: use it for any
external message (server errors, dbt output, exception text) that is recorded or printed.
Every path that records or prints such text goes through here: the Airbyte transport, the
run store's message and log columns (the last line of defence), and the CLI's error line.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "***"

_lock = threading.Lock()
_env_names: set[str] = set()
_values: set[str] = set()


def register_env(*names: str) -> None:
    """Environment variables that hold secrets; their current values are masked."""
    with _lock:
        _env_names.update(name for name in names if name)


def register(*values: str | None) -> None:
    """Secret values to mask from now on (empty values are ignored)."""
    with _lock:
        _values.update(value for value in values if value)


def known() -> list[str]:
    """Every secret value known now, longest first (so a secret that contains another is
    masked whole)."""
    with _lock:
        found = set(_values)
        names = list(_env_names)
    found.update(value for name in names if (value := os.environ.get(name)))
    return sorted(found, key=len, reverse=True)


def _forms(secret: str) -> list[str]:
    forms = [secret, " ".join(secret.split()), json.dumps(secret)[1:-1], quote(secret, safe="")]
    forms.append(quote_plus(secret))
    return [f for f in dict.fromkeys(forms) if f.strip()]


def mask(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` with every known secret (and `extra`) replaced by ***, on the raw text."""
    secrets = [s for s in extra if s] + known()
    if not secrets or not text:
        return text
    for secret in sorted(dict.fromkeys(secrets), key=len, reverse=True):
        for form in _forms(secret):
            if form in text:
                text = text.replace(form, MASK)
    return text


def one_line(text: str, limit: int = 240) -> str:
    """Collapse whitespace and shorten, with an ellipsis; call `mask` first (or `clean`)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clean(text: str, limit: int = 240, extra: Iterable[str | None] = ()) -> str:
    """Mask every secret on the raw text, then make it one line of at most `limit`."""
    return one_line(mask(text, extra), limit)


def mask_optional(text: str | None) -> str | None:
    return mask(text) if text else text


TEXT_KEYS = frozenset({"message", "error", "reason", "detail"})


def mask_fields(data: Any) -> Any:
    """A JSON-able value with the text fields (`message`, `error`...) masked, at any depth.

    Masking the serialised JSON instead could break it (a secret that is also a key or a
    number), and masking every string could change run ids or asset keys.
    """
    if isinstance(data, dict):
        return {
            k: mask(v) if k in TEXT_KEYS and isinstance(v, str) else mask_fields(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_fields(item) for item in data]
    return data


class MaskingStream:
    """A text stream that masks every known secret in what is written to it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(mask(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()
