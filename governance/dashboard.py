"""The officials' screen ("一屏观全城"): every figure for one area and period, in a constant
number of aggregate queries. The three rates use the same definitions as the weekly report.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import StrIndex, Substr, TruncDate
from django.utils import timezone

from disputes.models import (
    OPEN_STATUSES,
    AlertLevel,
    Assignment,
    AssignmentStatus,
    Case,
    DeadlineAlert,
    ExtensionRequest,
    ReturnReason,
    Status,
)
from grids.models import Area, User
from grids.selectors import areas_visible_to

from .reports import GOOD_SATISFACTION, REPORT_TZ, SIGNED_IN_TIME, assignments_due, latest_feedback

MAX_DAYS = 366


def _bounds(start: date, end_inclusive: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time.min, tzinfo=REPORT_TZ)
    hi = datetime.combine(end_inclusive + timedelta(days=1), time.min, tzinfo=REPORT_TZ)
    return lo, hi


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def child_key(parent: Area, field: str = "area_path"):
    """An expression giving, for a case under `parent`, the path of the child area it lies in
    (e.g. the town's path under the district), so figures group by child in one query."""
    n = len(parent.path)
    rest = Substr(field, n + 1)
    return Substr(field, 1, Value(n, output_field=IntegerField()) + StrIndex(rest, Value("/")))


def dashboard_figures(*, area: Area, start: date, end: date, user: User) -> dict:
    """All the figures the dashboard shows for `area` over [start, end] (dates inclusive)."""
    lo, hi = _bounds(start, end)
    now = timezone.now()
    today = timezone.localdate(now)
    week_start = today - timedelta(days=today.weekday())
    path = area.path
    cases = Case.objects.filter(area_path__startswith=path)
    period = Q(created_at__gte=lo, created_at__lt=hi)

    # Each aggregate is driven by an indexed time range or by the open-status index, so its cost
    # follows the period and the backlog, not the years of history.
    day_lo = min(lo, _bounds(week_start, week_start)[0], _bounds(today, today)[0])
    created = cases.filter(created_at__gte=day_lo).aggregate(
        new_today=Count("id", filter=Q(created_at__gte=_bounds(today, today)[0])),
        new_week=Count("id", filter=Q(created_at__gte=_bounds(week_start, week_start)[0])),
        new=Count("id", filter=period),
    )
    open_now = cases.filter(status__in=OPEN_STATUSES).aggregate(
        in_progress=Count("id"), overdue=Count("id", filter=Q(overdue=True))
    )
    closed = cases.filter(closed_at__gte=lo, closed_at__lt=hi, status=Status.CLOSED).count()
    handled = cases.filter(handled_at__gte=lo, handled_at__lt=hi).aggregate(
        handled=Count("id"),
        on_time=Count("id", filter=Q(handle_deadline__isnull=True) | Q(handled_at__lte=F("handle_deadline"))),
    )
    resolution = cases.filter(handle_deadline__gte=lo, handle_deadline__lt=hi).aggregate(
        due=Count("id"), met=Count("id", filter=Q(handled_at__lte=F("handle_deadline")))
    )
    kpi = {
        **created,
        **open_now,
        "closed": closed,
        **handled,
        "resolution_due": resolution["due"],
        "resolution_met": resolution["met"],
    }
    response = assignments_due(path, lo, hi).aggregate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME))
    feedback = latest_feedback(path, lo, hi).aggregate(
        total=Count("id"), good=Count("id", filter=Q(answer__in=GOOD_SATISFACTION))
    )

    trend_days = max(30, min((end - start).days + 1, MAX_DAYS))
    trend_start = end - timedelta(days=trend_days - 1)
    t_lo, t_hi = _bounds(trend_start, end)
    new_by_day = dict(
        cases.filter(created_at__gte=t_lo, created_at__lt=t_hi)
        .annotate(day=TruncDate("created_at", tzinfo=REPORT_TZ))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    closed_by_day = dict(
        cases.filter(status=Status.CLOSED, closed_at__gte=t_lo, closed_at__lt=t_hi)
        .annotate(day=TruncDate("closed_at", tzinfo=REPORT_TZ))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = [trend_start + timedelta(days=i) for i in range(trend_days)]

    by_category = [
        {"code": row["category__code"], "name": row["category__name"], "count": row["n"]}
        for row in cases.filter(period)
        .values("category__code", "category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "category__code")
    ]

    return {
        "area": {"id": area.pk, "code": area.code, "name": area.name, "level": area.level},
        "breadcrumb": _breadcrumb(area, user),
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "kpis": {
            "new_today": kpi["new_today"],
            "new_week": kpi["new_week"],
            "new": kpi["new"],
            "in_progress": kpi["in_progress"],
            "overdue": kpi["overdue"],
            "closed": kpi["closed"],
            "on_time_rate": _rate(kpi["on_time"], kpi["handled"]),
            "response_rate": _rate(response["met"], response["due"]),
            "resolution_rate": _rate(kpi["resolution_met"], kpi["resolution_due"]),
            "satisfaction_rate": _rate(feedback["good"], feedback["total"]),
        },
        "trend": {
            "days": [d.isoformat() for d in days],
            "new": [new_by_day.get(d, 0) for d in days],
            "closed": [closed_by_day.get(d, 0) for d in days],
        },
        "categories": by_category,
        "children": _children(area, lo, hi, user),
        "departments": _departments(path, lo, hi),
        "generated_at": now.isoformat(),
    }


def _breadcrumb(area: Area, user: User) -> list[dict]:
    visible = set(areas_visible_to(user).filter(code__in=area.ancestor_codes).values_list("code", flat=True))
    return [{"id": a.pk, "name": a.name, "level": a.level} for a in area.ancestors() if a.code in visible] + [
        {"id": area.pk, "name": area.name, "level": area.level}
    ]


def _children(area: Area, lo: datetime, hi: datetime, user: User) -> list[dict]:
    """The child areas with their load (open, overdue) and the three rates, for the ranking and the map."""
    children = list(areas_visible_to(user).filter(parent=area).order_by("code"))
    if not children:
        return []
    key = child_key(area)
    path = area.path
    cases = Case.objects.filter(area_path__startswith=path).annotate(child=key)
    case_rows: dict[str, dict] = {}

    def merge(qs) -> None:
        for row in qs:
            case_rows.setdefault(row.pop("child"), {}).update(row)

    merge(cases.filter(created_at__gte=lo, created_at__lt=hi).values("child").annotate(new=Count("id")))
    merge(
        cases.filter(status__in=OPEN_STATUSES)
        .values("child")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(overdue=True)))
    )
    merge(
        cases.filter(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
        .values("child")
        .annotate(closed=Count("id"))
    )
    merge(
        cases.filter(handle_deadline__gte=lo, handle_deadline__lt=hi)
        .values("child")
        .annotate(
            resolution_due=Count("id"), resolution_met=Count("id", filter=Q(handled_at__lte=F("handle_deadline")))
        )
    )
    response_rows = {
        row["child"]: row
        for row in assignments_due(path, lo, hi)
        .annotate(child=child_key(area, "case__area_path"))
        .values("child")
        .annotate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME))
    }
    feedback_rows = {
        row["child"]: row
        for row in latest_feedback(path, lo, hi)
        .annotate(child=child_key(area, "case__area_path"))
        .values("child")
        .annotate(total=Count("id"), good=Count("id", filter=Q(answer__in=GOOD_SATISFACTION)))
    }
    result = []
    for child in children:
        c = case_rows.get(child.path, {})
        r = response_rows.get(child.path, {})
        f = feedback_rows.get(child.path, {})
        result.append(
            {
                "id": child.pk,
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "new": c.get("new", 0),
                "open": c.get("open", 0),
                "overdue": c.get("overdue", 0),
                "closed": c.get("closed", 0),
                "response_rate": _rate(r.get("met", 0), r.get("due", 0)),
                "resolution_rate": _rate(c.get("resolution_met", 0), c.get("resolution_due", 0)),
                "satisfaction_rate": _rate(f.get("good", 0), f.get("total", 0)),
                "boundary": child.boundary,
            }
        )
    return result


