"""REST API for territory, departments, residents, notifications and the caller's identity.

Every queryset starts from `grids.selectors`, so out-of-scope objects are simply absent (404).
The FilterSets here are shared with the server-rendered pages in `grids.views`.
"""

from __future__ import annotations

import math

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import audit, geo, notifications, services
from .auth import LoginSerializer
from .models import Area, Department, DepartmentKind, Level, Membership, Notification, Resident, Role, User
from .selectors import (
    areas_visible_to,
    can_see_sensitive,
    departments_visible_to,
    digit_search_q,
    residents_visible_to,
)
from .validators import mask

# --------------------------------------------------------------------------------------------------
# Filters (also used by the HTML pages)
# --------------------------------------------------------------------------------------------------


def visible_areas_for_filter(request: HttpRequest | None) -> QuerySet[Area]:
    """Choices for every `?area=` / `?parent=` filter: only areas the caller may see, so an
    out-of-scope id is rejected exactly like a non-existent one."""
    if request is None:
        return Area.objects.none()
    return areas_visible_to(request.user).only("id", "code", "name", "level", "path", "parent_id")


TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}
BOOLEAN_CHOICES = [("1", _("是")), ("0", _("否")), ("true", _("是")), ("false", _("否"))]


class AreaFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Level.choices, label=_("层级"))
    parent = filters.ModelChoiceFilter(queryset=visible_areas_for_filter, label=_("上级区域"))

    class Meta:
        model = Area
        fields = ["level", "parent"]


class DepartmentFilter(filters.FilterSet):
    area = filters.ModelChoiceFilter(queryset=visible_areas_for_filter, method="filter_serving", label=_("服务区域"))
    kind = filters.ModelChoiceFilter(queryset=DepartmentKind.objects.all(), to_field_name="code", label=_("类型"))

    class Meta:
        model = Department
        fields = ["area", "kind"]

    def filter_serving(self, queryset: QuerySet[Department], name: str, value: Area) -> QuerySet[Department]:
        """Departments serving the area: their own area is that area or one above it."""
        return queryset.filter(area__code__in=[*value.ancestor_codes, value.code])


class ResidentFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_search",
        label=_("姓名,身份证号或手机号后四位,或完整号码"),
        help_text="A name (part of it); exactly the last four digits of an ID number or phone (visible even "
        "when masked); or a whole ID number or phone, matched only where the caller sees it unmasked.",
        max_length=50,
    )
    area = filters.ModelChoiceFilter(queryset=visible_areas_for_filter, method="filter_area", label=_("区域"))

    class Meta:
        model = Resident
        fields = ["q", "area"]

    def filter_search(self, queryset: QuerySet[Resident], name: str, value: str) -> QuerySet[Resident]:
        """Names for everyone. Digits only where the caller sees them unmasked
        (`grids.selectors.digit_search_q`): a masked number cannot be recovered digit by digit."""
        value = value.strip()
        if not value:
            return queryset
        match = Q(name__icontains=value)
        user = getattr(self.request, "user", None)
        digits = digit_search_q(user, value) if user is not None else None
        if digits is not None:
            match |= digits
        return queryset.filter(match)

    def filter_area(self, queryset: QuerySet[Resident], name: str, value: Area) -> QuerySet[Resident]:
        return queryset.filter(area_path__startswith=value.path)


class NotificationFilter(filters.FilterSet):
    unread = filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method="filter_unread", label=_("未读"))

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: str) -> QuerySet[Notification]:
        return queryset.filter(read_at__isnull=value in TRUE_VALUES)


# --------------------------------------------------------------------------------------------------
# Serializers
# --------------------------------------------------------------------------------------------------


class CentroidSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()


@extend_schema_field({"type": "object", "description": "GeoJSON Polygon or MultiPolygon", "nullable": True})
class GeoJSONField(serializers.JSONField):
    pass


class AreaBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "code", "name", "level"]


class AreaSerializer(serializers.ModelSerializer):
    """An area without its boundary: what lists return unless asked for `?boundary=1`."""

    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    centroid = CentroidSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "level", "parent", "centroid"]


class AreaDetailSerializer(AreaSerializer):
    boundary = GeoJSONField(read_only=True, allow_null=True)

    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary"]


