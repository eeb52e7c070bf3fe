"""Pages of field work: patrols (巡查), visits (走访), household files (一户一档), door registration
(入户登记) and special-population follow-ups (帮教). Thin: parse, call a selector or service, render."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import case_links, figures, services
from .forms import (
    FollowUpForm,
    HouseholdForm,
    PatrolEndForm,
    PatrolStartForm,
    ResidentForm,
    VisitForm,
    micro_grids_for_registrar,
)
from .models import Area, Household, Resident
from .selectors import (
    REGISTRAR_ROLES,
    areas_visible_to,
    can_register_in,
    can_see_follow_ups,
    can_see_sensitive,
    follow_ups_visible_to,
    get_scope,
    households_visible_to,
    patrol_grids_for,
    patrols_visible_to,
    registration_changes_visible_to,
    residents_visible_to,
    visits_visible_to,
)
from .views import ResidentRow, _breadcrumb

PER_PAGE = 30


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _area_param(request: HttpRequest) -> Area | None:
    """`?area=<id>` among the areas the user reads; out of scope → 404."""
    value = request.GET.get("area")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(areas_visible_to(request.user), pk=int(value))


def _date_param(request: HttpRequest, name: str) -> date | None:
    value = request.GET.get(name)
    return parse_date(value) if value else None


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


# ------------------------------------------------------------------------------------------ patrols


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    """Patrols in the user's areas; `?area=&from=&to=` (what the dashboard's counts link to)."""
    qs = patrols_visible_to(request.user).annotate(visit_count=Count("visits"))
    area = _area_param(request)
    start, end = _date_param(request, "from"), _date_param(request, "to")
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    if start:
        qs = qs.filter(started_at__gte=_day_start(start))
    if end:
        qs = qs.filter(started_at__lt=_day_start(end + timedelta(days=1)))
    if request.GET.get("mine"):
        qs = qs.filter(worker=request.user)
    page = Paginator(qs.order_by("-started_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grids/patrol_list.html",
        {
            "page": page,
            "area": area,
            "start": start,
            "end": end,
            "querystring": query.urlencode(),
            "open_patrol": services.open_patrol_of(request.user),
            "start_form": PatrolStartForm(user=request.user) if patrol_grids_for(request.user) else None,
        },
    )


@login_required
def unpatrolled_grids(request: HttpRequest) -> HttpResponse:
    """Grids with no patrol this week, under `?area=` (the dashboard's "grids not patrolled")."""
    area = _area_param(request) or get_scope(request.user).home_area()
    if area is None:
        raise Http404
    grids = figures.grids_not_patrolled(area=area, user=request.user)
    page = Paginator(grids, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "grids/unpatrolled.html",
        {"area": area, "page": page, "week": figures.week_start(), "querystring": f"area={area.pk}"},
    )


@login_required
@require_POST
def patrol_start(request: HttpRequest) -> HttpResponse:
    form = PatrolStartForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("请选择您负责的网格"))
        return redirect("patrol_list")
    try:
        patrol = services.patrol_start(by=request.user, grid=form.cleaned_data["grid"])
    except services.FieldNotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.FieldConflict as exc:
        messages.warning(request, str(exc))
        patrol = services.open_patrol_of(request.user)
        return redirect("patrol_detail", pk=patrol.pk) if patrol else redirect("patrol_list")
    messages.success(request, _("巡查已开始,正在记录轨迹"))
    return redirect("patrol_detail", pk=patrol.pk)


def _visible_patrol(request: HttpRequest, pk: int):
    return get_object_or_404(patrols_visible_to(request.user), pk=pk)


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = _visible_patrol(request, pk)
    visits = list(visits_visible_to(request.user).filter(patrol=patrol).order_by("visited_at", "id"))
    cases = case_links.patrol_cases(request.user, [patrol.pk])
    track = [[p.lat, p.lng] for p in patrol.points.order_by("at").only("lat", "lng")]
    own_open = patrol.open and patrol.worker_id == request.user.pk
    map_data = {
        "grid": patrol.grid.boundary,
        "track": track,
        "recording": own_open,
        "trackUrl": reverse("patrol_track", args=[patrol.pk]) if own_open else "",
        "text": {"noGeo": _("无法获取定位,轨迹暂停记录"), "points": _("已记录轨迹点:")},
    }
    return render(
        request,
        "grids/patrol_detail.html",
        {
            "patrol": patrol,
            "visits": visits,
            "cases": cases,
            "own_open": own_open,
            "end_form": PatrolEndForm() if own_open else None,
            "map_data": map_data,
            "breadcrumb": _breadcrumb(request.user, patrol.grid),
            "point_count": len(track),
        },
    )


