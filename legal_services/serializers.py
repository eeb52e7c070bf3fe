"""Serializers of /api/v1/legal/. Output shapes, and input bodies of the creating POSTs. Personal
details of applicants are masked unless `selectors.can_see_applicant_details`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from grids.models import Area, Level

from . import selectors
from .eligibility import assess, reason_text
from .events import label as event_label
from .models import (
    AidApplication,
    AidEvent,
    Consultation,
    ConsultationChannel,
    LawEvent,
    LawTopic,
    Lawyer,
    LegalSavvyResident,
    MatterKind,
    ModelHousehold,
    Referral,
    ServicePoint,
    SpecialGroup,
    TrainingRecord,
)
from .targets import resolve
from .workflow import available_actions


class LegalAreaRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "code", "name", "level"]


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _area_field(user, levels=None):
    qs = selectors.writable_areas(user)
    if levels:
        qs = qs.filter(level__in=levels)
    return qs


# ---------------------------------------------------------------------------------------------
# Registries


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRecord
        fields = ["id", "held_on", "hours", "topic"]


class SavvyResidentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="resident.name", read_only=True)
    village = LegalAreaRefSerializer(read_only=True)
    training_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = LegalSavvyResident
        fields = ["id", "resident", "name", "village", "since", "active", "training_count"]


class SavvyResidentCreateSerializer(serializers.Serializer):
    resident = serializers.PrimaryKeyRelatedField(queryset=selectors.Resident.objects.none())
    village = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    since = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:  # schema generation
            return
        self.fields["resident"].queryset = selectors.residents_for_legal(user)
        self.fields["village"].queryset = _area_field(user, [Level.VILLAGE])


class AdviserSerializer(serializers.ModelSerializer):
    villages = LegalAreaRefSerializer(many=True, read_only=True)
    area = LegalAreaRefSerializer(read_only=True)

    class Meta:
        model = Lawyer
        fields = ["id", "name", "firm", "licence_no", "phone", "area", "villages", "term_from", "term_to", "duty_hours"]


class AdviserCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    firm = serializers.CharField(max_length=100)
    licence_no = serializers.CharField(max_length=32)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    villages = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), many=True)
    term_from = serializers.DateField()
    term_to = serializers.DateField()
    duty_hours = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:  # schema generation
            return
        self.fields["area"].queryset = _area_field(user, [Level.DISTRICT, Level.TOWN, Level.VILLAGE])
        self.fields["villages"].child_relation.queryset = _area_field(user, [Level.VILLAGE])


class ServicePointSerializer(serializers.ModelSerializer):
    area = LegalAreaRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ServicePoint
        fields = ["id", "name", "kind", "kind_display", "area", "address", "phone", "lat", "lng"]


class ModelHouseholdSerializer(serializers.ModelSerializer):
    village = LegalAreaRefSerializer(read_only=True)
    household = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = ModelHousehold
        fields = ["id", "year", "head_name", "household", "village"]


# ---------------------------------------------------------------------------------------------
# Referrals (both sides)


@extend_schema_serializer(component_name="LegalReferral")
class ReferralSerializer(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "source", "target", "note", "created_at"]

    def _side(self, kind: str, pk: int) -> dict:
        found = self.context.get("targets", {}).get((kind, pk))
        return {"kind": kind, "id": pk, "label": found.label if found else None, "url": found.url if found else None}

    @extend_schema_field(serializers.DictField())
    def get_source(self, obj: Referral) -> dict:
        return self._side(obj.source_kind, obj.source_id)

    @extend_schema_field(serializers.DictField())
    def get_target(self, obj: Referral) -> dict:
        return self._side(obj.target_kind, obj.target_id)


def referral_context(user, referrals: list[Referral]) -> dict:
    refs = [(r.source_kind, r.source_id) for r in referrals] + [(r.target_kind, r.target_id) for r in referrals]
    return {"targets": resolve(user, refs)}


# ---------------------------------------------------------------------------------------------
# Consultations


class ConsultationSerializer(serializers.ModelSerializer):
    area = LegalAreaRefSerializer(read_only=True)
    asker = serializers.CharField(source="asker_name", read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "topic",
            "question",
            "answer",
            "channel",
            "resident",
            "name",
            "asker",
            "status",
            "area",
            "asked_at",
            "answered_at",
        ]


class ConsultationDetailSerializer(ConsultationSerializer):
    referrals = serializers.SerializerMethodField()

    class Meta(ConsultationSerializer.Meta):
        fields = [*ConsultationSerializer.Meta.fields, "referrals"]

    @extend_schema_field(ReferralSerializer(many=True))
    def get_referrals(self, obj: Consultation) -> list:
        user = _user(self)
        if user is None:  # schema generation
            return
        rows = list(selectors.referrals_of("consultation", obj.pk))
        return ReferralSerializer(rows, many=True, context=referral_context(user, rows)).data


class ConsultationCreateSerializer(serializers.Serializer):
    topic = serializers.ChoiceField(choices=MatterKind.choices)
    question = serializers.CharField(max_length=2000)
    answer = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=ConsultationChannel.choices)
    resident = serializers.PrimaryKeyRelatedField(queryset=selectors.Resident.objects.none(), required=False)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:  # schema generation
            return
        self.fields["resident"].queryset = selectors.residents_for_legal(user)
        self.fields["area"].queryset = _area_field(user)

    def validate(self, data):
        if not data.get("resident") and not data.get("name", "").strip():
            raise serializers.ValidationError({"name": [_("请选择居民或填写咨询人姓名")]})
        return data


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)


class ReferSerializer(serializers.Serializer):
    to = serializers.CharField(
        max_length=20,
        help_text='"aid", "case" or "dispute" (with `kind`, and `summary` if it differs from the question)',
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ReferResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()


# ---------------------------------------------------------------------------------------------
# Legal aid


class AidEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()

    class Meta:
        model = AidEvent
        fields = ["id", "kind", "label", "actor", "from_status", "to_status", "comment", "data", "created_at"]

    def get_actor(self, obj: AidEvent) -> str | None:
        return obj.actor.username if obj.actor_id else None

    def get_label(self, obj: AidEvent) -> str:
        return event_label(obj)


class AidListSerializer(serializers.ModelSerializer):
    area = LegalAreaRefSerializer(read_only=True)
    applicant = serializers.SerializerMethodField()
    lawyer = serializers.SerializerMethodField()

    class Meta:
        model = AidApplication
        fields = [
            "id",
            "number",
            "matter",
            "status",
            "applicant",
            "area",
            "applied_at",
            "review_deadline",
            "review_alert",
            "lawyer",
        ]

    @extend_schema_field(serializers.DictField())
    def get_applicant(self, obj: AidApplication) -> dict:
        return selectors.applicant_details(self.context["request"].user, obj)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_lawyer(self, obj: AidApplication) -> dict | None:
        if obj.lawyer_id is None:
            return None
        return {"id": obj.lawyer_id, "name": obj.lawyer.name, "firm": obj.lawyer.firm}


class AidDetailSerializer(AidListSerializer):
    eligibility = serializers.SerializerMethodField()
    timeline = AidEventSerializer(source="events", many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()

    class Meta(AidListSerializer.Meta):
        fields = [
            *AidListSerializer.Meta.fields,
            "reason",
            "monthly_income",
            "special_group",
            "decided_at",
            "refuse_reason",
            "assigned_at",
            "outcome",
            "closed_at",
            "eligibility",
            "timeline",
            "available_actions",
            "referrals",
        ]

    @extend_schema_field(serializers.DictField())
    def get_eligibility(self, obj: AidApplication) -> dict:
        verdict = assess(obj)
        return {
            "eligible": verdict.eligible,
            "reasons": [{"code": r["code"], "ok": r["ok"], "text": reason_text(r)} for r in verdict.reasons],
        }

    def get_available_actions(self, obj: AidApplication) -> list[str]:
        return [t.action for t in available_actions(self.context["request"].user, obj)]

    @extend_schema_field(ReferralSerializer(many=True))
    def get_referrals(self, obj: AidApplication) -> list:
        user = _user(self)
        if user is None:  # schema generation
            return
        rows = list(selectors.referrals_of("aid", obj.pk))
        return ReferralSerializer(rows, many=True, context=referral_context(user, rows)).data


class AidCreateSerializer(serializers.Serializer):
    matter = serializers.ChoiceField(choices=MatterKind.choices)
    reason = serializers.CharField(max_length=2000)
    resident = serializers.PrimaryKeyRelatedField(queryset=selectors.Resident.objects.none(), required=False)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    monthly_income = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=0, required=False, coerce_to_string=False
    )
    special_group = serializers.ChoiceField(choices=SpecialGroup.choices, required=False, allow_blank=True)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:  # schema generation
            return
        self.fields["resident"].queryset = selectors.residents_for_legal(user)
        self.fields["area"].queryset = _area_field(user)


# ---------------------------------------------------------------------------------------------
# 普法


class LawEventSerializer(serializers.ModelSerializer):
    area = LegalAreaRefSerializer(read_only=True)
    case = serializers.IntegerField(source="case_ref", read_only=True, allow_null=True)

    class Meta:
        model = LawEvent
        fields = [
            "id",
            "held_on",
            "place",
            "organiser",
            "topic",
            "title",
            "audience",
            "materials",
            "area",
            "case",
        ]


class LawEventCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    organiser = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    topic = serializers.ChoiceField(choices=LawTopic.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    audience = serializers.IntegerField(min_value=0, max_value=1_000_000)
    materials = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, default=0)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    case = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is not None:
            self.fields["area"].queryset = _area_field(user)
