"""Legal-services figures per area (path) and period, for the dashboard and the weekly report.

Each figure is one aggregate on an (area_path, date) index; a constant number of queries whatever
the history. Dates are local dates; `end` is inclusive.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, Func, IntegerField, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids import caching
from grids.models import Area, Level, Resident

from .models import AidApplication, AidStatus, Consultation, LawEvent, Lawyer, LegalSavvyResident

GRANTED = (AidStatus.APPROVED, AidStatus.ASSIGNED, AidStatus.CLOSED)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class _CountAll(Func):
    """COUNT(*) inside a scalar subquery (not an Aggregate, so no GROUP BY on the outer query)."""

    template = "COUNT(*)"
    output_field = IntegerField()


def _count(qs) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().annotate(n=_CountAll()).values("n")[:1]), 0)


def _sum(qs, field: str) -> Coalesce:
    total = Func(F(field), function="SUM", output_field=IntegerField())
    return Coalesce(Subquery(qs.order_by().annotate(n=total).values("n")[:1]), 0)


def legal_figures(*, area_path: str, start: date, end: date) -> dict:
    """consultations; aid applications, approved and closed; events and people reached; legal-savvy
    residents per 1,000 residents; villages without a (current) adviser. One query: each figure
    is a scalar subquery on its (area_path, date) index."""
    lo, hi = _start_of(start), _start_of(end + timedelta(days=1))
    aid = AidApplication.objects.filter(area_path__startswith=area_path)
    events = LawEvent.objects.filter(area_path__startswith=area_path, held_on__gte=start, held_on__lte=end)
    advised = Lawyer.villages.through.objects.filter(
        area__path__startswith=area_path, lawyer__term_from__lte=end, lawyer__term_to__gte=end
    ).values("area_id")
    row = (
        Area.objects.filter(path=area_path)
        .annotate(
            consultations=_count(
                Consultation.objects.filter(area_path__startswith=area_path, asked_at__gte=lo, asked_at__lt=hi)
            ),
            aid_applications=_count(aid.filter(applied_at__gte=lo, applied_at__lt=hi)),
            aid_approved=_count(aid.filter(decided_at__gte=lo, decided_at__lt=hi, status__in=GRANTED)),
            aid_closed=_count(aid.filter(closed_at__gte=lo, closed_at__lt=hi)),
            events=_count(events),
            people_reached=_sum(events, "audience"),
            materials=_sum(events, "materials"),
            savvy_residents=_count(LegalSavvyResident.objects.filter(area_path__startswith=area_path, active=True)),
            villages_without_adviser=_count(
                Area.objects.filter(path__startswith=area_path, level=Level.VILLAGE).exclude(pk__in=advised)
            ),
        )
        .values(*FIGURES)
        .first()
    )
    if row is None:
        return dict.fromkeys(FIGURES, 0) | {"savvy_per_1000": None}
    residents = population(area_path)
    row["savvy_per_1000"] = round(row["savvy_residents"] * 1000 / residents, 2) if residents else None
    return row


# The registered population moves slowly (a household registered, a resident moved out), and counting
# a district's 200,000 residents costs more than the rest of the dashboard: the denominator of
# "legal-savvy residents per 1,000" is counted at most once per area every POPULATION_SECONDS.
POPULATION_SECONDS = 600


def _population_key(area_path: str) -> str:
    return f"legal:population:{area_path}"


def forget_population(area_path: str) -> None:
    """A resident registered, changed or removed under `area_path`: every enclosing area counts again."""
    parts = [p for p in area_path.split("/") if p]
    caching.forget([_population_key("/".join(parts[:i]) + "/") for i in range(1, len(parts) + 1)])


def on_resident_changed(sender, instance: Resident, **kwargs) -> None:
    forget_population(instance.area_path or "")


def population(area_path: str) -> int:
    """Registered residents under `area_path`, counted at most every POPULATION_SECONDS (cache)."""
    return caching.remember(
        _population_key(area_path),
        lambda: Resident.objects.filter(area_path__startswith=area_path).count(),
        POPULATION_SECONDS,
    )


FIGURES = [
    "consultations",
    "aid_applications",
    "aid_approved",
    "aid_closed",
    "events",
    "people_reached",
    "materials",
    "savvy_residents",
    "villages_without_adviser",
]


def dashboard_block(*, area: Area, start: date, end: date) -> dict:
    """The `legal` block of GET /api/v1/dashboard/ and of the dashboard page."""
    return legal_figures(area_path=area.path, start=start, end=end)


def report_block(*, area: Area, start: date, end: date) -> dict:
    """The legal section of the weekly report; `end` is exclusive there (the report's convention)."""
    return legal_figures(area_path=area.path, start=start, end=end - timedelta(days=1))
