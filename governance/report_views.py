"""Report pages: the list, one report, its XLSX, and the on-demand "generate" button with a progress
page. Thin: parse, ask `governance.reports`, render. Out-of-scope reports read as 404."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from grids import outbox
from grids.models import Area, Level
from grids.periods import percent_text

from . import reports
from .models import Report, ReportKind

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GENERATE_TASK = "governance.tasks.generate_report"


_pct = percent_text


def _rate_rows(rates: dict) -> list[dict]:
    return [
        {
            "key": key,
            "label": reports.RATE_LABELS[key],
            "help": reports.RATE_HELP[key],
            "display": _pct(rates[key]["rate"]),
            "numerator": rates[key]["numerator"],
            "denominator": rates[key]["denominator"],
        }
        for key in (*reports.RATE_KEYS, "on_time")
        if key in rates
    ]


def _ranking_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            **row,
            "score_display": "—" if row["score"] is None else f"{row['score']:.2f}",
            "rate_displays": [_pct(row["rates"][key]["rate"]) for key in reports.RATE_KEYS],
        }
        for row in rows
    ]


def _present(report: Report) -> dict:
    """The stored figures as rows the template can print: labels, percentages, "—" for no rate."""
    figures = report.data.get("figures", {})
    ranking = report.data.get("ranking")
    satisfaction = figures.get("satisfaction", {})
    return {
        "counts": [
            {"key": key, "label": reports.COUNT_LABELS[key], "value": value}
            for key, value in figures.get("counts", {}).items()
        ],
        "rates": _rate_rows(figures.get("rates", {})),
        "satisfaction": [
            {"label": label, "value": satisfaction.get(value, 0)}
            for value, label in reports.SATISFACTION_LABELS.items()
        ],
        "categories": figures.get("categories", []),
        "overdue_departments": figures.get("overdue_departments", []),
        "returns": figures.get("returns", []),
        "returns_total": figures.get("returns_total", 0),
        "extensions": [
            {"label": reports.EXTENSION_LABELS[key], "value": value}
            for key, value in figures.get("extensions", {}).items()
        ],
        "ranking": ranking
        and {
            "weights": [
                {"label": reports.RATE_LABELS[key], "value": f"{weight:g}"}
                for key, weight in zip(reports.RATE_KEYS, ranking["weights"], strict=True)
            ],
            "rate_labels": [reports.RATE_LABELS[key] for key in reports.RATE_KEYS],
            "towns": _ranking_rows(ranking["towns"]),
            "departments": _ranking_rows(ranking["departments"]),
        },
    }


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ReportKind.values:
        kind = ""
    qs = reports.reports_visible_to(request.user).select_related("area").defer("data")
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/report_list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": ReportKind.choices,
            "query": urlencode({"kind": kind}) if kind else "",
            "can_generate": reports.can_generate(request.user),
        },
    )


def _visible_report(request: HttpRequest, pk: int) -> Report:
    return get_object_or_404(reports.reports_visible_to(request.user).select_related("area", "generated_by"), pk=pk)


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    return render(request, "governance/report_detail.html", {"report": report, **_present(report)})


@login_required
@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    filename = f"report-{report.area.code}-{report.kind}-{report.period_label}.xlsx"
    return HttpResponse(
        reports.report_xlsx(report),
        content_type=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )


class GenerateReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("报表类型"), choices=ReportKind.choices, initial=ReportKind.WEEKLY, widget=forms.RadioSelect
    )
    period = forms.CharField(
        label=gettext_lazy("周期"),
        max_length=10,
        help_text=gettext_lazy("周报填写 ISO 周,如 2026-W47;月度排名填写月份,如 2026-11。只能生成已结束的周期。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict:
        data = super().clean()
        kind, text = data.get("kind"), data.get("period")
        if not kind or not text:
            return data
        try:
            start = reports.parse_period(kind=kind, text=text)
        except reports.PeriodError as exc:
            self.add_error("period", str(exc))
            return data
        if not reports.period_is_over(kind=kind, start=start):
            self.add_error("period", _("该周期尚未结束,只能生成已结束的周或月"))
            return data
        areas = reports.report_areas_for(self.user)
        if kind == ReportKind.MONTHLY:
            areas = areas.filter(level=Level.DISTRICT)
        # The page then follows the widest report the user will get.
        target = areas.first()
        if target is None:
            self.add_error("kind", _("您负责的区域没有这类报表"))
            return data
        data.update(start=start, period=reports.period_label(kind=kind, start=start), target=target)
        return data


@login_required
@require_http_methods(["GET", "POST"])
def report_generate(request: HttpRequest) -> HttpResponse:
    """Generate a past week or month now: queue the task, then follow it on the progress page."""
    if not reports.can_generate(request.user):
        raise PermissionDenied
    initial = {
        "kind": ReportKind.WEEKLY,
        "period": reports.period_label(kind="weekly", start=reports.previous_week_start()),
    }
    form = GenerateReportForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        kind, period, target = form.cleaned_data["kind"], form.cleaned_data["period"], form.cleaned_data["target"]
        # Taken before queueing: a report made after this moment is the one asked for.
        since = timezone.now()
        with transaction.atomic():
            outbox.enqueue(GENERATE_TASK, kind, period, request.user.pk)
        query = urlencode({"kind": kind, "period": period, "area": target.pk, "since": since.isoformat()})
        return redirect(f"{reverse('report_progress')}?{query}")
    return render(request, "governance/report_generate.html", {"form": form})


def _awaited(request: HttpRequest) -> tuple[str, str, Area, datetime]:
    """The kind, period, area and start time a progress page waits for; malformed or out of scope → 404."""
    kind, period = request.GET.get("kind", ""), request.GET.get("period", "")
    since = parse_datetime(request.GET.get("since", ""))
    try:
        reports.parse_period(kind=kind, text=period)
        area = reports.report_areas_for(request.user).get(pk=int(request.GET.get("area", "")))
    except (reports.PeriodError, ValueError, Area.DoesNotExist):
        raise Http404 from None
    if since is None or since.tzinfo is None:
        raise Http404
    return kind, period, area, since


def _ready(request: HttpRequest, kind: str, period: str, area: Area, since: datetime) -> Report | None:
    start = reports.parse_period(kind=kind, text=period)
    return (
        reports.reports_visible_to(request.user)
        .filter(kind=kind, area=area, period_start=start, created_at__gte=since)
        .only("pk")
        .first()
    )


@login_required
@require_GET
def report_progress(request: HttpRequest) -> HttpResponse:
    kind, period, area, since = _awaited(request)
    report = _ready(request, kind, period, area, since)
    if report is not None:
        return redirect("report_detail", report.pk)
    return render(
        request,
        "governance/report_progress.html",
        {
            "kind_label": ReportKind(kind).label,
            "period": period,
            "area": area,
            "status_url": f"{reverse('report_status')}?{request.GET.urlencode()}",
        },
    )


@login_required
@require_GET
def report_status(request: HttpRequest) -> JsonResponse:
    """{"ready": bool, "url": the report's page once it exists}: polled by the progress page."""
    kind, period, area, since = _awaited(request)
    report = _ready(request, kind, period, area, since)
    return JsonResponse(
        {"ready": report is not None, "url": reverse("report_detail", args=[report.pk]) if report else None}
    )