@login_required
@require_POST
def patrol_track(request: HttpRequest, pk: int) -> JsonResponse:
    """A batch of GPS fixes from the patrol page's script: {"points": [{lat, lng, at, accuracy}]}."""
    patrol = _visible_patrol(request, pk)
    try:
        body = json.loads(request.body or b"{}")
        points = body["points"]
        if not isinstance(points, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"points": [_("轨迹点格式错误")]}, status=400)
    try:
        added = services.patrol_track_add(patrol=patrol, by=request.user, points=points)
    except services.FieldNotAllowed as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    except services.FieldConflict as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    return JsonResponse({"added": added})


@login_required
@require_POST
def patrol_end(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = _visible_patrol(request, pk)
    form = PatrolEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("patrol_detail", pk=pk)
    try:
        services.patrol_end(patrol=patrol, by=request.user, **form.cleaned_data)
    except services.FieldNotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.FieldConflict as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("巡查已结束"))
    return redirect("patrol_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def patrol_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a visit during the worker's own open patrol."""
    patrol = _visible_patrol(request, pk)
    if patrol.worker_id != request.user.pk:
        raise PermissionDenied
    if not patrol.open:
        messages.warning(request, _("这次巡查已经结束"))
        return redirect("patrol_detail", pk=pk)
    form = VisitForm(request.POST or None, request.FILES or None, user=request.user, area=patrol.grid)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_log(by=request.user, patrol=patrol, **form.cleaned_data)
        except services.FieldNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.FieldConflict as exc:
            messages.warning(request, str(exc))
            return redirect("patrol_detail", pk=pk)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("走访已记录"))
            return redirect("patrol_detail", pk=pk)
    return render(
        request, "grids/visit_form.html", {"form": form, "patrol": patrol}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a visit to this household (or one of its members) outside a patrol, e.g. a follow-up."""
    household = get_object_or_404(household_detail_queryset(request.user), pk=pk)
    if not can_see_follow_ups(request.user, household.area_path):
        raise PermissionDenied
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        area=household.micro_grid,
        initial={"household": household},
    )
    form.fields["resident"].queryset = form.fields["resident"].queryset.filter(household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_log(by=request.user, **form.cleaned_data)
        except services.FieldNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("走访已记录"))
            return redirect("household_detail", pk=pk)
    return render(
        request,
        "grids/visit_form.html",
        {"form": form, "household": household},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def follow_up_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """帮教: assign a helper and a visit frequency to a special-population resident."""
    resident = get_object_or_404(residents_visible_to(request.user), pk=pk)
    if not can_see_follow_ups(request.user, resident.area_path):
        raise Http404
    form = FollowUpForm(request.POST, resident=resident)
    if form.is_valid():
        try:
            services.follow_up_assign(by=request.user, resident=resident, **form.cleaned_data)
        except services.FieldNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("帮教安排已保存"))
    else:
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
    return redirect("resident_detail", pk=pk)


@login_required
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    visit = get_object_or_404(visits_visible_to(request.user).exclude(photo=""), pk=pk)
    response = FileResponse(visit.photo.open("rb"), content_type=visit.photo_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --------------------------------------------------------------------------------------- households


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    from .field_api import HouseholdFilter

    filterset = HouseholdFilter(request.GET or None, queryset=households_visible_to(request.user), request=request)
    valid = not filterset.is_bound or filterset.is_valid()
    qs = filterset.qs if valid else Household.objects.none()
    qs = qs.select_related("building", "micro_grid").annotate(member_count=Count("members")).order_by("number")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    scope = get_scope(request.user)
    return render(
        request,
        "grids/household_list.html",
        {
            "page": page,
            "q": request.GET.get("q", ""),
            "area_id": request.GET.get("area", ""),
            "valid": valid,
            "errors": filterset.errors if not valid else {},
            "querystring": query.urlencode(),
            "can_register": bool(scope.areas(REGISTRAR_ROLES)),
        },
    )


def household_detail_queryset(user):
    return households_visible_to(user).select_related("building", "micro_grid")


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = get_object_or_404(household_detail_queryset(user), pk=pk)
    members = list(residents_visible_to(user).filter(household=household).select_related("follow_up").order_by("id"))
    rows = [ResidentRow(r, can_see_sensitive(user, r)) for r in members]
    sensitive = can_see_follow_ups(user, household.area_path)
    visits = list(visits_visible_to(user).filter(household=household)[:50])
    changes = list(registration_changes_visible_to(user).filter(household=household).select_related("by")[:50])
    return render(
        request,
        "grids/household_detail.html",
        {
            "household": household,
            "rows": rows,
            "sensitive": sensitive,
            "special": sorted({r.get_special_population_display() for r in members if r.special_population})
            if sensitive
            else [],
            "floating": any(r.floating for r in members),
            "visits": visits,
            "cases": case_links.household_cases(user, [household.pk]),
            "changes": changes,
            "can_edit": can_register_in(user, household.area_path),
            "breadcrumb": _breadcrumb(user, household.micro_grid),
        },
    )


def _registrar_micro_grids(user):
    return micro_grids_for_registrar(user, get_scope(user).areas(REGISTRAR_ROLES))


@login_required
@require_http_methods(["GET", "POST"])
def household_new(request: HttpRequest) -> HttpResponse:
    micro_grids = _registrar_micro_grids(request.user)
    if not micro_grids.exists():
        raise PermissionDenied
    form = HouseholdForm(request.POST or None, micro_grids=micro_grids)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_register(by=request.user, **form.cleaned_data)
        except services.FieldNotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已建立户档案 %(number)s") % {"number": household.number})
            return redirect("household_detail", pk=household.pk)
    return render(request, "grids/household_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(household_detail_queryset(request.user), pk=pk)
    if not can_register_in(request.user, household.area_path):
        raise PermissionDenied
    micro_grids = Area.objects.filter(pk=household.micro_grid_id)
    initial = {f: getattr(household, f) for f in services.HOUSEHOLD_FIELDS} | {"micro_grid": household.micro_grid}
    form = HouseholdForm(request.POST or None, initial=initial, micro_grids=micro_grids)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.HOUSEHOLD_FIELDS}
        try:
            services.household_update(by=request.user, household=household, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("户信息已更正"))
            return redirect("household_detail", pk=pk)
    return render(
        request,
        "grids/household_form.html",
        {"form": form, "household": household},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(household_detail_queryset(request.user), pk=pk)
    if not can_register_in(request.user, household.area_path):
        raise PermissionDenied
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_register(by=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("居民已登记"))
            return redirect("household_detail", pk=pk)
    return render(
        request,
        "grids/resident_form.html",
        {"form": form, "household": household},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_object_or_404(residents_visible_to(request.user), pk=pk)
    if not can_register_in(request.user, resident.area_path):
        raise PermissionDenied
    initial = {f: getattr(resident, f) for f in ("name", "id_number", "phone", "floating", "special_population")}
    form = ResidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(by=request.user, resident=resident, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("居民信息已更正"))
            if resident.household_id:
                return redirect("household_detail", pk=resident.household_id)
            return redirect("resident_detail", pk=pk)
    return render(
        request,
        "grids/resident_form.html",
        {"form": form, "household": resident.household, "resident": resident},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------- follow-ups


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """Special-population follow-ups (帮教) the user may see; `?state=due|overdue&area=`."""
    scope = get_scope(request.user)
    if not scope.is_admin and not scope.area_paths(services.SENSITIVE_ROLES):
        raise Http404
    qs = follow_ups_visible_to(request.user).filter(active=True)
    area = _area_param(request)
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    state = request.GET.get("state", "")
    now = timezone.now()
    if state == "overdue":
        qs = qs.filter(next_due_at__lt=now)
    elif state == "due":
        qs = qs.filter(next_due_at__gte=now, next_due_at__lt=now + timedelta(days=figures.DUE_SOON_DAYS))
    if request.GET.get("mine"):
        qs = qs.filter(helper=request.user)
    qs = qs.select_related("resident", "helper").order_by("next_due_at", "id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grids/follow_up_list.html",
        {"page": page, "state": state, "area": area, "now": now, "querystring": query.urlencode()},
    )


def follow_up_for_resident(user, resident: Resident) -> dict:
    """The resident page's follow-up block, for those who may see it."""
    if not can_see_follow_ups(user, resident.area_path):
        return {"follow_up": None, "follow_up_visits": [], "follow_up_form": None}
    follow_up = follow_ups_visible_to(user).filter(resident=resident).select_related("helper").first()
    visits = list(visits_visible_to(user).filter(resident=resident)[:20])
    form = None
    if resident.special_population in services.FOLLOWED_POPULATIONS:
        initial = {"helper": follow_up.helper, "frequency_days": follow_up.frequency_days} if follow_up else {}
        form = FollowUpForm(resident=resident, initial=initial)
    return {"follow_up": follow_up, "follow_up_visits": visits, "follow_up_form": form}
