"""The deadline sweep: finds due clocks, has the services lapse them, and tells the people concerned.

Due work is found through the indexed `Assignment.next_deadline_at`, in batches locked with
SKIP LOCKED so two sweeps at once take disjoint rows. What a batch does to the cases (alerts,
clocks, overdue marks, escalations, timeline events, open counts) is written by one service,
`disputes.services.cases_lapse`, exactly once per (assignment, clock, level); the sweep then
notifies for the alerts that call actually inserted. Every batch costs a constant number of queries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from grids import audiences, outbox
from grids.messages import label
from grids.notifications import Message, notify_many
from grids.services import sweep_visits

from . import messages as messages_
from .models import AlertLevel, Assignment, Case, Clock, StageClock, Urgency
from .services import cases_lapse
from .services.lapse import DUE_FIELDS, STAGE_FIELDS, Due, DueStage, stage_clocks_lapse
from .services.lapse import LapsedAlert as _Alert
from .worktime import WorkingCalendar

log = logging.getLogger(__name__)
BATCH_SIZE = 2000
DIGEST_AFTER = audiences.DIGEST_AFTER  # decided in grids.audiences


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    published: int = 0
    batches: int = 0
    follow_ups: int = 0
    cases: set[int] = field(default_factory=set)

    @property
    def changes(self) -> int:
        return self.yellow + self.red + self.escalated

    def __str__(self) -> str:
        return (
            f"yellow={self.yellow} red={self.red} escalated={self.escalated} "
            f"outbox_published={self.published} batches={self.batches}"
        )


def sweep_deadlines(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """One sweep: drain the outbox, then lapse every due clock, batch by batch, and notify."""
    now = now or timezone.now()
    result = SweepResult(published=outbox.drain(now))
    token = uuid4().hex
    calendar = WorkingCalendar()
    busy: set[int] = set()
    while True:
        with transaction.atomic():
            found = [
                Due(*row)
                for row in Assignment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_deadline_at__lte=now)
                .exclude(case_id__in=busy)
                .order_by("next_deadline_at", "id")
                .values_list(*DUE_FIELDS)[:batch_size]
            ]
            if not found:
                break
            batch = _cases_free(found, busy)
            result.batches += 1
            lapsed = cases_lapse(due=batch, now=now, token=token)
            if lapsed.alerts:
                result.yellow += lapsed.yellow
                result.red += lapsed.red
                result.escalated += len(lapsed.escalations)
                result.cases.update(al.case_id for al in lapsed.alerts)
                _notify(lapsed.alerts, lapsed.escalations, now=now, calendar=calendar)
        if len(found) < batch_size:
            break
    result.follow_ups = sweep_visits(now=now)  # field work: overdue special-population visits (帮教)
    _sweep_stage_clocks(result, now=now, token=token, calendar=calendar, batch_size=batch_size)
    return result


def _cases_free(due: list, busy: set[int]) -> list:
    """The due clocks whose cases this sweep could lock now; the others' case ids go to `busy`.

    An action locks its case, then writes its assignments and clocks; the sweep holds the clocks
    (SKIP LOCKED) and then needs their cases. Waiting there would close a circle with an action
    that holds the case and waits for a clock: a deadlock, which PostgreSQL breaks by failing one
    of them. So the cases are locked with SKIP LOCKED too, and a case an action holds right now
    is left to the next sweep (the clocks' lapse is exactly-once, whenever it runs)."""
    case_ids = sorted({d.case_id for d in due})
    free = set(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=case_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    busy.update(set(case_ids) - free)
    return [d for d in due if d.case_id in free]


def _notify(alerts: list[_Alert], escalations: dict[int, tuple[int, int]], *, now: datetime, calendar) -> None:
    """Yellow: the department. Red: the department, the center(s) and the officials of the area
    (who: `grids.audiences`). Stored as message keys (`disputes.messages`), read in each reader's
    language."""
    overseers = audiences.Overseers(
        department_ids={al.department_id for al in alerts},
        center_ids={al.case.center_id for al in alerts} | {pair[0] for pair in escalations.values()},
        area_paths={al.case.area_path for al in alerts},
    )
    morning = calendar.next_working_time(now)
    messages = []
    red_for: dict[int, list[_Alert]] = defaultdict(list)
    users: dict[int, object] = {}
    # A department that lapses many at once gets one digest instead of a notice per case.
    per_department: dict[int, list[_Alert]] = defaultdict(list)
    for al in alerts:
        per_department[al.department_id].append(al)
    digested = {d for d, items in per_department.items() if audiences.needs_digest(len({al.case_id for al in items}))}
    clock_names = {clock: label(clock.label) for clock in Clock}
    case_url = reverse("case_detail", args=[0]).replace("/0/", "/{}/")
    for al in alerts:
        case = al.case
        urgent = case.urgency in (Urgency.URGENT, Urgency.EMERGENCY)
        when = now if urgent else morning
        url = case_url.format(case.pk)
        params = {"number": case.number, "clock": clock_names[al.clock], "department": al.department.name}
        if al.level == AlertLevel.YELLOW:
            if al.department_id not in digested:
                deadline = timezone.localtime(al.deadline).strftime("%Y-%m-%d %H:%M")
                messages.append(
                    Message(
                        overseers.yellow(al.department_id),
                        "deadline_yellow",
                        key=messages_.DEADLINE_YELLOW,
                        params={**params, "deadline": deadline},
                        url=url,
                        deliver_after=when,
                        dedupe_key=f"alert:{al.pk}",
                    )
                )
            continue
        # The department gets every supervision notice; centers and officials are told per case
        # too, unless a sweep lapses many at once, when they get one digest instead of a flood.
        centers = {case.center_id} | ({escalations[case.pk][0]} if case.pk in escalations else set())
        for user in overseers.red_overseers(area_path=case.area_path, center_ids=centers):
            red_for[user.pk].append(al)
            users[user.pk] = user
        if al.department_id not in digested:
            messages.append(
                Message(
                    overseers.red_department(al.department_id),
                    "deadline_red",
                    key=messages_.DEADLINE_RED_ESCALATED if case.pk in escalations else messages_.DEADLINE_RED,
                    params=params,
                    url=url,
                    deliver_after=when,
                    dedupe_key=f"alert:{al.pk}",
                )
            )
    for department_id in digested:
        items = per_department[department_id]
        red_cases = {al.case_id for al in items if al.level == AlertLevel.RED}
        red, yellow = len(red_cases), len({al.case_id for al in items} - red_cases)
        urgent = any(al.case.urgency != Urgency.NORMAL for al in items)
        messages.append(
            Message(
                overseers.red_department(department_id) if red else overseers.yellow(department_id),
                "deadline_red" if red else "deadline_yellow",
                key=messages_.DEADLINE_DEPARTMENT_RED_DIGEST if red else messages_.DEADLINE_DEPARTMENT_YELLOW_DIGEST,
                params={"department": items[0].department.name, "red": red, "yellow": yellow},
                url=reverse("case_list") + ("?tab=overdue" if red else ""),
                deliver_after=now if urgent else morning,
                dedupe_key=f"alert-digest:{items[0].sweep}:department:{department_id}:{items[0].pk}",
            )
        )
    for user_id, items in red_for.items():
        if not audiences.needs_digest(len(items)):
            for al in items:
                messages.append(
                    Message(
                        [users[user_id]],
                        "deadline_red",
                        key=messages_.DEADLINE_RED_ESCALATED if al.case_id in escalations else messages_.DEADLINE_RED,
                        params={
                            "number": al.case.number,
                            "department": al.department.name,
                            "clock": clock_names[al.clock],
                        },
                        url=case_url.format(al.case_id),
                        deliver_after=now if al.case.urgency != Urgency.NORMAL else morning,
                        dedupe_key=f"alert:{al.pk}",
                    )
                )
        else:
            urgent = any(al.case.urgency != Urgency.NORMAL for al in items)
            messages.append(
                Message(
                    [users[user_id]],
                    "deadline_red",
                    key=messages_.DEADLINE_RED_DIGEST,
                    params={
                        "count": len(items),
                        "escalated": sum(1 for al in items if al.case_id in escalations),
                    },
                    url=reverse("case_list") + "?tab=overdue",
                    deliver_after=now if urgent else morning,
                    dedupe_key=f"alert-digest:{items[0].sweep}:{items[0].pk}",
                )
            )
    notify_many(messages)


# ---------------------------------------------------------------------------------------------
# Stage clocks (issue 12): the center's accept, verify and feedback clocks and the reply clocks
# of supervisions, found through the indexed `StageClock.next_deadline_at` the same way.


def _sweep_stage_clocks(result: SweepResult, *, now: datetime, token: str, calendar, batch_size: int) -> None:
    busy: set[int] = set()
    while True:
        with transaction.atomic():
            found = [
                DueStage(*row)
                for row in StageClock.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_deadline_at__lte=now)
                .exclude(case_id__in=busy)
                .order_by("next_deadline_at", "id")
                .values_list(*STAGE_FIELDS)[:batch_size]
            ]
            if not found:
                break
            batch = _cases_free(found, busy)
            result.batches += 1
            lapsed = stage_clocks_lapse(due=batch, now=now, token=token)
            if lapsed.alerts:
                result.yellow += lapsed.yellow
                result.red += lapsed.red
                result.escalated += len(lapsed.escalations)
                result.cases.update(al.case_id for al in lapsed.alerts)
                # A reply clock runs against a department: told like a department's lapse.
                replies = [al for al in lapsed.alerts if al.department_id is not None]
                if replies:
                    _notify(replies, lapsed.escalations, now=now, calendar=calendar)
                center = [al for al in lapsed.alerts if al.department_id is None]
                if center:
                    _notify_center(center, lapsed.escalations, now=now, calendar=calendar)
        if len(found) < batch_size:
            break


def _notify_center(alerts: list[_Alert], escalations: dict[int, tuple[int, int]], *, now: datetime, calendar) -> None:
    """A center clock warns its center (yellow); a lapse is told to the center(s) and the officials
    over the case (red), each in one digest when many lapse at once."""
    overseers = audiences.Overseers(
        department_ids=(),
        center_ids={al.case.center_id for al in alerts} | {pair[0] for pair in escalations.values()},
        area_paths={al.case.area_path for al in alerts},
    )
    morning = calendar.next_working_time(now)
    clock_names = {clock: label(clock.label) for clock in Clock}
    case_url = reverse("case_detail", args=[0]).replace("/0/", "/{}/")
    per_user: dict[int, list[_Alert]] = defaultdict(list)
    users: dict[int, object] = {}
    for al in alerts:
        if al.level == AlertLevel.YELLOW:
            recipients = overseers.center(al.case.center_id)
        else:
            centers = {al.case.center_id} | ({escalations[al.case_id][0]} if al.case_id in escalations else set())
            recipients = overseers.red_overseers(area_path=al.case.area_path, center_ids=centers)
        for user in recipients:
            per_user[user.pk].append(al)
            users[user.pk] = user
    messages = []
    for user_id, items in per_user.items():
        if audiences.needs_digest(len(items)):
            red = [al for al in items if al.level == AlertLevel.RED]
            messages.append(
                Message(
                    [users[user_id]],
                    "deadline_red" if red else "deadline_yellow",
                    key=messages_.DEADLINE_RED_DIGEST,
                    params={"count": len({al.case_id for al in items}), "escalated": len(escalations)},
                    url=reverse("case_list") + "?tab=overdue",
                    deliver_after=now if any(al.case.urgency != Urgency.NORMAL for al in items) else morning,
                    dedupe_key=f"stage-digest:{token_of(items)}:{user_id}",
                )
            )
            continue
        for al in items:
            params = {"number": al.case.number, "clock": clock_names[al.clock]}
            if al.level == AlertLevel.YELLOW:
                key = messages_.CENTER_CLOCK_YELLOW
                params["deadline"] = timezone.localtime(al.deadline).strftime("%Y-%m-%d %H:%M")
            elif al.case_id in escalations:
                key = messages_.CENTER_CLOCK_RED_ESCALATED
            else:
                key = messages_.CENTER_CLOCK_RED
            messages.append(
                Message(
                    [users[user_id]],
                    "deadline_yellow" if al.level == AlertLevel.YELLOW else "deadline_red",
                    key=key,
                    params=params,
                    url=case_url.format(al.case_id),
                    deliver_after=now if al.case.urgency != Urgency.NORMAL else morning,
                    dedupe_key=f"alert:{al.pk}",
                )
            )
    notify_many(messages)


def token_of(items: list[_Alert]) -> str:
    return f"{items[0].sweep}:{items[0].pk}"