def _departments(path: str, lo: datetime, hi: datetime) -> list[dict]:
    """The department league: overdue work (red alerts), returns and extensions in the period."""
    rows: dict[int, dict] = {}

    def add(qs, field: str) -> None:
        for row in qs:
            entry = rows.setdefault(
                row["department"],
                {"id": row["department"], "name": row["department__name"], "overdue": 0, "returns": 0, "extensions": 0},
            )
            entry[field] = row["n"]

    add(
        DeadlineAlert.objects.filter(
            case__area_path__startswith=path, level=AlertLevel.RED, created_at__gte=lo, created_at__lt=hi
        )
        .values("department", "department__name")
        .annotate(n=Count("id")),
        "overdue",
    )
    add(
        Assignment.objects.filter(
            case__area_path__startswith=path, status=AssignmentStatus.RETURNED, finished_at__gte=lo, finished_at__lt=hi
        )
        .exclude(return_reason_code=ReturnReason.WITHDRAWN)
        .values("department", "department__name")
        .annotate(n=Count("id")),
        "returns",
    )
    add(
        ExtensionRequest.objects.filter(case__area_path__startswith=path, requested_at__gte=lo, requested_at__lt=hi)
        .values(department=F("assignment__department"), department__name=F("assignment__department__name"))
        .annotate(n=Count("id")),
        "extensions",
    )
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["returns"], -r["extensions"], r["name"]))
