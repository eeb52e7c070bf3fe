"""Case actions. One function per domain action, shared by the HTML views and the API.

Each action runs in one transaction on a row-locked case, re-checks the transition table on the
locked row (so a double click or two dispatchers at once give one transition), applies the table's
target state and writes exactly one timeline event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from secrets import token_hex

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from grids.geo import locate_id
from grids.models import Area, Department, Level, Patrol, Role, User
from grids.selectors import get_scope
from grids.services import patrol_case_reported

from .. import deadlines, events, resident_sms, stats
from ..announce import announce, announce_co_withdrew, announce_reporter, announce_supervision
from ..models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    AttachmentPhase,
    Case,
    CaseNumberSequence,
    Category,
    Clock,
    ExtensionRequest,
    ExtensionStatus,
    Kind,
    ReturnReason,
    Satisfaction,
    Source,
    Status,
    Supervision,
    Urgency,
)
from ..selectors import may_report, may_report_in
from ..uploads import validate_uploads
from ..workflow import ActionNotAllowed, authorize, target_of
from .clocks import clock_start, clock_stop, clocks_recompute, first_clock, running_deadlines

# What dispatch grants a department's group on the case (read by selectors.cases_visible_to).
CASE_PERMISSIONS = ("view_case",)


# ---------------------------------------------------------------------------------------------
# Helpers shared by the actions


def _next_number(now: datetime) -> str:
    """Date plus a per-day sequence, e.g. 20261121-0042. The counter row is locked by the UPDATE
    until the transaction commits, so numbers are unique and never reused."""
    day = timezone.localdate(now)
    for _attempt in range(3):
        if CaseNumberSequence.objects.filter(day=day).update(last=F("last") + 1):
            break
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(day=day, last=1)
            break
        except IntegrityError:
            continue
    last = CaseNumberSequence.objects.get(day=day).last
    return f"{day:%Y%m%d}-{last:04d}"


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock, with what the transition table's guards look at."""
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("center", "category", "area")
        .prefetch_related("assignments__department", "extensions", "supervisions")
        .get(pk=case.pk)
    )
    locked._open_state = stats.open_state(locked)  # what `_save` compares against
    return locked


def _begin(case: Case, by: User, action: str) -> tuple[Case, Assignment | None, str]:
    """Lock the case, check the action against the table on the locked row, and mark today's
    figures stale (every action changes what happened today)."""
    locked = _lock(case)
    assignment = authorize(by, locked, action)
    stats.touch()
    return locked, assignment, locked.status


def _apply_target(case: Case, action: str, assignment: Assignment | None = None) -> None:
    """Move the case to the table's target state for this action (computed for sign and return)."""
    target = target_of(action, case, assignment)
    if target is not None:
        case.status = target


def _save(case: Case, *fields: str) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "updated_at"])
    # Opening, closing and lapsing move the "open now" counts; the locked row knows the state before.
    stats.case_changed(case, case._open_state)
    case._open_state = stats.open_state(case)


def refresh_clocks(case: Case) -> None:
    """Recompute the moments the deadline sweep must look at, for the case and its assignments.

    A pending assignment runs its sign-in clock; a signed one runs its handling clock. Signing in,
    or finishing, stops the clock concerned. Each clock is looked at twice: at 80 % of its limit
    (yellow) and at the limit (red). The sweep finds due work through `next_deadline_at`.
    """
    assignments = list(Assignment.objects.filter(case=case))  # fresh: the locked case's prefetch may be stale
    calendar = deadlines.WorkingCalendar()
    changed = []
    for a in assignments:
        before = (a.sign_warn_at, a.handle_warn_at, a.next_deadline_at)
        if a.active:
            a.sign_warn_at = a.sign_warn_at or deadlines.warn_at(a.dispatched_at, a.sign_deadline, calendar)
            a.handle_warn_at = deadlines.warn_at(a.dispatched_at, a.handle_deadline, calendar)
        a.next_deadline_at = deadlines.next_look(a)
        if (a.sign_warn_at, a.handle_warn_at, a.next_deadline_at) != before:
            changed.append(a)
    if changed:
        Assignment.objects.bulk_update(changed, ["sign_warn_at", "handle_warn_at", "next_deadline_at"])
    active = [a for a in assignments if a.active]
    lead = next((a for a in active if a.role == AssignmentRole.LEAD), None)
    if lead is not None:
        case.sign_deadline = lead.sign_deadline
        case.handle_deadline = lead.handle_deadline
    clocks = [a.sign_deadline if a.status == AssignmentStatus.PENDING else a.handle_deadline for a in active]
    clocks += running_deadlines(case)  # the center's clocks and a supervision's reply clock
    case.next_deadline_at = min(clocks) if clocks else None
    case.save(update_fields=["next_deadline_at", "sign_deadline", "handle_deadline"])


