from django.contrib import admin

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports are made by the schedule, the command or the button, never typed in."""

    list_display = ("area", "kind", "period_start", "period_end", "created_at", "generated_by")
    list_filter = ("kind", "area__level")
    search_fields = ("area__name", "area__code")
    date_hierarchy = "period_start"
    list_select_related = ("area", "generated_by")
    readonly_fields = ("kind", "area", "period_start", "period_end", "data", "created_at", "generated_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
