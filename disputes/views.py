"""Case pages: intake, queues and inboxes, the case page and its actions. Thin: parse, call a
selector or service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.models import Area, Level, Role
from grids.pagination import CappedPaginator
from grids.selectors import areas_visible_to, get_scope

from . import selectors, services
from .actions import form_for, perform_action
from .deadlines import clock
from .models import Attachment, Category, Satisfaction, Status, Urgency
from .workflow import TRANSITIONS, ActionConflict, ActionNotAllowed, available_actions
from .worktime import WorkingCalendar

TAB_LABELS = {
    "new": gettext_lazy("待受理"),
    "returned": gettext_lazy("被退单"),
    "extensions": gettext_lazy("延期申请"),
    "due_soon": gettext_lazy("即将到期"),
    "overdue": gettext_lazy("已超期"),
    "all": gettext_lazy("全部"),
    "to_sign": gettext_lazy("待签收"),
    "in_progress": gettext_lazy("办理中"),
    "done": gettext_lazy("已办结"),
    "mine": gettext_lazy("我上报的"),
    "area": gettext_lazy("辖区事项"),
}


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("编号、标题或地址"), "type": "search"}),
    )
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("分类"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=gettext_lazy("全部分类"),
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("区域"), queryset=Area.objects.none(), required=False, empty_label=gettext_lazy("全部区域")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext_lazy("全部状态"))] + list(Status.choices)
        self.fields["area"].queryset = areas_visible_to(user).filter(
            level__in=[Level.DISTRICT, Level.TOWN, Level.VILLAGE, Level.GRID]
        )


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
    if tab not in tabs and tab != "all":
        tab = tabs[0]
    form = CaseFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = _apply_tab(selectors.case_list_queryset(request.user), tab, request.user, scope)
    qs = selectors.filter_cases(
        qs,
        status=filters.get("status") or None,
        area=filters.get("area"),
        category=filters.get("category"),
        q=filters.get("q") or None,
    )
    page = CappedPaginator(qs, 20).get_page(request.GET.get("page"))
    calendar, now = WorkingCalendar(), timezone.now()
    _preload(calendar, now, [(c.dispatched_at, c.next_deadline_at) for c in page.object_list])
    rows = []
    for case in page.object_list:
        colour = "red" if case.overdue else clock(case.dispatched_at, case.next_deadline_at, now, calendar)
        rows.append((case, colour))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disputes/case_list.html",
        {
            "tabs": [(t, TAB_LABELS[t]) for t in tabs],
            "tab": tab,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


class CaseForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("分类"),
        queryset=Category.objects.filter(active=True),
        empty_label=gettext_lazy("请选择分类"),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120, required=False)
    description = forms.CharField(label=gettext_lazy("描述"), widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)
    involved_people = forms.CharField(
        label=gettext_lazy("涉及人员"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    area = forms.ModelChoiceField(
        label=gettext_lazy("所属区域(无定位时选择)"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=gettext_lazy("按地图定位"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_visible_to(user).filter(level__in=[Level.GRID, Level.MICRO_GRID])


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """The report form: a pin on the map (or the phone's location), photos, category, urgency."""
    scope = get_scope(request.user)
    if not (scope.is_admin or scope.has_role(*services.REPORTER_ROLES)):
        messages.error(request, _("您的角色不能上报事项"))
        return redirect("case_list")
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(by=request.user, files=request.FILES.getlist("photos"), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("已上报,编号 %(number)s,归属 %(area)s") % {"number": case.number, "area": case.area.name}
            )
            return redirect("case_detail", pk=case.pk)
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


EXTRA_EVENT_LABELS = {"create": gettext_lazy("上报"), "reclassify": gettext_lazy("调整分类")}


def _event_label(event) -> str:
    if event.action in TRANSITIONS:
        label = str(TRANSITIONS[event.action].label)
    else:
        label = str(EXTRA_EVENT_LABELS.get(event.action, event.action))
    if event.data.get("satisfaction") in Satisfaction.values:
        label += f" · {Satisfaction(event.data['satisfaction']).label}"
    return label


def _preload(calendar: WorkingCalendar, now, spans) -> None:
    """Read the working calendar once for every clock on the page (and today), so the page costs
    the same number of queries whichever cases it shows."""
    moments = [now] + [m for span in spans for m in span if m is not None]
    calendar.preload(min(moments), max(moments))


def _render_detail(request: HttpRequest, case, failed_action: str = "", failed_form=None) -> HttpResponse:
    calendar, now = WorkingCalendar(), timezone.now()
    _preload(calendar, now, [(a.dispatched_at, a.handle_deadline) for a in case.assignments.all()])
    assignments = []
    for a in case.assignments.all():
        if a.status == "pending":
            colour = clock(a.dispatched_at, a.sign_deadline, now, calendar)
        elif a.status == "signed" and a.role == "lead":
            colour = clock(a.dispatched_at, a.handle_deadline, now, calendar)
        else:
            colour = ""
        assignments.append((a, "red" if a.overdue and a.active else colour))
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
            "events": [(e, _event_label(e)) for e in case.events.all()],
            "map_data": map_data,
        },
        status=400 if failed_form is not None else 200,
    )


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One workflow action from the case page; the same entry point as the API."""
    if action not in TRANSITIONS:
        raise Http404
    case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
    try:
        perform_action(user=request.user, case=case, action=action, data=request.POST)
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
