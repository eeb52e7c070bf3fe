"""The home page: what each role needs first thing in the morning."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from disputes import selectors as case_selectors
from disputes.labels import TAB_LABELS
from disputes.models import OPEN_STATUSES, Status
from grids.models import Role
from grids.selectors import get_scope

from .dashboard import dashboard_figures


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = get_scope(user)
    visible = case_selectors.cases_visible_to(user)
    today = timezone.localdate()
    context: dict = {"home_area": scope.home_area(), "today": today}

    # One aggregate over the visible cases for the summary tiles.
    context["summary"] = visible.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(overdue=True, status__in=OPEN_STATUSES)),
        new_today=Count("id", filter=Q(created_at__date=today)),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
    )
    panels = []
    if scope.has_role(Role.CENTER_STAFF):
        center_ids = [a.pk for a in scope.areas({Role.CENTER_STAFF})]
        panels.append(
            (
                "center",
                [
                    (tab, case_selectors.center_tab(visible, tab, center_ids=center_ids).count())
                    for tab in case_selectors.CENTER_TABS[:-1]
                ],
            )
        )
    if scope.departments():
        panels.append(
            (
                "department",
                [
                    (tab, case_selectors.department_tab(visible, tab, department_ids=scope.department_ids()).count())
                    for tab in case_selectors.DEPARTMENT_TABS[:-1]
                ],
            )
        )
    context["panels"] = panels
    if scope.has_role(Role.GRID_WORKER, Role.GRID_CHIEF):
        context["my_cases"] = case_selectors.case_list_queryset(user).filter(reporter=user)[:8]
        grid = scope.home_area()
        if grid is not None:
            # The grid's own small dashboard: the last 30 days.
            figures = dashboard_figures(area=grid, start=today - timedelta(days=29), end=today, user=user)
            context["grid_figures"] = figures["kpis"]
            context["patrol_figures"] = figures["patrols"]  # field work: the worker's own grid
    context["can_report"] = scope.is_admin or scope.has_role(Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF)
    context["tab_labels"] = TAB_LABELS
    # Legal services: a small block for legal-services staff.
    if scope.has_role(Role.LEGAL_STAFF):
        from legal_services.selectors import home_counts

        context["legal"] = home_counts(user)
    return render(request, "home.html", context)