class LocatedAreaSerializer(AreaDetailSerializer):
    ancestors = AreaBriefSerializer(
        many=True, read_only=True, source="located_ancestors", help_text="Root first; the micro-grid excluded."
    )

    class Meta(AreaDetailSerializer.Meta):
        fields = [*AreaDetailSerializer.Meta.fields, "ancestors"]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise serializers.ValidationError(_("请输入有效的数字。"))
    return value


class LocateQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, validators=[_finite])
    lng = serializers.FloatField(min_value=-180, max_value=180, validators=[_finite])


class DepartmentKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = DepartmentKind
        fields = ["code", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    kind = DepartmentKindSerializer(read_only=True)
    area = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "kind", "area", "phone"]


class ResidentSerializer(serializers.ModelSerializer):
    """ID number, phone and birth date are masked, and the sensitive flags are null, unless the
    caller may see them (`grids.selectors.can_see_sensitive`). The birth date is withheld too,
    because with the visible ends of the ID number it would give the whole number away."""

    micro_grid = AreaBriefSerializer(read_only=True)
    household = serializers.SlugRelatedField(slug_field="number", read_only=True)
    sensitive_visible = serializers.SerializerMethodField()
    special_population = serializers.SerializerMethodField(
        help_text="Code of the special population ('' for none); null when the caller may not see it."
    )
    special_population_display = serializers.SerializerMethodField()
    key_person = serializers.SerializerMethodField(help_text="Null when the caller may not see it.")

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "micro_grid",
            "household",
            "address",
            "sensitive_visible",
            "special_population",
            "special_population_display",
            "key_person",
        ]

    def _allowed(self, resident: Resident) -> bool:
        request = self.context.get("request")
        return bool(request) and can_see_sensitive(request.user, resident)

    def to_representation(self, instance: Resident) -> dict:
        data = super().to_representation(instance)
        if not self._allowed(instance):
            data["id_number"] = mask(instance.id_number, "id_number")
            data["phone"] = mask(instance.phone, "phone")
            data["birth_date"] = None
        return data

    def get_sensitive_visible(self, resident: Resident) -> bool:
        return self._allowed(resident)

    def get_special_population(self, resident: Resident) -> str | None:
        return resident.special_population if self._allowed(resident) else None

    def get_special_population_display(self, resident: Resident) -> str | None:
        if not self._allowed(resident) or not resident.special_population:
            return None
        return str(resident.get_special_population_display())

    def get_key_person(self, resident: Resident) -> bool | None:
        return resident.key_person if self._allowed(resident) else None


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()
    # Rendered in the reader's language (Accept-Language or the language switch).
    title = serializers.CharField(source="display_title", read_only=True)
    body = serializers.CharField(source="display_body", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class RoleGrantSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    area = serializers.IntegerField(allow_null=True)
    department = serializers.IntegerField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = RoleGrantSerializer(many=True)


# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    Each call issues a new token for that device (django-rest-knox: only its hash is stored); it
    expires after API_TOKEN_TTL_HOURS without use, and `POST /auth/logout/` revokes it. Failed
    attempts count towards the username's lockout, like the login page."""

    # No session authentication here: a login form must not need a CSRF token.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Field errors, or non_field_errors for bad credentials."),
            429: OpenApiResponse(description="Too many failed attempts: the username is locked for a while."),
        },
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        body = LoginSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        token = services.api_token_issue(user=user, request=request._request)
        return Response({"token": token})


class LogoutView(APIView):
    """Revoke the token this request was made with (this device signs out)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.api_token_revoke(user=request.user, request=request._request, token=request.auth)
        return Response(status=204)


class LogoutAllView(APIView):
    """Revoke every API token of the caller (all devices sign out)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.api_token_revoke(user=request.user, request=request._request, token=None)
        return Response(status=204)


