import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .admin_calendar import WorkCalendarDayAdmin
from .models import Assignment, Case, CaseEvent, Category, ExtensionRequest, Open311Client, WorkCalendarDay

admin.site.register(WorkCalendarDay, WorkCalendarDayAdmin)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "sign_hours_normal",
        "sign_hours_urgent",
        "sign_hours_emergency",
        "handle_days_normal",
        "handle_days_urgent",
        "handle_days_emergency",
        "active",
    ]
    list_editable = ["active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["usual_department_kinds"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Cases move only through the workflow services; the admin shows them read-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["created_at", "actor", "action", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["department", "role", "status", "sign_deadline", "handle_deadline", "signed_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "status", "area", "center", "urgency", "overdue", "created_at"]
    list_filter = ["status", "urgency", "overdue", "category"]
    search_fields = ["number", "title"]
    list_select_related = ["category", "area", "center"]
    inlines = [AssignmentInline, EventInline]
    show_full_result_count = False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "action", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["action"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "days", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["case"]


# ---------------------------------------------------------------------------------------------
# Open311 clients (issue 15): the key is generated here and shown once; only its hash is kept.


class Open311ClientForm(forms.ModelForm):
    new_key = forms.CharField(
        label=_("新密钥"),
        required=False,
        max_length=200,
        min_length=16,
        help_text=_("留空则自动生成;保存后只显示一次,系统只保存其哈希"),
    )

    class Meta:
        model = Open311Client
        fields = ["name", "active", "requests_per_minute"]


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    form = Open311ClientForm
    list_display = ["name", "key_hint", "active", "requests_per_minute", "created_at"]
    readonly_fields = ["key_hint", "created_at"]

    def save_model(self, request, obj, form, change):
        key = form.cleaned_data.get("new_key") or ""
        if not change and not key:
            key = secrets.token_urlsafe(24)
        if key:
            obj.set_key(key)
            messages.warning(request, _("API 密钥(只显示这一次):%(key)s") % {"key": key})
        super().save_model(request, obj, form, change)


from .mediation import admin as _mediation_admin  # noqa: E402,F401  (dispute mediation)
