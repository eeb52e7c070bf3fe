"""Report periods: a week (ISO, Monday to Monday) or a month (1st to 1st), half-open, in China's
calendar (the day and time-zone helpers themselves are in `grids.periods`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from grids.periods import TZ as REPORT_TZ
from grids.periods import local_today, next_month_start, previous_month_start, previous_week_start

from ..models import Report, ReportKind

__all__ = [
    "MIN_YEAR",
    "REPORT_TZ",
    "PeriodError",
    "local_today",
    "parse_month",
    "parse_period",
    "parse_week",
    "period_end",
    "period_is_over",
    "period_label",
    "previous_month_start",
    "previous_week_start",
]


class PeriodError(ValueError):
    """A period the user typed is malformed or impossible; the message is for the user."""


WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MIN_YEAR = 2000


def parse_week(text: str) -> date:
    """ "2026-W47" (ISO 8601 week, as <input type="week"> sends it) → the Monday of that week."""
    match = WEEK_RE.match((text or "").strip())
    if not match:
        raise PeriodError(_("周的格式应为 YYYY-Www,例如 2026-W47"))
    year, week = int(match[1]), int(match[2])
    if year < MIN_YEAR:
        raise PeriodError(_("年份超出范围"))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(_("%(year)s 年没有第 %(week)s 周") % {"year": year, "week": week}) from None


def parse_month(text: str) -> date:
    """ "2026-11" → 2026-11-01."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        raise PeriodError(_("月份的格式应为 YYYY-MM,例如 2026-11"))
    year, month = int(match[1]), int(match[2])
    if year < MIN_YEAR:
        raise PeriodError(_("年份超出范围"))
    if not 1 <= month <= 12:
        raise PeriodError(_("月份应在 01 到 12 之间"))
    return date(year, month, 1)


def parse_period(*, kind: str, text: str) -> date:
    """The first day of the period named by `text`, a week for weekly reports, a month for monthly."""
    if kind == ReportKind.WEEKLY:
        return parse_week(text)
    if kind == ReportKind.MONTHLY:
        return parse_month(text)
    raise PeriodError(_("未知的报表类型"))


def period_end(*, kind: str, start: date) -> date:
    """The first day after the period (the end is exclusive)."""
    if kind == ReportKind.WEEKLY:
        return start + timedelta(days=7)
    return next_month_start(start)


def period_label(*, kind: str, start: date) -> str:
    """The inverse of `parse_period`: "2026-W47" or "2026-11"."""
    return Report(kind=kind, period_start=start).period_label


def period_is_over(*, kind: str, start: date, now: datetime | None = None) -> bool:
    """Only finished periods are reported: a report of a running week would be announced once and
    then silently change."""
    return period_end(kind=kind, start=start) <= local_today(now)