class MeView(APIView):
    """The caller and the roles they hold."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user: User = request.user
        roles = [
            {"role": m.role, "area": m.area_id, "department": m.department_id}
            for m in Membership.objects.filter(user=user).order_by("role", "area_id", "department_id")
        ]
        if user.is_superuser and not any(r["role"] == Role.ADMIN for r in roles):
            roles.insert(0, {"role": Role.ADMIN.value, "area": None, "department": None})
        return Response(MeSerializer({"id": user.pk, "username": user.get_username(), "roles": roles}).data)


BOUNDARY_PARAM = OpenApiParameter(
    "boundary", OpenApiTypes.BOOL, description="Include each area's GeoJSON boundary (lists omit it by default)."
)


@extend_schema(tags=["areas"])
class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The territory tree (district → town → village → grid → micro-grid) within the caller's scope."""

    lookup_value_regex = "[0-9]+"

    filterset_class = AreaFilter

    def get_queryset(self) -> QuerySet[Area]:
        qs = areas_visible_to(self.request.user).order_by("code")
        if self.action == "list" and not self._wants_boundary():
            qs = qs.defer("boundary")
        return qs

    def _wants_boundary(self) -> bool:
        value = self.request.query_params.get("boundary", "").strip().lower()
        if value not in TRUE_VALUES | FALSE_VALUES | {""}:
            raise serializers.ValidationError({"boundary": [_("请填写 1 或 0。")]})
        return value in TRUE_VALUES

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list" and not self._wants_boundary():
            return AreaSerializer
        return AreaDetailSerializer

    @extend_schema(parameters=[BOUNDARY_PARAM])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[LocateQuerySerializer],
        responses={
            200: LocatedAreaSerializer,
            400: OpenApiResponse(description="lat/lng missing or out of range."),
            404: OpenApiResponse(description="No micro-grid in the caller's scope contains the point."),
        },
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def locate(self, request: Request) -> Response:
        """The micro-grid containing a map pin, with its ancestors (root first)."""
        params = LocateQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        area_id = geo.locate_id(params.validated_data["lat"], params.validated_data["lng"])
        area = areas_visible_to(request.user).filter(pk=area_id).first() if area_id else None
        if area is None:
            raise NotFound(_("该位置不在您可查看的任何微网格内。"))
        area.located_ancestors = list(area.ancestors())
        return Response(LocatedAreaSerializer(area, context=self.get_serializer_context()).data)


@extend_schema(tags=["departments"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Functional departments (职能部门). `?area=<id>` lists those serving that area."""

    lookup_value_regex = "[0-9]+"

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter

    def get_queryset(self) -> QuerySet[Department]:
        return departments_visible_to(self.request.user).select_related("kind", "area")


@extend_schema(tags=["residents"])
class ResidentViewSet(viewsets.ReadOnlyModelViewSet):
    """The resident register (实有人口). `?q=` searches name, phone or the last digits of the ID
    number; `?area=<id>` limits to that area's subtree."""

    lookup_value_regex = "[0-9]+"

    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter

    def get_queryset(self) -> QuerySet[Resident]:
        return residents_visible_to(self.request.user).select_related("micro_grid", "household")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        self._audit(page)
        return response

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        resident = self.get_object()
        response = Response(self.get_serializer(resident).data)
        self._audit([resident])
        return response

    def _audit(self, residents: list[Resident]) -> None:
        """Who saw whose full ID number: one audit row per resident shown unmasked."""
        user = self.request.user
        audit.unmasked_view(
            user=user, residents=[r for r in residents if can_see_sensitive(user, r)], request=self.request, via="api"
        )


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app notifications, newest first."""

    lookup_value_regex = "[0-9]+"

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications.inbox(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark one notification read (idempotent)."""
        notification = services.notification_mark_read(notification=self.get_object(), by=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()}),
        filters=False,
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def read_all(self, request: Request) -> Response:
        """Mark all of the caller's unread notifications read."""
        return Response({"marked": services.notifications_mark_all_read(by=request.user)})


@extend_schema(
    tags=["areas"],
    parameters=[
        OpenApiParameter(
            "bbox",
            OpenApiTypes.STR,
            required=True,
            description="west,south,east,north in degrees (at most 0.2° a side)",
        )
    ],
    responses={200: OpenApiTypes.OBJECT},
)
class MapFeatureView(APIView):
    """Streets, buildings and landmarks of the base map inside a bounding box, as a GeoJSON
    FeatureCollection (`properties.kind` is street, building or landmark)."""

    def get(self, request: Request) -> Response:
        from . import mapfeatures
        from .selectors import can_see_map

        if not can_see_map(request.user):
            raise NotFound()
        bbox = mapfeatures.parse_bbox(request.query_params.get("bbox", ""))
        if bbox is None:
            raise serializers.ValidationError({"bbox": [_("请提供 西,南,东,北 经纬度,每边不超过 0.2 度")]})
        response = Response(mapfeatures.feature_collection(bbox))
        response["Cache-Control"] = f"private, max-age={mapfeatures.CACHE_SECONDS}"
        return response
