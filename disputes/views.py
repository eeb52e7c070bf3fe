"""Case pages: intake, queues and inboxes, the case page and its actions. Thin: parse, call a
selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Level, Role
from grids.pagination import CappedPaginator, badge, capped_counts
from grids.selectors import get_scope
from grids.services import open_patrol_of
from grids.validators import mask, normalize_phone

from . import events, selectors, services
from .actions import form_for, perform_action
from .forms import PHOTO_ACTIONS, CaseFilterForm, CaseForm, HotlineForm
from .labels import TAB_LABELS
from .models import Attachment, AttachmentPhase, Clock
from .workflow import TRANSITIONS, ActionConflict, ActionNotAllowed, available_actions, blocked_actions


def _tabs_for(scope) -> list[str]:
    if scope.has_role(Role.CENTER_STAFF):
        return selectors.CENTER_TABS
    if scope.departments():
        return selectors.DEPARTMENT_TABS
    if scope.has_role(Role.GRID_WORKER, Role.GRID_CHIEF):
        return selectors.REPORTER_TABS
    return ["all"]


def _apply_tab(qs, tab: str, user, scope):
    if tab in selectors.CENTER_TABS and scope.has_role(Role.CENTER_STAFF):
        return selectors.center_tab(qs, tab, center_ids=[a.pk for a in scope.areas({Role.CENTER_STAFF})])
    if tab in selectors.DEPARTMENT_TABS and scope.departments():
        return selectors.department_tab(qs, tab, department_ids=scope.department_ids())
    if tab == "mine":
        return qs.filter(reporter=user)
    if tab == "area":
        return qs.filter(scope.path_q("area_path"))
    return qs


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The queue (center), the inbox (departments), "my cases" (grid workers), or all visible cases."""
    scope = get_scope(request.user)
    tabs = _tabs_for(scope)
    tab = request.GET.get("tab") or tabs[0]
    if tab not in tabs and tab not in ("all", selectors.VISIBLE_TAB):
        tab = tabs[0]
    form = CaseFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    visible = selectors.cases_visible_to(request.user)
    # Each tab shows its count over the same visible cases the list uses: one statement for all
    # tabs, each counted up to the badge's cap ("999+"), so the badges cost the same at any scale.
    counts = capped_counts({t: _apply_tab(visible, t, request.user, scope) for t in tabs})
    qs = _apply_tab(selectors.case_list_queryset(request.user), tab, request.user, scope)
    qs = selectors.filter_cases(qs, **filters)
    page = CappedPaginator(qs, 20).get_page(request.GET.get("page"))
    clocks = selectors.Clocks().preload(
        m for c in page.object_list for m in (c.dispatched_at or c.created_at, c.next_deadline_at)
    )
    rows = [(case, clocks.of_case(case)) for case in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disputes/case_list.html",
        {
            "tabs": [(t, TAB_LABELS[t], badge(counts[t])) for t in tabs],
            "extra_tab": (tab, TAB_LABELS.get(tab, tab)) if tab not in tabs else None,
            "tab": tab,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """The report form: a pin on the map (or the phone's location), photos, category, urgency."""
    scope = get_scope(request.user)
    if not selectors.may_report(request.user):
        messages.error(request, _("您的角色不能上报事项"))
        return redirect("case_list")
    form = CaseForm(request.POST or None, user=request.user)
    # Reported during a patrol (巡查): the patrol page links here with ?patrol=<id>.
    patrol = open_patrol_of(request.user) if request.GET.get("patrol") else None
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                by=request.user, files=request.FILES.getlist("photos"), patrol=patrol, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("已上报,编号 %(number)s,归属 %(area)s") % {"number": case.number, "area": case.area.name}
            )
            return redirect("patrol_detail", pk=patrol.pk) if patrol else redirect("case_detail", pk=case.pk)
    home = scope.home_area()
    map_data = {
        "center": home.centroid if home else None,
        "boundary": home.boundary if home else None,
        "micro_grids": [
            {"name": a.name, "boundary": a.boundary}
            for a in (home.children.filter(level=Level.MICRO_GRID).only("name", "boundary") if home else [])
        ],
        "locate_url": reverse("area-locate"),
        "duplicates_url": reverse("case-duplicates"),
        "text": {
            "routed": _("归属:"),
            "outside": _("该位置不在您可上报的网格内"),
            "noGeo": _("无法获取当前位置"),
        },
    }
    return render(request, "disputes/case_form.html", {"form": form, "map_data": map_data})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
    return _render_detail(request, case)


def _render_detail(request: HttpRequest, case, failed_action: str = "", failed_form=None) -> HttpResponse:
    stages = selectors.latest_stage_clocks(case)
    moments = [m for a in case.assignments.all() for m in (a.dispatched_at, a.sign_deadline, a.handle_deadline)]
    moments += [m for c in case.stage_clocks.all() for m in (c.started_at, c.deadline)]
    clocks = selectors.Clocks().preload(moments)
    assignments = [(a, clocks.of_assignment(a)) for a in case.assignments.all()]
    center_clocks = [(Clock(kind).label, c, clocks.of_stage(c)) for kind, c in stages.items() if c is not None]
    supervisions = [(s, clocks.of_stage(s.clock)) for s in case.supervisions.all()]
    photos = list(case.attachments.all())
    actions = []
    for t in available_actions(request.user, case):
        form = failed_form if t.action == failed_action else form_for(t.action, user=request.user, case=case)
        actions.append((t, form))
    map_data = {"lat": case.lat, "lng": case.lng, "boundary": case.area.boundary}
    return render(
        request,
        "disputes/case_detail.html",
        {
            "case": case,
            "assignments": assignments,
            "actions": actions,
            "open_action": failed_action,
            "center_clocks": center_clocks,
            "supervisions": supervisions,
            "blocked": blocked_actions(request.user, case),
            "photo_actions": PHOTO_ACTIONS,
            "before": [p for p in photos if p.phase != AttachmentPhase.AFTER],
            "after": [p for p in photos if p.phase == AttachmentPhase.AFTER],
            "events": [(e, events.label(e), events.system_note(e)) for e in case.events.all()],
            "map_data": map_data,
            "contact": _contact(request.user, case),
        },
        status=400 if failed_form is not None else 200,
    )


def _contact(user, case) -> dict | None:
    """The caller or submitter (hotline, /report/, Open311), phone masked unless the reader may see it."""
    contact = getattr(case, "contact", None)
    if contact is None:
        return None
    full = selectors.may_see_contact(user, case)
    return {
        "name": contact.name,
        "phone": contact.phone if full else mask(contact.phone, "phone"),
        "hotline_ticket": contact.hotline_ticket,
    }


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One workflow action from the case page; the same entry point as the API."""
    if action not in TRANSITIONS:
        raise Http404
    case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
    try:
        perform_action(user=request.user, case=case, action=action, data=request.POST, files=request.FILES)
    except ActionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("case_detail", pk=pk)
    except ActionConflict as exc:
        messages.warning(request, str(exc))
        return redirect("case_detail", pk=pk)
    except ValidationError as exc:
        form = form_for(action, user=request.user, case=case, data=request.POST)
        form.is_valid()
        for field, errors in exc.message_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, errors)
        return _render_detail(request, case, failed_action=action, failed_form=form)
    messages.success(request, _("已完成:%(action)s") % {"action": TRANSITIONS[action].label})
    if not selectors.cases_visible_to(request.user).filter(pk=pk).exists():
        # A department that returned the case no longer sees it.
        return redirect("case_list")
    return redirect("case_detail", pk=pk)


@login_required
def attachment(request: HttpRequest, token: str) -> FileResponse:
    """Photos and files are served only to users who can see the case."""
    item = get_object_or_404(Attachment.objects.filter(case__in=selectors.cases_visible_to(request.user)), token=token)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = (
        f"inline; filename*=UTF-8''{item.token}.{item.extension}"
        if item.is_image
        else f"attachment; filename*=UTF-8''{item.token}.{item.extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def hotline_new(request: HttpRequest) -> HttpResponse:
    """热线受理: center staff log a 12345 call; the caller's earlier cases are shown beside the form."""
    scope = get_scope(request.user)
    if not (scope.is_admin or scope.has_role(Role.CENTER_STAFF)):
        raise Http404
    bound = request.POST if request.method == "POST" else (request.GET if request.GET.get("lookup") else None)
    form = HotlineForm(bound, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_log_call(by=request.user, files=request.FILES.getlist("photos"), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ActionNotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("已登记热线来电,工单号 %(ticket)s,事项编号 %(number)s")
                % {"ticket": form.cleaned_data["hotline_ticket"], "number": case.number},
            )
            return redirect("case_detail", pk=case.pk)
    try:
        caller_phone = normalize_phone((bound or {}).get("caller_phone", ""))
    except ValidationError:
        caller_phone = ""
    earlier = list(selectors.earlier_cases_of_caller(request.user, caller_phone)) if caller_phone else []
    home = scope.home_area()
    map_data = {
        "center": home.centroid if home else None,
        "boundary": home.boundary if home else None,
        "locate_url": reverse("area-locate"),
        "duplicates_url": reverse("case-duplicates"),
        "text": {"routed": _("归属:"), "outside": _("该位置不在您可上报的网格内"), "noGeo": _("无法获取当前位置")},
    }
    if request.method == "GET" and form.is_bound:
        form.errors.clear()  # a caller lookup, not a submission: no errors yet
    return render(
        request,
        "disputes/hotline_form.html",
        {"form": form, "map_data": map_data, "earlier": earlier, "caller_phone": caller_phone},
        status=400 if request.method == "POST" else 200,
    )
