"""The officials' screen ("一屏观全城"): every figure for one area and period, in a constant
number of aggregate queries. The three rates use the same definitions as the weekly report.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from disputes import stats
from disputes.mediation.figures import mediation_figures
from disputes.models import Case, Category, Supervision
from disputes.stats import GOOD_SATISFACTION
from grids.dbrouter import replica_reads
from grids.figures import patrol_figures
from grids.models import Area, Department, User
from grids.periods import ratio
from grids.selectors import areas_visible_to
from legal_services import figures as legal_figures

MAX_DAYS = 366


def _rate(numerator: int, denominator: int) -> float | None:
    return ratio(numerator, denominator, digits=4)


@replica_reads()  # a dashboard may read a replica (DATABASE_REPLICA_URL), see grids.dbrouter
def dashboard_figures(*, area: Area, start: date, end: date, user: User) -> dict:
    """All the figures the dashboard shows for `area` over [start, end] (dates inclusive).

    Period figures come from the daily roll-up (`disputes.stats`): finished days are summed from
    stored rows, today is counted live. Only "open now" is read from the cases themselves, through
    the open-status index.
    """
    now = timezone.now()
    today = stats.local_today(now)
    week_start = today - timedelta(days=today.weekday())
    trend_days = max(30, min((end - start).days + 1, MAX_DAYS))
    trend_start = end - timedelta(days=trend_days - 1)
    period = (start, end + timedelta(days=1))
    figures = stats.Figures(
        area.path, min(start, trend_start, week_start), max(end, today) + timedelta(days=1), now=now
    )

    by_child = figures.rows(*period, ("child",))
    total = sum(by_child.values(), Counter())
    by_day = figures.rows(figures.lo, figures.hi, ("day",))
    open_now = _open_now(area)
    open_total = sum(open_now.values(), Counter())

    days = [trend_start + timedelta(days=i) for i in range(trend_days)]
    return {
        "area": {"id": area.pk, "code": area.code, "name": area.name, "level": area.level},
        "breadcrumb": _breadcrumb(area, user),
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "kpis": {
            "new_today": by_day.get((today,), Counter())["new"],
            "new_week": sum(c["new"] for (day,), c in by_day.items() if week_start <= day <= today),
            "new": total["new"],
            "in_progress": open_total["open"],
            "overdue": open_total["overdue"],
            "closed": total["closed"],
            "on_time_rate": _rate(total["on_time"], total["handled"]),
            **_three_rates(total),
            "feedback_unreachable": _unreachable(area, *period),
        },
        "trend": {
            "days": [d.isoformat() for d in days],
            "new": [by_day.get((d,), Counter())["new"] for d in days],
            "closed": [by_day.get((d,), Counter())["closed"] for d in days],
        },
        "categories": _categories(figures.rows(*period, ("category",))),
        "children": _children(area, by_child, open_now, user),
        "departments": _departments(figures.rows(*period, ("department",)), open_supervisions(area)),
        "sources": {source: total[stats.SOURCE_COUNTERS[source]] for source in SOURCES},
        "generated_at": now.isoformat(),
        "patrols": patrol_figures(area=area, start=start, end=end, user=user, now=now),
        # Public legal services (legal_services/figures.py)
        "legal": legal_figures.dashboard_block(area=area, start=start, end=end),
        "mediation": mediation_figures(area=area, start=start, end=end, breakdown=False),  # disputes/mediation
    }


def _three_rates(counts: Counter) -> dict[str, float | None]:
    """三率 from summed counters: response, resolution, satisfaction (good answers / answers)."""
    good = sum(counts[stats.FEEDBACK_COUNTERS[value]] for value in GOOD_SATISFACTION)
    answers = sum(counts[c] for c in stats.FEEDBACK_COUNTERS.values())
    return {
        "response_rate": _rate(counts["response_met"], counts["response_due"]),
        "resolution_rate": _rate(counts["resolution_met"], counts["resolution_due"]),
        "satisfaction_rate": _rate(good, answers),
    }


def _categories(rows: dict[tuple, Counter]) -> list[dict]:
    counts = {category: c["new"] for (category,), c in rows.items() if category is not None and c["new"]}
    result = [
        {"code": code, "name": name, "count": counts[pk]}
        for pk, code, name in Category.objects.filter(pk__in=counts).values_list("pk", "code", "name")
    ]
    return sorted(result, key=lambda r: (-r["count"], r["code"]))


def _breadcrumb(area: Area, user: User) -> list[dict]:
    visible = set(areas_visible_to(user).filter(code__in=area.ancestor_codes).values_list("code", flat=True))
    return [{"id": a.pk, "name": a.name, "level": a.level} for a in area.ancestors() if a.code in visible] + [
        {"id": area.pk, "name": area.name, "level": area.level}
    ]


def _open_now(area: Area) -> dict[str, Counter]:
    """Open and overdue cases now, per child area, from the counts the services keep per area."""
    return stats.open_now(area.path, stats.path_depth(area.path) + 1)


def _children(area: Area, by_child: dict[tuple, Counter], open_now: dict[str, Counter], user: User) -> list[dict]:
    """The child areas with their load (open, overdue) and the three rates, for the ranking and the map."""
    children = list(areas_visible_to(user).filter(parent=area).order_by("code"))
    if not children:
        return []
    result = []
    for child in children:
        c = by_child.get((child.path,), Counter())
        o = open_now.get(child.path, Counter())
        result.append(
            {
                "id": child.pk,
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "new": c["new"],
                "open": o["open"],
                "overdue": o["overdue"],
                "closed": c["closed"],
                **_three_rates(c),
                "boundary": child.boundary,
            }
        )
    return result


def _departments(by_department: dict[tuple, Counter], supervised: dict[int, int] | None = None) -> list[dict]:
    """The department league: overdue work (red alerts, missed supervision replies included),
    returns and extensions in the period, and the supervisions (督办) open now."""
    supervised = supervised or {}
    counts = {
        department: {
            "overdue": c["red_alerts"],
            "returns": c["returns"],
            "extensions": c["ext_requested"],
            "supervised": supervised.get(department, 0),
        }
        for (department,), c in by_department.items()
        if department is not None and (c["red_alerts"] or c["returns"] or c["ext_requested"])
    }
    for department, n in supervised.items():
        counts.setdefault(department, {"overdue": 0, "returns": 0, "extensions": 0, "supervised": n})
    names = dict(Department.objects.filter(pk__in=counts).values_list("pk", "name"))
    rows = [{"id": pk, "name": names[pk], **figures} for pk, figures in counts.items()]
    return sorted(rows, key=lambda r: (-r["overdue"], -r["returns"], -r["extensions"], r["name"]))


# Residents in the loop (issue 15): where the period's new cases came from (from the daily roll-up,
# `disputes.stats.SOURCE_COUNTERS`, like "new").
SOURCES = ("grid_worker", "resident", "hotline", "open311", "patrol")


def open_supervisions(area: Area) -> dict[int, int]:
    """Supervisions (督办) waiting for a reply now, per department, over the area's cases."""
    rows = (
        Supervision.objects.filter(replied_at__isnull=True, case__area_path__startswith=area.path)
        .values("department")
        .annotate(n=Count("id"))
    )
    return {row["department"]: row["n"] for row in rows}


def _unreachable(area: Area, start: date, end: date) -> int:
    """无法回访: cases closed in [start, end) without feedback because the resident could not be
    reached; counted apart from the satisfaction rate's answers."""
    from grids.periods import day_bounds

    lo, hi = day_bounds(start, end)
    return Case.objects.filter(
        area_path__startswith=area.path, feedback_unreachable=True, closed_at__gte=lo, closed_at__lt=hi
    ).count()
