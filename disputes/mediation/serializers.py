"""API representations of mediation bodies, disputes and screening reports."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..serializers import AreaRefSerializer
from .events import event_label
from .models import (
    Agreement,
    Dispute,
    DisputeKind,
    DisputeSource,
    FollowUp,
    MediationOrg,
    MediationSession,
    OrgKind,
    Party,
    PartyRole,
    Referral,
    ScreeningReport,
)
from .risk import render_reasons
from .selectors import party_identifiers
from .workflow import available_actions


class MediatorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    full_time = serializers.BooleanField()
    qualification = serializers.CharField()

    def get_name(self, obj) -> str:
        return obj.user.get_full_name() or obj.user.username


class MediationOrgSerializer(serializers.ModelSerializer):
    area = AreaRefSerializer()
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    handles = serializers.ListField(child=serializers.ChoiceField(choices=DisputeKind.choices))

    class Meta:
        model = MediationOrg
        fields = ["id", "code", "name", "kind", "kind_label", "area", "handles", "phone", "address"]


class MediationOrgDetailSerializer(MediationOrgSerializer):
    mediators = MediatorRefSerializer(many=True, source="active_mediators")

    class Meta(MediationOrgSerializer.Meta):
        fields = MediationOrgSerializer.Meta.fields + ["mediators"]


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return obj.get_full_name() or obj.username


class OrgRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class PartySerializer(serializers.ModelSerializer):
    """A party: a resident's ID number and phone are masked unless the caller may see them."""

    name = serializers.CharField(source="display_name")
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "role", "resident", "name", "phone", "id_number"]

    def get_phone(self, obj: Party) -> str:
        return party_identifiers(self.context["request"].user, obj)[1]

    def get_id_number(self, obj: Party) -> str:
        return party_identifiers(self.context["request"].user, obj)[0]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediationSession
        fields = ["id", "held_at", "place", "attendees", "notes"]


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = ["terms", "signed_at", "court_confirmed", "confirmation_note", "fulfilled", "fulfilment_note"]


@extend_schema_serializer(component_name="DisputeReferral")
class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = ["to", "note", "external_number", "outcome", "referred_at"]


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "note", "satisfied", "at"]


class DisputeListSerializer(serializers.ModelSerializer):
    area = AreaRefSerializer()
    organisation = OrgRefSerializer(allow_null=True)
    mediator = UserRefSerializer(allow_null=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "number",
            "status",
            "kind",
            "source",
            "summary",
            "area",
            "organisation",
            "mediator",
            "risk_level",
            "deadline",
            "created_at",
        ]


class DisputeDetailSerializer(DisputeListSerializer):
    parties = PartySerializer(many=True)
    risk_reasons = serializers.SerializerMethodField()
    sessions = SessionSerializer(many=True)
    agreement = serializers.SerializerMethodField()
    referral = serializers.SerializerMethodField()
    follow_ups = FollowUpSerializer(many=True)
    timeline = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(DisputeListSerializer.Meta):
        fields = DisputeListSerializer.Meta.fields + [
            "address",
            "amount_at_stake",
            "people_involved",
            "parties",
            "risk_reasons",
            "deadline_alert",
            "sessions",
            "agreement",
            "referral",
            "follow_ups",
            "case",
            "timeline",
            "available_actions",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_risk_reasons(self, obj: Dispute) -> list[str]:
        return render_reasons(obj.risk_reasons)

    @extend_schema_field(AgreementSerializer(allow_null=True))
    def get_agreement(self, obj: Dispute):
        agreement = getattr(obj, "agreement", None) if _has(obj, "agreement") else None
        return AgreementSerializer(agreement).data if agreement else None

    @extend_schema_field(ReferralSerializer(allow_null=True))
    def get_referral(self, obj: Dispute):
        referral = getattr(obj, "referral", None) if _has(obj, "referral") else None
        return ReferralSerializer(referral).data if referral else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_timeline(self, obj: Dispute) -> list[dict]:
        return [
            {
                "kind": e.kind,
                "label": event_label(e),
                "actor": e.actor.username if e.actor else None,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "comment": e.comment,
                "created_at": e.created_at.isoformat(),
            }
            for e in obj.events.all()
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, obj: Dispute) -> list[str]:
        return [t.action for t in available_actions(self.context["request"].user, obj)]


def _has(obj: Dispute, name: str) -> bool:
    try:
        return getattr(obj, name) is not None
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return False


class PartyInSerializer(serializers.Serializer):
    resident = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=18)
    role = serializers.ChoiceField(choices=PartyRole.choices)


class DisputeCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DisputeKind.choices)
    summary = serializers.CharField(max_length=2000)
    source = serializers.ChoiceField(choices=DisputeSource.choices)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    area = serializers.IntegerField(required=False)
    case = serializers.IntegerField(required=False)
    amount_at_stake = serializers.DecimalField(
        required=False, max_digits=14, decimal_places=2, min_value=0, allow_null=True
    )
    people_involved = serializers.IntegerField(required=False, min_value=1, max_value=100000)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    building = serializers.IntegerField(required=False)
    parties = PartyInSerializer(many=True)

    def validate(self, data):
        if ("lat" in data) != ("lng" in data):
            raise serializers.ValidationError({"lng": ["lat and lng go together"]})
        return data


class ScreeningSerializer(serializers.ModelSerializer):
    area = AreaRefSerializer()
    month = serializers.SerializerMethodField()
    zero_report = serializers.BooleanField()

    class Meta:
        model = ScreeningReport
        fields = ["id", "area", "month", "disputes_found", "zero_report", "notes", "created_at"]

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y-%m}"


class ScreeningCreateSerializer(serializers.Serializer):
    area = serializers.IntegerField()
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7)
    disputes_found = serializers.IntegerField(min_value=0, max_value=10000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=1000)
