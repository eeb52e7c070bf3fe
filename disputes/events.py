"""Typed timeline events: one small function per kind of `CaseEvent` (after Saleor's `order/events.py`).

Every line of a case's timeline is written here, so what each kind carries in `data` is declared
once. The services call one function per action; the deadline sweep builds many rows at once with
`deadline_alert` and `auto_escalated` and writes them with `insert_many` (one multi-row INSERT per
chunk: a mass lapse is tens of thousands of rows).

Events store a kind and data, never a finished system sentence: `comment` holds only what a person
typed. What the system says about an event (an automatic escalation, a withdrawn co-department) is
rendered at read time in the reader's language by `system_note`, for the case page and the API alike.

A later workflow (mediation, legal aid, supervision) copies this shape: a `TextChoices` of kinds on
its event model, one function per kind here, and a `system_note` for what it says by itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Department, User

from .models import Assignment, Case, CaseEvent, CaseEventKind, Clock, Satisfaction

INSERT_CHUNK = 1000  # rows per multi-row INSERT (SQLite allows 32,766 parameters per statement)


def _record(
    case: Case,
    kind: CaseEventKind,
    *,
    by: User | None,
    from_status: str,
    comment: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=by,
        action=kind,
        from_status=from_status,
        to_status=case.status,
        comment=comment,
        data=data or {},
        created_at=at or timezone.now(),
    )


def _department(assignment: Assignment) -> dict:
    return {
        "department": assignment.department_id,
        "department_name": assignment.department.name,
        "role": assignment.role,
    }


# ---------------------------------------------------------------------------------------------
# One function per kind. `comment` is always what the person typed (or empty).


def case_created(case: Case, *, by: User, attachments: int, at: datetime) -> CaseEvent:
    data = {"area": case.area_id, "lat": case.lat, "lng": case.lng, "attachments": attachments}
    return _record(case, CaseEventKind.CREATE, by=by, from_status="", data=data, at=at)


def case_accepted(case: Case, *, by: User, from_status: str, comment: str) -> CaseEvent:
    return _record(case, CaseEventKind.ACCEPT, by=by, from_status=from_status, comment=comment)


def case_rejected(case: Case, *, by: User, from_status: str, reason: str) -> CaseEvent:
    return _record(case, CaseEventKind.REJECT, by=by, from_status=from_status, comment=reason)


def case_merged(case: Case, *, by: User, from_status: str, into: Case) -> CaseEvent:
    data = {"into": into.pk, "into_number": into.number}
    return _record(case, CaseEventKind.MERGE, by=by, from_status=from_status, data=data)


def case_resolved_on_site(case: Case, *, by: User, from_status: str, result: str) -> CaseEvent:
    return _record(case, CaseEventKind.RESOLVE_ON_SITE, by=by, from_status=from_status, comment=result)


def case_dispatched(
    case: Case,
    *,
    by: User,
    from_status: str,
    lead: Department,
    co: Iterable[Department],
    sign_deadline: datetime,
    handle_deadline: datetime,
    comment: str,
) -> CaseEvent:
    co = list(co)
    data = {
        "lead_department": lead.pk,
        "lead_department_name": lead.name,
        "co_departments": [d.pk for d in co],
        "co_department_names": [d.name for d in co],
        "sign_deadline": sign_deadline.isoformat(),
        "handle_deadline": handle_deadline.isoformat(),
    }
    return _record(case, CaseEventKind.DISPATCH, by=by, from_status=from_status, comment=comment, data=data)


def case_signed(case: Case, *, by: User, from_status: str, assignment: Assignment) -> CaseEvent:
    return _record(case, CaseEventKind.SIGN, by=by, from_status=from_status, data=_department(assignment))


def case_returned(
    case: Case, *, by: User, from_status: str, assignment: Assignment, reason_code: str, reason: str, withdrawn: int
) -> CaseEvent:
    """`withdrawn`: how many co-departments the lead's return withdrew (rendered by `system_note`)."""
    data = {**_department(assignment), "reason_code": reason_code, "withdrawn": withdrawn}
    return _record(case, CaseEventKind.RETURN, by=by, from_status=from_status, comment=reason, data=data)


def progress_noted(case: Case, *, by: User, from_status: str, assignment: Assignment, note: str) -> CaseEvent:
    data = {"department": assignment.department_id, "department_name": assignment.department.name}
    return _record(case, CaseEventKind.PROGRESS, by=by, from_status=from_status, comment=note, data=data)


def extension_requested(case: Case, *, by: User, from_status: str, days: int, reason: str) -> CaseEvent:
    return _record(
        case, CaseEventKind.REQUEST_EXTENSION, by=by, from_status=from_status, comment=reason, data={"days": days}
    )


