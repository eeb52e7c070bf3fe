"""Admin for the legal-services registries and the legal-aid eligibility rules. Consultations and
applications move only through the services and are read-only here. Each form checks what the
services check (levels, the resident's village, the adviser's villages), so the admin cannot store
what the pages would refuse."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grids.models import Level

from .models import (
    AdviserLog,
    AidApplication,
    AidEvent,
    CaseLesson,
    Consultation,
    EligibilityRule,
    LawEvent,
    Lawyer,
    LegalSavvyResident,
    ModelHousehold,
    ModelVillage,
    Referral,
    ServicePoint,
    TrainingRecord,
)


class PathFromArea(admin.ModelAdmin):
    """Keeps the `area_path` copy in step with the area the admin picked."""

    path_source = "area"

    def save_model(self, request, obj, form, change):
        obj.area_path = getattr(obj, self.path_source).path
        super().save_model(request, obj, form, change)


class VillageOnly(forms.ModelForm):
    village_field = "village"

    def clean(self):
        data = super().clean()
        village = data.get(self.village_field)
        if village is not None and village.level != Level.VILLAGE:
            self.add_error(self.village_field, _("请选择村(社区)"))
        return data


class SavvyForm(VillageOnly):
    class Meta:
        model = LegalSavvyResident
        fields = ["resident", "village", "since", "active"]

    def clean(self):
        data = super().clean()
        resident, village = data.get("resident"), data.get("village")
        if resident and village and not resident.area_path.startswith(village.path):
            self.add_error("resident", _("该居民不住在所选村(社区)"))
        return data


class TrainingInline(admin.TabularInline):
    model = TrainingRecord
    extra = 0


@admin.register(LegalSavvyResident)
class LegalSavvyResidentAdmin(PathFromArea):
    form = SavvyForm
    path_source = "village"
    list_display = ["resident", "village", "since", "active"]
    list_filter = ["active"]
    search_fields = ["resident__name", "village__name"]
    raw_id_fields = ["resident", "village"]
    inlines = [TrainingInline]


class LawyerForm(forms.ModelForm):
    class Meta:
        model = Lawyer
        fields = ["name", "firm", "licence_no", "phone", "area", "villages", "term_from", "term_to", "duty_hours"]

    def clean(self):
        data = super().clean()
        area, villages = data.get("area"), data.get("villages") or []
        if area is not None and any(v.level != Level.VILLAGE or not v.path.startswith(area.path) for v in villages):
            self.add_error("villages", _("顾问村(社区)必须在登记区域内"))
        if villages and not (data.get("term_from") and data.get("term_to")):
            self.add_error("term_to", _("法律顾问须填写聘期"))
        return data


class AdviserLogInline(admin.TabularInline):
    model = AdviserLog
    fields = ["happened_on", "village", "kind", "note"]
    raw_id_fields = ["village"]
    extra = 0


@admin.register(Lawyer)
class LawyerAdmin(PathFromArea):
    form = LawyerForm
    list_display = ["name", "firm", "licence_no", "area", "term_from", "term_to"]
    search_fields = ["name", "firm", "licence_no"]
    raw_id_fields = ["area"]
    filter_horizontal = ["villages"]
    inlines = [AdviserLogInline]

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.area_path = obj.village.path
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(ServicePoint)
class ServicePointAdmin(PathFromArea):
    list_display = ["name", "kind", "area", "address", "lat", "lng"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    raw_id_fields = ["area"]


class ModelHouseholdForm(VillageOnly):
    class Meta:
        model = ModelHousehold
        fields = ["household", "head_name", "village", "year"]

    def clean(self):
        data = super().clean()
        household, village = data.get("household"), data.get("village")
        if household and village and not household.micro_grid.path.startswith(village.path):
            self.add_error("household", _("该户不在所选村(社区)"))
        return data


@admin.register(ModelHousehold)
class ModelHouseholdAdmin(PathFromArea):
    form = ModelHouseholdForm
    path_source = "village"
    list_display = ["year", "head_name", "household", "village"]
    list_filter = ["year"]
    search_fields = ["head_name", "village__name"]
    raw_id_fields = ["household", "village"]


class ModelVillageForm(VillageOnly):
    class Meta:
        model = ModelVillage
        fields = ["village", "year", "level"]


@admin.register(ModelVillage)
class ModelVillageAdmin(PathFromArea):
    form = ModelVillageForm
    path_source = "village"
    list_display = ["year", "village", "level"]
    list_filter = ["year", "level"]
    raw_id_fields = ["village"]


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(admin.ModelAdmin):
    """The legal-aid eligibility rules: the review shows them as reasons. The model's check
    constraint (validated by the form) keeps each rule's fields matching its kind."""

    list_display = ["name", "kind", "area", "income_threshold", "matter", "special_group", "active"]
    list_editable = ["active"]
    list_filter = ["kind", "active"]
    raw_id_fields = ["area"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AidEventInline(admin.TabularInline):
    model = AidEvent
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AidApplication)
class AidApplicationAdmin(ReadOnly):
    list_display = ["number", "matter", "status", "area", "applied_at", "review_deadline", "review_alert"]
    list_filter = ["status", "matter", "review_alert"]
    search_fields = ["number"]
    inlines = [AidEventInline]


@admin.register(Consultation)
class ConsultationAdmin(ReadOnly):
    list_display = ["asked_at", "topic", "channel", "status", "area"]
    list_filter = ["status", "topic", "channel"]


@admin.register(LawEvent)
class LawEventAdmin(ReadOnly):
    list_display = ["held_on", "topic", "title", "area", "audience", "materials"]
    list_filter = ["topic"]
    search_fields = ["title", "place"]


@admin.register(CaseLesson)
class CaseLessonAdmin(ReadOnly):
    list_display = ["title", "source_kind", "source_id", "area", "created_at"]


@admin.register(Referral)
class ReferralAdmin(ReadOnly):
    list_display = ["source_kind", "source_id", "target_kind", "target_id", "created_at"]
