"""一月一调度: the district's towns and departments ranked by the weighted three rates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery

from disputes.models import Assignment, AssignmentRole, AssignmentStatus, Case
from disputes.stats import GOOD_SATISFACTION, SIGNED_IN_TIME, assignments_due, latest_feedback
from grids import periods
from grids.dbrouter import replica_reads
from grids.models import Area, Department, Level

from .labels import RATE_KEYS


def _weights(weights: Sequence[float] | None) -> tuple[float, ...]:
    values = tuple(float(w) for w in (settings.REPORT_WEIGHTS if weights is None else weights))
    if len(values) != 3 or any(w < 0 for w in values) or sum(values) <= 0:
        raise ValueError("REPORT_WEIGHTS needs three non-negative weights (response, resolution, satisfaction).")
    return values


def weighted_score(rates: dict[str, float | None], weights: Sequence[float]) -> float | None:
    """(w1·response + w2·resolution + w3·satisfaction) / Σw, as points out of 100.

    A rate with nothing behind it (no assignment due, no feedback) is left out and the remaining
    weights renormalised: a town is judged on what happened there, not punished or rewarded for
    what did not. Nothing at all → no score, and no rank.
    """
    parts = [(w, rates[key]) for key, w in zip(RATE_KEYS, weights, strict=True) if rates.get(key) is not None]
    total = sum(w for w, _r in parts)
    if not parts or total <= 0:
        return None
    return round(100 * sum(w * r for w, r in parts) / total, 2)


def _rank(rows: list[dict]) -> list[dict]:
    """Sort by score, best first; equal scores share a rank (1, 2, 2, 4); unscored rows come last
    without a rank."""
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
    for row in rows:
        row["rank"] = (
            None
            if row["score"] is None
            else 1 + sum(1 for other in rows if other["score"] is not None and other["score"] > row["score"])
        )
    return rows


def _ranked(entities: Iterable[dict], parts: dict[str, dict], weights: Sequence[float]) -> list[dict]:
    rows = []
    for entity in entities:
        rates = {key: periods.rate(*parts[key].get(entity["id"], (0, 0))) for key in RATE_KEYS}
        score = weighted_score({key: rate["rate"] for key, rate in rates.items()}, weights)
        rows.append({**entity, "rates": rates, "score": score})
    return _rank(rows)


@replica_reads()  # report figures may read a replica (DATABASE_REPLICA_URL), see grids.dbrouter
def monthly_ranking(*, district: Area, start: date, end: date, weights: Sequence[float] | None = None) -> dict:
    """Towns and departments of the district ranked by the weighted three rates over [start, end).

    Towns: over the cases in their territory. Departments: response over their assignments (signed
    in time); resolution over their lead assignments whose handling limit fell in the period
    (finished by it; assignments they returned are judged by the response rate and the returns
    table instead); satisfaction over the cases they led to the end (the last lead to finish the
    case) with feedback in the period. Eight grouped queries, whatever the size of the district.
    """
    w = _weights(weights)
    lo, hi = periods.day_bounds(start, end)
    path = district.path
    towns = list(
        Area.objects.filter(path__startswith=path, level=Level.TOWN).order_by("code").values("id", "code", "name")
    )
    departments = [
        {"id": d["id"], "code": d["code"], "name": d["name"], "area": d["area__name"]}
        for d in Department.objects.filter(area__path__startswith=path)
        .order_by("code")
        .values("id", "code", "name", "area__name")
    ]

    def parts(rows: Iterable[dict], key: str) -> dict:
        """{town or department id: (met, due)} from grouped rows."""
        return {row[key]: (row["met"], row["due"]) for row in rows if row[key] is not None}

    due = assignments_due(path, lo, hi).order_by()
    latest = latest_feedback(path, lo, hi).order_by()
    good = Q(answer__in=GOOD_SATISFACTION)

    town_parts = {
        "response": parts(
            due.values("case__town").annotate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME)),
            "case__town",
        ),
        "resolution": parts(
            Case.objects.filter(area_path__startswith=path)
            .filter(periods.within("handle_deadline", lo, hi))
            .values("town")
            .annotate(due=Count("id"), met=Count("id", filter=Q(handled_at__lte=F("handle_deadline"))))
            .order_by(),
            "town",
        ),
        "satisfaction": parts(
            latest.values("case__town").annotate(due=Count("id"), met=Count("id", filter=good)),
            "case__town",
        ),
    }

    last_lead = (
        Assignment.objects.filter(case=OuterRef("case"), role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED)
        .order_by("-finished_at", "-id")
        .values("department")[:1]
    )
    department_parts = {
        "response": parts(
            due.values("department").annotate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME)),
            "department",
        ),
        "resolution": parts(
            Assignment.objects.filter(case__area_path__startswith=path, role=AssignmentRole.LEAD)
            .filter(periods.within("handle_deadline", lo, hi))
            .exclude(status=AssignmentStatus.RETURNED)
            .values("department")
            .annotate(
                due=Count("id"),
                met=Count("id", filter=Q(status=AssignmentStatus.HANDLED, finished_at__lte=F("handle_deadline"))),
            )
            .order_by(),
            "department",
        ),
        "satisfaction": parts(
            latest.annotate(lead_department=Subquery(last_lead, output_field=BigIntegerField()))
            .filter(lead_department__isnull=False)
            .values("lead_department")
            .annotate(due=Count("id"), met=Count("id", filter=good)),
            "lead_department",
        ),
    }

    return {
        "weights": list(w),
        "towns": _ranked(towns, town_parts, w),
        "departments": _ranked(departments, department_parts, w),
    }
