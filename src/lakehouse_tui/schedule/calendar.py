"""Translate a parsed cron schedule for the OS timers, and compute its next fire times.

systemd gets `OnCalendar=` expressions carrying the time zone; launchd gets
`StartCalendarInterval` dicts (it has no time zones). Anything a target cannot express exactly
raises CronError instead of installing a different schedule.

Next fire times follow systemd's wall-clock semantics (checked against `systemd-analyze
calendar` in the tests): a wall time that does not exist on a spring-forward day is skipped;
a wall time that occurs twice on a fall-back day fires once, at its first occurrence, unless
the search starts inside the repeated hour's second pass, in which case the rest of that pass
counts.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from lakehouse_tui.schedule.cron import CronError, CronSpec

SYSTEMD_WEEKDAYS = {0: "Sun", 1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat"}
# Longest month lengths; February counts 29 because leap years do come round.
MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Refuse launchd schedules that would need more StartCalendarInterval dicts than this.
MAX_LAUNCHD_ENTRIES = 500
# Leap days need up to 8 years (2096 -> 2104 skips 2100); searching further is pointless.
SEARCH_DAYS = 366 * 9


def check_fires(spec: CronSpec) -> None:
    """Raise CronError for schedules that can never fire, like `0 0 31 2 *`."""
    if spec.days_star or not spec.weekdays_star:
        return  # every day is possible, or the weekday alternative always comes round
    if not any(day <= MAX_DAYS[month - 1] for month in spec.months for day in spec.days):
        raise CronError(f"cron {spec.expr!r} never fires: none of its months has those days")


def day_matches(spec: CronSpec, day: dt.date) -> bool:
    """Cron's day rule: day-of-month and day-of-week are ORed when both are restricted."""
    if day.month not in spec.months:
        return False
    in_days = day.day in spec.days
    in_weekdays = day.isoweekday() % 7 in spec.weekdays
    if spec.days_star or spec.weekdays_star:
        return in_days and in_weekdays
    return in_days or in_weekdays


