"""_cron_times: when EventBridge's rate and cron schedules fire next, checked by hand against
a calendar (2026-12-06 is a Sunday; 2028 is a leap year, 2100 is not)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelike.local._cron_times import (
    CronSchedule,
    RateSchedule,
    compile_schedule,
    next_fire,
)

UTC = timezone.utc


def at(text: str) -> datetime:
    """'2026-12-06 05:29:46' in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SUNDAY = "2026-12-06 05:29:46"

# (expression, after, the next fire); each names the calendar fact it rests on.
CASES = [
    # rate: anchored on the minute asked about, one period on
    ("rate(1 minute)", SUNDAY, "2026-12-06 05:30"),
    ("rate(5 minutes)", SUNDAY, "2026-12-06 05:34"),
    ("rate(1 hour)", "2026-12-06 05:30", "2026-12-06 06:30"),
    ("rate(2 days)", "2027-02-27 10:00", "2027-03-01 10:00"),  # February 2027 has 28 days
    ("rate(1 day)", "2028-02-28 00:00", "2028-02-29 00:00"),  # 2028 is a leap year
    # plain fields, strictly after
    ("cron(0 10 * * ? *)", SUNDAY, "2026-12-06 10:00"),
    ("cron(0 10 * * ? *)", "2026-12-06 10:00", "2026-12-07 10:00"),
    ("cron(0 10 * * ? *)", "2026-12-06 10:00:30", "2026-12-07 10:00"),
    ("cron(* * * * ? *)", SUNDAY, "2026-12-06 05:30"),
    ("cron(59 23 31 12 ? *)", "2026-12-31 23:59", "2027-12-31 23:59"),
    # steps, ranges, lists
    ("cron(0/15 * * * ? *)", SUNDAY, "2026-12-06 05:30"),
    ("cron(0/15 * * * ? *)", "2026-12-06 05:45", "2026-12-06 06:00"),
    ("cron(5/20 * * * ? *)", "2026-12-06 05:45", "2026-12-06 06:05"),  # 5, 25, 45
    ("cron(*/20 * * * ? *)", "2026-12-06 05:45", "2026-12-06 06:00"),
    ("cron(10-12 * * * ? *)", "2026-12-06 05:12", "2026-12-06 06:10"),
    ("cron(0 9-17/4 * * ? *)", "2026-12-06 13:00", "2026-12-06 17:00"),  # 9, 13, 17
    ("cron(0,30 8,20 * * ? *)", "2026-12-06 08:30", "2026-12-06 20:00"),
    # a range that wraps past the top
    ("cron(0 22-2 * * ? *)", SUNDAY, "2026-12-06 22:00"),
    ("cron(0 22-2 * * ? *)", "2026-12-06 23:30", "2026-12-07 00:00"),
    ("cron(0 22-2 * * ? *)", "2026-12-07 02:00", "2026-12-07 22:00"),
    ("cron(0 0 1 NOV-FEB ? *)", "2027-02-01 00:00", "2027-11-01 00:00"),
    # months
    ("cron(0 0 1 JAN,JUL ? *)", SUNDAY, "2027-01-01 00:00"),
    ("cron(0 0 1 */3 ? *)", SUNDAY, "2027-01-01 00:00"),  # 1, 4, 7, 10
    ("cron(0 0 1 */3 ? *)", "2027-01-01 00:00", "2027-04-01 00:00"),
    ("cron(0 12 31 */2 ? *)", "2027-01-31 12:00", "2027-03-31 12:00"),  # 1, 3, 5, 7...
    # days a month does not have
    ("cron(0 0 31 * ? *)", "2027-02-01 00:00", "2027-03-31 00:00"),
    ("cron(0 0 31 * ? *)", "2027-04-01 00:00", "2027-05-31 00:00"),  # April has 30
    ("cron(0 0 29 2 ? *)", SUNDAY, "2028-02-29 00:00"),
    ("cron(0 0 29 2 ? *)", "2096-03-01 00:00", "2104-02-29 00:00"),  # 2100 is not leap
    ("cron(0 0 1/10 * ? *)", "2027-02-21 00:00", "2027-03-01 00:00"),  # 1, 11, 21, (31)
    # L in day-of-month: the month's last day
    ("cron(0 0 L * ? *)", "2027-02-01 00:00", "2027-02-28 00:00"),
    ("cron(0 0 L * ? *)", "2028-02-01 00:00", "2028-02-29 00:00"),
    ("cron(0 0 L * ? *)", "2027-04-01 00:00", "2027-04-30 00:00"),
    ("cron(0 0 L 2 ? *)", "2100-01-01 00:00", "2100-02-28 00:00"),
    ("cron(0 0 1,15,L * ? *)", "2027-02-15 00:00", "2027-02-28 00:00"),
    # LW: the last weekday (Oct 31 2027 and Jan 31 2027 are Sundays, Feb 28 2027 too)
    ("cron(0 0 LW * ? *)", "2027-10-01 00:00", "2027-10-29 00:00"),
    ("cron(0 0 LW * ? *)", "2027-01-01 00:00", "2027-01-29 00:00"),
    ("cron(0 0 LW * ? *)", "2027-02-01 00:00", "2027-02-26 00:00"),
    ("cron(0 0 LW * ? *)", "2027-03-01 00:00", "2027-03-31 00:00"),  # a Wednesday
    # W: the nearest weekday, never leaving the month
    ("cron(0 0 15W * ? *)", "2027-05-01 00:00", "2027-05-14 00:00"),  # Sat 15 -> Fri 14
    ("cron(0 0 15W * ? *)", "2027-08-01 00:00", "2027-08-16 00:00"),  # Sun 15 -> Mon 16
    ("cron(0 0 15W * ? *)", "2027-06-01 00:00", "2027-06-15 00:00"),  # a Tuesday: itself
    ("cron(0 0 15W * ? *)", "2027-05-14 12:00", "2027-06-15 00:00"),  # May's is past
    ("cron(0 0 1W * ? *)", "2027-04-30 00:00", "2027-05-03 00:00"),  # Sat 1st -> Mon 3rd
    ("cron(0 0 1W * ? *)", "2027-07-31 00:00", "2027-08-02 00:00"),  # Sun 1st -> Mon 2nd
    ("cron(0 0 31W * ? *)", "2027-10-01 00:00", "2027-10-29 00:00"),  # Sun 31 (last) -> Fri
    ("cron(0 0 30W * ? *)", "2027-02-01 00:00", "2027-03-30 00:00"),  # no 30 Feb: March's
    # day-of-week: 1 is SUN, 7 is SAT; ranges, names, wrap
    ("cron(0 8 ? * MON-FRI *)", SUNDAY, "2026-12-07 08:00"),
    ("cron(0 8 ? * 2-6 *)", SUNDAY, "2026-12-07 08:00"),
    ("cron(0 8 ? * FRI-MON *)", "2026-12-08 00:00", "2026-12-11 08:00"),
    ("cron(0 8 ? * SAT,SUN *)", SUNDAY, "2026-12-06 08:00"),
    ("cron(0 0 ? * 1 *)", SUNDAY, "2026-12-13 00:00"),
    ("cron(0 0 ? * 7 *)", SUNDAY, "2026-12-12 00:00"),
    ("cron(0 0 ? * L *)", SUNDAY, "2026-12-12 00:00"),  # alone, L is Saturday
    # nL: the month's last such weekday
    ("cron(0 0 ? * 6L *)", "2027-02-01 00:00", "2027-02-26 00:00"),
    ("cron(0 0 ? * FRIL *)", "2027-02-01 00:00", "2027-02-26 00:00"),
    ("cron(0 0 ? * 1L *)", "2027-02-01 00:00", "2027-02-28 00:00"),
    ("cron(0 0 ? * 7L *)", "2027-01-01 00:00", "2027-01-30 00:00"),
    ("cron(15 10 ? * 6L 2026-2027)", SUNDAY, "2026-12-25 10:15"),
    # n#k: the month's kth such weekday
    ("cron(0 0 ? * 2#1 *)", SUNDAY, "2026-12-07 00:00"),
    ("cron(0 0 ? * 2#1 *)", "2027-01-05 00:00", "2027-02-01 00:00"),
    ("cron(0 0 ? * MON#1 *)", "2027-01-05 00:00", "2027-02-01 00:00"),
    ("cron(0 0 ? * 6#3 *)", "2027-02-01 00:00", "2027-02-19 00:00"),
    ("cron(0 0 ? * 2#5 *)", "2027-02-01 00:00", "2027-03-29 00:00"),  # Feb has 4 Mondays
    ("cron(0 0 ? * 1#1 *)", "2027-01-01 00:00", "2027-01-03 00:00"),
    # years
    ("cron(0 0 1 1 ? 2027-2029)", "2027-01-01 00:00", "2028-01-01 00:00"),
    ("cron(0 0 1 1 ? 2030/5)", SUNDAY, "2030-01-01 00:00"),
    ("cron(0 0 1 1 ? 2030/5)", "2030-01-01 00:00", "2035-01-01 00:00"),
    ("cron(0 0 1 1 ? 2027,2031)", "2027-06-01 00:00", "2031-01-01 00:00"),
    # lower-case names are EventBridge's too
    ("cron(0 8 ? * mon-fri *)", SUNDAY, "2026-12-07 08:00"),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CASES)
