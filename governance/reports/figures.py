"""The figures of one area over one period: counts, the three rates, top categories, overdue
departments, returns and extensions. Aggregate queries, a constant number whatever the history."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from disputes import stats
from disputes.models import AlertLevel, Case, Category, DeadlineAlert
from disputes.stats import GOOD_SATISFACTION
from grids import periods
from grids.dbrouter import replica_reads
from grids.models import Area, Department


def _area_ref(area: Area) -> dict:
    return {"id": area.pk, "code": area.code, "name": area.name, "level": area.level}


@replica_reads()  # report figures may read a replica (DATABASE_REPLICA_URL), see grids.dbrouter
def weekly_figures(*, area: Area, start: date, end: date) -> dict:
    """What a town or the district reports for [start, end): new, closed, handled on time and overdue
    cases, the three rates, the top categories, the departments with red alerts, returns and
    extensions. Used for any period (the monthly report carries the month's figures too).

    The additive figures are sums of the daily roll-up (`disputes.stats`); the ones that count
    distinct cases (overdue, open at the end) are aggregate queries over the red alerts of the
    period and the cases open at its end. A constant number of queries, whatever the history.
    """
    lo, hi = periods.day_bounds(start, end)
    path = area.path
    figures = stats.Figures(path, start, end)
    total = figures.total(start, end)

    # Rejected and merged cases carry a closed_at too, so they are not "still open". Two indexed
    # counts: the cases open now, and those closed since the end of the period.
    cases = Case.objects.filter(area_path__startswith=path, created_at__lt=hi)
    # Closed since the start of the period: those closed after its end (still open at the end) and
    # those closed in it without feedback (无法回访, counted apart), in one count over closed_at.
    closed_since = Case.objects.filter(area_path__startswith=path, closed_at__gte=lo).aggregate(
        after=Count("id", filter=Q(closed_at__gte=hi, created_at__lt=hi)),
        unreachable=Count("id", filter=Q(closed_at__lt=hi, feedback_unreachable=True)),
    )
    open_at_end = cases.filter(closed_at__isnull=True).count() + closed_since["after"]

    red = DeadlineAlert.objects.filter(level=AlertLevel.RED, case__area_path__startswith=path).filter(
        periods.within("created_at", lo, hi)
    )
    overdue = red.aggregate(cases=Count("case", distinct=True))["cases"]
    overdue_departments = [
        {"id": row["department"], "name": row["department__name"], "alerts": row["alerts"], "cases": row["cases"]}
        # Center clocks (accept, verify, feedback) lapse with no department: not a department's.
        for row in red.filter(department__isnull=False)
        .values("department", "department__name")
        .annotate(alerts=Count("id"), cases=Count("case", distinct=True))
        .order_by("-alerts", "-cases", "department__name")
    ]

    answers = {value: total[counter] for value, counter in stats.FEEDBACK_COUNTERS.items()}
    answered = sum(answers.values())
    good = sum(answers[value] for value in GOOD_SATISFACTION)

    new_by_category = {k: c["new"] for (k,), c in figures.rows(start, end, ("category",)).items() if c["new"]}
    categories = sorted(
        (
            {"id": pk, "code": code, "name": name, "count": new_by_category[pk], "position": position}
            for pk, code, name, position in Category.objects.filter(pk__in=new_by_category).values_list(
                "pk", "code", "name", "position"
            )
        ),
        key=lambda r: (-r["count"], r["position"], r["code"]),
    )[:5]
    for row in categories:
        del row["position"]

    # 退单 read from the assignment rather than the "return" event: the same facts, grouped by a real
    # foreign key. An assignment withdrawn with its lead's return is not the department's return.
    returned = {k: c["returns"] for (k,), c in figures.rows(start, end, ("department",)).items() if c["returns"]}
    returns = sorted(
        (
            {"id": pk, "name": name, "count": returned[pk]}
            for pk, name in Department.objects.filter(pk__in=returned).values_list("pk", "name")
        ),
        key=lambda r: (-r["count"], r["name"]),
    )

    return {
        "area": _area_ref(area),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "counts": {
            "new": total["new"],
            "closed": total["closed"],
            "handled": total["handled"],
            "on_time": total["on_time"],
            "overdue": overdue,
            "open_at_end": open_at_end,
            # 无法回访: closed without feedback, the resident could not be reached (counted apart).
            "feedback_unreachable": closed_since["unreachable"],
        },
        "rates": {
            "response": periods.rate(total["response_met"], total["response_due"]),
            "resolution": periods.rate(total["resolution_met"], total["resolution_due"]),
            "satisfaction": periods.rate(good, answered),
            "on_time": periods.rate(total["on_time"], total["handled"]),
        },
        "satisfaction": answers | {"total": answered},
        "categories": categories,
        "overdue_departments": overdue_departments,
        "returns": returns,
        "returns_total": sum(row["count"] for row in returns),
        "extensions": {
            "requested": total["ext_requested"],
            "approved": total["ext_approved"],
            "refused": total["ext_refused"],
        },
    }
