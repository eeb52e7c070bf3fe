"""REST API of field work: `/api/v1/patrols/` and `/api/v1/households/` (API.md, "Field work").

Querysets start from `grids.selectors`, so anything out of scope is absent (404).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from . import case_links, services
from .api import ResidentSerializer, visible_areas_for_filter
from .api_base import Conflict
from .field_models import Patrol, PatrolPoint
from .models import Area, Household, Resident
from .selectors import (
    SENSITIVE_ROLES,
    areas_visible_to,
    can_see_follow_ups,
    get_scope,
    households_visible_to,
    patrol_grids_for,
    patrols_visible_to,
    registration_changes_visible_to,
    residents_visible_to,
    visits_visible_to,
)
from .serializers import (
    HouseholdSerializer,
    PatrolCreateSerializer,
    PatrolDetailSerializer,
    PatrolSerializer,
    VisitSerializer,
)


def _moment(d) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


class PatrolFilter(filters.FilterSet):
    area = filters.ModelChoiceFilter(queryset=visible_areas_for_filter, method="filter_area", label=_("区域"))
    from_ = filters.DateFilter(field_name="started_at", method="filter_from", label=_("开始日期"))
    to = filters.DateFilter(field_name="started_at", method="filter_to", label=_("结束日期"))

    class Meta:
        model = Patrol
        fields = ["area"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "from" in data:
            data = data.copy()
            data["from_"] = data["from"]
        super().__init__(data, *args, **kwargs)

    def filter_area(self, queryset, name, value: Area):
        return queryset.filter(area_path__startswith=value.path)

    def filter_from(self, queryset, name, value):
        return queryset.filter(started_at__gte=_moment(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(started_at__lt=_moment(value + timedelta(days=1)))


class HouseholdFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_search", label=_("户号、地址或成员姓名"), max_length=50)
    area = filters.ModelChoiceFilter(queryset=visible_areas_for_filter, method="filter_area", label=_("区域"))

    class Meta:
        model = Household
        fields = ["q", "area"]

    def filter_search(self, queryset: QuerySet[Household], name: str, value: str) -> QuerySet[Household]:
        """Number, address, members' names; phone and ID digits only where the caller sees them in
        full, so a masked number can never be recovered by searching its hidden digits."""
        value = value.strip()
        if not value:
            return queryset
        members = Resident.objects.filter(household=OuterRef("pk"))
        match = Q(number__icontains=value) | Q(address__icontains=value)
        match |= Exists(members.filter(name__icontains=value))
        digits = value.upper()
        if len(digits) >= 4 and digits.replace("X", "").isdigit():
            scope = get_scope(self.request.user)
            sensitive = scope.path_q("area_path", roles=SENSITIVE_ROLES)
            by_number = members.filter(Q(phone__endswith=digits) | Q(id_number__endswith=digits))
            match |= sensitive & Exists(by_number)
        return queryset.filter(match)

    def filter_area(self, queryset, name, value: Area):
        return queryset.filter(area_path__startswith=value.path)


def _to_403_409(exc: Exception):
    if isinstance(exc, services.FieldNotAllowed):
        return PermissionDenied(str(exc))
    return Conflict(str(exc))


@extend_schema(tags=["field work"])
class PatrolViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Patrols (巡查) in the caller's areas. `?area=&from=&to=` filter by area and start date."""

    lookup_value_regex = "[0-9]+"

    filterset_class = PatrolFilter

    def get_queryset(self):
        qs = patrols_visible_to(self.request.user).annotate(visit_count=Count("visits"))
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("points", queryset=PatrolPoint.objects.order_by("at")))
        return qs.order_by("-started_at", "-id")

    def get_serializer_class(self):
        if self.action == "create":
            return PatrolCreateSerializer
        return PatrolDetailSerializer if self.action == "retrieve" else PatrolSerializer

    def _cases(self, patrols) -> dict[int, list]:
        by_patrol: dict[int, list] = {}
        for link in case_links.patrol_cases(self.request.user, [p.pk for p in patrols]):
            by_patrol.setdefault(link.patrol_id, []).append(link)
        return by_patrol

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context() | {"cases": self._cases(page)}
        return self.get_paginated_response(PatrolSerializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        patrol = self.get_object()
        visits = list(visits_visible_to(request.user).filter(patrol=patrol).order_by("visited_at", "id"))
        context = self.get_serializer_context() | {"cases": self._cases([patrol]), "visits": visits}
        return Response(PatrolDetailSerializer(patrol, context=context).data)

    @extend_schema(
        request=PatrolCreateSerializer,
        responses={
            201: PatrolDetailSerializer,
            200: OpenApiResponse(PatrolDetailSerializer, description="The same patrol sent again: nothing new."),
            400: OpenApiResponse(description="Field errors."),
            403: OpenApiResponse(description="Not a grid worker of that grid."),
            409: OpenApiResponse(description="A patrol with this start was recorded with other content."),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = PatrolCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        grid = self._grid(data.get("grid"))
        try:
            patrol = services.patrol_record(
                by=request.user,
                grid=grid,
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                track=[dict(p) for p in data["track"]],
                visits=[dict(v) for v in data["visits"]],
                case_ids=data["cases"],
                nothing_found=data["nothing_found"],
                note=data["note"],
            )
        except (services.FieldNotAllowed, services.FieldConflict) as exc:
            raise _to_403_409(exc) from exc
        replayed = getattr(patrol, "replayed", False)
        patrol = self.get_queryset().prefetch_related("points").get(pk=patrol.pk)
        patrol.replayed = replayed
        visits = list(visits_visible_to(request.user).filter(patrol=patrol).order_by("visited_at", "id"))
        context = self.get_serializer_context() | {"cases": self._cases([patrol]), "visits": visits}
        replayed = getattr(patrol, "replayed", False)
        return Response(
            PatrolDetailSerializer(patrol, context=context).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )

    def _grid(self, grid_id: int | None) -> Area:
        own = patrol_grids_for(self.request.user)
        if grid_id is None:
            if len(own) == 1:
                return own[0]
            if not own:
                raise PermissionDenied(_("只有网格员可以记录巡查"))
            raise serializers.ValidationError({"grid": [_("请指定巡查的网格")]})
        grid = areas_visible_to(self.request.user).filter(pk=grid_id).first()
        if grid is None:
            raise serializers.ValidationError({"grid": [_("网格不存在")]})
        return grid


class HouseholdDetailSerializer(HouseholdSerializer):
    members = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    visits = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members", "flags", "visits", "cases", "changes"]

    def get_members(self, household) -> list[dict]:
        return ResidentSerializer(self.context["members"], many=True, context=self.context).data

    def get_flags(self, household) -> dict:
        members = self.context["members"]
        sensitive = self.context["sensitive"]
        specials = sorted({str(m.get_special_population_display()) for m in members if m.special_population})
        return {
            "rental": household.rental,
            "floating": any(m.floating for m in members),
            # Special groups are sensitive: null for callers who may not see them.
            "special_groups": specials if sensitive else None,
        }

    def get_visits(self, household) -> list[dict]:
        return VisitSerializer(self.context["visits"], many=True).data

    def get_cases(self, household) -> list[dict]:
        return [{"id": c.id, "number": c.number, "title": c.title, "status": c.status} for c in self.context["cases"]]

    def get_changes(self, household) -> list[dict] | None:
        changes = self.context["changes"]
        if changes is None:
            return None
        return [
            {"at": c.at.isoformat(), "by": c.by.get_username(), "action": c.action, "changes": c.changes}
            for c in changes
        ]


@extend_schema(tags=["field work"])
class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """Household files (一户一档). `?q=` searches number, address and members' names (and phone or
    ID digits only where the caller sees them unmasked); `?area=` limits to a subtree."""

    lookup_value_regex = "[0-9]+"

    filterset_class = HouseholdFilter

    def get_queryset(self):
        return (
            households_visible_to(self.request.user)
            .select_related("building", "micro_grid")
            .annotate(member_count=Count("members"))
            .order_by("number")
        )

    def get_serializer_class(self):
        return HouseholdDetailSerializer if self.action == "retrieve" else HouseholdSerializer

    @extend_schema(responses=HouseholdDetailSerializer)
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        user = request.user
        household = self.get_object()
        sensitive = can_see_follow_ups(user, household.area_path)
        context = self.get_serializer_context() | {
            "members": list(
                residents_visible_to(user)
                .filter(household=household)
                .select_related("micro_grid", "household")
                .order_by("id")
            ),
            "sensitive": sensitive,
            "visits": list(visits_visible_to(user).filter(household=household)[:50]),
            "cases": case_links.household_cases(user, [household.pk]),
            "changes": list(registration_changes_visible_to(user).filter(household=household).select_related("by")[:50])
            if sensitive
            else None,
        }
        return Response(HouseholdDetailSerializer(household, context=context).data)
