"""Schedule expressions for `@app.schedule`: Chalice's Rate and Cron, checked when built.

EventBridge would refuse a bad expression only at deploy; `parse_schedule` applies its
documented rate and cron rules at import time and returns the string a deploy sends.
"""

from __future__ import annotations

from .._core._errors import RegistrationError

__all__ = ["Cron", "Rate", "ScheduleExpression", "parse_schedule"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1 is Sunday, as AWS counts
_CRON_FIELDS = "minutes hours day_of_month month day_of_week year"


class _Field:
    """One cron field: its values and wildcards (a plain class: NamedTuple costs at import)."""

    __slots__ = ("high", "low", "name", "names", "wildcards")

    def __init__(
        self, name: str, low: int, high: int, names: tuple[str, ...], wildcards: str
    ) -> None:
        self.name, self.low, self.high, self.names = name, low, high, names
        self.wildcards = wildcards

    def allowed(self) -> str:
        names = f" (or {self.names[0]}-{self.names[-1]})" if self.names else ""
        return f"{self.low}-{self.high}{names}"


# AWS's table: each field's values and the wildcards it takes. Only day-of-month and
# day-of-week take '?', 'L' (and 'W' or '#'); day-of-week takes no '/'.
_MINUTES = _Field("minutes", 0, 59, (), ", - * /")
_HOURS = _Field("hours", 0, 23, (), ", - * /")
_DAY_OF_MONTH = _Field("day_of_month", 1, 31, (), ", - * ? / L W")
_MONTH = _Field("month", 1, 12, _MONTHS, ", - * /")
_DAY_OF_WEEK = _Field("day_of_week", 1, 7, _WEEKDAYS, ", - * ? L #")
_YEAR = _Field("year", 1970, 2199, (), ", - * /")


class ScheduleExpression:
    """What `@app.schedule` accepts besides a string: anything with `to_string()`."""

    def to_string(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_string()}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScheduleExpression):
            return NotImplemented
        return type(self) is type(other) and self.to_string() == other.to_string()

    def __hash__(self) -> int:
        return hash(self.to_string())


class Rate(ScheduleExpression):
    """Every `value` minutes, hours or days: `Rate(5, unit=Rate.MINUTES)`.

    The unit is Chalice's constant ('MINUTES', 'HOURS', 'DAYS') or its lower-case word;
    `unit` keeps it as given, as Chalice does.
    """

    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAYS = "DAYS"

    def __init__(self, value: int, unit: str) -> None:
        # AWS: the value is a positive number; its examples, and Chalice, use whole ones.
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RegistrationError(f"Rate value must be a positive whole number, not {value!r}")
        if not isinstance(unit, str) or unit.lower() not in _RATE_UNITS:
            raise RegistrationError(
                f"Rate unit must be Rate.MINUTES, Rate.HOURS or Rate.DAYS "
                f"('MINUTES', 'HOURS', 'DAYS'), not {unit!r}"
            )
        self.value = value
        self.unit = unit

    def to_string(self) -> str:
        # AWS: a value of 1 takes the singular unit, any other value the plural one.
        unit = self.unit.lower()
        return f"rate({self.value} {unit[:-1] if self.value == 1 else unit})"


_RATE_UNITS = ("minutes", "hours", "days")


class Cron(ScheduleExpression):
    """An EventBridge cron schedule, in UTC: `Cron(0, 10, "*", "*", "?", "*")`."""

    def __init__(
        self,
        minutes: str | int,
        hours: str | int,
        day_of_month: str | int,
        month: str | int,
        day_of_week: str | int,
        year: str | int,
    ) -> None:
        self.minutes = _check_field(_MINUTES, minutes)
        self.hours = _check_field(_HOURS, hours)
        self.day_of_month = _check_field(_DAY_OF_MONTH, day_of_month)
        self.month = _check_field(_MONTH, month)
        self.day_of_week = _check_field(_DAY_OF_WEEK, day_of_week)
        self.year = _check_field(_YEAR, year)
        # AWS: you can't give both day-of-month and day-of-week; a value or '*' in one
        # requires '?' in the other (and '?' in both leaves no day at all).
        questions = [self.day_of_month, self.day_of_week].count("?")
        if questions == 0:
            raise RegistrationError(
                f"Cron day_of_month {self.day_of_month!r} and day_of_week "
                f"{self.day_of_week!r}: one of day_of_month and day_of_week must be '?'"
            )
        if questions == 2:
            raise RegistrationError(
                "Cron day_of_month and day_of_week are both '?': only one of them may be '?'"
            )

    def to_string(self) -> str:
        fields = (self.minutes, self.hours, self.day_of_month)
        return f"cron({' '.join(fields)} {self.month} {self.day_of_week} {self.year})"


