"""Starting and stopping the stage clocks (`StageClock`): the center's accept, verify and feedback
clocks, and a supervision's reply clock. Called by the case actions inside their transaction.

Each clock is looked at twice by the deadline sweep, like a department's: at 80 % of its limit in
working time (yellow) and at the limit (red); `next_deadline_at` says when.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from grids.models import Department

from .. import deadlines
from ..models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    CENTER_CLOCKS,
    Assignment,
    AssignmentStatus,
    Case,
    Clock,
    StageClock,
)
from ..worktime import WorkingCalendar


def stage_next_look(c: StageClock) -> datetime | None:
    """When the sweep must next look at a stage clock (None once stopped or red)."""
    if c.stopped_at is not None or c.alert == "red":
        return None
    if c.alert == "" and c.warn_at is not None:
        return min(c.warn_at, c.deadline)
    return c.deadline


def clock_start(
    *,
    case: Case,
    clock: str,
    hours: float | None = None,
    department: Department | None = None,
    now: datetime | None = None,
) -> StageClock:
    """Start `clock` on the case (stopping a run of it that is still going). A center clock's limit
    comes from the category and urgency; a reply clock's is given in working hours."""
    now = now or timezone.now()
    clock_stop(case=case, clocks=[clock], now=now)
    if hours is None:
        hours = case.category.center_hours(clock, case.urgency)
    calendar = WorkingCalendar()
    deadline = calendar.add_working_hours(now, hours)
    c = StageClock(case=case, clock=clock, department=department, started_at=now, deadline=deadline)
    c.warn_at = deadlines.warn_at(now, deadline, calendar)
    c.next_deadline_at = stage_next_look(c)
    c.save()
    sync_next_deadline(case)
    return c


def first_clock(*, category, urgency: str, clock: str, now: datetime) -> StageClock:
    """The first clock of a case about to be created (intake's accept clock), not saved yet.

    Nothing runs on a new case, so there is nothing to stop, and the case's nearest deadline is
    this clock's: the caller inserts the case with `next_deadline_at = clock.deadline`, then saves
    the clock with the case (two INSERTs instead of `clock_start`'s stop, insert and sync)."""
    calendar = WorkingCalendar()
    deadline = calendar.add_working_hours(now, category.center_hours(clock, urgency))
    c = StageClock(clock=clock, started_at=now, deadline=deadline)
    c.warn_at = deadlines.warn_at(now, deadline, calendar)
    c.next_deadline_at = stage_next_look(c)
    return c


def clock_stop(*, case: Case, clocks, now: datetime | None = None) -> int:
    """Stop the running clocks of these kinds on the case; the sweep no longer looks at them."""
    stopped = StageClock.objects.filter(case=case, clock__in=list(clocks), stopped_at__isnull=True).update(
        stopped_at=now or timezone.now(), next_deadline_at=None
    )
    if stopped:
        sync_next_deadline(case)
    return stopped


def running_deadlines(case: Case) -> list[datetime]:
    """The limits of the stage clocks running on the case (for the case's nearest deadline)."""
    return list(StageClock.objects.filter(case=case, stopped_at__isnull=True).values_list("deadline", flat=True))


def sync_next_deadline(case: Case) -> None:
    """The case's nearest deadline (the queue's 期限 column, the 即将到期 tab): its departments'
    running clocks and its stage clocks."""
    moments = running_deadlines(case)
    for status, sign, handle in Assignment.objects.filter(case=case, status__in=ACTIVE_ASSIGNMENT_STATUSES).values_list(
        "status", "sign_deadline", "handle_deadline"
    ):
        moments.append(sign if status == AssignmentStatus.PENDING else handle)
    case.next_deadline_at = min(moments) if moments else None
    Case.objects.filter(pk=case.pk).update(next_deadline_at=case.next_deadline_at)


def clocks_recompute(*, case: Case) -> None:
    """The category or urgency changed: running center clocks get the new limit, from their start."""
    calendar = WorkingCalendar()
    for c in StageClock.objects.filter(case=case, clock__in=CENTER_CLOCKS, stopped_at__isnull=True):
        c.deadline = calendar.add_working_hours(c.started_at, case.category.center_hours(c.clock, case.urgency))
        c.warn_at = deadlines.warn_at(c.started_at, c.deadline, calendar)
        c.next_deadline_at = stage_next_look(c)
        c.save(update_fields=["deadline", "warn_at", "next_deadline_at"])
    sync_next_deadline(case)


__all__ = ["Clock", "clock_start", "clock_stop", "clocks_recompute", "first_clock", "stage_next_look"]