def extension_approved(
    case: Case, *, by: User, from_status: str, days: int, handle_deadline: datetime, comment: str
) -> CaseEvent:
    data = {"days": days, "handle_deadline": handle_deadline.isoformat()}
    return _record(case, CaseEventKind.APPROVE_EXTENSION, by=by, from_status=from_status, comment=comment, data=data)


def extension_refused(case: Case, *, by: User, from_status: str, days: int, comment: str) -> CaseEvent:
    return _record(
        case, CaseEventKind.REFUSE_EXTENSION, by=by, from_status=from_status, comment=comment, data={"days": days}
    )


def co_department_reported(case: Case, *, by: User, from_status: str, assignment: Assignment, result: str) -> CaseEvent:
    data = {"department": assignment.department_id, "department_name": assignment.department.name}
    return _record(case, CaseEventKind.REPORT, by=by, from_status=from_status, comment=result, data=data)


def case_handled(case: Case, *, by: User, from_status: str, assignment: Assignment, result: str) -> CaseEvent:
    data = {"department": assignment.department_id, "department_name": assignment.department.name}
    return _record(case, CaseEventKind.HANDLE, by=by, from_status=from_status, comment=result, data=data)


def case_verified(case: Case, *, by: User, from_status: str, comment: str) -> CaseEvent:
    return _record(case, CaseEventKind.VERIFY, by=by, from_status=from_status, comment=comment)


def case_reworked(case: Case, *, by: User, from_status: str, reason: str) -> CaseEvent:
    return _record(case, CaseEventKind.REWORK, by=by, from_status=from_status, comment=reason)


def feedback_given(case: Case, *, by: User, from_status: str, satisfaction: str, comment: str) -> CaseEvent:
    data = {"satisfaction": satisfaction}
    return _record(case, CaseEventKind.FEEDBACK, by=by, from_status=from_status, comment=comment, data=data)


def resident_rated(case: Case, *, satisfaction: str, comment: str) -> CaseEvent:
    """The resident's own 回访 answer on /track/: a feedback event with no staff actor."""
    data = {"satisfaction": satisfaction, "by_resident": True}
    return _record(case, CaseEventKind.FEEDBACK, by=None, from_status=case.status, comment=comment, data=data)


def case_reopened(case: Case, *, by: User, from_status: str, reason: str) -> CaseEvent:
    return _record(case, CaseEventKind.REOPEN, by=by, from_status=from_status, comment=reason)


def case_closed(case: Case, *, by: User, from_status: str, comment: str, unreachable: bool = False) -> CaseEvent:
    data = {"unreachable": True} if unreachable else {}
    return _record(case, CaseEventKind.CLOSE, by=by, from_status=from_status, comment=comment, data=data)


def case_escalated(
    case: Case, *, by: User, from_status: str, from_center: int, to_center: int, reason: str
) -> CaseEvent:
    data = {"from_center": from_center, "to_center": to_center, "automatic": False}
    return _record(case, CaseEventKind.ESCALATE, by=by, from_status=from_status, comment=reason, data=data)


def case_reclassified(case: Case, *, by: User, before: dict, after: dict) -> CaseEvent:
    data = {"before": before, "after": after}
    return _record(case, CaseEventKind.RECLASSIFY, by=by, from_status=case.status, data=data)


def case_supervised(case: Case, *, by: User, from_status: str, supervision) -> CaseEvent:
    data = {
        "supervision": supervision.pk,
        "department": supervision.department_id,
        "department_name": supervision.department.name,
        "reply_within_hours": supervision.reply_within_hours,
        "deadline": supervision.clock.deadline.isoformat(),
    }
    return _record(case, CaseEventKind.SUPERVISE, by=by, from_status=from_status, comment=supervision.note, data=data)


def supervision_replied(case: Case, *, by: User, from_status: str, supervision) -> CaseEvent:
    data = {
        "supervision": supervision.pk,
        "department": supervision.department_id,
        "department_name": supervision.department.name,
    }
    return _record(case, CaseEventKind.REPLY, by=by, from_status=from_status, comment=supervision.reply_note, data=data)


# ---------------------------------------------------------------------------------------------
# The sweep's events, built as plain rows and written in bulk


class PendingEvent(NamedTuple):
    """A system event not yet written (no actor, no comment): what `insert_many` takes."""

    case_id: int
    kind: str
    status: str
    data: dict
    at: datetime


def deadline_alert(
    *,
    case_id: int,
    status: str,
    level: str,
    department_id: int | None,
    department_name: str,
    clock: str,
    deadline,
    at,
) -> PendingEvent:
    """黄灯预警 / 红灯督办: one clock of one department reached 80 % of its limit, or the limit."""
    kind = CaseEventKind.DEADLINE_RED if level == "red" else CaseEventKind.DEADLINE_YELLOW
    data = {
        "department": department_id,
        "department_name": department_name,
        "clock": clock,
        "deadline": deadline.isoformat(),
    }
    return PendingEvent(case_id, kind, status, data, at)


