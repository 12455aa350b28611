"""Parse the five-field cron subset the schedule accepts.

Supported per field: numbers, `*`, lists (`1,5`), ranges (`1-5`), steps (`*/15`, `1-30/5`),
month names (`jan`) and weekday names (`mon`); weekday 7 means Sunday like 0.
Anything else (`@daily`, `L`, `W`, `#`, `?`) is an error rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronError(ValueError):
    """A cron string outside the supported subset; the message says which field and why."""


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_start: int = 0


FIELDS = (
    CronField("minute", 0, 59),
    CronField("hour", 0, 23),
    CronField("day of month", 1, 31),
    CronField("month", 1, 12, MONTH_NAMES, 1),
    CronField("day of week", 0, 7, WEEKDAY_NAMES, 0),
)


@dataclass(frozen=True)
class CronSpec:
    """The expanded values of each field. `*_star` records a bare `*`, which matters because
    cron ORs day-of-month and day-of-week when both are restricted."""

    expr: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0 = Sunday .. 6 = Saturday
    days_star: bool
    weekdays_star: bool


def _value(token: str, field: CronField) -> int:
    lowered = token.lower()
    if field.names and lowered in field.names:
        return field.names.index(lowered) + field.names_start
    if not token.isdigit():
        raise CronError(f"{field.name} value {token!r} is not a number")
    number = int(token)
    if not field.low <= number <= field.high:
        raise CronError(f"{field.name} value {number} is outside {field.low}-{field.high}")
    return number


def _parse_field(text: str, field: CronField) -> tuple[set[int], bool]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{field.name} field {text!r} has an empty list item")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{field.name} step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, field), _value(last, field)
            if start > end:
                raise CronError(f"{field.name} range {base!r} runs backwards")
        else:
            start = _value(base, field)
            end = field.high if step_text else start
        values.update(range(start, end + 1, step))
    return values, text == "*"


def parse_cron(expr: str) -> CronSpec:
    """Expand a five-field cron string or raise CronError naming the bad field."""
    parts = expr.split()
    if len(parts) != 5:
        raise CronError(
            f"cron {expr!r} has {len(parts)} fields; expected 5 (minute hour day month weekday)"
        )
    parsed = [_parse_field(part, field) for part, field in zip(parts, FIELDS, strict=True)]
    weekdays = {day % 7 for day in parsed[4][0]}  # 7 is Sunday too
    return CronSpec(
        expr=expr,
        minutes=tuple(sorted(parsed[0][0])),
        hours=tuple(sorted(parsed[1][0])),
        days=tuple(sorted(parsed[2][0])),
        months=tuple(sorted(parsed[3][0])),
        weekdays=tuple(sorted(weekdays)),
        days_star=parsed[2][1],
        weekdays_star=parsed[4][1],
    )
