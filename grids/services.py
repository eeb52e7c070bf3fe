"""Writes for territory, organisations and roles. One function per domain action."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import case_links
from .field_models import (
    NOTE_MAX,
    ChangeAction,
    FollowUp,
    FollowUpLapse,
    Patrol,
    PatrolPoint,
    RegistrationChange,
    Visit,
    VisitPurpose,
)
from .messages import FOLLOW_UP_OVERDUE, label
from .models import (
    PARENT_LEVEL,
    Area,
    Building,
    Department,
    DepartmentKind,
    Gender,
    Household,
    Level,
    Membership,
    Notification,
    Resident,
    Role,
    SpecialPopulation,
    User,
)
from .notifications import Message, notify_many
from .selectors import (
    SENSITIVE_ROLES,
    can_register_in,
    can_see_follow_ups,
    get_scope,
    patrol_grids_for,
)
from .uploads import validate_upload
from .validators import mask, normalize_id_number, normalize_phone


def area_path_for(*, code: str, parent: Area | None) -> str:
    return f"{parent.path if parent else ''}{code}/"


@transaction.atomic
def area_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    boundary: dict | None = None,
    centroid: tuple[float, float] | None = None,
) -> Area:
    """Create one area under its parent; the level must be one below the parent's."""
    if PARENT_LEVEL.get(level) != (parent.level if parent else None):
        raise ValueError(f"level {level} cannot sit under {parent.level if parent else 'nothing'}")
    lat, lng = centroid if centroid else (None, None)
    if boundary and not centroid:
        from .geo import centroid_of

        lat, lng = centroid_of(boundary)
    return Area.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=area_path_for(code=code, parent=parent),
        boundary=boundary,
        centroid_lat=lat,
        centroid_lng=lng,
        updated_at=timezone.now(),
    )


@transaction.atomic
def department_create(*, code: str, name: str, kind: DepartmentKind, area: Area, phone: str = "") -> Department:
    """A functional department and the group through which its staff receive case permissions."""
    group, _ = Group.objects.get_or_create(name=f"department:{code}")
    return Department.objects.create(code=code, name=name, kind=kind, area=area, phone=phone, group=group)


def department_group(department: Department) -> Group:
    if department.group_id is None:
        department.group, _ = Group.objects.get_or_create(name=f"department:{department.code}")
        department.save(update_fields=["group"])
    return department.group


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    area: Area | None = None,
    department: Department | None = None,
    team_role: str = "",
) -> Membership:
    """Give a user a role on an area or a department. Department staff join the department's group."""
    membership, _ = Membership.objects.get_or_create(
        user=user, role=role, area=area, department=department, defaults={"team_role": team_role}
    )
    if role == Role.DEPARTMENT_STAFF and department is not None:
        user.groups.add(department_group(department))
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_governance_scope", None)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> None:
    user, department = membership.user, membership.department
    membership.delete()
    if department is not None and not Membership.objects.filter(user=user, department=department).exists():
        user.groups.remove(department_group(department))


@transaction.atomic
def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """The reader has seen one of their notifications. Idempotent; a concurrent read keeps the first
    moment (a conditional UPDATE). The caller finds the notification through the reader's inbox."""
    if notification.recipient_id != by.pk:
        raise PermissionError("a notification is marked read only by its recipient")
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, by: User) -> int:
    """The reader has seen all their due notifications; returns how many were unread."""
    from .notifications import inbox

    return inbox(by).filter(read_at__isnull=True).update(read_at=timezone.now())


# --------------------------------------------------------------------------------------------------
# Field work: patrols (巡查), visits (走访), follow-ups (帮教), door registration (入户登记)
# --------------------------------------------------------------------------------------------------