def parse_schedule(expression: object) -> str:
    """The normalised expression string for a Rate, a Cron, or 'rate(...)' / 'cron(...)'."""
    if isinstance(expression, ScheduleExpression):
        expression = expression.to_string()
    if isinstance(expression, str):
        text = expression.strip()
        if text.startswith("rate(") and text.endswith(")"):
            return _parse_rate(text, text[5:-1].split())
        if text.startswith("cron(") and text.endswith(")"):
            fields = text[5:-1].split()
            if len(fields) != 6:
                raise RegistrationError(
                    f"Schedule {text!r} is not valid: a cron expression has six fields "
                    f"({_CRON_FIELDS}), this one has {len(fields)}"
                )
            return Cron(*fields).to_string()
    raise RegistrationError(
        f"A schedule must be a Rate, a Cron, or a string 'rate(value unit)' or "
        f"'cron({_CRON_FIELDS})', not {expression!r}"
    )


def _parse_rate(text: str, parts: list[str]) -> str:
    if len(parts) != 2 or not _is_number(parts[0]):
        raise RegistrationError(
            f"Schedule {text!r} is not valid: write 'rate(value unit)', e.g. 'rate(5 minutes)'"
        )
    value, unit = int(parts[0]), parts[1]
    if value < 1:
        raise RegistrationError(f"Schedule {text!r} is not valid: the value must be 1 or more")
    plural = unit if unit.endswith("s") else f"{unit}s"
    if plural not in _RATE_UNITS:
        raise RegistrationError(
            f"Schedule {text!r} is not valid: the unit must be one of "
            f"minute, minutes, hour, hours, day, days"
        )
    # AWS: rate(1 hours) and rate(5 hour) are both refused.
    if value == 1 and unit == plural:
        raise RegistrationError(
            f"Schedule {text!r} is not valid: a value of 1 takes the singular unit {unit[:-1]!r}"
        )
    if value != 1 and unit != plural:
        raise RegistrationError(
            f"Schedule {text!r} is not valid: a value other than 1 takes the plural unit {plural!r}"
        )
    return Rate(value, plural).to_string()


def _check_field(field: _Field, value: str | int) -> str:
    """The field as AWS expects it (names upper-cased), or a RegistrationError."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RegistrationError(f"Cron {field.name} must be a string or an int, not {value!r}")
    text = value.upper()
    if "?" in field.wildcards and "?" in text:
        if text == "?":
            return text
        raise RegistrationError(f"Cron {field.name} {value!r}: '?' must be the whole field")
    # AWS: with '#', day-of-week holds one expression only ('3#1,6#3' counts as two).
    if "#" in field.wildcards and "#" in text and "," in text:
        raise RegistrationError(
            f"Cron {field.name} {value!r}: a field using '#' may hold one expression only"
        )
    for item in text.split(","):
        if not _check_item(field, item):
            raise RegistrationError(
                f"Cron {field.name} {value!r} is not valid; {field.name} takes "
                f"{field.allowed()} and the wildcards {field.wildcards}"
            )
    return text


def _check_item(field: _Field, item: str) -> bool:
    """False when the item is malformed; raises when a number in it is out of range."""
    if item == "*":
        return True
    base, slash, step = item.partition("/")
    if slash:
        if "/" not in field.wildcards or not _is_number(step):
            return False
        # AWS's '/' sets an increment (1/10: every tenth minute). A step of 0 never advances
        # and one past the field's top value is a typo; AWS's docs give no bound of their own.
        if not 1 <= int(step) <= field.high:
            raise RegistrationError(
                f"Cron {field.name} {item!r}: the step after '/' must be 1-{field.high}"
            )
        if base == "*":
            return True
    if "-" in base:
        # The docs don't say a range must ascend, so a wrapping one (22-2) is AWS's to judge.
        start, _, end = base.partition("-")
        return _check_value(field, start) and _check_value(field, end)
    if slash:
        return _check_value(field, base)
    if field is _DAY_OF_MONTH and base.endswith("W"):
        # '15W' is the weekday nearest the 15th (AWS); 'LW', the last weekday, combines the
        # documented L and W as the Quartz dialect AWS's cron follows does.
        return base == "LW" or _check_value(field, base[:-1])
    if field is _DAY_OF_WEEK and base.endswith("L") and base != "L":
        return _check_value(field, base[:-1])  # '6L', the last Friday: Quartz's L, as LW
    if field is _DAY_OF_WEEK and "#" in base:
        weekday, _, nth = base.partition("#")  # '2#1': the month's first Monday
        if _is_number(nth) and not 1 <= int(nth) <= 5:
            raise RegistrationError(
                f"Cron {field.name} {item!r}: the occurrence after '#' must be 1-5"
            )
        return _is_number(nth) and _check_value(field, weekday)
    return (base == "L" and "L" in field.wildcards) or _check_value(field, base)


def _check_value(field: _Field, text: str) -> bool:
    if text in field.names:
        return True
    if not _is_number(text):
        return False
    if not field.low <= int(text) <= field.high:
        raise RegistrationError(f"Cron {field.name} {text!r} is out of range {field.allowed()}")
    return True


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
