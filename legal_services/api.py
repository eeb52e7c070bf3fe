"""/api/v1/legal/ (names fixed by the API contract). Thin: parse, ask selectors, call services.

Users without a legal-services or official role get 404 on every endpoint, lists included; a
visible record the caller may not change gives 403; the wrong state 409; bad input 400.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from grids.api_base import Conflict

from . import selectors, services
from .actions import perform_action, refer_consultation
from .models import ServicePointKind
from .serializers import (
    AdviserCreateSerializer,
    AdviserSerializer,
    AidCreateSerializer,
    AidDetailSerializer,
    AidListSerializer,
    AnswerSerializer,
    ConsultationCreateSerializer,
    ConsultationDetailSerializer,
    ConsultationSerializer,
    LawEventCreateSerializer,
    LawEventSerializer,
    ModelHouseholdSerializer,
    ReferResultSerializer,
    ReferSerializer,
    SavvyResidentCreateSerializer,
    SavvyResidentSerializer,
    ServicePointSerializer,
)
from .workflow import ACTION_NAMES, ActionConflict, ActionNotAllowed

Q_PARAM = OpenApiParameter("q", OpenApiTypes.STR, description="search text")
AREA_PARAM = OpenApiParameter("area", OpenApiTypes.INT, description="records in this area's subtree")


class LegalViewSet(viewsets.GenericViewSet):
    """Base: 404 for anyone without a legal-services or official role; writes need legal staff."""

    search_fields: list[str] = []
    api_error_codes = ("404",)  # the OpenAPI hook documents it on every operation (grids/api_base.py)
    lookup_value_regex = "[0-9]+"  # a malformed id (`abc`, `null`) is the JSON 404, not a 500

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not selectors.can_read(request.user):
            raise NotFound

    def require_write(self) -> None:
        if not selectors.can_write(self.request.user):
            raise PermissionDenied(_("只读角色不能登记法律服务记录"))

    def filter_queryset(self, queryset):
        params = self.request.query_params
        queryset = selectors.search(queryset, params.get("q", ""), self.search_fields)
        if params.get("area"):
            try:
                area_id = int(params["area"])
            except ValueError as exc:
                raise serializers.ValidationError({"area": [_("请输入区域编号")]}) from exc
            area = selectors.readable_areas(self.request.user).filter(pk=area_id).first()
            if area is None:
                raise serializers.ValidationError({"area": [_("区域不存在或不在您的范围内")]})
            queryset = selectors.in_area(queryset, area)
        return queryset

    def _create(self, body_class, service, output_class, **extra):
        self.require_write()
        body = body_class(data=self.request.data, context={"request": self.request})
        body.is_valid(raise_exception=True)
        try:
            obj = service(by=self.request.user, **body.validated_data, **extra)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(output_class(obj, context={"request": self.request}).data, status=status.HTTP_201_CREATED)


class SavvyResidentViewSet(LegalViewSet, mixins.ListModelMixin):
    serializer_class = SavvyResidentSerializer
    search_fields = ["resident__name", "village__name"]

    def get_queryset(self):
        return selectors.savvy_visible_to(self.request.user).order_by("area_path", "id")

    @extend_schema(parameters=[Q_PARAM, AREA_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SavvyResidentCreateSerializer, responses={201: SavvyResidentSerializer})
    def create(self, request):
        response = self._create(SavvyResidentCreateSerializer, services.savvy_register, SavvyResidentSerializer)
        response.data["training_count"] = 0
        return response


class AdviserViewSet(LegalViewSet, mixins.ListModelMixin):
    serializer_class = AdviserSerializer
    search_fields = ["name", "firm", "villages__name"]

    def get_queryset(self):
        return selectors.advisers_visible_to(self.request.user).order_by("area_path", "name", "id")

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).distinct()

    @extend_schema(parameters=[Q_PARAM, AREA_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AdviserCreateSerializer, responses={201: AdviserSerializer})
    def create(self, request):
        return self._create(AdviserCreateSerializer, services.lawyer_register, AdviserSerializer)


class ServicePointViewSet(LegalViewSet, mixins.ListModelMixin):
    serializer_class = ServicePointSerializer
    search_fields = ["name", "address"]

    def get_queryset(self):
        qs = selectors.service_points_visible_to(self.request.user).order_by("area_path", "kind", "name")
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in ServicePointKind.values:
                raise serializers.ValidationError({"kind": [_("未知类型:%(kind)s") % {"kind": kind}]})
            qs = qs.filter(kind=kind)
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=ServicePointKind.values), Q_PARAM, AREA_PARAM]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class ModelHouseholdViewSet(LegalViewSet, mixins.ListModelMixin):
    serializer_class = ModelHouseholdSerializer
    search_fields = ["head_name", "village__name"]

    def get_queryset(self):
        qs = selectors.model_households_visible_to(self.request.user).order_by("-year", "area_path", "id")
        year = self.request.query_params.get("year")
        if year:
            if not year.isdigit():
                raise serializers.ValidationError({"year": [_("请输入年份")]})
            qs = qs.filter(year=int(year))
        return qs

    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT), Q_PARAM, AREA_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class ConsultationViewSet(LegalViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    search_fields = ["question", "answer", "name", "resident__name"]

    def get_queryset(self):
        qs = selectors.consultations_visible_to(self.request.user).order_by("-asked_at", "-id")
        status_ = self.request.query_params.get("status")
        return qs.filter(status=status_) if status_ else qs

    def get_serializer_class(self):
        return ConsultationDetailSerializer if self.action == "retrieve" else ConsultationSerializer

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR), Q_PARAM, AREA_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ConsultationCreateSerializer, responses={201: ConsultationSerializer})
    def create(self, request):
        return self._create(ConsultationCreateSerializer, services.consultation_record, ConsultationSerializer)

    def _visible(self, pk):
        return get_object_or_404(selectors.consultations_visible_to(self.request.user), pk=pk)

    @extend_schema(request=AnswerSerializer, responses={200: ConsultationDetailSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer an open consultation."""
        consultation = self._visible(pk)
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.consultation_answer(by=request.user, consultation=consultation, **body.validated_data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ConsultationDetailSerializer(self._visible(pk), context={"request": request}).data)

    @extend_schema(request=ReferSerializer, responses={201: ReferResultSerializer})
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        """Refer the consultation on: `to` "aid" (with the application's extra fields) or "case"
        (with `category`, and `description` if it differs from the question)."""
        consultation = self._visible(pk)
        # The body is an object with a string `to` before anything reads it (a JSON array or a list
        # for `to` was a 500); the target's own form then validates the rest.
        body = ReferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                kind, target_id = refer_consultation(
                    user=request.user, consultation=consultation, to=body.validated_data["to"], data=request.data
                )
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"kind": kind, "id": target_id}, status=status.HTTP_201_CREATED)


