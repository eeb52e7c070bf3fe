"""Two months of case history for the demo district, so the queues, the dashboard and the reports
have something to show on the first `make run`.

The history is written directly (as an import of past records would be), with the same fields the
services set: numbers from the per-day sequence, deadlines on the working calendar, assignments
with their clocks, department permissions and a timeline event for every step. Open cases keep
running clocks, so the first deadline sweep raises the yellow and red alerts and escalates.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from disputes import deadlines, stats
from disputes.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseGroupObjectPermission,
    CaseNumberSequence,
    Category,
    Satisfaction,
    Source,
    Status,
    Urgency,
)
from grids.models import Area, Department, Level, User

CASE_COUNT = 600
DAYS = 60
DESCRIPTIONS = {
    "road_damage": "路面出现坑槽,车辆绕行,存在安全隐患",
    "illegal_construction": "楼顶有人搭建彩钢房,邻居反映影响采光",
    "sanitation": "小区垃圾桶满溢未及时清运,气味较大",
    "noise": "夜间施工噪声扰民,居民多次反映",
    "neighbour_dispute": "楼上楼下因漏水问题发生争执",
    "wage_arrears": "十余名务工人员反映工程款拖欠工资",
    "fire_hazard": "楼道堆放杂物并有电动车充电,堵塞消防通道",
    "public_security": "夜间有可疑人员在小区徘徊",
    "property_management": "物业公司撤场后小区无人管理",
    "food_safety": "路边摊点无证经营,卫生条件差",
    "pollution": "企业排放异味,周边居民反映强烈",
    "family_dispute": "夫妻因赡养老人问题多次争吵",
    "help_request": "独居老人行动不便,需要帮扶",
    "other": "居民反映的其他问题",
}


def seed_demo_cases(
    *, users: dict[str, User], progress: Callable[[str], None], count: int = CASE_COUNT, seed: int = 20261121
) -> int:
    """Write `count` cases spread over the last DAYS days. Skipped when any case exists already."""
    if Case.objects.exists():
        progress("cases: kept the existing ones")
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    micro_grids = list(Area.objects.filter(level=Level.MICRO_GRID).only("id", "path", "centroid_lat", "centroid_lng"))
    areas_by_code = {a.code: a for a in Area.objects.filter(level__in=[Level.DISTRICT, Level.TOWN])}
    categories = list(Category.objects.filter(active=True).prefetch_related("usual_department_kinds"))
    departments = list(Department.objects.select_related("area", "kind"))
    town1_path = next(a.path for a in areas_by_code.values() if a.level == Level.TOWN and a.code.endswith("001"))
    grid_of = {u: _home(u) for u in ("grid_a", "grid_b") if u in users}

    cases, plans = [], []
    per_day: Counter = Counter()
    for _ in range(count):
        # A third of the history in town 1, where the demo users work.
        pool = [m for m in micro_grids if m.path.startswith(town1_path)] if rng.random() < 0.33 else micro_grids
        micro = rng.choice(pool)
        category = rng.choice(categories)
        created = now - timedelta(days=rng.uniform(0, DAYS), hours=rng.uniform(0, 3))
        # Reported during the local working day.
        created = timezone.localtime(created).replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))
        if created > now:
            created = now - timedelta(minutes=rng.randint(5, 300))
        day = timezone.localdate(created)
        per_day[day] += 1
        town = areas_by_code[[c for c in micro.path.split("/") if c][1]]
        reporter_name = next((u for u, grid in grid_of.items() if grid and micro.path.startswith(grid.path)), None)
        reporter = users[reporter_name] if reporter_name else users["center_district"]
        case = Case(
            number="",
            kind=category.kind,
            category=category,
            description=DESCRIPTIONS.get(category.code, category.name),
            lat=micro.centroid_lat,
            lng=micro.centroid_lng,
            area=micro,
            area_path=micro.path,
            town=town,
            urgency=rng.choices([Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY], [85, 12, 3])[0],
            source=Source.GRID_WORKER if reporter_name else Source.HOTLINE,
            reporter=reporter,
            center=town,
            created_at=created,
            updated_at=created,
        )
        cases.append(case)
        plans.append((case, _lead_for(category, micro, departments, rng)))

    # Numbers in creation order per day, and the day counters moved past them.
    counters: Counter = Counter()
    for case in sorted(cases, key=lambda c: c.created_at):
        day = timezone.localdate(case.created_at)
        counters[day] += 1
        case.number = f"{day:%Y%m%d}-{counters[day]:04d}"
    Case.objects.bulk_create(cases)
    CaseNumberSequence.objects.bulk_create([CaseNumberSequence(day=d, last=n) for d, n in counters.items()])

    events, assignments = [], []
    # The demo's department users act for their own departments; elsewhere the actor is unnamed.
    staff_of = {m.department_id: m.user for m in _department_staff(users)}
    for case, lead in plans:
        _history(case, lead, staff_of=staff_of, now=now, rng=rng, users=users, events=events, assignments=assignments)
    Case.objects.bulk_update(
        cases,
        [
            "status",
            "satisfaction",
            "sign_deadline",
            "handle_deadline",
            "dispatched_at",
            "handled_at",
            "closed_at",
            "updated_at",
        ],
        batch_size=500,
    )
    Assignment.objects.bulk_create(assignments, batch_size=500)
    for a in assignments:
        a.next_deadline_at = deadlines.next_look(a)
    Assignment.objects.bulk_update(assignments, ["next_deadline_at"], batch_size=500)
    for case in cases:
        clocks = [
            a.sign_deadline if a.status == AssignmentStatus.PENDING else a.handle_deadline
            for a in assignments
            if a.case_id == case.pk and a.status in (AssignmentStatus.PENDING, AssignmentStatus.SIGNED)
        ]
        case.next_deadline_at = min(clocks) if clocks else None
    Case.objects.bulk_update(cases, ["next_deadline_at"], batch_size=500)
    _center_clocks(cases)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    permissions = list(Permission.objects.filter(content_type__app_label="disputes", codename__in=["view_case"]))
    CaseGroupObjectPermission.objects.bulk_create(
        [
            CaseGroupObjectPermission(group_id=a.department.group_id, permission=p, content_object_id=a.case_id)
            for a in {(a.case_id, a.department_id): a for a in assignments}.values()
            for p in permissions
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    stats.rebuild()  # the history went in around the services: count its days once
    statuses = Counter(c.status for c in cases)
    progress(f"cases: {len(cases)} over {DAYS} days ({', '.join(f'{k} {v}' for k, v in statuses.most_common())})")
    return len(cases)


def _home(username: str) -> Area | None:
    from grids.models import Membership

    m = Membership.objects.filter(user__username=username, area__isnull=False).select_related("area").first()
    return m.area if m else None


def _department_staff(users: dict[str, User]):
    from grids.models import Membership

    return Membership.objects.filter(user__in=users.values(), department__isnull=False).select_related("user")


def _lead_for(category: Category, micro: Area, departments: list[Department], rng: random.Random) -> Department:
    """The category's usual kind of department serving the area: the town's own, else the district bureau."""
    kinds = [k.pk for k in category.usual_department_kinds.all()]
    serving = [d for d in departments if micro.path.startswith(d.area.path)]
    usual = [d for d in serving if d.kind_id in kinds]
    usual.sort(key=lambda d: -len(d.area.path))  # the nearest first
    return usual[0] if usual else rng.choice(serving)


def _history(case, lead, *, staff_of, now, rng, users, events, assignments) -> None:
    """Walk one case through the workflow up to a state that fits its age."""
    age = (now - case.created_at).days
    town1 = users.get("center_town")
    center_actor = town1 if town1 and case.center.code.endswith("001") and case.center.level == Level.TOWN else None

    def event(action, at, before, after, **data):
        events.append(
            CaseEvent(
                case=case,
                actor=data.pop("actor", None),
                action=action,
                from_status=before,
                to_status=after,
                comment=data.pop("comment", ""),
                data=data,
                created_at=min(at, now),
            )
        )

    event("create", case.created_at, "", Status.REPORTED, actor=case.reporter, area=case.area_id)
    roll = rng.random()
    if age < 2 and roll < 0.5:
        case.status = Status.REPORTED
        return
    t = case.created_at + timedelta(minutes=rng.randint(20, 90))
    if roll < 0.04 and age >= 1:
        case.status, case.closed_at = Status.REJECTED, t
        event("reject", t, Status.REPORTED, Status.REJECTED, actor=center_actor, comment="不属于受理范围")
        return
    event("accept", t, Status.REPORTED, Status.ACCEPTED, actor=center_actor)
    case.status = Status.ACCEPTED
    if age < 1 and roll < 0.7:
        return
    t += timedelta(minutes=rng.randint(10, 120))
    sign_deadline, handle_deadline = deadlines.for_dispatch(case.category, case.urgency, t)
    calendar = deadlines.WorkingCalendar()
    a = Assignment(
        case=case,
        department=lead,
        role=AssignmentRole.LEAD,
        dispatched_at=t,
        sign_deadline=sign_deadline,
        handle_deadline=handle_deadline,
        sign_warn_at=deadlines.warn_at(t, sign_deadline, calendar),
        handle_warn_at=deadlines.warn_at(t, handle_deadline, calendar),
    )
    assignments.append(a)
    case.status, case.dispatched_at = Status.DISPATCHED, t
    case.sign_deadline, case.handle_deadline = sign_deadline, handle_deadline
    event(
        "dispatch",
        t,
        Status.ACCEPTED,
        Status.DISPATCHED,
        actor=center_actor,
        lead_department=lead.pk,
        lead_department_name=lead.name,
        co_departments=[],
        co_department_names=[],
    )
    # Most departments report in on time; some never do, and the sweep will catch them.
    if age < 2 and roll < 0.85 or rng.random() < 0.04:
        return
    late = rng.random() < 0.12
    signed = (
        (sign_deadline + timedelta(hours=rng.uniform(1, 20)))
        if late
        else t + (sign_deadline - t) * rng.uniform(0.1, 0.7)
    )
    if signed > now:
        return
    a.status, a.signed_at = AssignmentStatus.SIGNED, signed
    case.status = Status.IN_PROGRESS
    event(
        "sign",
        signed,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        department=lead.pk,
        department_name=lead.name,
        role="lead",
        actor=staff_of.get(lead.pk),
    )
    handled = signed + timedelta(days=rng.uniform(0.3, 6))
    if handled > now or rng.random() < 0.08:
        return
    a.status, a.finished_at, a.result = AssignmentStatus.HANDLED, handled, "已处理完毕,现场已恢复"
    case.status, case.handled_at = Status.HANDLED, handled
    event(
        "handle",
        handled,
        Status.IN_PROGRESS,
        Status.HANDLED,
        comment=a.result,
        actor=staff_of.get(lead.pk),
        department=lead.pk,
        department_name=lead.name,
    )
    verified = handled + timedelta(hours=rng.uniform(1, 20))
    if verified > now:
        return
    case.status = Status.VERIFIED
    event("verify", verified, Status.HANDLED, Status.VERIFIED, actor=center_actor)
    answered = verified + timedelta(hours=rng.uniform(1, 24))
    if answered > now:
        return
    case.satisfaction = rng.choices(
        [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.DISSATISFIED], [78, 15, 7]
    )[0]
    event("feedback", answered, Status.VERIFIED, Status.VERIFIED, actor=center_actor, satisfaction=case.satisfaction)
    closed = answered + timedelta(minutes=rng.randint(10, 120))
    if closed > now or case.satisfaction == Satisfaction.DISSATISFIED:
        return
    case.status, case.closed_at, case.updated_at = Status.CLOSED, closed, closed
    event("close", closed, Status.VERIFIED, Status.CLOSED, actor=center_actor)


def _center_clocks(cases: list[Case]) -> None:
    """The center's running clocks (issue 12) of the open cases waiting on the center: accept from
    the report, verify from handled, feedback from verified (approximated by the last update)."""
    from disputes.models import Clock, StageClock
    from disputes.services.clocks import stage_next_look

    calendar = deadlines.WorkingCalendar()
    starts = {Status.REPORTED: (Clock.ACCEPT, "created_at"), Status.HANDLED: (Clock.VERIFY, "handled_at")}
    starts[Status.VERIFIED] = (Clock.FEEDBACK, "updated_at")
    clocks = []
    for case in cases:
        if case.status not in starts:
            continue
        kind, field = starts[case.status]
        start = getattr(case, field) or case.updated_at
        deadline = calendar.add_working_hours(start, case.category.center_hours(kind, case.urgency))
        c = StageClock(case=case, clock=kind, started_at=start, deadline=deadline)
        c.warn_at = deadlines.warn_at(start, deadline, calendar)
        c.next_deadline_at = stage_next_look(c)
        clocks.append(c)
    StageClock.objects.bulk_create(clocks, batch_size=500)
