"""Working time on the official Chinese calendar: moved down to `grids.worktime` so that every app
(legal aid reviews too) can count working days without importing disputes. This module re-exports
it for existing callers and supplies the admin table (`WorkCalendarDay`) as the overrides source.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from grids.worktime import (  # noqa: F401  (re-exported)
    DEFAULT_WINDOW_DAYS,
    MAX_SCAN_DAYS,
    Coverage,
    Number,
    WorkingCalendar,
    WorkingCalendarError,
    _as_date,
    _package_is_workday,
    _span,
    add_working_days,
    add_working_hours,
    calendar_coverage,
    is_workday,
    is_working_time,
    next_working_time,
    package_knows_year,
    parse_working_periods,
    set_override_source,
    working_hours_between,
)


def admin_table_overrides(first: date, last: date) -> Mapping[date, bool]:
    """The admin's holidays and make-up workdays between first and last (one query)."""
    from disputes.models import WorkCalendarDay

    return dict(WorkCalendarDay.objects.filter(date__range=(first, last)).values_list("date", "is_workday"))