def _sync_department_access(case: Case) -> None:
    """Departments with an assignment that was not returned keep object permissions on the case;
    a department whose every assignment was returned loses them."""
    keep, drop = set(), set()
    for a in case.assignments.select_related("department__group"):
        if a.status == AssignmentStatus.RETURNED:
            drop.add(a.department)
        else:
            keep.add(a.department)
    for department in keep:
        for perm in CASE_PERMISSIONS:
            assign_perm(f"disputes.{perm}", department.group, case)
    for department in drop - keep:
        for perm in CASE_PERMISSIONS:
            remove_perm(f"disputes.{perm}", department.group, case)


def _town_of(area: Area) -> Area | None:
    if area.level == Level.TOWN:
        return area
    if area.level == Level.DISTRICT:
        return None
    codes = area.ancestor_codes
    return Area.objects.filter(code__in=codes, level=Level.TOWN).first()


def _district_of(area: Area) -> Area:
    if area.level == Level.DISTRICT:
        return area
    return Area.objects.get(code=area.ancestor_codes[0])


def _store(case: Case, by: User, files: Sequence, validated: Sequence, *, phase: str) -> None:
    for f, info in zip(files, validated, strict=True):
        token = token_hex(16)
        attachment = Attachment(
            case=case,
            token=token,
            phase=phase,
            original_name=getattr(f, "name", "upload")[:200],
            content_type=info.content_type,
            extension=info.extension,
            size=info.size,
            uploaded_by=by,
        )
        attachment.file.save(f"{token}.{info.extension}", f, save=False)
        attachment.save()


def _attach(case: Case, by: User, files: Sequence, *, phase: str) -> None:
    """Photos taken with an action (handling, resolving on site, verifying: "after" photos)."""
    files = [f for f in files if f]
    if not files:
        return
    try:
        validated = validate_uploads(files)
    except ValidationError as exc:
        raise ValidationError({"photos": exc.messages}) from exc
    _store(case, by, files, validated, phase=phase)


# ---------------------------------------------------------------------------------------------
# Intake


def _route_and_number(lat: float, lng: float, now: datetime) -> tuple[Area | None, Area | None, str | None]:
    """(micro-grid, its town, the next case number) for a pin, in one round trip on PostgreSQL:
    the counter upsert, the routing index's version check, the area and its town in one
    statement. None for the number means "take it later" (SQLite, or a pin outside every grid).
    The counter row stays locked until the intake commits, like `_next_number`'s."""
    from django.db import connection

    from grids.geo import VERSION_SQL, locate_id_unchecked

    routed_id, version = locate_id_unchecked(lat, lng)
    if connection.vendor != "postgresql" or routed_id is None:
        routed_id = locate_id(lat, lng)
        return (Area.objects.get(pk=routed_id) if routed_id else None), None, None
    columns = [f.column for f in Area._meta.concrete_fields]
    area_cols = ", ".join(f"a.{c}" for c in columns)
    town_cols = ", ".join(f"t.{c}" for c in columns)
    sequence = CaseNumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH n AS (INSERT INTO {sequence} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {sequence}.last + 1 RETURNING last), "
            f"v AS ({VERSION_SQL}) "
            f"SELECT n.last, v.count, v.max, {area_cols}, {town_cols} FROM n CROSS JOIN v "
            "LEFT JOIN grids_area a ON a.id = %s "
            "LEFT JOIN grids_area t ON t.level = %s AND t.code = split_part(a.path, '/', 2) AND a.level <> %s",
            [timezone.localdate(now), routed_id, str(Level.TOWN), str(Level.DISTRICT)],
        )
        row = cursor.fetchone()
    last, count, latest = row[:3]
    if (count, latest) != version:  # boundaries changed in another process: route again
        from grids import geo

        geo.invalidate()
        routed_id = locate_id(lat, lng)
        area = Area.objects.get(pk=routed_id) if routed_id else None
        return area, (_town_of(area) if area else None), f"{timezone.localdate(now):%Y%m%d}-{last:04d}"
    fields = Area._meta.concrete_fields

    def area_of(values) -> Area | None:
        if values[0] is None:
            return None
        converted = [
            f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
            for f, v in zip(fields, values, strict=True)
        ]
        return Area.from_db(connection.alias, [f.attname for f in fields], converted)

    area, town = area_of(row[3 : 3 + len(fields)]), area_of(row[3 + len(fields) :])
    return area, town, f"{timezone.localdate(now):%Y%m%d}-{last:04d}"