# --- systemd -------------------------------------------------------------------------------


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Group sorted values into (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _component(values: tuple[int, ...], low: int, high: int) -> str:
    """One OnCalendar component: `*`, `00/15`, or a list of values and `a..b` ranges."""
    if list(values) == list(range(low, high + 1)):
        return "*"
    if len(values) > 2:
        step = values[1] - values[0]
        # systemd's `start/step` repeats up to the field's maximum, so use it only then.
        if step > 1 and list(values) == list(range(values[0], high + 1, step)):
            return f"{values[0]:02d}/{step}"
    parts = []
    for first, last in _runs(list(values)):
        if last - first >= 2:
            parts.append(f"{first:02d}..{last:02d}")
        else:
            parts.extend(f"{v:02d}" for v in range(first, last + 1))
    return ",".join(parts)


def _weekdays(values: tuple[int, ...]) -> str:
    """Weekday prefix in systemd's Monday-first order (Sunday is last), or "" for every day."""
    if len(values) == 7:
        return ""
    monday_first = sorted(7 if v == 0 else v for v in values)
    parts = []
    for first, last in _runs(monday_first):
        names = [SYSTEMD_WEEKDAYS[v % 7] for v in range(first, last + 1)]
        parts.append(f"{names[0]}..{names[-1]}" if len(names) > 2 else ",".join(names))
    return ",".join(parts)


def _on_calendar(
    spec: CronSpec, timezone: str, days: tuple[int, ...], weekdays: tuple[int, ...]
) -> str:
    prefix = _weekdays(weekdays)
    date = f"*-{_component(spec.months, 1, 12)}-{_component(days, 1, 31)}"
    time = f"{_component(spec.hours, 0, 23)}:{_component(spec.minutes, 0, 59)}:00"
    return " ".join(part for part in (prefix, date, time, timezone) if part)


def on_calendar(spec: CronSpec, timezone: str) -> list[str]:
    """The `OnCalendar=` values for a cron schedule in a time zone.

    systemd ANDs the weekday and the date of one expression, while cron ORs day-of-month and
    day-of-week when both are restricted; that case becomes two expressions.
    """
    check_fires(spec)
    all_days = tuple(range(1, 32))
    all_weekdays = tuple(range(7))
    if spec.days_star or spec.weekdays_star:
        return [_on_calendar(spec, timezone, spec.days, spec.weekdays)]
    return [
        _on_calendar(spec, timezone, spec.days, all_weekdays),
        _on_calendar(spec, timezone, all_days, spec.weekdays),
    ]


# --- launchd -------------------------------------------------------------------------------


def _choices(key: str, values: tuple[int, ...], full: int) -> list[tuple[str, int] | None]:
    """Values for one launchd key; [None] means "leave the key out" (any value)."""
    if len(values) == full:
        return [None]
    return [(key, value) for value in values]


def _count(values: tuple[int, ...], full: int) -> int:
    return 1 if len(values) == full else len(values)


def start_calendar_intervals(spec: CronSpec) -> list[dict[str, int]]:
    """launchd `StartCalendarInterval` dicts; a missing key matches any value.

    The Day and Weekday alternatives of cron's OR rule become separate dicts, so the meaning
    does not depend on how launchd combines the two keys inside one dict.
    """
    check_fires(spec)
    if spec.days_star or spec.weekdays_star:
        day_sets = [(spec.days, spec.weekdays)]
    else:
        day_sets = [(spec.days, tuple(range(7))), (tuple(range(1, 32)), spec.weekdays)]
    size = _count(spec.minutes, 60) * _count(spec.hours, 24) * _count(spec.months, 12)
    size *= sum(_count(days, 31) * _count(weekdays, 7) for days, weekdays in day_sets)
    if size > MAX_LAUNCHD_ENTRIES:
        raise CronError(
            f"cron {spec.expr!r} needs {size} launchd StartCalendarInterval entries "
            f"(limit {MAX_LAUNCHD_ENTRIES}); use fewer minutes or hours (e.g. */15, not */2)"
        )
    entries: list[dict[str, int]] = []
    for days, weekdays in day_sets:
        product = itertools.product(
            _choices("Month", spec.months, 12),
            _choices("Day", days, 31),
            _choices("Weekday", weekdays, 7),
            _choices("Hour", spec.hours, 24),
            _choices("Minute", spec.minutes, 60),
        )
        for combo in product:
            entries.append(dict(item for item in combo if item is not None))
    return entries


# --- next fire times -----------------------------------------------------------------------


def _resolve(wall: dt.datetime, zone: ZoneInfo, fold: int) -> dt.datetime | None:
    """The aware time for a wall time, or None when the wall time does not exist (DST gap)."""
    aware = wall.replace(tzinfo=zone, fold=fold)
    back = aware.astimezone(dt.UTC).astimezone(zone)
    if back.replace(tzinfo=None, fold=0) != wall:
        return None
    return back


def _next_after(spec: CronSpec, zone: ZoneInfo, base: dt.datetime) -> dt.datetime:
    """The first fire time strictly after `base` (an aware time in `zone`)."""
    start = base.replace(tzinfo=None, second=0, microsecond=0, fold=0) + dt.timedelta(minutes=1)
    # Inside the second pass of a repeated hour systemd keeps resolving to that pass.
    second_pass_day = base.date() if base.fold == 1 else None
    for offset in range(SEARCH_DAYS):
        day = start.date() + dt.timedelta(days=offset)
        if not day_matches(spec, day):
            continue
        for hour, minute in itertools.product(spec.hours, spec.minutes):
            wall = dt.datetime.combine(day, dt.time(hour, minute))
            if wall < start:
                continue
            resolved = _resolve(wall, zone, 1 if day == second_pass_day else 0)
            if resolved is not None:
                return resolved
    raise CronError(f"cron {spec.expr!r} does not fire in the {SEARCH_DAYS} days after {base}")


def next_fire_times(
    spec: CronSpec, timezone: str, after: dt.datetime, count: int = 5
) -> list[dt.datetime]:
    """The next `count` fire times after `after` (aware), as aware times in `timezone`."""
    if after.tzinfo is None:
        raise ValueError("next_fire_times needs an aware datetime")
    check_fires(spec)
    zone = ZoneInfo(timezone)
    current = after.astimezone(zone)
    times: list[dt.datetime] = []
    for _ in range(count):
        current = _next_after(spec, zone, current)
        times.append(current)
    return times
