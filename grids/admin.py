from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import geo
from .models import (
    Area,
    AuditEvent,
    Building,
    Department,
    DepartmentKind,
    FollowUp,
    Household,
    Membership,
    Notification,
    Patrol,
    RegistrationChange,
    Resident,
    User,
    Visit,
)
from .services import area_path_for, department_group, membership_grant, membership_revoke
from .validators import normalize_id_number, normalize_phone


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["area", "department"]
    fields = ["role", "area", "department", "team_role"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + ((_("联系方式"), {"fields": ["phone"]}),)
    list_display = ["username", "first_name", "last_name", "is_active", "is_staff"]

    def save_formset(self, request, form, formset, change):
        # Memberships go through the service so department staff join their department's group.
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        for obj in formset.deleted_objects:
            membership_revoke(membership=obj)
        for obj in formset.save(commit=False):
            if obj.pk:
                obj.save()
            else:
                membership_grant(
                    user=form.instance, role=obj.role, area=obj.area, department=obj.department, team_role=obj.team_role
                )


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "centroid_lat", "centroid_lng", "updated_at"]
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.path = area_path_for(code=obj.code, parent=obj.parent)
        if obj.boundary:
            obj.centroid_lat, obj.centroid_lng = geo.centroid_of(obj.boundary)
        obj.updated_at = timezone.now()  # the locate index rebuilds on the next lookup
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        # Moving an area or changing its code would invalidate the paths below it.
        if obj is not None:
            return [*self.readonly_fields, "code", "parent", "level"]
        return self.readonly_fields


@admin.register(DepartmentKind)
class DepartmentKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "area"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area"]
    list_select_related = ["kind", "area"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        department_group(obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area", "department", "team_role"]
    list_filter = ["role"]
    search_fields = ["user__username", "area__name", "department__name"]
    autocomplete_fields = ["user", "area", "department"]
    list_select_related = ["user", "area", "department"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            membership_grant(
                user=obj.user, role=obj.role, area=obj.area, department=obj.department, team_role=obj.team_role
            )

    def delete_model(self, request, obj):
        membership_revoke(membership=obj)


class ResidentAdminForm(forms.ModelForm):
    """Normalises the ID number and phone as the importer does; the model's validators then check
    them (wrong check digit, month 13, letters, too short: refused here as everywhere)."""

    class Meta:
        model = Resident
        fields = [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "phone",
            "micro_grid",
            "household",
            "address",
            "special_population",
            "key_person",
        ]

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        try:
            return normalize_id_number(value)
        except forms.ValidationError:
            return value  # the model validator reports it

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        try:
            return normalize_phone(value)
        except forms.ValidationError:
            return value


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    form = ResidentAdminForm
    list_display = ["name", "micro_grid", "special_population", "key_person"]
    list_filter = ["special_population", "key_person"]
    search_fields = ["name", "id_number"]
    autocomplete_fields = ["micro_grid", "household"]
    list_select_related = ["micro_grid"]

    def save_model(self, request, obj, form, change):
        obj.area_path = obj.micro_grid.path
        super().save_model(request, obj, form, change)


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["number", "micro_grid", "address"]
    search_fields = ["number", "address"]
    autocomplete_fields = ["micro_grid", "building"]

    def save_model(self, request, obj, form, change):
        obj.area_path = obj.micro_grid.path  # the scoping copy (field work)
        super().save_model(request, obj, form, change)


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "micro_grid", "address"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["micro_grid"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


# Field work: records written by the services (patrols, visits, follow-ups, the registration
# audit) are read-only here, so no admin edit bypasses their validation or the audit.
class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    """The audit trail: read-only, never edited or deleted from here."""

    list_display = ["created_at", "kind", "username", "subject_type", "subject_id", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "subject_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Patrol)
class PatrolAdmin(_ReadOnlyAdmin):
    list_display = ["grid", "worker", "started_at", "ended_at", "nothing_found", "case_count"]
    list_select_related = ["grid", "worker"]
    date_hierarchy = "started_at"


@admin.register(Visit)
class VisitAdmin(_ReadOnlyAdmin):
    list_display = ["visited_at", "purpose", "by", "household", "resident"]
    list_filter = ["purpose"]
    list_select_related = ["by", "household", "resident"]


@admin.register(FollowUp)
class FollowUpAdmin(_ReadOnlyAdmin):
    list_display = ["resident", "helper", "frequency_days", "next_due_at", "active"]
    list_select_related = ["resident", "helper"]


@admin.register(RegistrationChange)
class RegistrationChangeAdmin(_ReadOnlyAdmin):
    list_display = ["at", "action", "by", "household", "resident"]
    list_select_related = ["by", "household", "resident"]