def test_next_fire(expression: str, after: str, expected: str) -> None:
    assert next_fire(expression, at(after)) == at(expected)


@pytest.mark.parametrize(
    ("expression", "after"),
    [
        ("cron(0 0 1 1 ? 2020)", SUNDAY),  # a year in the past
        ("cron(0 0 1 1 ? 2020-2025)", SUNDAY),
        ("cron(0 0 1 1 ? 2199)", "2199-01-01 00:00"),  # the last year's one fire is past
        ("cron(0 0 31 2 ? *)", SUNDAY),  # February never has a 31st
        ("cron(0 0 30W 2 ? *)", SUNDAY),
        ("cron(0 0 ? 2 2#5 2027)", SUNDAY),  # no fifth Monday in February 2027
        ("rate(1 day)", "2199-12-31 00:00"),  # past EventBridge's last year
    ],
)
def test_never_fires_again(expression: str, after: str) -> None:
    assert next_fire(expression, at(after)) is None


def test_time_zones_are_read_as_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    after = datetime(2026, 12, 6, 7, 29, 46, tzinfo=plus_two)  # 05:29:46 UTC
    fire = next_fire("cron(0 10 * * ? *)", after)
    assert fire == at("2026-12-06 10:00")
    assert fire is not None and fire.tzinfo is UTC
    naive = datetime(2026, 12, 6, 5, 29, 46)  # taken as UTC
    assert next_fire("rate(1 minute)", naive) == at("2026-12-06 05:30")