def _reporter_source(by: User) -> str:
    scope = get_scope(by)
    if scope.has_role(Role.GRID_WORKER, Role.GRID_CHIEF):
        return Source.GRID_WORKER
    return Source.HOTLINE


@transaction.atomic
def case_create(
    *,
    by: User,
    category: Category,
    description: str,
    urgency: str = Urgency.NORMAL,
    lat: float | None = None,
    lng: float | None = None,
    area: Area | None = None,
    title: str = "",
    address: str = "",
    kind: str | None = None,
    source: str | None = None,
    involved_people: str = "",
    involved_residents: Sequence = (),
    files: Sequence = (),
    patrol: Patrol | None = None,
) -> Case:
    """上报: a grid worker (or a hotline operator at a center) reports a case.

    A map pin routes it to the micro-grid containing the point; without a pin the reporter picks
    an area. The case goes to the town center over that area.
    """
    if not may_report(by):
        raise ActionNotAllowed(_("您的角色不能上报事项"))
    errors: dict[str, list[str]] = {}
    if not description or not description.strip():
        errors.setdefault("description", []).append(_("请填写事项描述"))
    if urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("紧急程度无效"))
    if not category.active:
        errors.setdefault("category", []).append(_("该分类已停用"))
    if (lat is None) != (lng is None):
        errors.setdefault("lat" if lat is None else "lng", []).append(_("经纬度需同时填写"))
    town = number = None
    now = timezone.now()
    if lat is not None and lng is not None:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            errors.setdefault("lat", []).append(_("坐标超出范围"))
        else:
            # One round trip (PostgreSQL): the routed micro-grid, its town and the next number.
            # A failed check below raises, and the atomic block gives the number back.
            area, town, number = _route_and_number(lat, lng, now)
            if area is None:
                errors.setdefault("lat", []).append(_("该位置不在本区任何网格内"))
            else:
                if not may_report_in(by, area):
                    errors.setdefault("lat", []).append(_("该位置不在您可上报的网格内"))
    elif area is None:
        errors.setdefault("area", []).append(_("请在地图上标注位置,或选择所属区域"))
    elif not may_report_in(by, area):
        errors.setdefault("area", []).append(_("您不能向该区域上报事项"))
    validated = []
    try:
        validated = validate_uploads(list(files))
    except ValidationError as exc:
        errors.setdefault("photos", []).extend(exc.messages)
    if patrol is not None and (patrol.worker_id != by.pk or not patrol.open):
        errors.setdefault("patrol", []).append(_("只能在本人进行中的巡查中上报"))
    if errors:
        raise ValidationError(errors)

    if number is None:
        town = _town_of(area)
        number = _next_number(now)
    accept = first_clock(category=category, urgency=urgency, clock=Clock.ACCEPT, now=now)  # 受理时限
    case = Case.objects.create(
        number=number,
        kind=kind or category.kind,
        category=category,
        title=title.strip(),
        description=description.strip(),
        lat=lat,
        lng=lng,
        address=address.strip(),
        area=area,
        area_path=area.path,
        town=town,
        urgency=urgency,
        source=source or (Source.PATROL if patrol is not None else _reporter_source(by)),
        reporter=by,
        patrol=patrol,
        involved_people=involved_people.strip(),
        center=town or _district_of(area),
        next_deadline_at=accept.deadline,
        created_at=now,
        updated_at=now,
    )
    accept.case = case
    accept.save()
    stats.count_open({case.area_path: stats.open_state(case)})
    if patrol is not None:
        patrol_case_reported(patrol=patrol)
    if involved_residents:
        case.involved_residents.set(involved_residents)
    _store(case, by, files, validated, phase=AttachmentPhase.BEFORE)
    stats.touch(now)
    events.case_created(case, by=by, attachments=len(validated), at=now)
    return case


