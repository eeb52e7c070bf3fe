"""Mediation figures for an area (by its path) and a period: received, mediated, succeeded, failed,
the success rate, resolved before litigation and screening reports missing, by kind, body and
child area. A constant number of indexed aggregate queries, whatever the history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, Q, Value
from django.db.models.functions import Substr
from django.utils import timezone

from grids.models import Area, Level

from .models import Dispute, DisputeKind, DisputeSource


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _grouped(qs, lo: datetime, hi: datetime, *keys: str) -> dict:
    """Every measure per value of `keys`, in one grouped query over the disputes touched in the period."""
    received = Q(created_at__gte=lo, created_at__lt=hi)
    agreed = Q(agreed_at__gte=lo, agreed_at__lt=hi)
    failed = Q(failed_at__gte=lo, failed_at__lt=hi)
    rows = (
        qs.filter(received | agreed | failed)
        .values(*keys)
        .annotate(
            received=Count("id", filter=received),
            succeeded=Count("id", filter=agreed),
            failed=Count("id", filter=failed),
            before_litigation=Count("id", filter=agreed & ~Q(source=DisputeSource.COURT_REFERRAL)),
        )
        .order_by()
    )
    return {tuple(r[k] for k in keys): r for r in rows}


def _by_kind(qs, lo: datetime, hi: datetime) -> dict:
    """Every measure per kind, as `_grouped(qs, lo, hi, "kind")` gives it, but as three aggregates
    in one statement (UNION ALL), each on its own date's covering index (`dispute_created_cover`,
    `dispute_agreed_cover`, `dispute_failed_cover`): an index-only scan of the period's rows
    instead of a heap visit per dispute touched in the period."""
    zero = Value(0, output_field=IntegerField())
    columns = ("kind", *MEASURES)

    def part(window: Q, **measures) -> object:
        values = {m: measures.get(m, zero) for m in MEASURES}
        return qs.filter(window).order_by().values("kind").annotate(**values).values(*columns)

    received = part(Q(created_at__gte=lo, created_at__lt=hi), received=Count("*"))
    agreed = part(
        Q(agreed_at__gte=lo, agreed_at__lt=hi),
        succeeded=Count("*"),
        before_litigation=Count("kind", filter=~Q(source=DisputeSource.COURT_REFERRAL)),
    )
    failed = part(Q(failed_at__gte=lo, failed_at__lt=hi), failed=Count("*"))
    out: dict = {}
    for row in received.union(agreed, failed, all=True):
        counts = out.setdefault((row["kind"],), dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            counts[m] += row[m]
    return out


def _row(c: dict) -> dict:
    mediated = c["succeeded"] + c["failed"]
    return {
        "received": c["received"],
        "mediated": mediated,
        "succeeded": c["succeeded"],
        "failed": c["failed"],
        "success_rate": _rate(c["succeeded"], mediated),
        "resolved_before_litigation": c["before_litigation"],
    }


def screening_missing(area: Area, start: date, end: date) -> int:
    """Village-months in the period's months (up to this month) with no screening report: one query."""
    today = timezone.localdate()
    months = [m for m in _months(start, end) if m <= today]
    if not months:
        return 0
    counts = Area.objects.filter(level=Level.VILLAGE, path__startswith=area.path).aggregate(
        villages=Count("id", distinct=True),
        reported=Count("screenings", filter=Q(screenings__month__in=months)),
    )
    return max(counts["villages"] * len(months) - counts["reported"], 0)


MEASURES = ("received", "succeeded", "failed", "before_litigation")


def mediation_figures(*, area: Area, start: date, end: date, breakdown: bool = True) -> dict:
    """The mediation block of the dashboard and the reports, for `area` over [start, end] (inclusive):
    totals and the split by kind in one grouped query, the screening gap in another; with
    `breakdown`, by body and by child area too (three more)."""
    lo, hi = _start(start), _start(end + timedelta(days=1))
    qs = Dispute.objects.filter(area_path__startswith=area.path)
    by_kind = _by_kind(qs, lo, hi)
    total = {m: sum(r[m] for r in by_kind.values()) for m in MEASURES}
    result = _row(total) | {"screening_missing": screening_missing(area, start, end)}
    result["by_kind"] = sorted(
        ({"kind": k, "name": str(DisputeKind(k).label), **_row(c)} for (k,), c in by_kind.items()),
        key=lambda r: (-r["received"], r["kind"]),
    )
    if not breakdown:
        return result
    by_org = _grouped(qs.filter(organisation__isnull=False), lo, hi, "organisation", "organisation__name")
    result["by_organisation"] = sorted(
        ({"id": pk, "name": name, **_row(c)} for (pk, name), c in by_org.items()),
        key=lambda r: (-r["mediated"], -r["received"], r["name"]),
    )[:20]
    children = list(Area.objects.filter(parent=area).order_by("code").values_list("pk", "path", "name"))
    per_child = {}
    if children:
        # Codes of one level have one length: cut the dispute's path at the children's length.
        length = len(children[0][1])
        per_child = _grouped(qs.annotate(child_path=Substr("area_path", 1, length)), lo, hi, "child_path")
    empty = dict.fromkeys(MEASURES, 0)
    result["by_area"] = [{"id": pk, "name": name, **_row(per_child.get((path,), empty))} for pk, path, name in children]
    return result
