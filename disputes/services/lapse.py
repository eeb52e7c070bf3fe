"""The bulk lapse: what a batch of due clocks does to the cases (the deadline sweep's writes).

The sweep (`disputes/sweep.py`) finds due assignments under SKIP LOCKED and hands them here; this
service raises the yellow and red alerts, writes the clocks' next looks, the timeline events, the
overdue marks, the automatic escalations and the open counts, and returns what it fired so the
sweep can notify. Each (assignment, clock, level) is one `DeadlineAlert` row under a unique
constraint: only the rows this call inserted have effects, so a second sweep, or a re-run after a
crash, changes nothing.

Every batch costs a constant number of statements, written as plain multi-row SQL (a mass lapse is
tens of thousands of rows, and model instances would cost more than the database work). The SQL
runs on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from django.db import connection, transaction

from grids.models import Area, Department, Level

from .. import events, stats
from ..deadlines import next_look
from ..models import (
    OPEN_STATUSES,
    AlertLevel,
    Assignment,
    AssignmentStatus,
    Case,
    Clock,
    DeadlineAlert,
    StageClock,
)

INSERT_CHUNK = 1000  # rows per multi-row INSERT (SQLite allows 32,766 parameters per statement)


@dataclass
class Due:
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


DUE_FIELDS = [f for f in Due.__dataclass_fields__ if f != "next_deadline_at"]


@dataclass
class LapsedCase:
    pk: int
    number: str
    status: str
    urgency: str
    area_path: str
    center_id: int
    center_level: str


@dataclass
class LapsedAlert:
    """An alert this lapse inserted, with what its notices need."""

    pk: int
    case: LapsedCase
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


@dataclass
class LapseResult:
    alerts: list[LapsedAlert] = field(default_factory=list)
    # case id → (from center, to center) of the cases escalated automatically
    escalations: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def yellow(self) -> int:
        return sum(1 for al in self.alerts if al.level == AlertLevel.YELLOW)

    @property
    def red(self) -> int:
        return sum(1 for al in self.alerts if al.level == AlertLevel.RED)


def _running_clock(a: Due) -> tuple[str, datetime | None, datetime, str] | None:
    if a.status == AssignmentStatus.PENDING:
        return Clock.SIGN, a.sign_warn_at, a.sign_deadline, "sign_alert"
    if a.status == AssignmentStatus.SIGNED:
        return Clock.HANDLE, a.handle_warn_at, a.handle_deadline, "handle_alert"
    return None


@transaction.atomic
def cases_lapse(*, due: list[Due], now: datetime, token: str) -> LapseResult:
    """超期: the due clocks of `due` (locked by the caller) raise their yellow and red alerts.

    Red makes the case overdue, and a case still at a town center escalates to the district
    center. Only alerts this call inserted (tagged with `token`) have effects: exactly once.
    """
    rows: list[tuple] = []
    for a in due:
        running = _running_clock(a)
        if running is None:
            a.next_deadline_at = None
            continue
        clock, warn, deadline, level_field = running
        level = getattr(a, level_field)
        fired = []
        if level == "" and warn is not None and now >= warn:
            fired.append(AlertLevel.YELLOW)
        if level != AlertLevel.RED and now >= deadline:
            fired.append(AlertLevel.RED)
            a.overdue = True
        rows += [(a.case_id, a.id, a.department_id, str(clock), str(lvl), deadline, now, token) for lvl in fired]
        if fired:
            setattr(a, level_field, fired[-1])
        a.next_deadline_at = next_look(a)
    inserted = _insert_alerts(rows)
    _save_clocks(due)
    result = LapseResult()
    if inserted:
        result.alerts = _fired(rows, inserted, token)
        result.escalations = _apply(result.alerts, now=now)
    stats.touch(now)
    return result


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


def _fired(rows: list[tuple], inserted: dict[tuple[int, str, str], int], token: str) -> list[LapsedAlert]:
    """The inserted alerts with their cases and departments, read as values in two queries."""
    mine = [row for row in rows if (row[1], row[3], row[4]) in inserted]
    cases = {
        row[0]: LapsedCase(*row)
        for row in Case.objects.filter(pk__in={row[0] for row in mine}).values_list(
            "id", "number", "status", "urgency", "area_path", "center_id", "center__level"
        )
    }
    departments = {
        pk: SimpleNamespace(pk=pk, name=name)
        for pk, name in Department.objects.filter(pk__in={row[2] for row in mine}).values_list("id", "name")
    }
    return [
        LapsedAlert(
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


def _save_clocks(batch: list[Due]) -> None:
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


def _apply(alerts: list[LapsedAlert], *, now: datetime) -> dict[int, tuple[int, int]]:
    """Timeline events for every alert; red ones mark their cases overdue and escalate those still
    at a town center. Returns the escalations, case id → (from center, to center)."""
    red = [al for al in alerts if al.level == AlertLevel.RED]
    pending = [
        events.deadline_alert(
            case_id=al.case_id,
            status=al.case.status,
            level=al.level,
            department_id=al.department_id,
            department_name=al.department.name,
            clock=al.clock,
            deadline=al.deadline,
            at=now,
        )
        for al in alerts
    ]
    red_cases = {al.case_id: al.case for al in red}
    escalations: dict[int, tuple[int, int]] = {}
    if red_cases:
        district_codes = {c.area_path.split("/")[0] for c in red_cases.values()}
        districts = {a.code: a for a in Area.objects.filter(code__in=district_codes, level=Level.DISTRICT)}
        for case in red_cases.values():
            district = districts.get(case.area_path.split("/")[0])
            if case.center_level == Level.TOWN and district is not None:
                escalations[case.pk] = (case.center_id, district.pk)
                pending.append(
                    events.auto_escalated(
                        case_id=case.pk, status=case.status, from_center=case.center_id, to_center=district.pk, at=now
                    )
                )
        # Overdue and escalation in one write per case: the case table carries many indexes.
        targets = {case_id: to for case_id, (_from, to) in escalations.items()}
        already_overdue = mark_overdue(red_cases, now=now, escalate=targets)
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
    events.insert_many(pending)
    return escalations


def mark_overdue(case_ids: Iterable[int], *, now: datetime, escalate: dict[int, int] | None = None) -> set[int]:
    """The red alerts' cases become overdue (and those in `escalate` move to their new center) in
    one UPDATE, and those that were not overdue yet are counted as open and overdue. Returns the
    ids that were already overdue, which the caller escalates on their own (rare)."""
    ids = sorted(set(case_ids))
    if not ids:
        return set()
    escalate = escalate or {}
    by_target: dict[int, list[int]] = defaultdict(list)
    for case_id, to in escalate.items():
        by_target[to].append(case_id)
    center, params = "center_id", []
    if by_target:
        whens = []
        for to, targets in sorted(by_target.items()):
            whens.append(f"WHEN id IN ({', '.join(['%s'] * len(targets))}) THEN %s")
            params += [*sorted(targets), to]
        center = f"CASE {' '.join(whens)} ELSE center_id END"
    table = Case._meta.db_table
    sql = (
        f"UPDATE {table} SET overdue = %s, updated_at = %s, center_id = {center} "
        f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND NOT overdue RETURNING id, area_path, status"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, _moment(now), *params, *ids])
        flipped = cursor.fetchall()
    changes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _id, path, status in flipped:
        if status in OPEN_STATUSES:
            changes[path][1] += 1
    stats.count_open({path: tuple(d) for path, d in changes.items()})
    return set(ids) - {row[0] for row in flipped}


# ---------------------------------------------------------------------------------------------
# Stage clocks (issue 12): the center's accept, verify and feedback clocks and a supervision's
# reply clock lapse through the same alerts, events, overdue marks and escalations, exactly once
# per (stage clock, level).


@dataclass
class DueStage:
    """A due stage clock as the sweep reads it."""

    id: int
    case_id: int
    clock: str
    department_id: int | None
    warn_at: datetime | None
    deadline: datetime
    alert: str
    stopped_at: datetime | None
    next_deadline_at: datetime | None = None


STAGE_FIELDS = [f for f in DueStage.__dataclass_fields__ if f != "next_deadline_at"]


@transaction.atomic
def stage_clocks_lapse(*, due: list[DueStage], now: datetime, token: str) -> LapseResult:
    """超期 of stage clocks (locked by the caller): yellow at 80 %, red at the limit, with the same
    effects as a department's lapse. Only the alerts this call inserted have effects."""
    from .clocks import stage_next_look

    rows: list[tuple] = []
    for c in due:
        fired = []
        if c.stopped_at is None:
            if c.alert == "" and c.warn_at is not None and now >= c.warn_at:
                fired.append(AlertLevel.YELLOW)
            if c.alert != AlertLevel.RED and now >= c.deadline:
                fired.append(AlertLevel.RED)
        rows += [(c.case_id, c.id, c.department_id, c.clock, str(lvl), c.deadline, now, token) for lvl in fired]
        if fired:
            c.alert = str(fired[-1])
        c.next_deadline_at = stage_next_look(c)
    inserted = _insert_stage_alerts(rows)
    if due:
        StageClock.objects.bulk_update(
            [StageClock(pk=c.id, alert=c.alert, next_deadline_at=c.next_deadline_at) for c in due],
            ["alert", "next_deadline_at"],
        )
    result = LapseResult()
    if inserted:
        mine = [row for row in rows if (row[1], row[4]) in inserted]
        cases = {
            row[0]: LapsedCase(*row)
            for row in Case.objects.filter(pk__in={row[0] for row in mine}).values_list(
                "id", "number", "status", "urgency", "area_path", "center_id", "center__level"
            )
        }
        departments = {
            pk: SimpleNamespace(pk=pk, name=name)
            for pk, name in Department.objects.filter(pk__in={row[2] for row in mine if row[2]}).values_list(
                "id", "name"
            )
        }
        result.alerts = [
            LapsedAlert(
                pk=inserted[(stage, level)],
                case=cases[case_id],
                department=departments.get(department_id) or SimpleNamespace(pk=None, name=""),
                clock=clock,
                level=level,
                deadline=deadline,
                sweep=token,
            )
            for case_id, stage, department_id, clock, level, deadline, _now, _token in mine
        ]
        result.escalations = _apply(result.alerts, now=now)
    stats.touch(now)
    return result


def _insert_stage_alerts(rows: list[tuple]) -> dict[tuple[int, str], int]:
    """INSERT the stage clocks' alert rows, skipping those that exist; {(stage clock, level): id}."""
    table = DeadlineAlert._meta.db_table
    columns = "case_id, stage_clock_id, department_id, clock, level, deadline, created_at, sweep"
    inserted = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for case_id, stage, department, clock, level, deadline, at, sweep in chunk:
                params += [case_id, stage, department, clock, level, _moment(deadline), _moment(at), sweep]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "
                "ON CONFLICT DO NOTHING RETURNING id, stage_clock_id, level",
                params,
            )
            inserted.update({(stage, level): pk for pk, stage, level in cursor.fetchall()})
    return inserted
