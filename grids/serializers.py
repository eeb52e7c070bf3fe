"""Serializers of field work (patrols, visits, household files). They shape data; the services
decide who may do what, and the selectors what the caller may see."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .api import AreaBriefSerializer
from .field_models import NOTE_MAX, Patrol, Visit, VisitPurpose
from .models import Household
from .selectors import households_visible_to, residents_visible_to
from .services import MAX_TRACK_POINTS, MAX_VISITS_PER_PATROL


@extend_schema_field(OpenApiTypes.INT)
class _ScopedPK(serializers.PrimaryKeyRelatedField):
    """A primary key among what the caller may see: anything else reads as "does not exist"."""

    def __init__(self, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.selector(request.user) if request else Household.objects.none()


class TrackPointSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    at = serializers.DateTimeField()
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0)


class VisitInSerializer(serializers.Serializer):
    household = _ScopedPK(households_visible_to, required=False, allow_null=True)
    resident = _ScopedPK(residents_visible_to, required=False, allow_null=True)
    purpose = serializers.ChoiceField(choices=VisitPurpose.choices, default=VisitPurpose.ROUTINE)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if not attrs.get("household") and not attrs.get("resident"):
            raise serializers.ValidationError({"household": ["请选择走访的户或居民"]})
        return attrs


class PatrolCreateSerializer(serializers.Serializer):
    """A whole patrol at once (an offline phone back online)."""

    grid = serializers.IntegerField(required=False, help_text="Defaults to the caller's own grid.")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    track = TrackPointSerializer(many=True, required=False, max_length=MAX_TRACK_POINTS, default=list)
    visits = VisitInSerializer(many=True, required=False, max_length=MAX_VISITS_PER_PATROL, default=list)
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    nothing_found = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class VisitSerializer(serializers.ModelSerializer):
    by = UserBriefSerializer(read_only=True)
    resident_name = serializers.CharField(source="resident.name", default=None, read_only=True)
    purpose_display = serializers.CharField(source="get_purpose_display", read_only=True)
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "resident",
            "resident_name",
            "purpose",
            "purpose_display",
            "note",
            "visited_at",
            "by",
            "patrol",
            "has_photo",
        ]

    def get_has_photo(self, visit: Visit) -> bool:
        return bool(visit.photo)


class CaseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class PatrolSerializer(serializers.ModelSerializer):
    """A patrol; `cases` are the ids of the visible cases reported on it."""

    grid = AreaBriefSerializer(read_only=True)
    worker = UserBriefSerializer(read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True, allow_null=True)
    visit_count = serializers.IntegerField(read_only=True)
    cases = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id",
            "grid",
            "worker",
            "started_at",
            "ended_at",
            "duration_minutes",
            "distance_m",
            "nothing_found",
            "note",
            "visit_count",
            "case_count",
            "cases",
        ]

    def get_cases(self, patrol: Patrol) -> list[int]:
        return [c.id for c in self.context.get("cases", {}).get(patrol.pk, [])]


class PatrolDetailSerializer(PatrolSerializer):
    track = serializers.SerializerMethodField()
    visits = serializers.SerializerMethodField()

    class Meta(PatrolSerializer.Meta):
        fields = [*PatrolSerializer.Meta.fields, "track", "visits"]

    def get_track(self, patrol: Patrol) -> list[dict]:
        return [{"lat": p.lat, "lng": p.lng, "at": p.at.isoformat()} for p in patrol.points.all()]

    def get_visits(self, patrol: Patrol) -> list[dict]:
        return VisitSerializer(self.context.get("visits", []), many=True).data


class BuildingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    units = serializers.IntegerField()


class HouseholdSerializer(serializers.ModelSerializer):
    micro_grid = AreaBriefSerializer(read_only=True)
    building = BuildingRefSerializer(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "micro_grid", "building", "unit", "room", "address", "rental", "member_count"]
