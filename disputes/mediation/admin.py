"""Admin of mediation: bodies and their mediators, the risk thresholds and time limit (one row),
and read-mostly views of disputes and screening reports. Validation runs through the models'
clean() and field validators, so the admin cannot store what the pages and the API refuse."""

from __future__ import annotations

from django.contrib import admin

from .models import Dispute, DisputeEvent, MediationOrg, MediationSettings, Mediator, Party, ScreeningReport


class MediatorInline(admin.TabularInline):
    model = Mediator
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(MediationOrg)
class MediationOrgAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["area"]
    inlines = [MediatorInline]

    def save_model(self, request, obj, form, change):
        obj.area_path = obj.area.path
        super().save_model(request, obj, form, change)


@admin.register(MediationSettings)
class MediationSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "deadline_working_days", "repeat_days", "amount_threshold", "group_threshold"]

    def has_add_permission(self, request):
        return not MediationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = ["role", "resident", "name", "phone"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = DisputeEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Disputes change through the workflow (pages and API); here they are read."""

    list_display = ["number", "kind", "status", "risk_level", "area", "organisation", "created_at"]
    list_filter = ["status", "kind", "risk_level", "source"]
    search_fields = ["number", "summary"]
    inlines = [PartyInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScreeningReport)
class ScreeningReportAdmin(admin.ModelAdmin):
    list_display = ["area", "month", "disputes_found", "reported_by", "created_at"]
    list_filter = ["month"]
    search_fields = ["area__name"]
    readonly_fields = ["reported_by"]

    def has_add_permission(self, request):
        return False