# ---------------------------------------------------------------------------------------------
# Center: accept, reject, merge, dispatch, extensions, verify, rework, feedback, reopen, close, escalate


@transaction.atomic
def case_accept(*, case: Case, by: User, comment: str = "") -> Case:
    """受理: the center takes the case on."""
    case, _a, before = _begin(case, by, "accept")
    _apply_target(case, "accept")
    _save(case, "status")
    clock_stop(case=case, clocks=[Clock.ACCEPT])
    event = events.case_accepted(case, by=by, from_status=before, comment=comment)
    announce_reporter(case, "accept", by=by, event_id=event.pk)
    resident_sms.queue(case, "accepted")  # a resident who left a phone on /report/ hears back
    return case


@transaction.atomic
def case_reject(*, case: Case, by: User, reason: str) -> Case:
    """不予受理: the center declines the case, with a reason."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": [_("请填写不予受理的理由")]})
    case, _a, before = _begin(case, by, "reject")
    _apply_target(case, "reject")
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    clock_stop(case=case, clocks=[Clock.ACCEPT])
    events.case_rejected(case, by=by, from_status=before, reason=reason.strip())
    return case


@transaction.atomic
def case_merge(*, case: Case, by: User, into: Case) -> Case:
    """Merge a duplicate report into the case it repeats."""
    case, _a, before = _begin(case, by, "merge")
    if into.pk == case.pk:
        raise ValidationError({"into": [_("不能合并到自身")]})
    if into.status in (Status.MERGED, Status.REJECTED):
        raise ValidationError({"into": [_("目标事项已合并或不予受理")]})
    _apply_target(case, "merge")
    case.merged_into = into
    case.closed_at = timezone.now()
    _save(case, "status", "merged_into", "closed_at")
    clock_stop(case=case, clocks=[Clock.ACCEPT])
    events.case_merged(case, by=by, from_status=before, into=into)
    return case


def _check_departments(case: Case, lead: Department | None, co: Sequence[Department]) -> None:
    errors: dict[str, list[str]] = {}
    if lead is None:
        errors["lead_department"] = [_("请选择主办部门")]
    elif not case.area_path.startswith(lead.area.path):
        errors["lead_department"] = [_("%(name)s 不服务于该事项所在区域") % {"name": lead.name}]
    bad = [d.name for d in co if not case.area_path.startswith(d.area.path)]
    if bad:
        errors["co_departments"] = [_("%(names)s 不服务于该事项所在区域") % {"names": "、".join(bad)}]
    if lead is not None and any(d.pk == lead.pk for d in co):
        errors.setdefault("co_departments", []).append(_("主办部门不能同时是协办部门"))
    if len({d.pk for d in co}) != len(co):
        errors.setdefault("co_departments", []).append(_("协办部门重复"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_dispatch(
    *,
    case: Case,
    by: User,
    lead_department: Department | None,
    co_departments: Sequence[Department] = (),
    comment: str = "",
) -> Case:
    """吹哨: the center dispatches the case to a lead department and optional co-departments.

    Each assignment starts its sign-in clock; the departments' staff get object permissions.
    """
    case, _a, before = _begin(case, by, "dispatch")
    co_departments = list(co_departments)
    _check_departments(case, lead_department, co_departments)
    now = timezone.now()
    sign_deadline, handle_deadline = deadlines.for_dispatch(case.category, case.urgency, now)
    for department, role in [(lead_department, AssignmentRole.LEAD)] + [(d, AssignmentRole.CO) for d in co_departments]:
        Assignment.objects.create(
            case=case,
            department=department,
            role=role,
            dispatched_at=now,
            sign_deadline=sign_deadline,
            handle_deadline=handle_deadline,
        )
    _apply_target(case, "dispatch")
    case.dispatched_at = now
    case.overdue = False
    _save(case, "status", "dispatched_at", "overdue")
    refresh_clocks(case)
    _sync_department_access(case)
    event = events.case_dispatched(
        case,
        by=by,
        from_status=before,
        lead=lead_department,
        co=co_departments,
        sign_deadline=sign_deadline,
        handle_deadline=handle_deadline,
        comment=comment,
    )
    announce(
        case, "dispatch", department_ids=[lead_department.pk, *(d.pk for d in co_departments)], by=by, event_id=event.pk
    )
    return case


@transaction.atomic
def case_approve_extension(*, case: Case, by: User, comment: str = "") -> Case:
    """Approve the pending 延期 request: the handling deadline moves by the requested working days."""
    case, _a, before = _begin(case, by, "approve_extension")
    stats.invalidate_case(case)  # it may change what finished days counted
    request = case.extensions.get(status=ExtensionStatus.PENDING)
    assignment = request.assignment
    new_deadline = deadlines.extend(assignment.handle_deadline, request.days)
    assignment.handle_deadline = new_deadline
    assignment.save(update_fields=["handle_deadline"])
    request.status = ExtensionStatus.APPROVED
    request.decided_by, request.decided_at, request.comment = by, timezone.now(), comment
    request.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    refresh_clocks(case)
    stats.invalidate_case(case)
    events.extension_approved(
        case, by=by, from_status=before, days=request.days, handle_deadline=new_deadline, comment=comment
    )
    return case


@transaction.atomic
def case_refuse_extension(*, case: Case, by: User, comment: str = "") -> Case:
    """Refuse the pending 延期 request; the deadline stays."""
    case, _a, before = _begin(case, by, "refuse_extension")
    request = case.extensions.get(status=ExtensionStatus.PENDING)
    request.status = ExtensionStatus.REFUSED
    request.decided_by, request.decided_at, request.comment = by, timezone.now(), comment
    request.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    events.extension_refused(case, by=by, from_status=before, days=request.days, comment=comment)
    return case


@transaction.atomic
def case_verify(*, case: Case, by: User, comment: str = "", files: Sequence = ()) -> Case:
    """核查: the center or the grid worker checks on site that the work is done."""
    case, _a, before = _begin(case, by, "verify")
    _apply_target(case, "verify")
    _save(case, "status")
    clock_stop(case=case, clocks=[Clock.VERIFY])
    clock_start(case=case, clock=Clock.FEEDBACK)
    _attach(case, by, files, phase=AttachmentPhase.AFTER)
    events.case_verified(case, by=by, from_status=before, comment=comment)
    return case


@transaction.atomic
def case_rework(*, case: Case, by: User, reason: str) -> Case:
    """返工: the work was not done; back to the lead department."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": [_("请填写返工理由")]})
    case, _a, before = _begin(case, by, "rework")
    stats.invalidate_case(case)  # it may change what finished days counted
    lead = case.assignments.filter(role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED).order_by("-id").first()
    if lead is not None:
        lead.status, lead.finished_at = AssignmentStatus.SIGNED, None
        lead.save(update_fields=["status", "finished_at"])
    _apply_target(case, "rework")
    case.handled_at = None
    _save(case, "status", "handled_at")
    refresh_clocks(case)
    clock_stop(case=case, clocks=[Clock.VERIFY])
    events.case_reworked(case, by=by, from_status=before, reason=reason.strip())
    return case


