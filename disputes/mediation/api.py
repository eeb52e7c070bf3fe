"""Mediation under /api/v1/: mediation-orgs, disputes (with actions) and screenings."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from grids.api_base import Conflict
from grids.models import Area, Building
from grids.selectors import areas_visible_to

from ..selectors import cases_visible_to
from . import selectors, services
from .actions import perform_action
from .models import DisputeKind, DisputeStatus, MediationOrg, Mediator, OrgKind, RiskLevel
from .serializers import (
    DisputeCreateSerializer,
    DisputeDetailSerializer,
    DisputeListSerializer,
    MediationOrgDetailSerializer,
    MediationOrgSerializer,
    ScreeningCreateSerializer,
    ScreeningSerializer,
)
from .workflow import ACTION_NAMES, ActionConflict, ActionNotAllowed


def _visible_area(user, value, field: str = "area") -> Area:
    area = areas_visible_to(user).filter(pk=value).first()
    if area is None:
        raise serializers.ValidationError({field: [_("区域不存在或不在您的范围内")]})
    return area


class MediationOrgViewSet(viewsets.ReadOnlyModelViewSet):
    """Mediation bodies (调解组织) serving the caller's areas."""

    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MediationOrg.objects.none()
        qs = selectors.orgs_visible_to(self.request.user).prefetch_related(
            Prefetch(
                "mediators",
                queryset=Mediator.objects.filter(active=True).select_related("user"),
                to_attr="active_mediators",
            )
        )
        params = self.request.query_params
        if params.get("area"):
            if not params["area"].isdigit():
                raise serializers.ValidationError({"area": [_("区域不存在或不在您的范围内")]})
            area = _visible_area(self.request.user, params["area"])
            qs = qs.filter(area_path__startswith=area.path)
        if params.get("kind"):
            if params["kind"] not in OrgKind.values:
                raise serializers.ValidationError({"kind": [_("未知调解组织类型")]})
            qs = qs.filter(kind=params["kind"])
        return qs

    def get_serializer_class(self):
        return MediationOrgSerializer if self.action == "list" else MediationOrgDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT, description="bodies in this area's subtree"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=OrgKind.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class DisputeFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    area = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=DisputeKind.choices, required=False)
    risk = serializers.CharField(required=False)
    organisation = serializers.IntegerField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def validate_status(self, value):
        if any(v not in DisputeStatus.values for v in value.split(",")):
            raise serializers.ValidationError(_("未知状态"))
        return value

    def validate_risk(self, value):
        if any(v not in RiskLevel.values for v in value.split(",")):
            raise serializers.ValidationError(_("未知风险等级"))
        return value


def parse_dispute_filters(user, params) -> dict:
    f = DisputeFilterSerializer(data=params)
    f.is_valid(raise_exception=True)
    data = dict(f.validated_data)
    if "area" in data:
        data["area"] = _visible_area(user, data["area"])
    if "organisation" in data:
        data["organisation"] = selectors.orgs_visible_to(user).filter(pk=data["organisation"]).first()
        if data["organisation"] is None:
            raise serializers.ValidationError({"organisation": [_("调解组织不存在")]})
    return data


class DisputeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Disputes (纠纷) in mediation; who sees one is decided in selectors.disputes_visible_to."""

    lookup_value_regex = "[0-9]+"

    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.dispute_list_queryset(self.request.user)
        return selectors.dispute_detail_queryset(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return DisputeListSerializer
        if self.action == "create":
            return DisputeCreateSerializer
        return DisputeDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="one status or several, comma-separated"),
            OpenApiParameter("area", OpenApiTypes.INT, description="disputes in this area's subtree"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=DisputeKind.values),
            OpenApiParameter("risk", OpenApiTypes.STR, description="risk level(s), comma-separated"),
            OpenApiParameter("organisation", OpenApiTypes.INT),
            OpenApiParameter("q", OpenApiTypes.STR, description="number prefix or text"),
        ]
    )
    def list(self, request, *args, **kwargs):
        filters = parse_dispute_filters(request.user, request.query_params)
        qs = selectors.filter_disputes(self.get_queryset(), **filters)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = DisputeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "area" in data:
            data["area"] = _visible_area(request.user, data["area"])
        if "case" in data:
            data["case"] = cases_visible_to(request.user).filter(pk=data["case"]).first()
            if data["case"] is None:
                raise serializers.ValidationError({"case": [_("事项不存在或不在您的范围内")]})
        if "building" in data:
            data["building"] = Building.objects.filter(pk=data["building"]).first()
            if data["building"] is None:
                raise serializers.ValidationError({"building": [_("楼栋不存在")]})
        data["parties"] = [dict(p) for p in data["parties"]]
        try:
            dispute = services.dispute_create(by=request.user, **data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        dispute = selectors.dispute_detail_queryset(request.user).get(pk=dispute.pk)
        return Response(
            DisputeDetailSerializer(dispute, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: DisputeDetailSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)")
    def actions(self, request, pk=None, name=None):
        """Take one mediation action (assign, accept, session, agree, fail, refer, confirm, fulfil,
        follow_up, close) on the dispute."""
        dispute = get_object_or_404(selectors.dispute_detail_queryset(request.user), pk=pk)
        if name not in ACTION_NAMES:
            raise Http404
        try:
            with transaction.atomic():
                perform_action(user=request.user, dispute=dispute, action=name, data=request.data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ActionConflict as exc:
            raise Conflict(str(exc)) from exc
        dispute = selectors.dispute_detail_queryset(request.user).get(pk=pk)
        return Response(DisputeDetailSerializer(dispute, context={"request": request}).data)


class ScreeningViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Monthly screening reports (矛盾纠纷排查); 0 disputes found is a zero report (零报告)."""

    serializer_class = ScreeningSerializer

    def get_queryset(self):
        return selectors.screenings_visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
            OpenApiParameter("area", OpenApiTypes.INT, description="reports in this area's subtree"),
        ]
    )
    def list(self, request, *args, **kwargs):
        qs = self.get_queryset()
        month = request.query_params.get("month")
        if month:
            qs = qs.filter(month=_parse_month(month))
        if request.query_params.get("area"):
            value = request.query_params["area"]
            if not value.isdigit():
                raise serializers.ValidationError({"area": [_("区域不存在或不在您的范围内")]})
            qs = qs.filter(area_path__startswith=_visible_area(request.user, value).path)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=ScreeningCreateSerializer,
        responses={
            201: ScreeningSerializer,
            404: OpenApiResponse(description="The area is not one the caller may report for (outside its scope)."),
        },
    )
    def create(self, request, *args, **kwargs):
        body = ScreeningCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # A grid worker reports for the village above its grid: in scope for this, though not "visible".
        area = (
            areas_visible_to(request.user).filter(pk=data["area"]).first()
            or selectors.screening_areas_for(request.user).filter(pk=data["area"]).first()
        )
        if area is None:
            raise Http404
        try:
            report = services.screening_report(
                by=request.user,
                area=area,
                month=_parse_month(data["month"]),
                disputes_found=data["disputes_found"],
                notes=data.get("notes", ""),
            )
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ScreeningSerializer(report).data, status=status.HTTP_201_CREATED)


def _parse_month(text: str) -> date:
    try:
        year, month = (int(x) for x in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError as exc:
        raise serializers.ValidationError({"month": [_("月份格式为 YYYY-MM")]}) from exc
