"""Mediation figures for an area (by its path) and a period: received, mediated, succeeded, failed,
the success rate, resolved before litigation and screening reports missing, by kind, body and
child area. A constant number of indexed aggregate queries, whatever the history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from grids.models import Area, Level

from .models import Dispute, DisputeSource, MediationOrg, ScreeningReport


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


def _counts(qs, lo: datetime, hi: datetime) -> dict:
    return qs.aggregate(
        received=Count("id", filter=Q(created_at__gte=lo, created_at__lt=hi)),
        succeeded=Count("id", filter=Q(agreed_at__gte=lo, agreed_at__lt=hi)),
        failed=Count("id", filter=Q(failed_at__gte=lo, failed_at__lt=hi)),
        before_litigation=Count(
            "id", filter=Q(agreed_at__gte=lo, agreed_at__lt=hi) & ~Q(source=DisputeSource.COURT_REFERRAL)
        ),
    )


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


def _grouped(qs, lo: datetime, hi: datetime, key: str) -> dict:
    rows = {}
    for field, name in (("created_at", "received"), ("agreed_at", "succeeded"), ("failed_at", "failed")):
        for r in qs.filter(**{f"{field}__gte": lo, f"{field}__lt": hi}).values(key).annotate(n=Count("id")):
            rows.setdefault(r[key], {"received": 0, "succeeded": 0, "failed": 0, "before_litigation": 0})[name] = r["n"]
    for r in (
        qs.filter(agreed_at__gte=lo, agreed_at__lt=hi)
        .exclude(source=DisputeSource.COURT_REFERRAL)
        .values(key)
        .annotate(n=Count("id"))
    ):
        rows[r[key]]["before_litigation"] = r["n"]
    return rows


def screening_missing(area: Area, start: date, end: date) -> int:
    """Village-months in the period's months (up to this month) with no screening report."""
    today = timezone.localdate()
    months = [m for m in _months(start, end) if m <= today]
    if not months:
        return 0
    villages = Area.objects.filter(level=Level.VILLAGE, path__startswith=area.path).count()
    if area.level == Level.VILLAGE:
        villages = 1
    reported = ScreeningReport.objects.filter(area_path__startswith=area.path, month__in=months).count()
    return max(villages * len(months) - reported, 0)


def mediation_figures(*, area: Area, start: date, end: date, breakdown: bool = True) -> dict:
    """The mediation block of the dashboard and the reports, for `area` over [start, end] (inclusive)."""
    lo, hi = _start(start), _start(end + timedelta(days=1))
    qs = Dispute.objects.filter(area_path__startswith=area.path)
    result = _row(_counts(qs, lo, hi)) | {"screening_missing": screening_missing(area, start, end)}
    if not breakdown:
        return result
    from .models import DisputeKind

    by_kind = _grouped(qs, lo, hi, "kind")
    by_org = _grouped(qs, lo, hi, "organisation")
    org_names = dict(MediationOrg.objects.filter(pk__in=[k for k in by_org if k]).values_list("pk", "name"))
    children = list(Area.objects.filter(parent=area).order_by("code").values_list("pk", "path", "name"))
    per_child = _grouped_by_child(qs, lo, hi, [path for _pk, path, _name in children])
    empty = {"received": 0, "succeeded": 0, "failed": 0, "before_litigation": 0}
    by_child = [{"id": pk, "name": name, **_row(per_child.get(path, empty))} for pk, path, name in children]
    result["by_kind"] = sorted(
        ({"kind": k, "name": str(DisputeKind(k).label), **_row(c)} for k, c in by_kind.items() if k),
        key=lambda r: (-r["received"], r["kind"]),
    )
    result["by_organisation"] = sorted(
        ({"id": k, "name": org_names.get(k, ""), **_row(c)} for k, c in by_org.items() if k),
        key=lambda r: (-r["mediated"], -r["received"], r["name"]),
    )[:20]
    result["by_area"] = by_child
    return result


def _grouped_by_child(qs, lo: datetime, hi: datetime, child_paths: list[str]) -> dict:
    """Counts per child area: the dispute's path cut at the children's length (codes of one level
    have one length), grouped in SQL."""
    if not child_paths:
        return {}
    length = len(child_paths[0])
    return _grouped(qs.annotate(child_path=Substr("area_path", 1, length)), lo, hi, "child_path")