@transaction.atomic
def case_feedback(*, case: Case, by: User, satisfaction: str, comment: str = "") -> Case:
    """回访: the resident's satisfaction, as recorded by the center."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": [_("请选择满意度")]})
    case, _a, before = _begin(case, by, "feedback")
    stats.invalidate_case(case)  # it may change what finished days counted
    case.satisfaction = satisfaction
    case.feedback_unreachable = False
    _save(case, "satisfaction", "feedback_unreachable")
    clock_stop(case=case, clocks=[Clock.FEEDBACK])
    events.feedback_given(case, by=by, from_status=before, satisfaction=satisfaction, comment=comment)
    return case


@transaction.atomic
def case_reopen(*, case: Case, by: User, reason: str) -> Case:
    """Dissatisfied feedback: the center reopens the case for a new dispatch."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": [_("请填写重新办理的理由")]})
    case, _a, before = _begin(case, by, "reopen")
    stats.invalidate_case(case)  # it may change what finished days counted
    _apply_target(case, "reopen")
    case.handled_at = None
    _save(case, "status", "handled_at")
    clock_stop(case=case, clocks=[Clock.FEEDBACK])
    events.case_reopened(case, by=by, from_status=before, reason=reason.strip())
    return case


@transaction.atomic
def case_close(*, case: Case, by: User, comment: str = "", unreachable: bool = False) -> Case:
    """结案: the case is closed and archived. It needs the feedback step (回访), or the explicit
    reason that the resident could not be reached (无法回访), which the figures count apart."""
    case, _a, before = _begin(case, by, "close")
    if not case.satisfaction and not unreachable:
        raise ValidationError({"unreachable": [_("请先回访;无法联系到群众时请勾选“无法回访”")]})
    _apply_target(case, "close")
    case.closed_at = timezone.now()
    case.next_deadline_at = None
    case.feedback_unreachable = bool(unreachable and not case.satisfaction)
    _save(case, "status", "closed_at", "next_deadline_at", "feedback_unreachable")
    clock_stop(case=case, clocks=list(Clock))
    event = events.case_closed(case, by=by, from_status=before, comment=comment, unreachable=case.feedback_unreachable)
    announce_reporter(case, "close", by=by, event_id=event.pk)
    resident_sms.queue(case, "closed")
    return case


