"""Reports under /api/v1/reports/ (read-only; scoped like the pages: out of scope → 404)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

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

    @extend_schema_field(serializers.URLField())
    def get_xlsx(self, obj: Report) -> str:
        url = reverse("report_xlsx", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ReportDetailSerializer(ReportSerializer):
    data = serializers.JSONField(read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "data"]


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
