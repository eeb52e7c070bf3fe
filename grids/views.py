"""Server-rendered pages: area browser, grid team, resident register, notifications inbox.

Thin views: parse the request, ask `grids.selectors` (the one place deciding visibility), render.
Out-of-scope ids are absent from the selector querysets, so they read as 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import audit, services
from .api import ResidentFilter
from .models import LEVEL_ORDER, Area, Level, Membership, Notification, Resident, Role
from .notifications import inbox as notification_inbox
from .selectors import (
    areas_visible_to,
    can_see_sensitive,
    departments_visible_to,
    get_scope,
    residents_visible_to,
    team_of,
)
from .validators import mask

RESIDENTS_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 50


class _Count(Func):
    """COUNT(*) inside a correlated subquery (no GROUP BY on the outer query)."""

    function = "COUNT"
    template = "%(function)s(*)"
    output_field = IntegerField()


def _count_subquery(qs: QuerySet) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().annotate(n=_Count()).values("n")[:1]), 0)


# --------------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------------


def _home_area(user) -> Area | None:
    """Where the area browser opens: the user's widest area, the district for admins, the area
    a department serves for department staff."""
    scope = get_scope(user)
    area = scope.home_area()
    if area is None and scope.is_admin:
        area = Area.objects.filter(level=Level.DISTRICT).order_by("code").first()
    if area is None and scope.departments():
        area = min((d.area for d in scope.departments()), key=lambda a: (a.depth, a.code))
    return area


@login_required
def area_browser(request: HttpRequest) -> HttpResponse:
    area = _home_area(request.user)
    if area is None:
        return render(request, "grids/no_area.html")
    return redirect("area_detail", pk=area.pk)


def _children_with_counts(user, area: Area, *, with_residents: bool) -> QuerySet[Area]:
    """The child areas, each with its number of children and of residents in its subtree,
    in ONE query (correlated subqueries, no per-child loop)."""
    qs = areas_visible_to(user).filter(parent=area).order_by("code")
    qs = qs.annotate(children_count=_count_subquery(Area.objects.filter(parent=OuterRef("pk"))))
    if with_residents:
        residents = residents_visible_to(user).filter(area_path__startswith=OuterRef("path"))
        qs = qs.annotate(residents_count=_count_subquery(residents))
    return qs


def _sees_residents(user) -> bool:
    scope = get_scope(user)
    return scope.is_admin or bool(scope.area_paths())


def _breadcrumb(user, area: Area) -> list[dict]:
    ancestors = list(area.ancestors())
    linkable = set(areas_visible_to(user).filter(pk__in=[a.pk for a in ancestors]).values_list("pk", flat=True))
    return [{"area": a, "link": a.pk in linkable} for a in ancestors]


def _map_feature(area: Area, **extra) -> dict | None:
    if not area.boundary:
        return None
    return {
        "type": "Feature",
        "geometry": area.boundary,
        "properties": {
            "id": area.pk,
            "name": area.name,
            "level": area.get_level_display(),
            "url": reverse("area_detail", args=[area.pk]),
            **extra,
        },
    }


@login_required
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    area = get_object_or_404(areas_visible_to(user), pk=pk)
    sees_residents = _sees_residents(user)
    children = list(_children_with_counts(user, area, with_residents=sees_residents))
    departments = departments_visible_to(user).filter(area__code__in=[*area.ancestor_codes, area.code])
    residents_total = (
        residents_visible_to(user).filter(area_path__startswith=area.path).count() if sees_residents else None
    )
    child_features = [f for f in (_map_feature(c) for c in children) if f]
    map_data = {"area": _map_feature(area), "children": child_features}
    depth = LEVEL_ORDER.index(area.level)
    child_level = Level(LEVEL_ORDER[depth + 1]).label if depth + 1 < len(LEVEL_ORDER) else None
    return render(
        request,
        "grids/area_detail.html",
        {
            "area": area,
            "breadcrumb": _breadcrumb(user, area),
            "children": children,
            "child_level": child_level,
            "departments": departments,
            "sees_residents": sees_residents,
            "residents_total": residents_total,
            "map_data": map_data if (map_data["area"] or child_features) else None,
            **_field_context(user, area),
        },
    )


def _field_context(user, area: Area) -> dict:
    """Field work on the area page: its recent patrols (with visits and cases found)."""
    from django.db.models import Count

    from .selectors import patrols_visible_to

    if area.level not in (Level.GRID, Level.MICRO_GRID, Level.VILLAGE):
        return {}
    patrols = (
        patrols_visible_to(user)
        .filter(area_path__startswith=area.path)
        .annotate(visit_count=Count("visits"))
        .order_by("-started_at", "-id")[:5]
    )
    return {"recent_patrols": list(patrols), "shows_patrols": _sees_residents(user)}


# Order of the groups on the team page: the grid's own people first ("1+3"), then the wider "N".
TEAM_ROLE_ORDER = [
    Role.GRID_CHIEF,
    Role.GRID_WORKER,
    Role.CENTER_STAFF,
    Role.MEDIATOR,
    Role.LEGAL_STAFF,
    Role.DEPARTMENT_STAFF,
]


@dataclass
class TeamGroup:
    title: str
    members: list[Membership] = field(default_factory=list)


def _group_team(memberships: list[Membership]) -> list[TeamGroup]:
    """Group by team role (网格团队职务) where one is set, otherwise by system role."""

    def sort_key(m: Membership) -> tuple:
        role_rank = TEAM_ROLE_ORDER.index(m.role) if m.role in TEAM_ROLE_ORDER else len(TEAM_ROLE_ORDER)
        return (role_rank, -m.area.depth, m.team_role, m.user.username)

    groups: dict[str, TeamGroup] = {}
    for m in sorted(memberships, key=sort_key):
        title = m.team_role or str(m.get_role_display())
        groups.setdefault(title, TeamGroup(title=title)).members.append(m)
    return list(groups.values())


@login_required
def grid_team(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(areas_visible_to(request.user), pk=pk)
    memberships = list(team_of(area))
    return render(
        request,
        "grids/grid_team.html",
        {
            "area": area,
            "breadcrumb": _breadcrumb(request.user, area),
            "groups": _group_team(memberships),
            "member_count": len({m.user_id for m in memberships}),
        },
    )


# --------------------------------------------------------------------------------------------------
# Residents
# --------------------------------------------------------------------------------------------------


@dataclass
class ResidentRow:
    """A resident as shown to this user: identifiers masked unless they may see them."""

    resident: Resident
    sensitive: bool

    @property
    def id_number(self) -> str:
        return self.resident.id_number if self.sensitive else mask(self.resident.id_number, "id_number")

    @property
    def phone(self) -> str:
        return self.resident.phone if self.sensitive else mask(self.resident.phone, "phone")

    @property
    def birth_date(self):
        # Withheld with the masked ID number: together with its visible ends it would reveal it.
        return self.resident.birth_date if self.sensitive else None


def _area_choices(user, selected: Area | None) -> list[tuple[str, str]]:
    """Options for the area filter: two levels below the user's widest area (a district user gets
    towns and villages, not 2,000 micro-grids), plus the selected one."""
    home = _home_area(user)
    max_depth = (home.depth if home else 0) + 2
    levels = LEVEL_ORDER[: max_depth + 1]
    areas = list(areas_visible_to(user).filter(level__in=levels).order_by("path").only("id", "name", "level", "path"))
    if selected is not None and all(a.pk != selected.pk for a in areas):
        areas.append(selected)
    base = min((a.depth for a in areas), default=0)
    return [("", _("全部区域"))] + [(str(a.pk), "\u3000" * (a.depth - base) + a.name) for a in areas]


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filterset = ResidentFilter(request.GET or None, queryset=residents_visible_to(user), request=request)
    valid = filterset.is_bound is False or filterset.is_valid()
    residents = filterset.qs if valid else Resident.objects.none()
    selected = filterset.form.cleaned_data.get("area") if valid and filterset.is_bound else None
    filterset.form.fields["area"].widget.choices = _area_choices(user, selected)
    page = Paginator(residents.select_related("micro_grid"), RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [ResidentRow(r, can_see_sensitive(user, r)) for r in page.object_list]
    audit.unmasked_view(user=user, residents=[r.resident for r in rows if r.sensitive], request=request, via="page")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grids/resident_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "valid": valid,
            "page": page,
            "rows": rows,
            "selected_area": selected,
            "querystring": query.urlencode(),
            "sees_residents": _sees_residents(user),
        },
    )


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    resident = get_object_or_404(residents_visible_to(user).select_related("micro_grid", "household"), pk=pk)
    from .field_views import follow_up_for_resident

    sensitive = can_see_sensitive(user, resident)
    if sensitive:
        audit.unmasked_view(user=user, residents=[resident], request=request, via="page")
    return render(
        request,
        "grids/resident_detail.html",
        {
            **follow_up_for_resident(user, resident),
            "row": ResidentRow(resident, sensitive),
            "resident": resident,
            "breadcrumb": _breadcrumb(user, resident.micro_grid),
        },
    )


# --------------------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------------------


def _inbox(user) -> QuerySet[Notification]:
    # Deferred notifications (outside working hours) appear when they are due.
    return notification_inbox(user)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    inbox = _inbox(request.user)
    if request.method == "POST":
        marked = services.notifications_mark_all_read(by=request.user)
        if marked:
            messages.success(request, _("已将 %(count)d 条通知标记为已读。") % {"count": marked})
        return redirect("notifications")
    ordered = inbox.order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id")
    page = Paginator(ordered, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "grids/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link (only to this site)."""
    notification = services.notification_mark_read(
        notification=get_object_or_404(_inbox(request.user), pk=pk), by=request.user
    )
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")
