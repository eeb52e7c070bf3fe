"""Time limits of a case, in working time on the official Chinese calendar."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .models import Category
from .worktime import WorkingCalendar


def for_dispatch(category: Category, urgency: str, start: datetime) -> tuple[datetime, datetime]:
    """(sign_deadline, handle_deadline) for a dispatch at `start`: the sign-in limit is in working
    hours, the handling limit in working days, both counted from the dispatch."""
    calendar = WorkingCalendar()
    return (
        calendar.add_working_hours(start, category.sign_hours(urgency)),
        calendar.add_working_days(start, category.handle_days(urgency)),
    )


def extend(deadline: datetime, days: int) -> datetime:
    """An approved 延期 moves the handling deadline by working days."""
    return WorkingCalendar().add_working_days(deadline, days)


def warn_at(start: datetime, deadline: datetime, calendar: WorkingCalendar) -> datetime:
    """The yellow moment: 80 % of the limit, counted in working time from `start`."""
    total = calendar.working_hours_between(start, deadline)
    return calendar.add_working_hours(start, 0.8 * total) if total > 0 else deadline


def next_look(assignment) -> datetime | None:
    """When the sweep must next look at an assignment: its running clock's yellow moment if not yet
    warned, else the limit itself if not yet red; None once the clock has stopped or lapsed."""
    if assignment.status == "pending":
        warn, deadline, alert = assignment.sign_warn_at, assignment.sign_deadline, assignment.sign_alert
    elif assignment.status == "signed":
        warn, deadline, alert = assignment.handle_warn_at, assignment.handle_deadline, assignment.handle_alert
    else:
        return None
    if alert == "" and warn is not None:
        return min(warn, deadline)
    if alert != "red":
        return deadline
    return None


class ClockColour(StrEnum):
    """The colour of a running clock, as pages (CSS `pill-<colour>`) and the API show it."""

    NONE = ""  # no running clock
    GREEN = "green"
    YELLOW = "yellow"  # 80 % of the limit in working time has passed
    RED = "red"  # lapsed


def clock(start: datetime | None, deadline: datetime | None, now: datetime, calendar: WorkingCalendar) -> ClockColour:
    """The colour of the clock that runs from `start` to `deadline`, at `now`."""
    if start is None or deadline is None:
        return ClockColour.NONE
    if now >= deadline:
        return ClockColour.RED
    total = calendar.working_hours_between(start, deadline)
    if total > 0 and calendar.working_hours_between(start, now) >= 0.8 * total:
        return ClockColour.YELLOW
    return ClockColour.GREEN
