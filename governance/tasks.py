"""Thin report tasks: work out the period, call the service. Safe to run twice: a period's report
is one unique row that regenerating replaces, and its announcement is deduplicated."""

from __future__ import annotations

from celery import shared_task

from grids.models import User

from . import reports
from .models import ReportKind


@shared_task(acks_late=True)
def make_weekly_reports() -> list[int]:
    """Monday morning (beat): every town's and the district's report of the week just ended."""
    made = reports.make_weekly_reports(week_start=reports.previous_week_start())
    return [r.pk for r in made]


@shared_task(acks_late=True)
def make_monthly_reports() -> list[int]:
    """The 1st (beat): the district's ranking of the month just ended."""
    made = reports.make_monthly_reports(month_start=reports.previous_month_start())
    return [r.pk for r in made]


@shared_task(acks_late=True)
def generate_report(kind: str, period: str, user_id: int | None = None) -> list[int]:
    """The on-demand button: one past period ("2026-W47" or "2026-11"), for the areas the user reads."""
    by = None
    if user_id is not None:
        by = User.objects.filter(pk=user_id, is_active=True).first()
        if by is None:  # the account went away while the task waited: nothing to do for nobody
            return []
    start = reports.parse_period(kind=ReportKind(kind), text=period)
    return [r.pk for r in reports.generate_reports(kind=kind, start=start, by=by)]


@shared_task(acks_late=True)
def sweep_legal_deadlines() -> str:
    """Beside the case sweep (beat): legal-aid review clocks, each alert raised once."""
    from legal_services.sweep import sweep_aid_reviews

    return str(sweep_aid_reviews())