@transaction.atomic
def case_escalate(*, case: Case, by: User, reason: str) -> Case:
    """上报: the town center hands the case to the district center, whose staff then act on it.

    (The deadline sweep escalates overdue cases itself, in bulk: disputes/sweep.py.)
    """
    if not reason or not reason.strip():
        raise ValidationError({"reason": [_("请填写上报理由")]})
    case, _a, before = _begin(case, by, "escalate")
    district = _district_of(case.center)
    previous = case.center
    case.center = district
    _save(case, "center")
    event = events.case_escalated(
        case, by=by, from_status=before, from_center=previous.pk, to_center=district.pk, reason=reason.strip()
    )
    announce(case, "escalate", by=by, event_id=event.pk)
    return case


# ---------------------------------------------------------------------------------------------
# Grid worker


@transaction.atomic
def case_resolve_on_site(*, case: Case, by: User, result: str, files: Sequence = ()) -> Case:
    """就地化解: 小事不出网格 — the grid worker settles a small matter at once; it still gets feedback."""
    if not result or not result.strip():
        raise ValidationError({"result": [_("请填写化解情况")]})
    case, _a, before = _begin(case, by, "resolve_on_site")
    _apply_target(case, "resolve_on_site")
    case.handled_at = timezone.now()
    _save(case, "status", "handled_at")
    clock_stop(case=case, clocks=[Clock.ACCEPT])
    clock_start(case=case, clock=Clock.FEEDBACK)
    _attach(case, by, files, phase=AttachmentPhase.AFTER)
    events.case_resolved_on_site(case, by=by, from_status=before, result=result.strip())
    return case


# ---------------------------------------------------------------------------------------------
# Departments: sign, return, progress, request an extension, report, handle


@transaction.atomic
def case_sign(*, case: Case, by: User) -> Case:
    """签收/报到: the department reports in. When the lead signs, the case is in progress."""
    case, assignment, before = _begin(case, by, "sign")
    now = timezone.now()
    assignment.status, assignment.signed_at = AssignmentStatus.SIGNED, now
    assignment.save(update_fields=["status", "signed_at"])
    if target_of("sign", case, assignment) is not None:
        _apply_target(case, "sign", assignment)
        _save(case, "status")
    refresh_clocks(case)
    events.case_signed(case, by=by, from_status=before, assignment=assignment)
    return case


@transaction.atomic
def case_return(*, case: Case, by: User, reason_code: str, reason: str) -> Case:
    """退单: the department hands the case back, with a reason.

    The lead's return sends the case back to the center (accepted) and withdraws the
    co-departments still working; a co-department's return ends only its own assignment.
    """
    errors = {}
    if reason_code not in ReturnReason.values or reason_code == ReturnReason.WITHDRAWN:
        errors["reason_code"] = [_("请选择退单原因")]
    if not reason or not reason.strip():
        errors["reason"] = [_("请填写退单说明")]
    if errors:
        raise ValidationError(errors)
    case, assignment, before = _begin(case, by, "return")
    stats.invalidate_case(case)  # it may change what finished days counted
    now = timezone.now()
    assignment.status, assignment.finished_at = AssignmentStatus.RETURNED, now
    assignment.return_reason_code, assignment.return_reason = reason_code, reason.strip()
    assignment.save(update_fields=["status", "finished_at", "return_reason_code", "return_reason"])
    withdrawn = 0
    if assignment.role == AssignmentRole.LEAD:
        withdrawn = case.assignments.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
            status=AssignmentStatus.RETURNED, finished_at=now, return_reason_code=ReturnReason.WITHDRAWN
        )
        # Dropped, decided by nobody (the timeline's return event says why, in the reader's language).
        case.extensions.filter(status=ExtensionStatus.PENDING).update(status=ExtensionStatus.REFUSED, decided_at=now)
    _apply_target(case, "return", assignment)
    case.return_count += 1
    _save(case, "status", "return_count")
    refresh_clocks(case)
    _sync_department_access(case)
    event = events.case_returned(
        case,
        by=by,
        from_status=before,
        assignment=assignment,
        reason_code=reason_code,
        reason=reason.strip(),
        withdrawn=withdrawn,
    )
    if assignment.role == AssignmentRole.LEAD:
        announce(case, "return", by=by, event_id=event.pk)
    else:  # a co-department's part ends; the lead works on, nothing to re-dispatch
        announce_co_withdrew(case, department=assignment.department, by=by, event_id=event.pk)
    return case


