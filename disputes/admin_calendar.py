"""Admin for the holiday and make-up workday table (节假日与调休).

Registered by ``disputes/admin.py``; this module only defines the class.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from disputes.worktime import calendar_coverage


def years_without_coverage(today: date | None = None) -> list[int]:
    """This year and next year, where neither the package nor the admin table has holidays.

    For such years deadlines count Monday–Friday only, so the Spring Festival would be counted as
    working days; admins need to enter the State Council's holiday arrangement.
    """
    today = today or timezone.localdate()
    return [year for year in (today.year, today.year + 1) if calendar_coverage(year) == "weekends"]


class WorkCalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up workdays; the list page warns about years nobody has entered yet."""

    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("note",)
    ordering = ("-date",)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        for year in years_without_coverage():
            messages.warning(
                request,
                _(
                    "%(year)s 年节假日尚未录入,期限按周末计算(仅周一至周五为工作日)。"
                    "请在国务院办公厅发布放假安排后,在此录入放假日与调休上班日。"
                )
                % {"year": year},
            )
        return super().changelist_view(request, extra_context)
