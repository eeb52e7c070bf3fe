"""Making reports: figures frozen into a `Report` row and announced to its readers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from disputes.mediation.figures import mediation_figures
from grids.models import Area, Level, User
from legal_services import figures as legal_figures

from ..models import Report, ReportKind
from .announce import announce
from .figures import weekly_figures
from .periods import period_end
from .ranking import monthly_ranking
from .selectors import REPORT_LEVELS, report_areas_for


@transaction.atomic
def _save(*, kind: str, area: Area, start: date, end: date, data: dict, by: User | None) -> Report:
    report, _created = Report.objects.update_or_create(
        kind=kind,
        area=area,
        period_start=start,
        defaults={"period_end": end, "data": data, "created_at": timezone.now(), "generated_by": by},
    )
    announce(report)
    return report


def make_weekly_reports(
    *,
    week_start: date,
    by: User | None = None,
    areas: Iterable[Area] | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """一周一反馈: the weekly report of every town and of the district for the week starting on
    `week_start` (a Monday), or of the given `areas` only. Regenerating replaces the figures."""
    if week_start.weekday() != 0:
        raise ValueError(f"{week_start} is not a Monday")
    end = period_end(kind=ReportKind.WEEKLY, start=week_start)
    areas = list(Area.objects.filter(level__in=REPORT_LEVELS).order_by("path") if areas is None else areas)
    made = []
    for area in areas:
        data = {"figures": weekly_figures(area=area, start=week_start, end=end)}
        # Public legal services: its own section, computed by legal_services (movable as one call).
        data["figures"]["legal"] = legal_figures.report_block(area=area, start=week_start, end=end)
        # Dispute mediation of the same week, by kind, body and area (disputes/mediation/figures.py).
        data["mediation"] = mediation_figures(area=area, start=week_start, end=end - timedelta(days=1))
        made.append(_save(kind=ReportKind.WEEKLY, area=area, start=week_start, end=end, data=data, by=by))
        if on_report:
            on_report(made[-1])
    return made


def make_monthly_reports(
    *,
    month_start: date,
    by: User | None = None,
    districts: Iterable[Area] | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """一月一调度: the district's monthly report for the month starting on `month_start` (a 1st):
    the ranking of its towns and departments, and the district's figures for the month."""
    if month_start.day != 1:
        raise ValueError(f"{month_start} is not the first day of a month")
    end = period_end(kind=ReportKind.MONTHLY, start=month_start)
    districts = list(Area.objects.filter(level=Level.DISTRICT).order_by("path") if districts is None else districts)
    made = []
    for district in districts:
        data = {
            "figures": weekly_figures(area=district, start=month_start, end=end),
            "ranking": monthly_ranking(district=district, start=month_start, end=end),
        }
        # Dispute mediation of the month, by kind, body and town (disputes/mediation/figures.py).
        data["mediation"] = mediation_figures(area=district, start=month_start, end=end - timedelta(days=1))
        made.append(_save(kind=ReportKind.MONTHLY, area=district, start=month_start, end=end, data=data, by=by))
        if on_report:
            on_report(made[-1])
    return made


def generate_reports(
    *,
    kind: str,
    start: date,
    by: User | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """All reports of one period. Asked for by a person (the on-demand button), only those of the
    areas that person reads; by the schedule or the command (`by=None`), all of them."""
    areas = report_areas_for(by) if by is not None else Area.objects.filter(level__in=REPORT_LEVELS).order_by("path")
    if kind == ReportKind.WEEKLY:
        return make_weekly_reports(week_start=start, by=by, areas=areas, on_report=on_report)
    if kind == ReportKind.MONTHLY:
        return make_monthly_reports(
            month_start=start, by=by, districts=areas.filter(level=Level.DISTRICT), on_report=on_report
        )
    raise ValueError(f"unknown report kind {kind!r}")