MAX_TRACK_POINTS = 5000
MAX_VISITS_PER_PATROL = 100
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
# A patrol is one walk of a shift; a phone offline keeps it for days at most, not years (a start in
# year 60 was stored, and its time could not even be written as RFC 3339).
MAX_PATROL_DURATION = timedelta(hours=24)
MAX_PATROL_AGE = timedelta(days=30)
# The special populations followed up with a helper and a visit frequency (帮教).
FOLLOWED_POPULATIONS = {
    SpecialPopulation.COMMUNITY_CORRECTION,
    SpecialPopulation.RELEASED_PRISONER,
    SpecialPopulation.MENTAL_DISORDER,
    SpecialPopulation.DRUG_REHABILITATION,
}


class FieldNotAllowed(Exception):
    """The caller may see the object but not do this (HTTP 403)."""


class FieldConflict(Exception):
    """Not allowed in the object's current state (HTTP 409)."""


def _distance_m(points: Sequence[tuple[float, float]]) -> int:
    """Length of a track in metres (haversine between consecutive fixes)."""
    total = 0.0
    for (lat1, lng1), (lat2, lng2) in zip(points, points[1:], strict=False):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lng2 - lng1)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))
    return int(total)


def _clean_track(points: Iterable[dict], *, start: datetime, end: datetime) -> list[PatrolPoint]:
    """Validate GPS fixes ({lat, lng, at, accuracy?}); every fix must fall within the patrol."""
    points = list(points)
    if len(points) > MAX_TRACK_POINTS:
        raise ValidationError({"track": [_("轨迹点过多(最多 %(n)s 个)") % {"n": MAX_TRACK_POINTS}]})
    cleaned, seen = [], set()
    for p in points:
        try:
            lat, lng, at = float(p["lat"]), float(p["lng"]), p["at"]
            accuracy = p.get("accuracy")
            accuracy = None if accuracy in (None, "") else float(accuracy)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError({"track": [_("轨迹点格式错误")]}) from exc
        if isinstance(at, str):
            from django.utils.dateparse import parse_datetime

            at = parse_datetime(at)
        if not isinstance(at, datetime) or timezone.is_naive(at):
            raise ValidationError({"track": [_("轨迹点时间格式错误")]})
        if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValidationError({"track": [_("坐标超出范围")]})
        if not (start - CLOCK_SKEW <= at <= end + CLOCK_SKEW):
            raise ValidationError({"track": [_("轨迹点时间不在巡查时段内")]})
        if at in seen:
            continue
        seen.add(at)
        cleaned.append(PatrolPoint(lat=lat, lng=lng, at=at, accuracy=accuracy))
    return cleaned


def _lock_own_open_patrol(patrol: Patrol, by: User) -> Patrol:
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.worker_id != by.pk:
        raise FieldNotAllowed(_("只有巡查人本人可以记录这次巡查"))
    if not patrol.open:
        raise FieldConflict(_("这次巡查已经结束"))
    return patrol


def _check_grid(by: User, grid: Area) -> None:
    if grid.pk not in {g.pk for g in patrol_grids_for(by)}:
        raise FieldNotAllowed(_("只能在自己负责的网格内巡查"))


@transaction.atomic
def patrol_start(*, by: User, grid: Area, at: datetime | None = None) -> Patrol:
    """开始巡查: a grid worker sets out to walk their grid. One open patrol per worker."""
    _check_grid(by, grid)
    if Patrol.objects.filter(worker=by, ended_at__isnull=True).exists():
        raise FieldConflict(_("您已有一次进行中的巡查,请先结束它"))
    now = at or timezone.now()
    return Patrol.objects.create(worker=by, grid=grid, area_path=grid.path, started_at=now, created_at=now)


@transaction.atomic
def patrol_track_add(*, patrol: Patrol, by: User, points: Iterable[dict]) -> int:
    """A batch of GPS fixes sent by the phone while online. A batch sent twice adds nothing."""
    patrol = _lock_own_open_patrol(patrol, by)
    rows = _clean_track(points, start=patrol.started_at, end=timezone.now())
    for row in rows:
        row.patrol = patrol
    before = patrol.points.count()
    PatrolPoint.objects.bulk_create(rows, ignore_conflicts=True)
    return patrol.points.count() - before


