"""The dashboard page, its JSON API and its XLSX export. Thin: parse, scope, call dashboard_figures."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.exports import append_row
from grids.models import Area
from grids.selectors import areas_visible_to, get_scope

from .dashboard import MAX_DAYS, dashboard_figures


class PeriodForm(forms.Form):
    area = forms.IntegerField(required=False)
    from_ = forms.DateField(required=False, label=gettext_lazy("开始日期"))
    to = forms.DateField(required=False, label=gettext_lazy("结束日期"))

    def __init__(self, data, **kwargs):
        data = data.copy() if hasattr(data, "copy") else dict(data)
        if "from" in data:
            data["from_"] = data["from"]
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        to = cleaned.get("to") or today
        start = cleaned.get("from_") or (to - timedelta(days=29))
        if start > to:
            self.add_error("from_", _("开始日期不能晚于结束日期"))
        elif (to - start).days + 1 > MAX_DAYS:
            self.add_error("from_", _("时间范围不能超过 %(days)s 天") % {"days": MAX_DAYS})
        cleaned["from_"], cleaned["to"] = start, to
        return cleaned


def dashboard_area(user, area_id: int | None) -> Area:
    """The area to show: the requested one if the user reads it with an area role, else 404;
    without a request, the user's widest area."""
    scope = get_scope(user)
    if area_id is None:
        area = scope.home_area() if not scope.is_admin else Area.objects.filter(parent=None).order_by("code").first()
        if area is None:
            raise Http404
        return area
    area = areas_visible_to(user).filter(pk=area_id).first()
    # Department staff see only what was dispatched to them, never an area's totals.
    if area is None or not scope.covers(area.path):
        raise Http404
    return area


def _parse(request, params) -> tuple[Area, date, date, PeriodForm]:
    form = PeriodForm(params)
    if not form.is_valid():
        return None, None, None, form
    area = dashboard_area(request.user, form.cleaned_data.get("area"))
    return area, form.cleaned_data["from_"], form.cleaned_data["to"], form


def _errors(form: PeriodForm) -> dict:
    return {("from" if k == "from_" else k): [str(m) for m in v] for k, v in form.errors.items()}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    area, start, end, form = _parse(request, request.GET)
    if area is None:
        area = dashboard_area(request.user, None)
        today = timezone.localdate()
        start, end = today - timedelta(days=29), today
    figures = dashboard_figures(area=area, start=start, end=end, user=request.user)
    return render(
        request,
        "governance/dashboard.html",
        {
            "figures": figures,
            "form": form,
            "area": area,
            "start": start,
            "end": end,
            "form_errors": _errors(form),
            "chart_text": {
                "new": _("新增"),
                "closed": _("结案"),
                "response": _("响应率"),
                "resolution": _("解决率"),
                "satisfaction": _("满意率"),
                "open": _("办理中"),
                "overdue": _("超期"),
                "cases": _("事项"),
            },
        },
    )


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    area, start, end, form = _parse(request, request.GET)
    if area is None:
        return HttpResponse("; ".join(m for ms in _errors(form).values() for m in ms), status=400)
    figures = dashboard_figures(area=area, start=start, end=end, user=request.user)
    response = HttpResponse(
        figures_xlsx(figures), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="dashboard-{area.code}-{start}-{end}.xlsx"'
    return response


def _pct(value):
    return "—" if value is None else round(value * 100, 1)


def figures_xlsx(figures: dict) -> bytes:
    """The figures on screen as a workbook: KPIs, child areas, categories, departments, trend."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("指标")
    k = figures["kpis"]
    append_row(ws, [_("区域"), figures["area"]["name"]])
    append_row(ws, [_("时间范围"), f"{figures['period']['from']} ~ {figures['period']['to']}"])
    for label, value in [
        (_("今日新增"), k["new_today"]),
        (_("本周新增"), k["new_week"]),
        (_("期间新增"), k["new"]),
        (_("办理中"), k["in_progress"]),
        (_("已超期"), k["overdue"]),
        (_("期间结案"), k["closed"]),
        (_("按时办结率(%)"), _pct(k["on_time_rate"])),
        (_("响应率(%)"), _pct(k["response_rate"])),
        (_("解决率(%)"), _pct(k["resolution_rate"])),
        (_("满意率(%)"), _pct(k["satisfaction_rate"])),
    ]:
        append_row(ws, [label, value])
    ws = wb.create_sheet(_("下级区域"))
    append_row(
        ws, [_("区域"), _("新增"), _("办理中"), _("超期"), _("结案"), _("响应率(%)"), _("解决率(%)"), _("满意率(%)")]
    )
    for c in figures["children"]:
        append_row(
            ws,
            [
                c["name"],
                c["new"],
                c["open"],
                c["overdue"],
                c["closed"],
                _pct(c["response_rate"]),
                _pct(c["resolution_rate"]),
                _pct(c["satisfaction_rate"]),
            ],
        )
    ws = wb.create_sheet(_("分类"))
    append_row(ws, [_("分类"), _("新增")])
    for c in figures["categories"]:
        append_row(ws, [c["name"], c["count"]])
    ws = wb.create_sheet(_("部门"))
    append_row(ws, [_("部门"), _("超期"), _("退单"), _("延期")])
    for d in figures["departments"]:
        append_row(ws, [d["name"], d["overdue"], d["returns"], d["extensions"]])
    ws = wb.create_sheet(_("趋势"))
    append_row(ws, [_("日期"), _("新增"), _("结案")])
    for day, new, closed in zip(
        figures["trend"]["days"], figures["trend"]["new"], figures["trend"]["closed"], strict=True
    ):
        append_row(ws, [day, new, closed])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class DashboardAPIView(APIView):
    """GET /api/v1/dashboard/?area=&from=&to= — every figure the dashboard page shows."""

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            404: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="The area is not one the caller reads with an area role, or the caller has none "
                "(department staff see only what is dispatched to them).",
            ),
        },
    )
    def get(self, request):
        area, start, end, form = _parse(request, request.query_params)
        if area is None:
            return Response(_errors(form), status=400)
        return Response(dashboard_figures(area=area, start=start, end=end, user=request.user))
