"""Calendar days, periods and rates, in one copy for every figure in the project.

Days are Chinese calendar days (Asia/Shanghai), whatever the server's clock is set to; a period is
a half-open range of days [start, end). A rate is a fraction with nothing behind it shown as "—"
(None), never as 0 %. Used by the daily roll-up (disputes/stats.py), the dashboard and the reports.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

TZ = ZoneInfo("Asia/Shanghai")


def local_today(now: datetime | None = None) -> date:
    """Today in China, for `now` (default: the current moment)."""
    return (now or timezone.now()).astimezone(TZ).date()


def day_bounds(lo: date, hi: date) -> tuple[datetime, datetime]:
    """The moments of the days [lo, hi) in China."""
    return datetime.combine(lo, time.min, tzinfo=TZ), datetime.combine(hi, time.min, tzinfo=TZ)


def within(field: str, lo: datetime, hi: datetime) -> Q:
    """`field` in the half-open range [lo, hi)."""
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


def previous_week_start(now: datetime | None = None) -> date:
    """The Monday of the last complete ISO week before `now`."""
    today = local_today(now)
    return today - timedelta(days=today.weekday() + 7)


def previous_month_start(now: datetime | None = None) -> date:
    """The 1st of the last complete month before `now`."""
    first_of_this_month = local_today(now).replace(day=1)
    return (first_of_this_month - timedelta(days=1)).replace(day=1)


def next_month_start(start: date) -> date:
    """The 1st of the month after the one `start` is in."""
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def ratio(numerator: int, denominator: int, digits: int | None = None) -> float | None:
    """numerator / denominator (rounded to `digits` if given), or None when nothing was due."""
    if not denominator:
        return None
    value = numerator / denominator
    return value if digits is None else round(value, digits)


def rate(numerator: int, denominator: int) -> dict:
    """A rate with its parts, as the reports store it."""
    return {"numerator": numerator, "denominator": denominator, "rate": ratio(numerator, denominator)}


def percent_text(value: float | None) -> str:
    """0.123 → "12.3%"; None → "—"."""
    return "—" if value is None else f"{value * 100:.1f}%"