@transaction.atomic
def case_progress(*, case: Case, by: User, note: str) -> Case:
    """A progress note on the timeline (办理进展)."""
    if not note or not note.strip():
        raise ValidationError({"note": [_("请填写进展情况")]})
    case, assignment, before = _begin(case, by, "progress")
    events.progress_noted(case, by=by, from_status=before, assignment=assignment, note=note.strip())
    return case


@transaction.atomic
def case_request_extension(*, case: Case, by: User, days: int, reason: str) -> Case:
    """延期申请: the lead department asks the center for more working days."""
    errors = {}
    if not isinstance(days, int) or not 1 <= days <= 30:
        errors["days"] = [_("延期天数须在 1 到 30 个工作日之间")]
    if not reason or not reason.strip():
        errors["reason"] = [_("请填写延期理由")]
    if errors:
        raise ValidationError(errors)
    case, assignment, before = _begin(case, by, "request_extension")
    ExtensionRequest.objects.create(case=case, assignment=assignment, days=days, reason=reason.strip(), requested_by=by)
    event = events.extension_requested(case, by=by, from_status=before, days=days, reason=reason.strip())
    announce(case, "request_extension", by=by, event_id=event.pk)
    return case


@transaction.atomic
def case_report(*, case: Case, by: User, result: str) -> Case:
    """协办反馈: a co-department's contribution is done."""
    if not result or not result.strip():
        raise ValidationError({"result": [_("请填写协办结果")]})
    case, assignment, before = _begin(case, by, "report")
    assignment.status, assignment.finished_at, assignment.result = (
        AssignmentStatus.REPORTED,
        timezone.now(),
        result.strip(),
    )
    assignment.save(update_fields=["status", "finished_at", "result"])
    refresh_clocks(case)
    events.co_department_reported(case, by=by, from_status=before, assignment=assignment, result=result.strip())
    return case


@transaction.atomic
def case_handle(*, case: Case, by: User, result: str, files: Sequence = ()) -> Case:
    """办结: the lead department finishes. Allowed only once every co-department reported or returned."""
    if not result or not result.strip():
        raise ValidationError({"result": [_("请填写办理结果")]})
    case, assignment, before = _begin(case, by, "handle")
    now = timezone.now()
    assignment.status, assignment.finished_at, assignment.result = AssignmentStatus.HANDLED, now, result.strip()
    assignment.save(update_fields=["status", "finished_at", "result"])
    _apply_target(case, "handle")
    case.handled_at = now
    _save(case, "status", "handled_at")
    refresh_clocks(case)
    clock_start(case=case, clock=Clock.VERIFY, now=now)
    _attach(case, by, files, phase=AttachmentPhase.AFTER)
    event = events.case_handled(case, by=by, from_status=before, assignment=assignment, result=result.strip())
    announce(case, "handle", by=by, event_id=event.pk)
    announce_reporter(case, "handle", by=by, event_id=event.pk)
    return case


# ---------------------------------------------------------------------------------------------
# Classification changes recompute the clocks


@transaction.atomic
def case_reclassify(*, case: Case, by: User, category: Category | None = None, urgency: str | None = None) -> Case:
    """The center corrects the category or urgency; running clocks are recomputed from dispatch."""
    case, _a, _before = _begin(case, by, "reclassify")
    if urgency is not None and urgency not in Urgency.values:
        raise ValidationError({"urgency": [_("紧急程度无效")]})
    before = {"category": case.category_id, "urgency": case.urgency}
    stats.invalidate_case(case)  # the days it counted under the old category and limits
    case.category = category or case.category
    case.urgency = urgency or case.urgency
    _save(case, "category", "urgency")
    for a in case.assignments.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES):
        a.sign_deadline, a.handle_deadline = deadlines.for_dispatch(case.category, case.urgency, a.dispatched_at)
        a.sign_warn_at = None  # recomputed from the new limit
        a.save(update_fields=["sign_deadline", "handle_deadline", "sign_warn_at"])
    refresh_clocks(case)
    clocks_recompute(case=case)
    stats.invalidate_case(case)  # and the days of its new limits
    events.case_reclassified(case, by=by, before=before, after={"category": case.category_id, "urgency": case.urgency})
    return case


