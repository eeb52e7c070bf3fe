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
from datetime import UTC, datetime
from types import SimpleNamespace

from django.db import connection, transaction

from grids.models import Area, Department, Level

from .. import events, stats
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


@transaction.atomic
def cases_lapse(*, due: list[Due], now: datetime, token: str) -> LapseResult:
    """超期: the due clocks of `due` (locked by the caller) raise their yellow and red alerts.

    Red makes the case overdue, and a case still at a town center escalates to the district
    center. Only alerts this call inserted (tagged with `token`) have effects: exactly once.

    Set-based: the alerts are one `INSERT … SELECT` from the due assignments, the clocks one
    `UPDATE`, the timeline events one `INSERT … SELECT` from the inserted alerts, the cases one
    `UPDATE … FROM`; Python only reads what the notices need. The statement count does not depend
    on the size of the batch.
    """
    ids = sorted(a.id for a in due)
    result = LapseResult()
    if not ids:
        return result
    sql = _Sql(ids, now=now, token=token)
    if sql.pg:
        # A lapse is exactly-once and re-done by the next sweep if lost: its commit need not wait
        # for the WAL flush (a crash loses at most the last batches, which the next sweep repeats).
        sql.execute("SET LOCAL synchronous_commit TO OFF", [])
    inserted = sql.insert_alerts()
    sql.save_clocks()
    if inserted:
        result.alerts = _fired(inserted, sql)
        result.escalations = _apply(result.alerts, sql)
    stats.touch(now)
    return result