class AidViewSet(LegalViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    search_fields = ["number", "reason", "name", "resident__name"]

    def get_queryset(self):
        if self.action == "list":
            qs = selectors.aid_visible_to(self.request.user).order_by("-applied_at", "-id")
            status_ = self.request.query_params.get("status")
            return qs.filter(status__in=status_.split(",")) if status_ else qs
        return selectors.aid_detail_queryset(self.request.user)

    def get_serializer_class(self):
        return AidListSerializer if self.action == "list" else AidDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="one status or several, comma-separated"),
            Q_PARAM,
            AREA_PARAM,
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AidCreateSerializer, responses={201: AidDetailSerializer})
    def create(self, request):
        self.require_write()
        body = AidCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            application = services.aid_apply(by=request.user, **body.validated_data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        application = selectors.aid_detail_queryset(request.user).get(pk=application.pk)
        return Response(AidDetailSerializer(application, context={"request": request}).data, status=201)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: AidDetailSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)")
    def actions(self, request, pk=None, name=None):
        """review {}, approve {comment?}, refuse {reason}, assign {lawyer}, close {outcome}."""
        if name not in ACTION_NAMES:
            raise Http404
        application = get_object_or_404(selectors.aid_visible_to(request.user), pk=pk)
        try:
            with transaction.atomic():
                perform_action(user=request.user, application=application, action=name, data=request.data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ActionConflict as exc:
            raise Conflict(str(exc)) from exc
        application = selectors.aid_detail_queryset(request.user).get(pk=pk)
        return Response(AidDetailSerializer(application, context={"request": request}).data)


class LawEventViewSet(LegalViewSet, mixins.ListModelMixin):
    serializer_class = LawEventSerializer
    search_fields = ["title", "place", "organiser"]

    def get_queryset(self):
        return selectors.events_visible_to(self.request.user).order_by("-held_on", "-id")

    @extend_schema(parameters=[Q_PARAM, AREA_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=LawEventCreateSerializer, responses={201: LawEventSerializer})
    def create(self, request):
        return self._create(LawEventCreateSerializer, services.event_log, LawEventSerializer)


ROUTES = [
    ("legal/savvy-residents", SavvyResidentViewSet, "legal-savvy"),
    ("legal/advisers", AdviserViewSet, "legal-adviser"),
    ("legal/service-points", ServicePointViewSet, "legal-service-point"),
    ("legal/consultations", ConsultationViewSet, "legal-consultation"),
    ("legal/aid", AidViewSet, "legal-aid"),
    ("legal/events", LawEventViewSet, "legal-event"),
    ("legal/model-households", ModelHouseholdViewSet, "legal-model-household"),
]
