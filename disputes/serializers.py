from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grids.api_base import FiniteFloatField
from grids.models import Resident
from grids.selectors import residents_visible_to
from grids.validators import mask

from . import events
from .deadlines import ClockColour
from .models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    Case,
    CaseEvent,
    Category,
    ExtensionRequest,
    Kind,
    Source,
    Urgency,
)
from .selectors import Clocks, category_by_ref, latest_stage_clocks, may_see_contact
from .workflow import available_actions


class CategorySerializer(serializers.ModelSerializer):
    default_time_limits = serializers.SerializerMethodField()
    usual_department_kinds = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Category
        fields = ["id", "code", "name", "kind", "usual_department_kinds", "default_time_limits"]

    @extend_schema_field(serializers.DictField())
    def get_default_time_limits(self, obj: Category) -> dict:
        return {u: {"sign_hours": obj.sign_hours(u), "handle_days": obj.handle_days(u)} for u in Urgency.values}


class AreaRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class _ClockMixin:
    @property
    def clocks(self) -> Clocks:
        """One clock reader per response (shared through the context by nested serializers)."""
        if "clocks" not in self.context:
            self.context["clocks"] = Clocks()
        return self.context["clocks"]


class AssignmentSerializer(_ClockMixin, serializers.ModelSerializer):
    department = serializers.SerializerMethodField()
    sign_clock = serializers.SerializerMethodField()
    handle_clock = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "department",
            "role",
            "status",
            "dispatched_at",
            "sign_deadline",
            "handle_deadline",
            "signed_at",
            "finished_at",
            "return_reason_code",
            "return_reason",
            "result",
            "overdue",
            "sign_clock",
            "handle_clock",
        ]

    @extend_schema_field(serializers.DictField())
    def get_department(self, obj: Assignment) -> dict:
        return {"id": obj.department_id, "code": obj.department.code, "name": obj.department.name}

    def get_sign_clock(self, obj: Assignment) -> str:
        return self.clocks.of_assignment(obj) if obj.status == AssignmentStatus.PENDING else ClockColour.NONE

    def get_handle_clock(self, obj: Assignment) -> str:
        signed_lead = obj.status == AssignmentStatus.SIGNED and obj.role == AssignmentRole.LEAD
        return self.clocks.of_assignment(obj) if signed_lead else ClockColour.NONE


class EventSerializer(serializers.ModelSerializer):
    """A timeline line. `label` and `note` (what the system says about it, e.g. an automatic
    escalation) are rendered in the request's language; `comment` is what a person typed."""

    actor = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["id", "action", "label", "actor", "from_status", "to_status", "comment", "note", "data", "created_at"]

    def get_label(self, obj: CaseEvent) -> str:
        return events.label(obj)

    def get_note(self, obj: CaseEvent) -> str:
        return events.system_note(obj)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_actor(self, obj: CaseEvent) -> dict | None:
        if obj.actor is None:
            return None
        return {"id": obj.actor_id, "username": obj.actor.username, "name": obj.actor.get_full_name()}


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "url", "created_at", "phase"]

    def get_url(self, obj: Attachment) -> str:
        from django.urls import reverse

        url = reverse("attachment", args=[obj.token])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtensionRequest
        fields = ["id", "days", "reason", "status", "requested_at", "decided_at", "comment"]


class CaseListSerializer(_ClockMixin, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    area = AreaRefSerializer(read_only=True)
    center = AreaRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    clock = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "category",
            "category_name",
            "title",
            "status",
            "status_display",
            "urgency",
            "source",
            "area",
            "center",
            "address",
            "lat",
            "lng",
            "overdue",
            "sign_deadline",
            "handle_deadline",
            "next_deadline_at",
            "created_at",
            "clock",
        ]

    def get_clock(self, obj: Case) -> str:
        return self.clocks.of_case(obj)


