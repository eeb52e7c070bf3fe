"""Legal-services figures per area (path) and period, for the dashboard and the weekly report.

Each figure is one aggregate on an (area_path, date) index; a constant number of queries whatever
the history. Dates are local dates; `end` is inclusive.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from grids.models import Area, Level, Resident

from .models import AidApplication, AidStatus, Consultation, LawEvent, Lawyer, LegalSavvyResident

GRANTED = (AidStatus.APPROVED, AidStatus.ASSIGNED, AidStatus.CLOSED)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def legal_figures(*, area_path: str, start: date, end: date) -> dict:
    """consultations; aid applications, approved and closed; events and people reached; legal-savvy
    residents per 1,000 residents; villages without a (current) adviser."""
    lo, hi = _start_of(start), _start_of(end + timedelta(days=1))
    consultations = Consultation.objects.filter(
        area_path__startswith=area_path, asked_at__gte=lo, asked_at__lt=hi
    ).count()
    aid = AidApplication.objects.filter(area_path__startswith=area_path).aggregate(
        applications=Count("id", filter=Q(applied_at__gte=lo, applied_at__lt=hi)),
        approved=Count("id", filter=Q(decided_at__gte=lo, decided_at__lt=hi, status__in=GRANTED)),
        closed=Count("id", filter=Q(closed_at__gte=lo, closed_at__lt=hi)),
    )
    events = LawEvent.objects.filter(area_path__startswith=area_path, held_on__gte=start, held_on__lte=end).aggregate(
        events=Count("id"), people=Sum("audience"), materials=Sum("materials")
    )
    savvy = LegalSavvyResident.objects.filter(area_path__startswith=area_path, active=True).count()
    residents = Resident.objects.filter(area_path__startswith=area_path).count()
    villages = Area.objects.filter(path__startswith=area_path, level=Level.VILLAGE)
    advised = Lawyer.villages.through.objects.filter(
        area__path__startswith=area_path,
        lawyer__term_from__lte=end,
        lawyer__term_to__gte=end,
    ).values("area_id")
    without_adviser = villages.exclude(pk__in=advised).count()
    return {
        "consultations": consultations,
        "aid_applications": aid["applications"],
        "aid_approved": aid["approved"],
        "aid_closed": aid["closed"],
        "events": events["events"],
        "people_reached": events["people"] or 0,
        "materials": events["materials"] or 0,
        "savvy_residents": savvy,
        "savvy_per_1000": round(savvy * 1000 / residents, 2) if residents else None,
        "villages_without_adviser": without_adviser,
    }


def dashboard_block(*, area: Area, start: date, end: date) -> dict:
    """The `legal` block of GET /api/v1/dashboard/ and of the dashboard page."""
    return legal_figures(area_path=area.path, start=start, end=end)


def report_block(*, area: Area, start: date, end: date) -> dict:
    """The legal section of the weekly report; `end` is exclusive there (the report's convention)."""
    return legal_figures(area_path=area.path, start=start, end=end - timedelta(days=1))
