"""cron -> OnCalendar / StartCalendarInterval, and next fire times checked against systemd."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess

import pytest

from lakehouse_tui.schedule.calendar import (
    next_fire_times,
    on_calendar,
    start_calendar_intervals,
)
from lakehouse_tui.schedule.cron import CronError, parse_cron

ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def systemd_times(
    lines: list[str], base: dt.datetime, count: int, runtime_dir: str
) -> list[dt.datetime]:
    """What a timer with these OnCalendar= lines fires at, per `systemd-analyze calendar`."""
    env = dict(os.environ, TZ="UTC", XDG_RUNTIME_DIR=runtime_dir)
    found: set[dt.datetime] = set()
    for line in lines:
        result = subprocess.run(
            [
                "systemd-analyze",
                "calendar",
                f"--iterations={count}",
                f"--base-time={base.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC",
                line,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        found |= {dt.datetime.fromisoformat(t + "+00:00") for t in ELAPSE.findall(result.stdout)}
    # A timer with several OnCalendar= lines fires at the earliest of them, once per instant.
    return sorted(found)[:count]


@pytest.mark.parametrize(
    ("cron", "timezone", "expected"),
    [
        ("0 2 * * *", "Europe/London", ["*-*-* 02:00:00 Europe/London"]),
        ("0 2 * * mon-fri", "Europe/London", ["Mon..Fri *-*-* 02:00:00 Europe/London"]),
        ("*/15 9-17 * * *", "UTC", ["*-*-* 09..17:00/15:00 UTC"]),
        ("0 0 * jan,mar-may 0,6", "UTC", ["Sat,Sun *-01,03..05-* 00:00:00 UTC"]),
        ("5 4 * * 7", "UTC", ["Sun *-*-* 04:05:00 UTC"]),
        (
            "0 0 1,15 * sun",
            "America/New_York",
            ["*-*-01,15 00:00:00 America/New_York", "Sun *-*-* 00:00:00 America/New_York"],
        ),
    ],
)
def test_on_calendar(cron: str, timezone: str, expected: list[str]) -> None:
    assert on_calendar(parse_cron(cron), timezone) == expected


def test_never_firing_cron_is_refused() -> None:
    with pytest.raises(CronError, match="never fires"):
        on_calendar(parse_cron("0 0 31 2 *"), "UTC")
    # ...but the weekday alternative of cron's OR rule does fire.
    assert len(on_calendar(parse_cron("0 0 31 2 mon"), "UTC")) == 2


def test_start_calendar_intervals() -> None:
    assert start_calendar_intervals(parse_cron("0 2 * * *")) == [{"Hour": 2, "Minute": 0}]
    assert start_calendar_intervals(parse_cron("30 1 * * mon,fri")) == [
        {"Weekday": 1, "Hour": 1, "Minute": 30},
        {"Weekday": 5, "Hour": 1, "Minute": 30},
    ]
    entries = start_calendar_intervals(parse_cron("*/15 9-17 * * *"))
    assert len(entries) == 36
    assert {"Hour": 17, "Minute": 45} in entries
    # cron ORs day-of-month and day-of-week when both are restricted: separate dicts.
    assert start_calendar_intervals(parse_cron("0 0 1 * 0")) == [
        {"Day": 1, "Hour": 0, "Minute": 0},
        {"Weekday": 0, "Hour": 0, "Minute": 0},
    ]
    assert start_calendar_intervals(parse_cron("* * * * *")) == [{}]


def test_launchd_explosion_is_refused() -> None:
    with pytest.raises(CronError, match=r"needs 1800 launchd StartCalendarInterval entries"):
        start_calendar_intervals(parse_cron("*/2 */2 * * 1-5"))


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+00:00")


def test_dst_days_in_london() -> None:
    daily_two = parse_cron("0 2 * * *")
    spring = next_fire_times(daily_two, "Europe/London", utc("2027-03-27 12:00"), 2)
    # 02:00 exists on 2027-03-28: the clocks jump from 01:00 GMT to 02:00 BST.
    assert [t.astimezone(dt.UTC) for t in spring] == [
        utc("2027-03-28 01:00"),
        utc("2027-03-29 01:00"),
    ]
    half_one = parse_cron("30 1 * * *")
    skipped = next_fire_times(half_one, "Europe/London", utc("2027-03-27 12:00"), 1)
    assert skipped[0].astimezone(dt.UTC) == utc("2027-03-29 00:30")  # 01:30 did not exist
    repeated = next_fire_times(half_one, "Europe/London", utc("2027-10-30 12:00"), 2)
    # 01:30 happens twice on 2027-10-31; like systemd, fire once, at the first (BST) one.
    assert [t.astimezone(dt.UTC) for t in repeated] == [
        utc("2027-10-31 00:30"),
        utc("2027-11-01 01:30"),
    ]


CRONS = [
    "0 2 * * *",
    "30 1 * * *",
    "0 2 * * mon-fri",
    "*/15 9-17 * * *",
    "0 0 1,15 * sun",
    "0,30 0-3 * * *",
    "*/20 0-3 25-31 3,10 0",
]
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]
BASES = [
    utc(f"{day} {time}")
    for day in ("2027-03-13", "2027-03-28", "2027-10-31", "2027-11-07", "2027-04-03")
    for time in ("00:00", "00:29", "00:45", "01:10", "05:45", "06:15", "15:00")
] + [utc("2027-03-27 12:00"), utc("2027-10-30 12:00")]


@pytest.mark.parametrize("timezone", ZONES)
@pytest.mark.parametrize("cron", CRONS)
def test_next_fire_times_match_systemd(cron: str, timezone: str, tmp_path: object) -> None:
    spec = parse_cron(cron)
    lines = on_calendar(spec, timezone)
    for base in BASES:
        ours = [t.astimezone(dt.UTC) for t in next_fire_times(spec, timezone, base, 6)]
        assert ours == systemd_times(lines, base, 6, str(tmp_path)), (cron, timezone, base)


def test_next_fire_times_needs_aware_base() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_fire_times(parse_cron("0 2 * * *"), "UTC", dt.datetime(2027, 1, 1), 1)
