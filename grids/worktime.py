"""Working time on the official Chinese calendar, for time limits (限时办结).

Sign-for and handling limits are counted in *working* hours and days: only inside the daily working
periods (``settings.WORKING_PERIODS``, e.g. 08:30–12:00 and 14:00–17:30, Beijing time) and only on
workdays of the official calendar, including make-up workdays (调休上班) on weekends.

Where a day's status comes from, strongest first:

1. the admin table of calendar overrides (``disputes.WorkCalendarDay``, plugged in through
   ``set_override_source`` so that this module stays in ``grids`` and every app can use it; the State Council publishes next year's holidays each
   November, often before the ``chinese_calendar`` package has a release that knows them; admins
   may also correct the package);
2. the ``chinese_calendar`` package;
3. Monday–Friday, for years neither knows (the package raises ``NotImplementedError`` for them).
   ``calendar_coverage`` tells the admin when this fallback is in use.

A ``WorkingCalendar`` is meant to live for one computation (one deadline, one batch of warnings): it
reads the admin table once, for a window of dates, and answers everything else from memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

# Upper bound on the days any search walks through. Even a full year of holidays entered by mistake
# ends in an error instead of a hung request or worker.
MAX_SCAN_DAYS = 400
# How many days of admin-table overrides one query loads ahead; covers a 15-working-day limit over
# the Spring Festival with room to spare.
DEFAULT_WINDOW_DAYS = 120

Coverage = Literal["package", "table", "weekends"]
Number = float | int | Decimal


OverrideSource = Callable[[date, date], Mapping[date, bool]]


def _no_overrides(first: date, last: date) -> Mapping[date, bool]:
    return {}


_override_source: OverrideSource = _no_overrides


def set_override_source(source: OverrideSource) -> None:
    """Plug in where the admin's holidays and make-up workdays live: a function (first, last) →
    {date: is_workday}. The app that owns the table (disputes) registers it when it is ready, so
    the calendar lives low in `grids` without importing upwards."""
    global _override_source
    _override_source = source


def _overrides_between(first: date, last: date) -> dict[date, bool]:
    return dict(_override_source(first, last))


class WorkingCalendarError(ValueError):
    """No working time was found within ``MAX_SCAN_DAYS`` (the calendar data must be wrong)."""


# ---------------------------------------------------------------------------------------------
# Workdays
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _package_is_workday(day: date) -> bool | None:
    """The package's answer for ``day``, or None when it has no data for that year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _as_date(day: date) -> date:
    # datetime is a subclass of date; normalise so caches and dict look-ups key on plain dates.
    return date(day.year, day.month, day.day)


def package_knows_year(year: int) -> bool:
    """Whether the chinese_calendar package has official holiday data for ``year``."""
    return _package_is_workday(date(year, 1, 1)) is not None


def is_workday(day: date, overrides: Mapping[date, bool] | None = None) -> bool:
    """Whether ``day`` is an official workday (工作日), make-up workdays (调休) included.

    ``overrides`` maps dates to the admin table's verdict (True = make-up workday, False = holiday).
    When it is None the admin table is queried for this one day; pass ``{}`` to ignore the table.
    Years the package does not know fall back to Monday–Friday; this never raises for them.
    """
    day = _as_date(day)
    if overrides is None:
        overrides = _overrides_between(day, day)
    if day in overrides:
        return bool(overrides[day])
    known = _package_is_workday(day)
    if known is not None:
        return known
    return day.weekday() < 5


def calendar_coverage(year: int) -> Coverage:
    """Where ``year``'s holidays come from, so the admin can be warned before deadlines go wrong.

    "package": the chinese_calendar package knows the year; "table": admins entered at least one
    holiday or make-up workday for it; "weekends": neither, deadlines count Monday–Friday only.
    """
    if package_knows_year(year):
        return "package"
    if _overrides_between(date(year, 1, 1), date(year, 12, 31)):
        return "table"
    return "weekends"


# ---------------------------------------------------------------------------------------------
# Working periods
# ---------------------------------------------------------------------------------------------


