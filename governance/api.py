"""Reports under /api/v1/reports/ (read-only; scoped like the pages: out of scope → 404)."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers, viewsets
from rest_framework.decorators import action

from . import reports
from .models import Report


class ReportAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()


class ReportSerializer(serializers.ModelSerializer):
    area = ReportAreaSerializer(read_only=True)
    period = serializers.CharField(source="period_label", read_only=True, help_text="2026-W47 or 2026-11")
    period_end = serializers.DateField(read_only=True, help_text="The first day after the period (exclusive).")
    xlsx = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "area", "period", "period_start", "period_end", "created_at", "xlsx"]

    @extend_schema_field(serializers.URLField(help_text="The workbook, for the same token as this answer."))
    def get_xlsx(self, obj: Report) -> str:
        # The API's own action: a token client gets the workbook, not the login page (issue 18/13).
        url = reverse("report-xlsx", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ReportDetailSerializer(ReportSerializer):
    data = serializers.JSONField(read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "data"]


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxRenderer(renderers.BaseRenderer):
    """Lets a client ask for the workbook by `Accept`; errors are still JSON."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Weekly reports and monthly rankings of the areas the caller reads (officials, center staff).

    Filters: `kind` (weekly|monthly), `area` (id). The list leaves out `data`; the detail has it.
    """

    lookup_value_regex = "[0-9]+"

    filterset_fields = ["kind", "area"]

    def get_queryset(self):
        qs = reports.reports_visible_to(self.request.user).select_related("area")
        return qs.defer("data") if self.action == "list" else qs

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        # An error answer is JSON and says so, also when the client asked for the workbook
        # (`?format=xlsx` or `Accept:`): it was a JSON body labelled as a spreadsheet.
        if getattr(response, "exception", False) and isinstance(
            getattr(request, "accepted_renderer", None), XlsxRenderer
        ):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The report as XLSX."),
            404: OpenApiResponse(description="Not a report the caller reads."),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, XlsxRenderer])
    def xlsx(self, request, pk=None):
        """The report as an XLSX workbook (headers in the request's language), with the API's auth."""
        report = self.get_object()
        filename = f"report-{report.area.code}-{report.kind}-{report.period_label}.xlsx"
        return HttpResponse(
            reports.report_xlsx(report),
            content_type=XLSX_CONTENT_TYPE,
            headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
        )
