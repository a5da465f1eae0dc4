"""When an EventBridge schedule fires next: `rate(...)` and `cron(...)` arithmetic, in UTC.

Pure date arithmetic, no I/O and no clock: the schedule timer (`_schedule_timers.py`) asks
`next_fire(expression, after)` and sleeps until then. The cron dialect is AWS's (Quartz's):
six fields, 1=SUN..7=SAT, `?`, `L`, `W`, `#`, and a year field.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from .._events._schedules import parse_schedule

__all__ = ["CronSchedule", "RateSchedule", "Schedule", "compile_schedule", "next_fire"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_LAST_YEAR = 2199  # EventBridge's year field ends here: a schedule fires no later
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
# A catch-up search looks back over these windows in turn, smallest first, so that it walks
# only the fires of the smallest window holding one (a minute's cron: 60 at most).
_LOOKBACK = tuple(timedelta(days=d) for d in (1 / 24, 1, 32, 367, 3660, 100_000))


class Schedule:
    """A compiled schedule expression: when it fires after a moment, and the latest due."""

    expression: str

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire strictly after `after` (UTC, on the minute); None: never again."""
        raise NotImplementedError

    def latest_fire(self, after: datetime, until: datetime) -> datetime | None:
        """The last fire in (after, until], or None when there is none."""
        raise NotImplementedError


class RateSchedule(Schedule):
    """`rate(N unit)`: every period, counted from the moment it is asked about.

    EventBridge: "a rate expression starts when you create the scheduled event rule". We
    anchor on the minute the rule is created (seconds dropped: schedules have a minute's
    precision and scheduled events carry times on the minute), first fire one period
    later; from a fire, the next is one period on.
    """

    def __init__(self, expression: str, period: timedelta) -> None:
        self.expression = expression
        self.period = period

    def next_fire(self, after: datetime) -> datetime | None:
        fire = _floor_minute(_utc(after)) + self.period
        return fire if fire.year <= _LAST_YEAR else None

    def latest_fire(self, after: datetime, until: datetime) -> datetime | None:
        first = self.next_fire(after)
        until = _utc(until)
        if first is None or first > until:
            return None
        return first + (until - first) // self.period * self.period


class CronSchedule(Schedule):
    """`cron(minutes hours day-of-month month day-of-week year)`, every time in UTC."""

    def __init__(self, expression: str, fields: list[str]) -> None:
        self.expression = expression
        minutes, hours, day_of_month, month, day_of_week, year = fields
        self.minutes = _values(minutes, 0, 59)
        self.hours = _values(hours, 0, 23)
        self.months = _values(month, 1, 12, _MONTHS)
        self.years = _values(year, 1970, _LAST_YEAR)
        self._day_of_month = day_of_month.split(",") if day_of_month != "?" else None
        self._day_of_week = day_of_week.split(",") if day_of_week != "?" else None

    def next_fire(self, after: datetime) -> datetime | None:
        start = _floor_minute(_utc(after)) + timedelta(minutes=1)
        for year in self.years:
            if year < start.year:
                continue
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                found = self._first_in_month(year, month, start)
                if found is not None:
                    return found
        return None

    def latest_fire(self, after: datetime, until: datetime) -> datetime | None:
        after, until = _utc(after), _utc(until)
        for window in _LOOKBACK:
            fire = self.next_fire(max(after, until - window))
            if fire is not None and fire <= until:
                while (following := self.next_fire(fire)) is not None and following <= until:
                    fire = following
                return fire
        return None

    def _first_in_month(self, year: int, month: int, start: datetime) -> datetime | None:
        on_start_month = (year, month) == (start.year, start.month)
        for day in self.days(year, month):
            if on_start_month and day < start.day:
                continue
            on_start_day = on_start_month and day == start.day
            for hour in self.hours:
                if on_start_day and hour < start.hour:
                    continue
                on_start_hour = on_start_day and hour == start.hour
                for minute in self.minutes:
                    if on_start_hour and minute < start.minute:
                        continue
                    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
        return None

    def days(self, year: int, month: int) -> list[int]:
        """The month's days this schedule fires on, in order (one of the two day fields
        is '?': the other one decides alone, as AWS requires)."""
        last = calendar.monthrange(year, month)[1]
        days: set[int] = set()
        if self._day_of_month is not None:
            for item in self._day_of_month:
                days.update(_month_days(item, year, month, last))
        if self._day_of_week is not None:
            for item in self._day_of_week:
                days.update(_weekday_days(item, year, month, last))
        return sorted(days)