class _Sql:
    """The lapse's statements for one batch of due assignment ids, on PostgreSQL and SQLite."""

    def __init__(self, ids: list[int], *, now: datetime, token: str) -> None:
        self.ids = ids
        self.at = now
        self.now = _moment(now)
        self.token = token
        self.pg = connection.vendor == "postgresql"
        self.in_ids = f"IN ({', '.join(['%s'] * len(ids))})"
        self.alert = DeadlineAlert._meta.db_table
        self.assignment = Assignment._meta.db_table
        self.case = Case._meta.db_table

    def execute(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def first_component(self, column: str) -> str:
        """SQL for the first code of an area path (the district's code)."""
        if self.pg:
            return f"split_part({column}, '/', 1)"
        return f"substr({column}, 1, instr({column}, '/') - 1)"

    def insert_alerts(self) -> list[tuple]:
        """INSERT … SELECT the fired (clock, level) pairs of the due assignments, skipping those
        that exist; a red alert on a case at a town center names the district it escalates to.
        Returns the new rows (id, case, assignment, department, clock, level, deadline, escalated to)."""
        selects, params = [], []
        for status, clock, warn, deadline, alert in _CLOCKS:
            base = (
                f"SELECT case_id AS case_id, id AS assignment_id, department_id AS department_id, %s AS clock, "
                f"%s AS level, {deadline} AS deadline FROM {self.assignment} WHERE id {self.in_ids} AND status = %s"
            )
            # yellow: not yet warned and past the 80 % moment; red: not yet red and past the limit
            selects.append(f"{base} AND {alert} = '' AND {warn} IS NOT NULL AND {warn} <= %s")
            params += [str(clock), str(AlertLevel.YELLOW), *self.ids, str(status), self.now]
            selects.append(f"{base} AND {alert} <> 'red' AND {deadline} <= %s")
            params += [str(clock), str(AlertLevel.RED), *self.ids, str(status), self.now]
        area = Area._meta.db_table
        columns = "case_id, assignment_id, department_id, clock, level, deadline, created_at, sweep, escalated_to_id"
        # "WHERE true" resolves SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity.
        rows = self.execute(
            f"INSERT INTO {self.alert} ({columns}) "
            f"SELECT f.case_id, f.assignment_id, f.department_id, f.clock, f.level, f.deadline, %s, %s, "
            f"CASE WHEN f.level = %s AND ctr.level = %s THEN dist.id END "
            f"FROM ({' UNION ALL '.join(selects)}) AS f "
            f"JOIN {self.case} c ON c.id = f.case_id JOIN {area} ctr ON ctr.id = c.center_id "
            f"LEFT JOIN {area} dist ON dist.level = %s AND dist.code = {self.first_component('c.area_path')} "
            "WHERE true ON CONFLICT DO NOTHING "
            "RETURNING id, case_id, assignment_id, department_id, clock, level, deadline, escalated_to_id",
            [self.now, self.token, str(AlertLevel.RED), str(Level.TOWN), *params, str(Level.DISTRICT)],
        )
        if not self.pg:  # SQLite returns naive UTC moments; the notices want aware ones
            rows = [(*row[:6], _aware(row[6]), row[7]) for row in rows]
        return sorted(rows, key=lambda row: (row[2], row[4], row[5] == AlertLevel.RED))

    def save_clocks(self) -> None:
        """One UPDATE: each running clock's new alert level, the overdue mark and the next look
        (`disputes.deadlines.next_look`, written in SQL), from the locked rows' old values."""
        sets, params = [], []
        new_level = {}
        for status, _clock, warn, deadline, alert in _CLOCKS:
            new_level[alert] = (
                f"CASE WHEN {alert} <> 'red' AND {deadline} <= %s THEN 'red' "
                f"WHEN {alert} = '' AND {warn} IS NOT NULL AND {warn} <= %s THEN 'yellow' ELSE {alert} END"
            )
            sets.append(f"{alert} = CASE WHEN status = %s THEN {new_level[alert]} ELSE {alert} END")
            params += [str(status), self.now, self.now]
        overdue = " OR ".join(
            f"(status = %s AND {alert} <> 'red' AND {deadline} <= %s)" for status, _c, _w, deadline, alert in _CLOCKS
        )
        sets.append(f"overdue = (overdue OR {overdue})")
        for status, _clock, _warn, _deadline, _alert in _CLOCKS:
            params += [str(status), self.now]
        looks = []
        for status, _clock, warn, deadline, alert in _CLOCKS:
            level = new_level[alert]
            looks.append(
                f"WHEN status = %s THEN CASE WHEN ({level}) = '' AND {warn} IS NOT NULL "
                f"THEN CASE WHEN {warn} < {deadline} THEN {warn} ELSE {deadline} END "
                f"WHEN ({level}) <> 'red' THEN {deadline} END"
            )
            params += [str(status), self.now, self.now, self.now, self.now]
        sets.append(f"next_deadline_at = CASE {' '.join(looks)} END")
        self.execute(f"UPDATE {self.assignment} SET {', '.join(sets)} WHERE id {self.in_ids}", [*params, *self.ids])

    def read_cases(self, case_ids: set[int]) -> list[tuple]:
        """The alerted cases as the notices need them, with their center's level and their
        district; locked (PostgreSQL) so the overdue and escalation write below sees what it read."""
        area = Area._meta.db_table
        first = self.first_component("c.area_path")
        ids = sorted(case_ids)
        lock = " FOR UPDATE OF c" if self.pg else ""
        return self.execute(
            f"SELECT c.id, c.number, c.status, c.urgency, c.area_path, c.center_id, ctr.level, c.overdue, "
            f"(SELECT d.id FROM {area} d WHERE d.level = %s AND d.code = {first}) "
            f"FROM {self.case} c JOIN {area} ctr ON ctr.id = c.center_id "
            f"WHERE c.id IN ({', '.join(['%s'] * len(ids))}){lock}",
            [str(Level.DISTRICT), *ids],
        )

    def mark_cases(self, targets: dict[int, int]) -> None:
        """One UPDATE … FROM: the red cases become overdue and those escalated move to their district."""
        values = ", ".join(["(%s, %s)"] * len(targets))
        params = [v for case_id, to in sorted(targets.items()) for v in (case_id, to)]
        cast = (lambda expr: f"CAST({expr} AS bigint)") if self.pg else (lambda expr: expr)
        self.execute(
            f"WITH v(id, center_id) AS (VALUES {values}) "
            f"UPDATE {self.case} SET overdue = %s, updated_at = %s, center_id = {cast('v.center_id')} "
            f"FROM v WHERE {self.case}.id = {cast('v.id')}",
            [*params, True, self.now],
        )

    def fix_escalated_alerts(self, wrong: dict[int, int | None]) -> None:
        """Alerts whose case changed center between the INSERT and the case lock (a concurrent
        action, rare): name the center the lapse really moved them to (or none)."""
        for to in set(wrong.values()):
            ids = sorted(pk for pk, target in wrong.items() if target == to)
            self.execute(
                f"UPDATE {self.alert} SET escalated_to_id = %s WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [to, *ids],
            )


# (assignment status, clock, its warn column, its deadline column, its alert column)
_CLOCKS = (
    (AssignmentStatus.PENDING, Clock.SIGN, "sign_warn_at", "sign_deadline", "sign_alert"),
    (AssignmentStatus.SIGNED, Clock.HANDLE, "handle_warn_at", "handle_deadline", "handle_alert"),
)


def _moment(value: datetime | None):
    """A datetime as the database stores it (SQLite: naive UTC text), for raw SQL parameters."""
    return connection.ops.adapt_datetimefield_value(value)


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _fired(inserted: list[tuple], sql: _Sql) -> list[LapsedAlert]:
    """The inserted alerts with their cases and departments, read as values in two queries."""
    sql.escalated_to = {row[0]: row[7] for row in inserted}
    case_rows = sql.read_cases({row[1] for row in inserted})
    sql.case_state = {row[0]: (row[7], row[8]) for row in case_rows}  # overdue before, district id
    cases = {row[0]: LapsedCase(*row[:7]) for row in case_rows}
    departments = {
        pk: SimpleNamespace(pk=pk, name=name)
        for pk, name in Department.objects.filter(pk__in={row[3] for row in inserted}).values_list("id", "name")
    }
    return [
        LapsedAlert(
            pk=pk,
            case=cases[case_id],
            department=departments[department_id],
            clock=clock,
            level=level,
            deadline=deadline,
            sweep=sql.token,
        )
        for pk, case_id, _assignment, department_id, clock, level, deadline, _to in inserted
    ]


def _apply(alerts: list[LapsedAlert], sql: _Sql) -> dict[int, tuple[int, int]]:
    """Timeline events for every alert (one INSERT … SELECT); red ones mark their cases overdue and
    escalate those still at a town center (one UPDATE … FROM). Returns the escalations, case id →
    (from center, to center)."""
    events.insert_deadline_alerts(sweep=sql.token, assignment_ids=sql.ids, at=sql.now)
    red_cases = {al.case_id: al.case for al in alerts if al.level == AlertLevel.RED}
    escalations: dict[int, tuple[int, int]] = {}
    if not red_cases:
        return escalations
    targets: dict[int, int] = {}
    changes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pending = []
    for case in red_cases.values():
        was_overdue, district_id = sql.case_state[case.pk]
        to = case.center_id
        if case.center_level == Level.TOWN and district_id is not None:
            escalations[case.pk] = (case.center_id, district_id)
            to = district_id
            pending.append(
                events.auto_escalated(
                    case_id=case.pk, status=case.status, from_center=case.center_id, to_center=to, at=sql.at
                )
            )
        if not was_overdue or to != case.center_id:
            targets[case.pk] = to
        if not was_overdue and case.status in OPEN_STATUSES:
            changes[case.area_path][1] += 1
    if targets:
        sql.mark_cases(targets)
    for case_id, (_from, to) in escalations.items():
        red_cases[case_id].center_id = to
    wrong = {
        al.pk: escalations[al.case_id][1] if al.case_id in escalations else None
        for al in alerts
        if al.level == AlertLevel.RED
        and sql.escalated_to[al.pk] != (escalations[al.case_id][1] if al.case_id in escalations else None)
    }
    if wrong:
        sql.fix_escalated_alerts(wrong)
    events.insert_many(pending)
    stats.count_open({path: tuple(d) for path, d in changes.items()})
    return escalations


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
        result.escalations = _stage_apply(result.alerts, now=now)
    stats.touch(now)
    return result


def _insert_stage_alerts(rows: list[tuple]) -> dict[tuple[int, str], int]:
    """INSERT the stage clocks' alert rows, skipping those that exist; {(stage clock, level): id}."""
    table = DeadlineAlert._meta.db_table
    columns = "case_id, stage_clock_id, department_id, clock, level, deadline, created_at, sweep"
    inserted = {}
    with connection.cursor() as cursor:
        for chunk in _stage_chunks(rows):
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


def _stage_chunks(rows: list, size: int = 1000) -> Iterator[list]:
    """Rows per multi-row INSERT (SQLite allows 32,766 parameters per statement)."""
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _stage_apply(alerts: list[LapsedAlert], *, now: datetime) -> dict[int, tuple[int, int]]:
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
        already_overdue = _stage_mark_overdue(red_cases, now=now, escalate=targets)
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


def _stage_mark_overdue(case_ids: Iterable[int], *, now: datetime, escalate: dict[int, int] | None = None) -> set[int]:
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