def parse_working_periods(specs: Sequence[str]) -> tuple[tuple[time, time], ...]:
    """Parse ``["08:30-12:00", "14:00-17:30"]`` into ordered, non-overlapping (start, end) pairs."""
    periods: list[tuple[time, time]] = []
    for spec in specs:
        try:
            start_text, end_text = (part.strip() for part in spec.split("-"))
            start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
        except ValueError as exc:
            raise ImproperlyConfigured(f"WORKING_PERIODS: {spec!r} is not like '08:30-12:00'") from exc
        if start >= end:
            raise ImproperlyConfigured(f"WORKING_PERIODS: {spec!r} ends before it starts")
        periods.append((start, end))
    periods.sort()
    if not periods:
        raise ImproperlyConfigured("WORKING_PERIODS is empty")
    for (_, previous_end), (next_start, _) in zip(periods, periods[1:], strict=False):
        if next_start < previous_end:
            raise ImproperlyConfigured("WORKING_PERIODS overlap")
    return tuple(periods)


def _span(start: time, end: time) -> timedelta:
    day = date(2000, 1, 3)
    return datetime.combine(day, end) - datetime.combine(day, start)


# ---------------------------------------------------------------------------------------------
# The calendar
# ---------------------------------------------------------------------------------------------


class WorkingCalendar:
    """Working hours and days for one computation, reading the admin table at most once per window.

    ``periods`` defaults to ``settings.WORKING_PERIODS`` and ``tz`` to ``settings.TIME_ZONE``
    (Asia/Shanghai). ``overrides`` supplies the admin table's verdicts directly and skips the
    database (handy for batch jobs that already loaded them, and for tests).

    All methods take aware datetimes and return aware datetimes in the calendar's time zone.
    """

    def __init__(
        self,
        *,
        periods: Sequence[str] | None = None,
        tz: str | tzinfo | None = None,
        overrides: Mapping[date, bool] | None = None,
        window_days: int = DEFAULT_WINDOW_DAYS,
    ) -> None:
        self.periods = parse_working_periods(settings.WORKING_PERIODS if periods is None else periods)
        tz = settings.TIME_ZONE if tz is None else tz
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.window_days = window_days
        self.day_length: timedelta = sum((_span(s, e) for s, e in self.periods), timedelta())
        self._fixed = overrides is not None
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._loaded: tuple[date, date] | None = None

    @property
    def hours_per_day(self) -> float:
        """Length of one working day in hours (7.0 with the default periods)."""
        return self.day_length / timedelta(hours=1)

    # -- data --------------------------------------------------------------------------------

    def _ensure_loaded(self, first: date, last: date) -> None:
        """Make sure admin-table rows for first..last are in memory; one query when they are not."""
        if self._fixed:
            return
        if self._loaded is not None and self._loaded[0] <= first and last <= self._loaded[1]:
            return
        window = timedelta(days=self.window_days)
        # Read ahead a window from the requested day, so walking forward costs one query per window.
        last = max(last, first + window)
        if self._loaded is not None:
            loaded_first, loaded_last = self._loaded
            if first < loaded_first:
                # Moving back in time (a list of cases, newest first): read a window further back
                # too, so each older case does not cost its own query.
                first -= window
            # Reload the union so the dict stays one contiguous, fully known range.
            first, last = min(first, loaded_first), max(last, loaded_last)
        self._overrides = _overrides_between(first, last)
        self._loaded = (first, last)

    def preload(self, first: date, last: date) -> None:
        """Read the admin table for first..last now, e.g. once before computing clocks for a list."""
        self._ensure_loaded(_as_date(first), _as_date(last))

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is an official workday (see the module function ``is_workday``)."""
        day = _as_date(day)
        self._ensure_loaded(day, day)
        return is_workday(day, self._overrides)

    def _local(self, moment: datetime) -> datetime:
        if timezone.is_naive(moment):
            raise ValueError("working time needs an aware datetime")
        return moment.astimezone(self.tz)

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working periods as aware datetimes; empty on holidays and weekends."""
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, start, tzinfo=self.tz), datetime.combine(day, end, tzinfo=self.tz))
            for start, end in self.periods
        ]

    # -- questions ---------------------------------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside a working period of a workday (period ends excluded)."""
        local = self._local(moment)
        return any(start <= local < end for start, end in self._periods_on(local.date()))

    def next_working_time(self, moment: datetime) -> datetime:
        """``moment`` itself if it is working time, else the start of the next working period.

        Used to hold back notifications until the office opens (e.g. to the next morning).
        """
        cursor = self._local(moment)
        day = cursor.date()
        self._ensure_loaded(day, day)
        for _ in range(MAX_SCAN_DAYS):
            for start, end in self._periods_on(day):
                if cursor < end:
                    return max(cursor, start)
            day += timedelta(days=1)
        raise WorkingCalendarError(f"no working time within {MAX_SCAN_DAYS} days after {moment.isoformat()}")

    def add_working_hours(self, start: datetime, hours: Number) -> datetime:
        """The moment ``hours`` working hours after ``start``: the deadline of a limit in hours.

        A start outside working time (evening, lunch break, holiday) counts from the next working
        period. A deadline that lands exactly on the end of a period stays there (12:00, 17:30)
        rather than moving to the next period's start.
        """
        remaining = timedelta(hours=float(hours))
        if remaining < timedelta():
            raise ValueError("hours must not be negative")
        cursor = self._local(start)
        if not remaining:
            return cursor
        day = cursor.date()
        self._ensure_loaded(day, day)
        for _ in range(MAX_SCAN_DAYS):
            periods = self._periods_on(day)
            if periods and cursor <= periods[0][0] and remaining > self.day_length:
                # The whole working day is used up: step over it without walking its periods.
                remaining -= self.day_length
            else:
                for period_start, period_end in periods:
                    segment_start = max(period_start, cursor)
                    if segment_start >= period_end:
                        continue
                    available = period_end - segment_start
                    if remaining <= available:
                        return segment_start + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise WorkingCalendarError(f"{hours} working hours from {start.isoformat()} exceed {MAX_SCAN_DAYS} days")

    def add_working_days(self, start: datetime, days: Number) -> datetime:
        """The deadline ``days`` working days after ``start``.

        A working day is the length of the day's working periods (7 hours by default), so a limit of
        one working day set at 15:00 ends at 15:00 on the next workday.
        """
        return self.add_working_hours(start, float(days) * self.hours_per_day)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours elapsed from ``start`` to ``end`` (0 if end is not after start).

        Divided by a limit's hours it gives the elapsed fraction behind the 80 % yellow warning.
        """
        local_start, local_end = self._local(start), self._local(end)
        if local_end <= local_start:
            return 0.0
        first, last = local_start.date(), local_end.date()
        self._ensure_loaded(first, last)
        total = timedelta()
        day = first
        # Bounded by the span the caller asked about: one iteration per calendar day.
        while day <= last:
            periods = self._periods_on(day)
            if periods and first < day < last:
                total += self.day_length  # a whole day in the middle of the span
            else:
                for period_start, period_end in periods:
                    overlap = min(period_end, local_end) - max(period_start, local_start)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total / timedelta(hours=1)


# ---------------------------------------------------------------------------------------------
# One-off helpers: each builds a calendar, so each costs one query of the admin table.
# ---------------------------------------------------------------------------------------------


def add_working_hours(start: datetime, hours: Number) -> datetime:
    """Deadline ``hours`` working hours after ``start`` (see ``WorkingCalendar.add_working_hours``)."""
    return WorkingCalendar().add_working_hours(start, hours)


def add_working_days(start: datetime, days: Number) -> datetime:
    """Deadline ``days`` working days after ``start`` (see ``WorkingCalendar.add_working_days``)."""
    return WorkingCalendar().add_working_days(start, days)


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours elapsed between two moments (see ``WorkingCalendar.working_hours_between``)."""
    return WorkingCalendar().working_hours_between(start, end)


def is_working_time(moment: datetime) -> bool:
    """Whether ``moment`` is inside working time on a workday."""
    return WorkingCalendar().is_working_time(moment)


def next_working_time(moment: datetime) -> datetime:
    """``moment`` if it is working time, else the start of the next working period."""
    return WorkingCalendar().next_working_time(moment)