def compile_schedule(expression: str) -> Schedule:
    """The schedule an expression describes; a ValueError (RegistrationError) naming the
    problem when EventBridge would refuse it."""
    text = parse_schedule(expression)
    body = text[5:-1].split()
    if text.startswith("rate("):
        value, unit = int(body[0]), body[1].rstrip("s")
        return RateSchedule(text, timedelta(seconds=value * _RATE_UNITS[unit]))
    return CronSchedule(text, body)


def next_fire(expression: str, after: datetime) -> datetime | None:
    """When `expression` fires first after `after` (UTC); None when it never fires again.

    For a rate, `after` is its anchor: the rule's creation or its previous fire.
    """
    return compile_schedule(expression).next_fire(after)


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _number(text: str, names: tuple[str, ...], low: int) -> int:
    """A field's value: a number, or a month's or weekday's name (JAN is 1, SUN is 1)."""
    if text in names:
        return names.index(text) + low
    return int(text)


def _values(field: str, low: int, high: int, names: tuple[str, ...] = ()) -> list[int]:
    """Every value a plain field (no L, W or #) takes, in order."""
    values: set[int] = set()
    for item in field.split(","):
        values.update(_item_values(item, low, high, names))
    return sorted(values)


def _item_values(item: str, low: int, high: int, names: tuple[str, ...]) -> Iterable[int]:
    """One list item: '*', 'n', 'a-b', and any of those with '/step'. A range that wraps
    (hours 22-2, FRI-MON) runs past the top back round to the bottom, as Quartz's does."""
    base, _, step_text = item.partition("/")
    step = int(step_text) if step_text else 1
    if base == "*":
        first, last = low, high
    elif "-" in base:
        start, _, end = base.partition("-")
        first, last = _number(start, names, low), _number(end, names, low)
    else:
        first = _number(base, names, low)
        last = high if step_text else first  # '5/15': from 5 to the field's top
    span = high - low + 1
    if last < first:
        last += span
    return [(value - low) % span + low for value in range(first, last + 1, step)]


def _month_days(item: str, year: int, month: int, last: int) -> Iterable[int]:
    """Days of the month one day-of-month item names: values, 'L', 'LW', '15W'."""
    if item == "L":
        return [last]  # AWS: L is the month's last day
    if item == "LW":
        return [_nearest_weekday(year, month, last, last)]
    if item.endswith("W"):
        day = int(item[:-1])
        # A 31W in a 30-day month names no day, as a plain 31 does.
        return [_nearest_weekday(year, month, day, last)] if day <= last else []
    return [day for day in _item_values(item, 1, 31, ()) if day <= last]


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    """AWS's W: the weekday (MON-FRI) nearest `day`, never leaving the month; 1W on a
    Saturday is Monday the 3rd, a last day that is a Sunday gives the Friday before."""
    weekday = calendar.weekday(year, month, day)  # Monday is 0
    if weekday == 5:  # Saturday
        return day + 2 if day == 1 else day - 1
    if weekday == 6:  # Sunday
        return day - 2 if day == last else day + 1
    return day


def _aws_weekday(year: int, month: int, day: int) -> int:
    """AWS's day-of-week number, 1 (SUN) to 7 (SAT)."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


def _weekday_days(item: str, year: int, month: int, last: int) -> Iterable[int]:
    """Days of the month one day-of-week item names: values, 'L', '6L', '2#1'."""
    first_weekday = _aws_weekday(year, month, 1)

    def nth(weekday: int, n: int) -> int:  # the day of the month's nth `weekday`
        return 1 + (weekday - first_weekday) % 7 + 7 * (n - 1)

    if item == "L":
        wanted = {7}  # alone in day-of-week, L is the week's last day: Saturday
    elif item.endswith("L"):
        weekday = _number(item[:-1], _WEEKDAYS, 1)
        day = nth(weekday, 5)
        return [day if day <= last else day - 7]  # '6L': the month's last Friday
    elif "#" in item:
        weekday_text, _, n = item.partition("#")
        day = nth(_number(weekday_text, _WEEKDAYS, 1), int(n))
        return [day] if day <= last else []  # '2#5' in a month with four Mondays: none
    else:
        wanted = set(_item_values(item, 1, 7, _WEEKDAYS))
    return [day for day in range(1, last + 1) if (first_weekday + day - 2) % 7 + 1 in wanted]