class CaseDetailSerializer(CaseListSerializer):
    reporter = serializers.SerializerMethodField()
    assignments = AssignmentSerializer(many=True, read_only=True)
    timeline = EventSerializer(source="events", many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    extensions = ExtensionSerializer(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField()
    involved_residents = serializers.SerializerMethodField()
    hotline_ticket = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    supervisions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "description",
            "involved_people",
            "involved_residents",
            "reporter",
            "satisfaction",
            "return_count",
            "dispatched_at",
            "handled_at",
            "closed_at",
            "merged_into",
            "assignments",
            "deadlines",
            "timeline",
            "attachments",
            "extensions",
            "available_actions",
            "hotline_ticket",
            "contact",
            "feedback_unreachable",
            "supervisions",
        ]

    def get_hotline_ticket(self, obj: Case) -> str:
        contact = getattr(obj, "contact", None)
        return contact.hotline_ticket if contact else ""

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_contact(self, obj: Case) -> dict | None:
        """The caller or submitter (hotline, /report/, Open311): phone masked unless the reader is
        staff of the center over the case."""
        contact = getattr(obj, "contact", None)
        if contact is None:
            return None
        request = self.context.get("request")
        full = bool(request) and may_see_contact(request.user, obj)
        phone = contact.phone if full else mask(contact.phone, "phone")
        return {"name": contact.name, "phone": phone, "phone_visible": full}

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_involved_residents(self, obj: Case) -> list[dict]:
        return [{"id": r.pk, "name": r.name} for r in obj.involved_residents.all()]

    @extend_schema_field(serializers.DictField())
    def get_reporter(self, obj: Case) -> dict:
        return {"id": obj.reporter_id, "username": obj.reporter.username, "name": obj.reporter.get_full_name()}

    @extend_schema_field(serializers.DictField())
    def get_deadlines(self, obj: Case) -> dict:
        stages = latest_stage_clocks(obj)
        return {
            "sign": obj.sign_deadline,
            "handle": obj.handle_deadline,
            "next": obj.next_deadline_at,
            # The center's clocks: the deadline of the latest run of each (None: never started).
            **{kind: (c.deadline if c else None) for kind, c in stages.items()},
        }

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_supervisions(self, obj: Case) -> list[dict]:
        return [
            {
                "id": s.pk,
                "department": {"id": s.department_id, "name": s.department.name},
                "note": s.note,
                "reply_within_hours": s.reply_within_hours,
                "created_at": s.created_at,
                "deadline": s.clock.deadline,
                "overdue": s.clock.alert == "red",
                "open": s.open,
                "reply_note": s.reply_note,
                "replied_at": s.replied_at,
            }
            for s in obj.supervisions.all()
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, obj: Case) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [t.action for t in available_actions(request.user, obj)]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_merged_into(self, obj: Case) -> dict | None:
        if obj.merged_into_id is None:
            return None
        return {"id": obj.merged_into_id, "number": obj.merged_into.number}


class CaseCreateSerializer(serializers.Serializer):
    """The intake body: category by code or id, a pin (lat/lng) or an area, photos as multipart."""

    category = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=2000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    lat = FiniteFloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = FiniteFloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    area = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    involved_people = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    involved_residents = serializers.PrimaryKeyRelatedField(many=True, queryset=Resident.objects.none(), required=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    # A 12345 call logged by center staff (`services.case_log_call`): source "hotline" and the caller.
    source = serializers.ChoiceField(choices=[("hotline", "hotline")], required=False)
    caller_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    caller_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    hotline_ticket = serializers.CharField(required=False, allow_blank=True, max_length=40)

    HOTLINE_FIELDS = ("source", "caller_name", "caller_phone", "hotline_ticket")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only residents the reporter can see may be linked; others read as "does not exist".
            self.fields["involved_residents"].child_relation.queryset = residents_visible_to(request.user)

    def validate_category(self, value: str) -> Category:
        found = category_by_ref(value, active_only=True)
        if found is None:
            raise serializers.ValidationError(_("未知分类"))
        return found

    def validate_area(self, value):
        if value is None:
            return None
        from grids.selectors import areas_visible_to

        area = areas_visible_to(self.context["request"].user).filter(pk=value).first()
        if area is None:
            raise serializers.ValidationError(_("区域不存在或不在您的范围内"))
        return area


class CaseCreatedSerializer(serializers.ModelSerializer):
    """The 201 of intake: what the reporter's phone needs (the routed area and center, the number),
    read from the objects intake already holds, so answering costs no query. The whole case is one
    GET /cases/{id}/ away."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    area = AreaRefSerializer(read_only=True)
    center = AreaRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    attachments = serializers.SerializerMethodField()
    involved_residents = serializers.SerializerMethodField()
    hotline_ticket = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "hotline_ticket",
            "kind",
            "category",
            "category_name",
            "title",
            "status",
            "status_display",
            "urgency",
            "source",
            "area",
            "center",
            "address",
            "lat",
            "lng",
            "created_at",
            "attachments",
            "involved_residents",
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: Case) -> list[dict]:
        if not self.context.get("attachments"):  # none uploaded: nothing to read back
            return []
        return AttachmentSerializer(obj.attachments.all(), many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_involved_residents(self, obj: Case) -> list[dict]:
        if not self.context.get("involved_residents"):
            return []
        return [{"id": r.pk, "name": r.name} for r in obj.involved_residents.all()]

    def get_hotline_ticket(self, obj: Case) -> str:
        if obj.source != Source.HOTLINE:  # only a logged call has a contact row
            return ""
        contact = getattr(obj, "contact", None)
        return contact.hotline_ticket if contact else ""