# ---------------------------------------------------------------------------------------------
# Supervision (督办) by hand and the department's reply

SUPERVISION_NOTE_MAX = 500
REPLY_HOURS_MAX = 240


@transaction.atomic
def case_supervise(*, case: Case, by: User, note: str, reply_within_hours: int) -> Case:
    """督办: an official or a center above the case demands a reply from the lead department
    within `reply_within_hours` working hours; the reply clock lapses like any other clock."""
    errors: dict[str, list[str]] = {}
    if not note or not note.strip():
        errors["note"] = [_("请填写督办意见")]
    elif len(note.strip()) > SUPERVISION_NOTE_MAX:
        errors["note"] = [_("督办意见不能超过 %(max)s 字") % {"max": SUPERVISION_NOTE_MAX}]
    if not isinstance(reply_within_hours, int) or not 1 <= reply_within_hours <= REPLY_HOURS_MAX:
        errors["reply_within_hours"] = [_("回复时限须在 1 到 %(max)s 个工作小时之间") % {"max": REPLY_HOURS_MAX}]
    if errors:
        raise ValidationError(errors)
    case, _a, before = _begin(case, by, "supervise")
    lead = next(a for a in case.assignments.all() if a.role == AssignmentRole.LEAD and a.active)
    now = timezone.now()
    clock = clock_start(case=case, clock=Clock.REPLY, hours=reply_within_hours, department=lead.department, now=now)
    supervision = Supervision.objects.create(
        case=case,
        department=lead.department,
        by=by,
        note=note.strip(),
        reply_within_hours=reply_within_hours,
        created_at=now,
        clock=clock,
    )
    event = events.case_supervised(case, by=by, from_status=before, supervision=supervision)
    announce_supervision(case, supervision, "supervise", by=by, event_id=event.pk)
    return case


@transaction.atomic
def case_reply(*, case: Case, by: User, note: str) -> Case:
    """督办回复: the supervised department answers the open supervision; its reply clock stops."""
    if not note or not note.strip():
        raise ValidationError({"note": [_("请填写回复内容")]})
    if len(note.strip()) > SUPERVISION_NOTE_MAX:
        raise ValidationError({"note": [_("回复内容不能超过 %(max)s 字") % {"max": SUPERVISION_NOTE_MAX}]})
    case, _a, before = _begin(case, by, "reply")
    supervision = Supervision.objects.select_for_update().get(case=case, replied_at__isnull=True)
    now = timezone.now()
    supervision.reply_note, supervision.replied_by, supervision.replied_at = note.strip(), by, now
    supervision.save(update_fields=["reply_note", "replied_by", "replied_at"])
    clock_stop(case=case, clocks=[Clock.REPLY], now=now)
    event = events.supervision_replied(case, by=by, from_status=before, supervision=supervision)
    announce_supervision(case, supervision, "reply", by=by, event_id=event.pk)
    return case


ACTION_SERVICES = {  # every public transition has its service: tests/disputes/test_workflow_table.py
    "accept": case_accept,
    "reject": case_reject,
    "merge": case_merge,
    "resolve_on_site": case_resolve_on_site,
    "dispatch": case_dispatch,
    "sign": case_sign,
    "return": case_return,
    "progress": case_progress,
    "request_extension": case_request_extension,
    "approve_extension": case_approve_extension,
    "refuse_extension": case_refuse_extension,
    "report": case_report,
    "handle": case_handle,
    "verify": case_verify,
    "rework": case_rework,
    "feedback": case_feedback,
    "reopen": case_reopen,
    "close": case_close,
    "escalate": case_escalate,
    "supervise": case_supervise,
    "reply": case_reply,
}

__all__ = ["ACTION_SERVICES", "Kind", "case_create", "refresh_clocks"]  # Kind: re-exported for the API
