"""Cases, case actions and categories under /api/v1/ (names fixed by the API contract)."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from grids.api_base import Conflict, FiniteFloatField, JSONParser
from grids.selectors import areas_visible_to

from . import idempotency, selectors, services
from .actions import perform_action
from .models import Category, Urgency
from .serializers import (
    CaseCreatedSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    CategorySerializer,
)
from .workflow import ACTION_NAMES, ActionConflict, ActionNotAllowed


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = CategorySerializer
    pagination_class = None
    queryset = Category.objects.filter(active=True).prefetch_related("usual_department_kinds")


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, max_length=200)
    area = serializers.IntegerField(required=False)
    category = serializers.CharField(required=False, max_length=40)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    supervised = serializers.BooleanField(required=False, allow_null=True, default=None)
    escalated = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)
    closed_from = serializers.DateField(required=False)
    closed_to = serializers.DateField(required=False)


def parse_case_filters(user, params) -> dict:
    """Validate list filters; unknown area/category → 400 with field errors, not an empty 200."""
    f = CaseFilterSerializer(data=params)
    f.is_valid(raise_exception=True)
    data = dict(f.validated_data)
    errors = {}
    if "area" in data:
        data["area"] = areas_visible_to(user).filter(pk=data["area"]).first()
        if data["area"] is None:
            errors["area"] = [_("区域不存在或不在您的范围内")]
    if "category" in data:
        data["category"] = selectors.category_by_ref(data["category"])
        if data["category"] is None:
            errors["category"] = [_("未知分类")]
    if errors:
        raise serializers.ValidationError(errors)
    return data


@extend_schema_field({"type": "string", "maxLength": 40, "description": "an active category's code"})
class CategoryCodeField(serializers.SlugRelatedField):
    pass


class ReclassifySerializer(serializers.Serializer):
    category = CategoryCodeField(slug_field="code", queryset=Category.objects.filter(active=True), required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)


class DuplicateQuery(serializers.Serializer):
    category = serializers.CharField(max_length=40)
    lat = FiniteFloatField(min_value=-90, max_value=90)
    lng = FiniteFloatField(min_value=-180, max_value=180)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    # A non-numeric id does not match the route: a JSON 404 (api_not_found), not a ValueError.
    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if self.action == "list":
            return selectors.case_list_queryset(self.request.user)
        return selectors.case_detail_queryset(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return CaseListSerializer
        if self.action == "create":
            return CaseCreateSerializer
        return CaseDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="one status or several, comma-separated"),
            OpenApiParameter("area", OpenApiTypes.INT, description="cases in this area's subtree"),
            OpenApiParameter("category", OpenApiTypes.STR, description="category code or id"),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
            OpenApiParameter("supervised", OpenApiTypes.BOOL, description="an open supervision (督办)"),
            OpenApiParameter("escalated", OpenApiTypes.BOOL, description="handed from its town to the district"),
            OpenApiParameter("q", OpenApiTypes.STR, description="number prefix or text"),
            OpenApiParameter("created_from", OpenApiTypes.DATE),
            OpenApiParameter("created_to", OpenApiTypes.DATE),
            OpenApiParameter("closed_from", OpenApiTypes.DATE),
            OpenApiParameter("closed_to", OpenApiTypes.DATE),
        ]
    )
    def list(self, request, *args, **kwargs):
        filters = parse_case_filters(request.user, request.query_params)
        qs = selectors.filter_cases(self.get_queryset(), **filters)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=CaseCreateSerializer,
        responses={201: CaseCreatedSerializer, 200: CaseCreatedSerializer},
        parameters=[OpenApiParameter(idempotency.HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    def create(self, request, *args, **kwargs):
        """Report a case; with an `Idempotency-Key` a replay answers 200 with the same case (exactly once).
        Center staff log a 12345 call with `source: "hotline"` and the caller's details."""
        key = idempotency.key_from(request)
        digest = idempotency.content_hash(request.data, request.FILES) if key else ""
        try:
            case = idempotency.replayed(user=request.user, key=key, digest=digest) if key else None
            if case is None:
                body = CaseCreateSerializer(data=request.data, context={"request": request})
                body.is_valid(raise_exception=True)
                data = dict(body.validated_data)
                files = data.pop("photos", []) or request.FILES.getlist("photos")
                hotline = {f: data.pop(f) for f in CaseCreateSerializer.HOTLINE_FIELDS if f in data}

                def create():
                    if hotline:  # a 12345 call: center staff only (403 for anyone else)
                        hotline.pop("source", None)
                        return services.case_log_call(
                            by=request.user,
                            files=files,
                            caller_name=hotline.get("caller_name", ""),
                            caller_phone=hotline.get("caller_phone", ""),
                            hotline_ticket=hotline.get("hotline_ticket", ""),
                            **data,
                        )
                    return services.case_create(by=request.user, files=files, **data)

                case, created = (
                    idempotency.create_once(user=request.user, key=key, digest=digest, create=create)
                    if key
                    else (create(), True)
                )
            else:
                created = False
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except idempotency.KeyReused as exc:
            raise Conflict(str(exc)) from exc
        # A light answer (the contract promises the routed area): read from what intake holds, no
        # query. A replay (200) answers the same shape for the case the key made.
        context = {"request": request, "attachments": True, "involved_residents": True}
        if created:
            context.update(attachments=bool(files), involved_residents=bool(data.get("involved_residents")))
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(CaseCreatedSerializer(case, context=context).data, status=code)

    @extend_schema(request=ReclassifySerializer, responses={200: CaseDetailSerializer})
    def partial_update(self, request, pk=None):
        """The responsible center corrects the category or urgency; running clocks are recomputed."""
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        body = ReclassifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.case_reclassify(case=case, by=request.user, **body.validated_data)
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        case = selectors.case_detail_queryset(request.user).get(pk=pk)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: CaseDetailSerializer},
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[^/.]+)")
    def actions(self, request, pk=None, name=None):
        """Take one workflow action (accept, dispatch, sign, return, handle, …) on the case."""
        if name not in ACTION_NAMES:
            raise Http404
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        try:
            # The answer is read in the action's transaction: if the database goes away while it is
            # read, the action rolls back with it, so a 503 always means "not done, try again".
            with transaction.atomic():
                perform_action(user=request.user, case=case, action=name, data=request.data, files=request.FILES)
                case = selectors.case_detail_queryset(request.user).filter(pk=pk).first()
                answer = None if case is None else CaseDetailSerializer(case, context={"request": request}).data
        except ActionNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ActionConflict as exc:
            raise Conflict(str(exc)) from exc
        if answer is None:
            # A department that returned the case no longer sees it: confirm without its details.
            return Response({"id": int(pk), "detail": _("已退单,您的部门不再可见此事项")})
        return Response(answer)

    @extend_schema(
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, required=True),
            OpenApiParameter("lat", OpenApiTypes.FLOAT, required=True),
            OpenApiParameter("lng", OpenApiTypes.FLOAT, required=True),
        ],
        responses={200: CaseListSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def duplicates(self, request):
        """Possible duplicates for the intake form: same category, about 100 m, last 7 days."""
        params = DuplicateQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = selectors.category_by_ref(params.validated_data["category"])
        if found is None:
            raise serializers.ValidationError({"category": [_("未知分类")]})
        qs = selectors.possible_duplicates(
            request.user, category_id=found.pk, lat=params.validated_data["lat"], lng=params.validated_data["lng"]
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CaseListSerializer(page, many=True, context={"request": request}).data)