def auto_escalated(*, case_id: int, status: str, from_center: int, to_center: int, at) -> PendingEvent:
    """The sweep moved an overdue case from its town center to the district center."""
    data = {"from_center": from_center, "to_center": to_center, "automatic": True}
    return PendingEvent(case_id, CaseEventKind.ESCALATE, status, data, at)


def insert_deadline_alerts(*, sweep: str, assignment_ids: list[int], at) -> None:
    """The `deadline_alert` event of every alert the sweep `sweep` just inserted for these
    assignments, written by the database itself: one `INSERT … SELECT` from the alerts, with the
    same kinds and data as `deadline_alert` (the deadline as Python's `isoformat()` of a UTC moment).
    `at` is a moment as the database stores it (`connection.ops.adapt_datetimefield_value`)."""
    from .models import DeadlineAlert

    table, alerts = CaseEvent._meta.db_table, DeadlineAlert._meta.db_table
    cases, departments = Case._meta.db_table, Department._meta.db_table
    if connection.vendor == "postgresql":
        utc = "(al.deadline AT TIME ZONE 'UTC')"
        deadline = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {utc}) = {utc} "
            f"THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
        )
        data = f"jsonb_build_object('department', al.department_id, 'department_name', d.name, 'clock', al.clock, 'deadline', {deadline})"
    else:  # SQLite stores naive UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]"
        deadline = "replace(al.deadline, ' ', 'T') || '+00:00'"
        data = f"json_object('department', al.department_id, 'department_name', d.name, 'clock', al.clock, 'deadline', {deadline})"
    kind = f"CASE WHEN al.level = 'red' THEN '{CaseEventKind.DEADLINE_RED}' ELSE '{CaseEventKind.DEADLINE_YELLOW}' END"
    columns = "case_id, actor_id, action, from_status, to_status, comment, data, created_at"
    ids = ", ".join(["%s"] * len(assignment_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT al.case_id, NULL, {kind}, c.status, c.status, '', {data}, %s "
            f"FROM {alerts} al JOIN {cases} c ON c.id = al.case_id JOIN {departments} d ON d.id = al.department_id "
            f"WHERE al.sweep = %s AND al.assignment_id IN ({ids}) ORDER BY al.assignment_id, al.clock, al.level = 'red'",
            [at, sweep, *assignment_ids],
        )


def _chunks(rows: list, size: int = INSERT_CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_many(events: list[PendingEvent]) -> None:
    """Write system events with multi-row INSERTs (no model instances: a mass lapse is tens of
    thousands of rows)."""
    table = CaseEvent._meta.db_table
    columns = "case_id, actor_id, action, from_status, to_status, comment, data, created_at"
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for chunk in _chunks(events):
            values = ", ".join(["(%s, NULL, %s, %s, %s, '', %s, %s)"] * len(chunk))
            params: list = []
            for e in chunk:
                params += [
                    e.case_id,
                    str(e.kind),
                    e.status,
                    e.status,
                    json.dumps(e.data, ensure_ascii=False),
                    adapt(e.at),
                ]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)


# ---------------------------------------------------------------------------------------------
# Reading: rendered in the reader's language


def label(event: CaseEvent) -> str:
    """The event's name, with the resident's answer for a 回访."""
    try:
        text = str(CaseEventKind(event.action).label)
    except ValueError:
        text = event.action
    if event.action == CaseEventKind.FEEDBACK and event.data.get("satisfaction") in Satisfaction.values:
        text += f" · {Satisfaction(event.data['satisfaction']).label}"
    return text


def system_note(event: CaseEvent) -> str:
    """What the system says about the event, rendered now (never stored as a sentence)."""
    data = event.data or {}
    if event.action == CaseEventKind.ESCALATE and data.get("automatic"):
        return _("超期自动上报区级社会治理中心")
    if event.action == CaseEventKind.CLOSE and data.get("unreachable"):
        return _("无法回访:未能联系到群众")
    if event.action == CaseEventKind.SUPERVISE and data.get("department_name"):
        return _("督办 %(department)s,%(hours)s 个工作小时内回复") % {
            "department": data["department_name"],
            "hours": data.get("reply_within_hours", ""),
        }
    if event.action in (CaseEventKind.DEADLINE_YELLOW, CaseEventKind.DEADLINE_RED) and data.get("clock") in (
        "accept",
        "verify",
        "feedback",
    ):
        return _("中心%(clock)s时限") % {"clock": Clock(data["clock"]).label}
    if event.action == CaseEventKind.RETURN and data.get("withdrawn"):
        return _("主办部门已退单,%(count)s 个协办部门一并撤回") % {"count": data["withdrawn"]}
    return ""