def test_a_rate_counts_on_from_each_fire() -> None:
    schedule = compile_schedule("rate(15 minutes)")
    fires = []
    moment: datetime | None = at(SUNDAY)
    for _ in range(4):
        assert moment is not None
        moment = schedule.next_fire(moment)
        fires.append(moment)
    assert fires == [at(t) for t in ("2026-12-06 05:44", "2026-12-06 05:59",
                                     "2026-12-06 06:14", "2026-12-06 06:29")]  # fmt: skip


def test_compile_gives_the_kind_and_normalised_expression() -> None:
    rate = compile_schedule("rate(2 hours)")
    assert isinstance(rate, RateSchedule)
    assert rate.period == timedelta(hours=2)
    cron = compile_schedule(" cron(0 8 ? * mon-fri *) ")
    assert isinstance(cron, CronSchedule)
    assert cron.expression == "cron(0 8 ? * MON-FRI *)"
    assert cron.days(2026, 12)[:5] == [1, 2, 3, 4, 7]  # Dec 1 2026 is a Tuesday


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("every day", "must be a Rate, a Cron"),
        ("rate(0 minutes)", "the value must be 1 or more"),
        ("rate(5 minute)", "plural unit"),
        ("cron(0 0 * * * *)", "one of day_of_month and day_of_week must be '?'"),
        ("cron(0 0 * *)", "six fields"),
        ("cron(61 0 * * ? *)", "out of range"),
    ],
)
def test_what_eventbridge_refuses_is_a_value_error(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        compile_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "after", "until", "latest"),
    [
        ("rate(5 minutes)", "2026-12-06 05:00", "2026-12-06 07:02", "2026-12-06 07:00"),
        ("rate(5 minutes)", "2026-12-06 05:00", "2026-12-06 05:05", "2026-12-06 05:05"),
        ("rate(5 minutes)", "2026-12-06 05:00", "2026-12-06 05:04:59", None),
        ("cron(* * * * ? *)", "2026-12-06 05:00", "2026-12-06 07:02:30", "2026-12-06 07:02"),
        ("cron(* * * * ? *)", "2026-12-06 05:00", "2026-12-06 05:00:59", None),
        ("cron(0 10 * * ? *)", "2026-12-06 10:00", "2026-12-20 09:00", "2026-12-19 10:00"),
        ("cron(0 0 1 1 ? *)", "2020-01-01 00:00", SUNDAY, "2026-01-01 00:00"),
        ("cron(0 0 29 2 ? *)", "2000-03-01 00:00", SUNDAY, "2024-02-29 00:00"),
        ("cron(0 0 29 2 ? *)", "2024-02-29 00:00", SUNDAY, None),
        ("cron(0 0 1 1 ? 2020)", "2000-01-01 00:00", SUNDAY, "2020-01-01 00:00"),
    ],
)
def test_latest_fire(expression: str, after: str, until: str, latest: str | None) -> None:
    found = compile_schedule(expression).latest_fire(at(after), at(until))
    assert found == (at(latest) if latest else None)


def test_a_schedule_that_never_matches_is_answered_quickly() -> None:
    # Feb 31st: every month of every year to 2199 is looked at, once.
    schedule = compile_schedule("cron(0 0 31 2 ? *)")
    started = datetime.now(UTC)
    assert schedule.next_fire(at(SUNDAY)) is None
    assert schedule.latest_fire(at("1970-01-01 00:00"), at(SUNDAY)) is None
    assert datetime.now(UTC) - started < timedelta(seconds=1)