def _track_distance(patrol: Patrol) -> int:
    return _distance_m(list(patrol.points.order_by("at").values_list("lat", "lng")))


@transaction.atomic
def patrol_end(*, patrol: Patrol, by: User, nothing_found: bool = False, note: str = "") -> Patrol:
    """结束巡查: with its visits and cases, or "nothing found" (a record all the same)."""
    patrol = _lock_own_open_patrol(patrol, by)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("巡查记录不能超过 %(n)s 字") % {"n": NOTE_MAX}]})
    if nothing_found and patrol.case_count:
        raise ValidationError({"nothing_found": [_("本次巡查已上报事项,不能记为未发现问题")]})
    patrol.ended_at = max(timezone.now(), patrol.started_at)
    patrol.nothing_found = nothing_found
    patrol.note = note
    patrol.distance_m = _track_distance(patrol)
    patrol.save(update_fields=["ended_at", "nothing_found", "note", "distance_m"])
    return patrol


@transaction.atomic
def patrol_record(
    *,
    by: User,
    grid: Area,
    started_at: datetime,
    ended_at: datetime,
    track: Sequence[dict] = (),
    visits: Sequence[dict] = (),
    case_ids: Sequence[int] = (),
    nothing_found: bool = False,
    note: str = "",
) -> Patrol:
    """A whole patrol at once, as an offline phone sends it when the signal returns.

    Sent again (a lost answer, a retry), the same patrol is recorded once: the existing one comes
    back with `replayed` set; the same start with a different end is a conflict."""
    _check_grid(by, grid)
    existing = Patrol.objects.filter(worker=by, started_at=started_at).first()
    if existing is not None:
        if existing.ended_at != ended_at or existing.grid_id != grid.pk:
            raise FieldConflict(_("这次巡查已记录,且内容不同"))
        existing.replayed = True
        return existing
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if ended_at < started_at:
        errors.setdefault("ended_at", []).append(_("结束时间不能早于开始时间"))
    if ended_at > now + CLOCK_SKEW:
        errors.setdefault("ended_at", []).append(_("结束时间不能晚于现在"))
    if ended_at - started_at > MAX_PATROL_DURATION:
        errors.setdefault("ended_at", []).append(
            _("一次巡查不能超过 %(n)s 小时") % {"n": int(MAX_PATROL_DURATION.total_seconds() // 3600)}
        )
    if started_at < now - MAX_PATROL_AGE:
        errors.setdefault("started_at", []).append(_("只能补录 %(n)s 天内的巡查") % {"n": MAX_PATROL_AGE.days})
    if len(note or "") > NOTE_MAX:
        errors.setdefault("note", []).append(_("巡查记录不能超过 %(n)s 字") % {"n": NOTE_MAX})
    if len(visits) > MAX_VISITS_PER_PATROL:
        errors.setdefault("visits", []).append(_("走访记录过多"))
    if nothing_found and (case_ids or visits):
        errors.setdefault("nothing_found", []).append(_("有走访或事项的巡查不能记为未发现问题"))
    if errors:
        raise ValidationError(errors)
    points = _clean_track(track, start=started_at, end=ended_at)
    patrol = Patrol.objects.create(
        worker=by,
        grid=grid,
        area_path=grid.path,
        started_at=started_at,
        ended_at=ended_at,
        nothing_found=nothing_found,
        note=(note or "").strip(),
        created_at=now,
    )
    for p in points:
        p.patrol = patrol
    PatrolPoint.objects.bulk_create(points)
    patrol.distance_m = _distance_m([(p.lat, p.lng) for p in sorted(points, key=lambda p: p.at)])
    patrol.save(update_fields=["distance_m"])
    for i, v in enumerate(visits):
        try:
            _visit_create(
                by=by,
                household=v.get("household"),
                resident=v.get("resident"),
                purpose=v.get("purpose") or VisitPurpose.ROUTINE,
                note=v.get("note") or "",
                patrol=patrol,
                at=v.get("at") or ended_at,
            )
        except ValidationError as exc:
            raise ValidationError({"visits": [f"{i + 1}: {m}" for m in exc.messages]}) from exc
    case_links.link_to_patrol(by=by, patrol=patrol, case_ids=list(case_ids))
    return patrol


@transaction.atomic
def patrol_case_reported(*, patrol: Patrol) -> None:
    """A case was reported on this patrol (called by the disputes side when it links one)."""
    Patrol.objects.filter(pk=patrol.pk).update(case_count=F("case_count") + 1)


def _msgid(choice_label) -> str:
    """The untranslated (Chinese) text of a lazy choice label, to store as a message parameter."""
    with translation.override(None):
        return str(choice_label)


def open_patrol_of(user: User) -> Patrol | None:
    if not user or not user.is_authenticated:
        return None
    return Patrol.objects.filter(worker=user, ended_at__isnull=True).select_related("grid").first()


def _may_visit(by: User, area_path: str, resident: Resident | None) -> bool:
    scope = get_scope(by)
    if scope.covers(area_path, roles=SENSITIVE_ROLES):
        return True
    return resident is not None and FollowUp.objects.filter(resident=resident, helper=by, active=True).exists()


def _visit_create(
    *,
    by: User,
    household: Household | None,
    resident: Resident | None,
    purpose: str,
    note: str,
    patrol: Patrol | None,
    photo=None,
    at: datetime | None = None,
) -> Visit:
    errors: dict[str, list[str]] = {}
    if household is None and resident is None:
        errors.setdefault("household", []).append(_("请选择走访的户或居民"))
    if resident is not None and household is not None and resident.household_id != household.pk:
        errors.setdefault("resident", []).append(_("该居民不属于所选的户"))
    if purpose not in VisitPurpose.values:
        errors.setdefault("purpose", []).append(_("走访目的无效"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.setdefault("note", []).append(_("走访记录不能超过 %(n)s 字") % {"n": NOTE_MAX})
    follow_up = None
    if purpose == VisitPurpose.FOLLOW_UP:
        follow_up = FollowUp.objects.filter(resident=resident, active=True).first() if resident else None
        if follow_up is None:
            errors.setdefault("resident", []).append(_("帮教回访须选择一名在帮教的居民"))
    photo_type = ""
    if photo:
        try:
            photo_type = validate_upload(photo).content_type
        except ValidationError as exc:
            errors.setdefault("photo", []).extend(exc.messages)
        else:
            if not photo_type.startswith("image/"):
                errors.setdefault("photo", []).append(_("照片须为图片"))
    if errors:
        raise ValidationError(errors)
    target_path = resident.area_path if resident is not None else household.area_path
    if not _may_visit(by, target_path, resident):
        raise FieldNotAllowed(_("只能走访自己网格内的户和居民"))
    if patrol is not None and not target_path.startswith(patrol.area_path):
        raise ValidationError({"household": [_("走访对象不在本次巡查的网格内")]})
    at = at or timezone.now()
    visit = Visit(
        by=by,
        patrol=patrol,
        household=household if household is not None else resident.household,
        resident=resident,
        area_path=target_path,
        purpose=purpose,
        note=note,
        visited_at=at,
        photo_type=photo_type,
    )
    if photo:
        from secrets import token_hex

        ext = photo_type.split("/")[-1].replace("jpeg", "jpg")
        visit.photo.save(f"{token_hex(16)}.{ext}", photo, save=False)
    visit.save()
    if follow_up is not None and (follow_up.last_visit_at is None or at > follow_up.last_visit_at):
        follow_up.last_visit_at = at
        follow_up.next_due_at = at + timedelta(days=follow_up.frequency_days)
        follow_up.save(update_fields=["last_visit_at", "next_due_at"])
    return visit


@transaction.atomic
def visit_log(
    *,
    by: User,
    purpose: str,
    household: Household | None = None,
    resident: Resident | None = None,
    note: str = "",
    patrol: Patrol | None = None,
    photo=None,
) -> Visit:
    """走访: a visit to a household or a resident, on the worker's open patrol or on its own.
    A special-population follow-up visit moves that person's next due date."""
    if patrol is not None:
        patrol = _lock_own_open_patrol(patrol, by)
    return _visit_create(
        by=by, household=household, resident=resident, purpose=purpose, note=note, patrol=patrol, photo=photo
    )


@transaction.atomic
def follow_up_assign(*, by: User, resident: Resident, helper: User, frequency_days: int) -> FollowUp:
    """帮教: put a special-population person under follow-up with a helper and a visit frequency."""
    if not can_see_follow_ups(by, resident.area_path):
        raise FieldNotAllowed(_("您不能为该居民安排帮教"))
    errors: dict[str, list[str]] = {}
    if resident.special_population not in FOLLOWED_POPULATIONS:
        errors.setdefault("resident", []).append(_("该居民不属于需帮教的特殊人群"))
    if not (1 <= int(frequency_days) <= 366):
        errors.setdefault("frequency_days", []).append(_("走访周期须在 1 到 366 天之间"))
    if not helper.is_active or not can_see_follow_ups(helper, resident.area_path):
        errors.setdefault("helper", []).append(_("帮教责任人须是本区域的网格员或中心工作人员"))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    existing = FollowUp.objects.select_for_update().filter(resident=resident).first()
    base = (existing.last_visit_at if existing and existing.last_visit_at else None) or now
    follow_up, _created = FollowUp.objects.update_or_create(
        resident=resident,
        defaults={
            "helper": helper,
            "frequency_days": int(frequency_days),
            "area_path": resident.area_path,
            "next_due_at": base + timedelta(days=int(frequency_days)),
            "active": True,
        },
    )
    return follow_up


def _town_centers(paths: set[str]) -> dict[str, list[User]]:
    """Center staff of the town above each path (the "grid/town center" of a follow-up)."""
    towns = {p: "/".join(p.split("/")[:2]) + "/" for p in paths}
    staff: dict[str, list[User]] = {}
    for m in Membership.objects.filter(
        role=Role.CENTER_STAFF, area__path__in=set(towns.values()), user__is_active=True
    ).select_related("user", "area"):
        staff.setdefault(m.area.path, []).append(m.user)
    return {p: staff.get(t, []) for p, t in towns.items()}


def sweep_visits(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """One sweep of follow-up visits: every overdue one warns its helper and the town center,
    exactly once per lapse (a unique row per follow-up and due moment). Returns the lapses raised."""
    now = now or timezone.now()
    raised = 0
    while True:
        with transaction.atomic():
            due = list(
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(active=True, next_due_at__lte=now)
                .exclude(lapses__due_at=F("next_due_at"))
                .select_related("resident", "helper")
                .order_by("next_due_at", "id")[:batch_size]
            )
            if not due:
                break
            FollowUpLapse.objects.bulk_create(
                [FollowUpLapse(follow_up=f, due_at=f.next_due_at, warned_at=now) for f in due],
                ignore_conflicts=True,
            )
            centers = _town_centers({f.area_path for f in due})
            messages = []
            for f in due:
                recipients = {f.helper.pk: f.helper} | {u.pk: u for u in centers[f.area_path]}
                messages.append(
                    Message(
                        list(recipients.values()),
                        "follow_up_overdue",
                        key=FOLLOW_UP_OVERDUE,
                        params={
                            "name": f.resident.name,
                            "kind": label(_msgid(SpecialPopulation(f.resident.special_population).label))
                            if f.resident.special_population
                            else "",
                            "due": timezone.localtime(f.next_due_at).strftime("%Y-%m-%d"),
                        },
                        url=reverse("resident_detail", args=[f.resident_id]),
                        dedupe_key=f"followup:{f.pk}:{f.next_due_at:%Y%m%d%H%M%S}",
                    )
                )
            notify_many(messages)
            raised += len(due)
        if len(due) < batch_size:
            break
    return raised


# ---------------------------------------------------------------- door registration (入户登记)

HOUSEHOLD_FIELDS = ["building", "unit", "room", "address", "rental"]
RESIDENT_FIELDS = ["name", "id_number", "phone", "gender", "birth_date", "floating", "special_population"]


def _shown(field: str, value) -> object:
    """A value as the audit keeps it: identifiers masked, objects by name."""
    if value is None:
        return ""
    if field == "id_number":
        return mask(value, "id_number")
    if field == "phone":
        return mask(value, "phone")
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _audit(*, by: User, action: str, household: Household | None, resident: Resident | None, changes: dict) -> None:
    RegistrationChange.objects.create(
        by=by,
        action=action,
        household=household,
        resident=resident,
        changes=changes,
        area_path=(resident.area_path if resident is not None else household.area_path),
        at=timezone.now(),
    )


def _check_registrar(by: User, area_path: str) -> None:
    if not can_register_in(by, area_path):
        raise FieldNotAllowed(_("只能在自己的网格内登记和更正"))


def _clean_household(micro_grid: Area, data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    building = data.get("building")
    if building is not None and building.micro_grid_id != micro_grid.pk:
        errors.setdefault("building", []).append(_("楼栋不在该微网格内"))
    for name, limit in (("unit", 20), ("room", 20), ("address", 200)):
        data[name] = (data.get(name) or "").strip()
        if len(data[name]) > limit:
            errors.setdefault(name, []).append(_("不能超过 %(n)s 字") % {"n": limit})
    if errors:
        raise ValidationError(errors)
    return data


def _next_household_number(micro_grid: Area) -> str:
    taken = set(Household.objects.filter(number__startswith=micro_grid.code).values_list("number", flat=True))
    n = len(taken) + 1
    while f"{micro_grid.code}{n:03d}" in taken:
        n += 1
    return f"{micro_grid.code}{n:03d}"


@transaction.atomic
def household_register(
    *,
    by: User,
    micro_grid: Area,
    building: Building | None = None,
    unit: str = "",
    room: str = "",
    address: str = "",
    rental: bool = False,
) -> Household:
    """入户登记: a new household file in the worker's own grid."""
    if micro_grid.level != Level.MICRO_GRID:
        raise ValidationError({"micro_grid": [_("请选择微网格")]})
    _check_registrar(by, micro_grid.path)
    data = _clean_household(
        micro_grid, {"building": building, "unit": unit, "room": room, "address": address, "rental": rental}
    )
    household = Household.objects.create(
        number=_next_household_number(micro_grid), micro_grid=micro_grid, area_path=micro_grid.path, **data
    )
    _audit(
        by=by,
        action=ChangeAction.HOUSEHOLD_ADD,
        household=household,
        resident=None,
        changes={f: ["", _shown(f, data[f])] for f in HOUSEHOLD_FIELDS if data[f] not in ("", None, False)},
    )
    return household


@transaction.atomic
def household_update(*, by: User, household: Household, **fields) -> Household:
    """更正: correct a household file; every change is audited."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _check_registrar(by, household.area_path)
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValueError(f"unknown household fields: {unknown}")
    data = _clean_household(household.micro_grid, {f: fields.get(f, getattr(household, f)) for f in HOUSEHOLD_FIELDS})
    changes = {}
    for f in HOUSEHOLD_FIELDS:
        before = getattr(household, f)
        if before != data[f]:
            changes[f] = [_shown(f, before), _shown(f, data[f])]
            setattr(household, f, data[f])
    if changes:
        household.save()
        _audit(by=by, action=ChangeAction.HOUSEHOLD_EDIT, household=household, resident=None, changes=changes)
    return household


def _clean_resident(data: dict, *, instance: Resident | None) -> dict:
    errors: dict[str, list[str]] = {}
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        errors.setdefault("name", []).append(_("请填写姓名"))
    elif len(data["name"]) > 50:
        errors.setdefault("name", []).append(_("不能超过 %(n)s 字") % {"n": 50})
    try:
        data["id_number"] = normalize_id_number(data.get("id_number") or "")
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    else:
        clash = Resident.objects.filter(id_number=data["id_number"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors.setdefault("id_number", []).append(_("该身份证号已登记"))
        else:
            # The ID number carries the birth date and the sex (GB 11643).
            from datetime import date

            number = data["id_number"]
            try:
                data["birth_date"] = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            except ValueError:
                data["birth_date"] = None
            data["gender"] = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    try:
        data["phone"] = normalize_phone(data.get("phone") or "")
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    if data.get("special_population", "") not in SpecialPopulation.values:
        errors.setdefault("special_population", []).append(_("特殊人群类型无效"))
    if errors:
        raise ValidationError(errors)
    data["floating"] = bool(data.get("floating"))
    data["special_population"] = data.get("special_population") or ""
    return data


@transaction.atomic
def resident_register(
    *,
    by: User,
    household: Household,
    name: str,
    id_number: str,
    phone: str = "",
    floating: bool = False,
    special_population: str = "",
) -> Resident:
    """入户登记: a new member of a household, checked (ID check digit, phone) and audited."""
    _check_registrar(by, household.area_path)
    data = _clean_resident(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "floating": floating,
            "special_population": special_population,
        },
        instance=None,
    )
    resident = Resident.objects.create(
        micro_grid=household.micro_grid,
        area_path=household.area_path,
        household=household,
        address=household.address,
        **data,
    )
    _audit(
        by=by,
        action=ChangeAction.RESIDENT_ADD,
        household=household,
        resident=resident,
        changes={f: ["", _shown(f, data[f])] for f in RESIDENT_FIELDS if data.get(f) not in ("", None, False)},
    )
    return resident


@transaction.atomic
def resident_update(*, by: User, resident: Resident, **fields) -> Resident:
    """更正: correct a resident's details; every change is audited (identifiers masked)."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    _check_registrar(by, resident.area_path)
    unknown = set(fields) - {"name", "id_number", "phone", "floating", "special_population"}
    if unknown:
        raise ValueError(f"unknown resident fields: {unknown}")
    data = _clean_resident(
        {
            f: fields.get(f, getattr(resident, f))
            for f in ("name", "id_number", "phone", "floating", "special_population")
        },
        instance=resident,
    )
    changes = {}
    for f in RESIDENT_FIELDS:
        if f in data and getattr(resident, f) != data[f]:
            changes[f] = [_shown(f, getattr(resident, f)), _shown(f, data[f])]
            setattr(resident, f, data[f])
    if changes:
        resident.save()
        _audit(
            by=by, action=ChangeAction.RESIDENT_EDIT, household=resident.household, resident=resident, changes=changes
        )
    return resident


def api_token_issue(*, user: User, request=None) -> str:
    """Sign a device in to the API: a new token of its own (only its hash is stored), expiring after
    the configured idle time. The user's expired tokens are swept on the way; the login is audited."""
    from django.contrib.auth.signals import user_logged_in
    from knox.models import AuthToken
    from knox.settings import knox_settings

    from . import audit

    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    # The same signal as a page login: last_login, the lockout reset and the audit row.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    audit.token_issued(user=user, request=request, token_key=instance.token_key)
    return token


@transaction.atomic
def api_token_revoke(*, user: User, request=None, token=None) -> int:
    """Sign out of the API: revoke one token (this device), or with `token=None` all of the user's."""
    from knox.models import AuthToken

    from . import audit

    tokens = AuthToken.objects.filter(user=user)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    keys = list(tokens.values_list("token_key", flat=True))
    tokens.delete()
    audit.token_revoked(user=user, request=request, token_keys=keys)
    return len(keys)
