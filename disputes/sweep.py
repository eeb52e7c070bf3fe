"""The deadline sweep: yellow warnings at 80 % of a limit, red lapses that escalate exactly once.

Due work is found through the indexed `Assignment.next_deadline_at`, in batches locked with
SKIP LOCKED so two sweeps at once take disjoint rows. Each (assignment, clock, level) becomes one
`DeadlineAlert` row under a unique constraint: only the alerts this sweep actually inserted (tagged
with its token) have effects, so a second sweep, or a re-run after a crash, changes nothing.
Every batch costs a constant number of queries. The batch is read as plain values and alerts and
timeline events are written with multi-row INSERTs (the alerts' `ON CONFLICT DO NOTHING RETURNING`
says which ones this sweep inserted): a mass lapse is tens of thousands of rows, and model
instances would cost more than the database work.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from uuid import uuid4

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import outbox
from grids.models import Area, Department, Level, Membership, Role
from grids.notifications import Message, notify_many
from grids.services import sweep_visits

from . import stats
from .deadlines import next_look
from .models import AlertLevel, Assignment, AssignmentStatus, Case, CaseEvent, Clock, DeadlineAlert, Urgency
from .worktime import WorkingCalendar

log = logging.getLogger(__name__)
BATCH_SIZE = 2000
INSERT_CHUNK = 1000  # rows per multi-row INSERT (SQLite allows 32,766 parameters per statement)
DIGEST_AFTER = 5  # more alerts than this for one department or overseer in one batch → one digest


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


def _running_clock(a: _Due) -> tuple[str, datetime | None, datetime, str] | None:
    if a.status == AssignmentStatus.PENDING:
        return Clock.SIGN, a.sign_warn_at, a.sign_deadline, "sign_alert"
    if a.status == AssignmentStatus.SIGNED:
        return Clock.HANDLE, a.handle_warn_at, a.handle_deadline, "handle_alert"
    return None


@dataclass
class _Due:
    """A due assignment as the sweep reads it: the clock fields, no model instance."""

    id: int
    case_id: int
    department_id: int
    status: str
    sign_warn_at: datetime | None
    sign_deadline: datetime
    sign_alert: str
    handle_warn_at: datetime | None
    handle_deadline: datetime
    handle_alert: str
    overdue: bool
    next_deadline_at: datetime | None = None

    @property
    def pk(self) -> int:
        return self.id


DUE_FIELDS = [f for f in _Due.__dataclass_fields__ if f != "next_deadline_at"]


@dataclass
class _Case:
    pk: int
    number: str
    status: str
    urgency: str
    area_path: str
    center_id: int
    center_level: str


@dataclass
class _Alert:
    """An alert this sweep inserted, with what its effects need."""

    pk: int
    case: _Case
    department: SimpleNamespace
    clock: str
    level: str
    deadline: datetime
    sweep: str

    @property
    def case_id(self) -> int:
        return self.case.pk

    @property
    def department_id(self) -> int:
        return self.department.pk


def sweep_deadlines(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """One sweep: drain the outbox, then raise every due yellow and red alert."""
    now = now or timezone.now()
    result = SweepResult(published=outbox.drain(now))
    token = uuid4().hex
    calendar = WorkingCalendar()
    while True:
        with transaction.atomic():
            batch = [
                _Due(*row)
                for row in Assignment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_deadline_at__lte=now)
                .order_by("next_deadline_at", "id")
                .values_list(*DUE_FIELDS)[:batch_size]
            ]
            if not batch:
                break
            result.batches += 1
            _sweep_batch(batch, now=now, token=token, result=result, calendar=calendar)
            stats.touch(now)
        if len(batch) < batch_size:
            break
    result.follow_ups = sweep_visits(now=now)  # field work: overdue special-population visits (帮教)
    return result


def _sweep_batch(batch: list[_Due], *, now: datetime, token: str, result: SweepResult, calendar) -> None:
    rows: list[tuple] = []
    for a in batch:
        running = _running_clock(a)
        if running is None:
            a.next_deadline_at = None
            continue
        clock, warn, deadline, level_field = running
        level = getattr(a, level_field)
        due = []
        if level == "" and warn is not None and now >= warn:
            due.append(AlertLevel.YELLOW)
        if level != AlertLevel.RED and now >= deadline:
            due.append(AlertLevel.RED)
            a.overdue = True
        rows += [(a.case_id, a.id, a.department_id, str(clock), str(lvl), deadline, now, token) for lvl in due]
        if due:
            setattr(a, level_field, due[-1])
        a.next_deadline_at = next_look(a)
    # Only the rows this sweep inserted have effects: the unique row is the exactly-once guarantee.
    inserted = _insert_alerts(rows)
    _save_clocks(batch)
    if inserted:
        _apply_effects(_fired(rows, inserted, token), now=now, result=result, calendar=calendar)


def _moment(value: datetime | None):
    """A datetime as the database stores it (SQLite: naive UTC text), for raw SQL parameters."""
    return connection.ops.adapt_datetimefield_value(value)


def _chunks(rows: list, size: int = INSERT_CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert_alerts(rows: list[tuple]) -> dict[tuple[int, str, str], int]:
    """INSERT the alert rows, skipping those that exist; {(assignment, clock, level): id} of the new ones."""
    table = DeadlineAlert._meta.db_table
    columns = "case_id, assignment_id, department_id, clock, level, deadline, created_at, sweep"
    inserted = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for case_id, assignment, department, clock, level, deadline, at, sweep in chunk:
                params += [case_id, assignment, department, clock, level, _moment(deadline), _moment(at), sweep]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "
                "ON CONFLICT DO NOTHING RETURNING id, assignment_id, clock, level",
                params,
            )
            inserted.update({(assignment, clock, level): pk for pk, assignment, clock, level in cursor.fetchall()})
    return inserted


def _fired(rows: list[tuple], inserted: dict[tuple[int, str, str], int], token: str) -> list[_Alert]:
    """The inserted alerts with their cases and departments, read as values in two queries."""
    mine = [row for row in rows if (row[1], row[3], row[4]) in inserted]
    cases = {
        row[0]: _Case(*row)
        for row in Case.objects.filter(pk__in={row[0] for row in mine}).values_list(
            "id", "number", "status", "urgency", "area_path", "center_id", "center__level"
        )
    }
    departments = {
        pk: SimpleNamespace(pk=pk, name=name)
        for pk, name in Department.objects.filter(pk__in={row[2] for row in mine}).values_list("id", "name")
    }
    return [
        _Alert(
            pk=inserted[(assignment, clock, level)],
            case=cases[case_id],
            department=departments[department_id],
            clock=clock,
            level=level,
            deadline=deadline,
            sweep=token,
        )
        for case_id, assignment, department_id, clock, level, deadline, _now, _token in mine
    ]


def _insert_events(events: list[tuple]) -> None:
    """INSERT timeline events (case, action, from, to, comment, data, at) with multi-row statements."""
    table = CaseEvent._meta.db_table
    columns = "case_id, actor_id, action, from_status, to_status, comment, data, created_at"
    with connection.cursor() as cursor:
        for chunk in _chunks(events):
            values = ", ".join(["(%s, NULL, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for case_id, action, from_status, to_status, comment, data, at in chunk:
                data = json.dumps(data, ensure_ascii=False)
                params += [case_id, action, from_status, to_status, comment, data, _moment(at)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)


def _save_clocks(batch: list[_Due]) -> None:
    """Write the batch's alert levels and next looks in one statement.

    Django's bulk_update builds a CASE WHEN per row and field, which dominates a large sweep; an
    UPDATE … FROM a VALUES list does the same in one plain statement on PostgreSQL and SQLite.
    """
    if not batch:
        return
    table = Assignment._meta.db_table
    pg = connection.vendor == "postgresql"
    rows, params = [], []
    for a in batch:
        rows.append("(%s, %s, %s, %s, %s)")
        params += [a.pk, a.sign_alert, a.handle_alert, a.overdue, _moment(a.next_deadline_at)]
    cast = (lambda expr, kind: f"CAST({expr} AS {kind})") if pg else (lambda expr, kind: expr)
    sql = (
        f"WITH v(id, sign_alert, handle_alert, overdue, next_deadline_at) AS (VALUES {', '.join(rows)}) "
        f"UPDATE {table} SET sign_alert = v.sign_alert, handle_alert = v.handle_alert, "
        f"overdue = {cast('v.overdue', 'boolean')}, "
        f"next_deadline_at = {cast('v.next_deadline_at', 'timestamp with time zone')} "
        f"FROM v WHERE {table}.id = {cast('v.id', 'bigint')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _apply_effects(alerts: list[_Alert], *, now: datetime, result: SweepResult, calendar) -> None:
    red = [al for al in alerts if al.level == AlertLevel.RED]
    yellow = [al for al in alerts if al.level == AlertLevel.YELLOW]
    result.yellow += len(yellow)
    result.red += len(red)

    events = [
        (
            al.case_id,
            f"deadline_{al.level}",
            al.case.status,
            al.case.status,
            "",
            {
                "department": al.department_id,
                "department_name": al.department.name,
                "clock": al.clock,
                "deadline": al.deadline.isoformat(),
            },
            now,
        )
        for al in alerts
    ]

    # Red: the case is overdue and escalates one level (town center → district center).
    red_cases = {al.case_id: al.case for al in red}
    escalations: dict[int, tuple[int, int]] = {}
    if red_cases:
        comment = _("超期自动上报区级社会治理中心")  # translated once, not per case
        district_codes = {c.area_path.split("/")[0] for c in red_cases.values()}
        districts = {a.code: a for a in Area.objects.filter(code__in=district_codes, level=Level.DISTRICT)}
        for case in red_cases.values():
            district = districts.get(case.area_path.split("/")[0])
            if case.center_level == Level.TOWN and district is not None:
                escalations[case.pk] = (case.center_id, district.pk)
                events.append(
                    (
                        case.pk,
                        "escalate",
                        case.status,
                        case.status,
                        comment,
                        {"from_center": case.center_id, "to_center": district.pk, "automatic": True},
                        now,
                    )
                )
        # Overdue and escalation in one write per case: the case table carries many indexes.
        targets = {case_id: to for case_id, (_from, to) in escalations.items()}
        already_overdue = stats.mark_overdue(red_cases, now=now, escalate=targets)
        for case_id, to in targets.items():
            red_cases[case_id].center_id = to
        if escalations:
            by_target: dict[int, set[int]] = defaultdict(set)
            for case_id, to in targets.items():
                by_target[to].add(case_id)
            for to, ids in by_target.items():
                if ids & already_overdue:  # overdue before, yet still at a town center: move it now
                    Case.objects.filter(pk__in=ids & already_overdue, center__level=Level.TOWN).update(center_id=to)
                DeadlineAlert.objects.filter(pk__in=[al.pk for al in red if al.case_id in ids]).update(
                    escalated_to_id=to
                )
        result.escalated += len(escalations)
    _insert_events(events)
    result.cases.update(al.case_id for al in alerts)
    _notify(alerts, escalations, now=now, calendar=calendar)


def _notify(alerts: list[_Alert], escalations: dict[int, tuple[int, int]], *, now: datetime, calendar) -> None:
    """Yellow: the department. Red: the department, the center(s) and the officials of the area."""
    department_ids = {al.department_id for al in alerts}
    center_ids = {al.case.center_id for al in alerts} | {pair[0] for pair in escalations.values()}
    ancestor_codes = {code for al in alerts for code in al.case.area_path.split("/") if code}
    memberships = Membership.objects.filter(
        Q(role=Role.DEPARTMENT_STAFF, department_id__in=department_ids)
        | Q(role=Role.CENTER_STAFF, area_id__in=center_ids)
        | Q(role=Role.OFFICIAL, area__code__in=ancestor_codes)
    ).select_related("user", "area")
    staff_of: dict[int, list] = defaultdict(list)
    center_staff: dict[int, list] = defaultdict(list)
    officials: list[tuple[str, object]] = []
    for m in memberships:
        if m.role == Role.DEPARTMENT_STAFF:
            staff_of[m.department_id].append(m.user)
        elif m.role == Role.CENTER_STAFF:
            center_staff[m.area_id].append(m.user)
        elif m.role == Role.OFFICIAL and m.area is not None:
            officials.append((m.area.path, m.user))
    morning = calendar.next_working_time(now)
    messages = []
    red_for: dict[int, list[_Alert]] = defaultdict(list)
    users: dict[int, object] = {}
    # A department that lapses many at once gets one digest instead of a notice per case.
    per_department: dict[int, list[_Alert]] = defaultdict(list)
    for al in alerts:
        per_department[al.department_id].append(al)
    digested = {d for d, items in per_department.items() if len({al.case_id for al in items}) > DIGEST_AFTER}
    # Translated and resolved once per batch: a mass lapse is thousands of alerts.
    clock_names = {Clock.SIGN: _("签收"), Clock.HANDLE: _("办理")}
    escalated_note = _("超期已上报区级社会治理中心")
    case_url = reverse("case_detail", args=[0]).replace("/0/", "/{}/")
    for al in alerts:
        case = al.case
        urgent = case.urgency in (Urgency.URGENT, Urgency.EMERGENCY)
        when = now if urgent else morning
        url = case_url.format(case.pk)
        clock_name = clock_names[al.clock]
        if al.level == AlertLevel.YELLOW:
            if al.department_id not in digested:
                messages.append(
                    Message(
                        staff_of[al.department_id],
                        "deadline_yellow",
                        _("黄灯预警:%(number)s %(clock)s时限将到") % {"number": case.number, "clock": clock_name},
                        _("期限 %(deadline)s")
                        % {"deadline": timezone.localtime(al.deadline).strftime("%Y-%m-%d %H:%M")},
                        url,
                        when,
                        f"alert:{al.pk}",
                    )
                )
            continue
        # The department gets every supervision notice; centers and officials are told per case
        # too, unless a sweep lapses many at once, when they get one digest instead of a flood.
        overseers = []
        for center_id in {case.center_id} | ({escalations[case.pk][0]} if case.pk in escalations else set()):
            overseers += center_staff[center_id]
        overseers += [u for path, u in officials if case.area_path.startswith(path)]
        for user in overseers:
            red_for[user.pk].append(al)
            users[user.pk] = user
        if al.department_id not in digested:
            messages.append(
                Message(
                    staff_of[al.department_id],
                    "deadline_red",
                    _("红灯督办:%(number)s %(department)s%(clock)s超期")
                    % {"number": case.number, "department": al.department.name, "clock": clock_name},
                    escalated_note if case.pk in escalations else "",
                    url,
                    when,
                    f"alert:{al.pk}",
                )
            )
    for department_id in digested:
        items = per_department[department_id]
        red_cases = {al.case_id for al in items if al.level == AlertLevel.RED}
        red, yellow = len(red_cases), len({al.case_id for al in items} - red_cases)
        urgent = any(al.case.urgency != Urgency.NORMAL for al in items)
        figures = {"department": items[0].department.name, "red": red, "yellow": yellow}
        messages.append(
            Message(
                staff_of[department_id],
                "deadline_red" if red else "deadline_yellow",
                (
                    _("红灯督办:%(department)s %(red)s 件超期")
                    if red
                    else _("黄灯预警:%(department)s %(yellow)s 件时限将到")
                )
                % figures,
                _("超期 %(red)s 件,时限将到 %(yellow)s 件") % figures,
                reverse("case_list") + ("?tab=overdue" if red else ""),
                now if urgent else morning,
                f"alert-digest:{items[0].sweep}:department:{department_id}:{items[0].pk}",
            )
        )
    for user_id, items in red_for.items():
        if len(items) <= DIGEST_AFTER:
            for al in items:
                messages.append(
                    Message(
                        [users[user_id]],
                        "deadline_red",
                        _("红灯督办:%(number)s %(department)s%(clock)s超期")
                        % {"number": al.case.number, "department": al.department.name, "clock": clock_names[al.clock]},
                        escalated_note if al.case_id in escalations else "",
                        case_url.format(al.case_id),
                        now if al.case.urgency != Urgency.NORMAL else morning,
                        f"alert:{al.pk}",
                    )
                )
        else:
            urgent = any(al.case.urgency != Urgency.NORMAL for al in items)
            messages.append(
                Message(
                    [users[user_id]],
                    "deadline_red",
                    _("红灯督办:%(count)s 件事项超期") % {"count": len(items)},
                    _("其中 %(escalated)s 件已上报区级社会治理中心")
                    % {"escalated": sum(1 for al in items if al.case_id in escalations)},
                    reverse("case_list") + "?tab=overdue",
                    now if urgent else morning,
                    f"alert-digest:{items[0].sweep}:{items[0].pk}",
                )
            )
    notify_many(messages)
