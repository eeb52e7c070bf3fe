"""Legal-services pages: the workbench, consultations, legal aid, 普法 events and their calendar, and
the registries with search and XLSX export. Thin: parse, ask selectors, call services, render."""

from __future__ import annotations

import calendar as month_calendar
import io
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.models import Area, Level
from grids.pagination import CappedPaginator
from grids.worktime import WorkingCalendar

from . import selectors, services
from .actions import perform_action, refer_consultation
from .eligibility import assess, reason_text
from .events import label as event_label
from .forms import (
    AdviserLogForm,
    AidApplyForm,
    AnswerForm,
    ConsultationForm,
    EventForm,
    LessonForm,
    SavvyForm,
    SearchForm,
    ServicePointFilter,
    TrainingForm,
    action_form,
)
from .models import AdviserLog, AidStatus, ConsultationStatus, ServicePointKind
from .targets import referral_kinds, referrer_for
from .workflow import TRANSITIONS, ActionConflict, ActionNotAllowed, available_actions

PER_PAGE = 20


def _readable(request: HttpRequest) -> None:
    """Legal pages exist only for legal-services staff, officials and admins: 404 for the rest."""
    if not selectors.can_read(request.user):
        raise Http404


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _clock(application, now, calendar: WorkingCalendar) -> str:
    """green / yellow (80 % of the working time gone) / red, while the review clock runs."""
    if application.status not in (AidStatus.APPLIED, AidStatus.REVIEWING) or application.review_deadline is None:
        return ""
    if application.review_alert == "red" or now >= application.review_deadline:
        return "red"
    total = calendar.working_hours_between(application.applied_at, application.review_deadline)
    if total > 0 and calendar.working_hours_between(application.applied_at, now) >= 0.8 * total:
        return "yellow"
    return "green"


def _with_clocks(applications) -> list[tuple]:
    calendar, now = WorkingCalendar(), timezone.now()
    moments = [now] + [m for a in applications for m in (a.applied_at, a.review_deadline) if m]
    calendar.preload(min(moments), max(moments))
    return [(a, _clock(a, now, calendar)) for a in applications]


# ---------------------------------------------------------------------------------------------
# Workbench


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    _readable(request)
    data = selectors.workbench(request.user)
    data["to_review"] = _with_clocks(data["to_review"])
    data["can_write"] = selectors.can_write(request.user)
    return render(request, "legal_services/workbench.html", data)


# ---------------------------------------------------------------------------------------------
# Consultations


def _xlsx(title: str, headers: list, rows) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    ws = workbook.active
    ws.title = str(title)[:31]
    ws.append([str(h) for h in headers])
    for row in rows:
        ws.append(["" if v is None else (str(v) if not isinstance(v, int | float | date) else v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''legal-{date.today():%Y%m%d}.xlsx"
    return response


EXPORT_CAP = 10_000


def _listing(request, qs: QuerySet, template: str, context: dict, export) -> HttpResponse:
    if request.GET.get("export") == "xlsx":
        headers, row = export
        return _xlsx(context.get("title", "legal"), headers, (row(o) for o in qs[:EXPORT_CAP]))
    page = CappedPaginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update({"page": page, "query": query.urlencode()})
    return render(request, template, context)


@login_required
def consultation_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    form = SearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.search(
        selectors.consultations_visible_to(request.user).order_by("-asked_at", "-id"),
        q,
        ["question", "answer", "name", "resident__name"],
    )
    status = request.GET.get("status", "")
    if status in ConsultationStatus.values:
        qs = qs.filter(status=status)
    export = (
        [_("时间"), _("事项"), _("咨询人"), _("渠道"), _("区域"), _("状态"), _("咨询内容"), _("答复")],
        lambda c: [
            f"{timezone.localtime(c.asked_at):%Y-%m-%d %H:%M}",
            c.get_topic_display(),
            c.asker_name,
            c.get_channel_display(),
            c.area.name,
            c.get_status_display(),
            c.question,
            c.answer,
        ],
    )
    return _listing(
        request,
        qs,
        "legal_services/consultation_list.html",
        {
            "title": _("法律咨询"),
            "form": form,
            "status": status,
            "statuses": ConsultationStatus.choices,
            "can_write": selectors.can_write(request.user),
        },
        export,
    )


@login_required
def consultation_new(request: HttpRequest) -> HttpResponse:
    _readable(request)
    if not selectors.can_write(request.user):
        raise Http404
    form = ConsultationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_record(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记法律咨询"))
            return redirect("legal:consultation_detail", pk=consultation.pk)
    return render(request, "legal_services/form.html", {"form": form, "title": _("登记法律咨询")})


def _refer_forms(request, consultation, failed_kind: str = "", failed_form=None) -> list:
    result = []
    for kind in referral_kinds():
        _referrer, form_class = referrer_for(kind)
        form = (
            failed_form
            if kind == failed_kind
            else form_class(user=request.user, consultation=consultation, auto_id=f"id_{kind}_%s")
        )
        result.append((kind, REFER_LABELS.get(kind, kind), form))
    return result


REFER_LABELS = {
    "aid": gettext_lazy("转法律援助"),
    "case": gettext_lazy("转事项(交综治中心)"),
    "dispute": gettext_lazy("转矛盾纠纷调解"),
}


def _referrals(request, kind: str, pk: int) -> list[dict]:
    return selectors.referrals_for_display(request.user, kind, pk)


def _consultation_page(request, consultation, *, answer_form=None, failed_kind="", failed_form=None, status=200):
    writable = selectors.can_write(request.user, consultation.area_path)
    return render(
        request,
        "legal_services/consultation_detail.html",
        {
            "c": consultation,
            "phone": selectors.asker_phone(request.user, consultation),
            "can_write": writable,
            "answer_form": answer_form or AnswerForm(initial={"answer": consultation.answer}),
            "refer_forms": _refer_forms(request, consultation, failed_kind, failed_form) if writable else [],
            "referrals": _referrals(request, "consultation", consultation.pk),
            "open_refer": failed_kind,
        },
        status=status,
    )


@login_required
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    consultation = get_object_or_404(selectors.consultations_visible_to(request.user), pk=pk)
    return _consultation_page(request, consultation)


@login_required
@require_POST
def consultation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    consultation = get_object_or_404(selectors.consultations_visible_to(request.user), pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.consultation_answer(by=request.user, consultation=consultation, **form.cleaned_data)
        except ActionNotAllowed as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
            return _consultation_page(request, consultation, answer_form=form, status=400)
        else:
            messages.success(request, _("已答复"))
        return redirect("legal:consultation_detail", pk=pk)
    return _consultation_page(request, consultation, answer_form=form, status=400)


@login_required
@require_POST
def consultation_refer(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    _readable(request)
    consultation = get_object_or_404(selectors.consultations_visible_to(request.user), pk=pk)
    found = referrer_for(kind)
    if found is None:
        raise Http404
    try:
        with transaction.atomic():
            target_kind, target_id = refer_consultation(
                user=request.user, consultation=consultation, to=kind, data=request.POST
            )
    except ActionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("legal:consultation_detail", pk=pk)
    except ValidationError as exc:
        form = found[1](request.POST, user=request.user, consultation=consultation, auto_id=f"id_{kind}_%s")
        form.is_valid()
        _apply_errors(form, exc)
        return _consultation_page(request, consultation, failed_kind=kind, failed_form=form, status=400)
    messages.success(request, _("已转介"))
    if target_kind == "aid":
        return redirect("legal:aid_detail", pk=target_id)
    return redirect("legal:consultation_detail", pk=pk)


# ---------------------------------------------------------------------------------------------
# Legal aid


@login_required
def aid_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    form = SearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.search(
        selectors.aid_visible_to(request.user).order_by("-applied_at", "-id"),
        q,
        ["number", "reason", "name", "resident__name"],
    )
    status = request.GET.get("status", "")
    if status in AidStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("export") == "xlsx":
        user = request.user
        return _xlsx(
            _("法律援助"),
            [_("编号"), _("申请时间"), _("案件类型"), _("申请人"), _("身份证号"), _("区域"), _("状态"), _("承办律师")],
            (
                [
                    a.number,
                    f"{timezone.localtime(a.applied_at):%Y-%m-%d}",
                    a.get_matter_display(),
                    d["name"],
                    d["id_number"],
                    a.area.name,
                    a.get_status_display(),
                    a.lawyer.name if a.lawyer_id else "",
                ]
                for a in qs[:EXPORT_CAP]
                for d in [selectors.applicant_details(user, a)]
            ),
        )
    page = CappedPaginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "legal_services/aid_list.html",
        {
            "form": form,
            "page": page,
            "rows": _with_clocks(list(page.object_list)),
            "status": status,
            "statuses": AidStatus.choices,
            "query": query.urlencode(),
            "can_write": selectors.can_write(request.user),
        },
    )


@login_required
def aid_new(request: HttpRequest) -> HttpResponse:
    _readable(request)
    if not selectors.can_write(request.user):
        raise Http404
    form = AidApplyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.aid_apply(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已受理法律援助申请 %(number)s") % {"number": application.number})
            return redirect("legal:aid_detail", pk=application.pk)
    return render(request, "legal_services/form.html", {"form": form, "title": _("受理法律援助申请")})


def _aid_page(request, application, failed_action: str = "", failed_form=None) -> HttpResponse:
    verdict = assess(application)
    actions = []
    for t in available_actions(request.user, application):
        form = (
            failed_form
            if t.action == failed_action
            else action_form(t.action, user=request.user, application=application)
        )
        actions.append((t, form))
    ((_a, clock),) = _with_clocks([application])
    return render(
        request,
        "legal_services/aid_detail.html",
        {
            "a": application,
            "applicant": selectors.applicant_details(request.user, application),
            "clock": clock,
            "eligible": verdict.eligible,
            "reasons": [(r["ok"], reason_text(r)) for r in verdict.reasons],
            "actions": actions,
            "open_action": failed_action,
            "events": [(e, event_label(e)) for e in application.events.all()],
            "referrals": _referrals(request, "aid", application.pk),
        },
        status=400 if failed_form is not None else 200,
    )


@login_required
def aid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    application = get_object_or_404(selectors.aid_detail_queryset(request.user), pk=pk)
    return _aid_page(request, application)


@login_required
@require_POST
def aid_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _readable(request)
    if action not in TRANSITIONS:
        raise Http404
    application = get_object_or_404(selectors.aid_detail_queryset(request.user), pk=pk)
    try:
        perform_action(user=request.user, application=application, action=action, data=request.POST)
    except ActionNotAllowed as exc:
        messages.error(request, str(exc))
    except ActionConflict as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        form = action_form(action, user=request.user, application=application, data=request.POST)
        form.is_valid()
        for field, errors in exc.message_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, errors)
        return _aid_page(request, application, failed_action=action, failed_form=form)
    else:
        messages.success(request, _("已完成:%(action)s") % {"action": TRANSITIONS[action].label})
    return redirect("legal:aid_detail", pk=pk)


# ---------------------------------------------------------------------------------------------
# 普法 events


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    form = SearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.search(
        selectors.events_visible_to(request.user).order_by("-held_on", "-id"), q, ["title", "place", "organiser"]
    )
    export = (
        [_("日期"), _("主题"), _("活动名称"), _("地点"), _("主办单位"), _("区域"), _("受众人数"), _("发放资料(份)")],
        lambda e: [
            e.held_on,
            e.get_topic_display(),
            e.title,
            e.place,
            e.organiser,
            e.area.name,
            e.audience,
            e.materials,
        ],
    )
    return _listing(
        request,
        qs,
        "legal_services/event_list.html",
        {"title": _("普法活动"), "form": form, "can_write": selectors.can_write(request.user)},
        export,
    )


@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    _readable(request)
    if not selectors.can_write(request.user):
        raise Http404
    form = EventForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_log(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记普法活动"))
            return redirect(f"{_calendar_url()}?month={event.held_on:%Y-%m}")
    return render(request, "legal_services/form.html", {"form": form, "title": _("登记普法活动"), "multipart": True})


def _calendar_url() -> str:
    from django.urls import reverse

    return reverse("legal:event_calendar")


@login_required
def event_calendar(request: HttpRequest) -> HttpResponse:
    """The month's 普法 events of one town, on a calendar (a list on a phone)."""
    _readable(request)
    towns = list(selectors.readable_areas(request.user).filter(level=Level.TOWN).order_by("code"))
    home = selectors.home_area(request.user)
    if not towns and home is not None and home.level in (Level.VILLAGE, Level.GRID, Level.MICRO_GRID):
        towns = list(Area.objects.filter(code__in=home.ancestor_codes, level=Level.TOWN))
    town = None
    if request.GET.get("town", "").isdigit():
        town = next((t for t in towns if t.pk == int(request.GET["town"])), None)
        if town is None:
            raise Http404
    town = town or (towns[0] if towns else None)
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", f"{today:%Y-%m}").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    qs = selectors.events_visible_to(request.user).filter(held_on__gte=first, held_on__lte=last)
    if town is not None:
        qs = qs.filter(area_path__startswith=town.path)
    by_day: dict[date, list] = {}
    for event in qs.order_by("held_on", "id"):
        by_day.setdefault(event.held_on, []).append(event)
    weeks = [
        [(d, d.month == first.month, by_day.get(d, [])) for d in week]
        for week in month_calendar.Calendar().monthdatescalendar(first.year, first.month)
    ]
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return render(
        request,
        "legal_services/event_calendar.html",
        {
            "towns": towns,
            "town": town,
            "first": first,
            "weeks": weeks,
            "days": sorted(by_day.items()),
            "prev_month": f"{prev_month:%Y-%m}",
            "next_month": f"{next_month:%Y-%m}",
            "today": today,
            "can_write": selectors.can_write(request.user),
        },
    )


# ---------------------------------------------------------------------------------------------
# 以案释法


@login_required
def lesson_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    form = SearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.search(
        selectors.lessons_visible_to(request.user).order_by("-created_at", "-id"), q, ["title", "lesson", "law_refs"]
    )
    export = (
        [_("标题"), _("以案释法"), _("相关法条"), _("区域")],
        lambda o: [o.title, o.lesson, o.law_refs, o.area.name],
    )
    return _listing(
        request,
        qs,
        "legal_services/lesson_list.html",
        {"title": _("以案释法"), "form": form, "can_write": selectors.can_write(request.user)},
        export,
    )


@login_required
def lesson_new(request: HttpRequest) -> HttpResponse:
    _readable(request)
    if not selectors.can_write(request.user):
        raise Http404
    form = LessonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_write(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已发布以案释法"))
            return redirect("legal:lesson_list")
    return render(request, "legal_services/form.html", {"form": form, "title": _("撰写以案释法")})


# ---------------------------------------------------------------------------------------------
# Registries


def _registry_specs():
    return {
        "savvy": {
            "title": _("法律明白人"),
            "queryset": lambda u: selectors.savvy_visible_to(u).order_by("area_path", "id"),
            "search": ["resident__name", "village__name"],
            "headers": [_("姓名"), _("服务村社区"), _("认定日期"), _("培训次数"), _("在册")],
            "link": lambda o: reverse("legal:savvy_detail", args=[o.pk]),
            "row": lambda o: [
                o.resident.name,
                o.village.name,
                o.since,
                o.training_count,
                _("是") if o.active else _("否"),
            ],
        },
        "advisers": {
            "title": _("村(居)法律顾问"),
            "queryset": lambda u: selectors.advisers_visible_to(u).order_by("area_path", "name", "id"),
            "search": ["name", "firm"],
            "headers": [_("姓名"), _("律师事务所"), _("电话"), _("顾问村社区"), _("聘期"), _("值班时间")],
            "link": lambda o: reverse("legal:adviser_detail", args=[o.pk]),
            "row": lambda o: [
                o.name,
                o.firm,
                o.phone,
                "、".join(v.name for v in o.villages.all()),
                f"{o.term_from or ''} — {o.term_to or ''}",
                o.duty_hours,
            ],
        },
        "service-points": {
            "title": _("公共法律服务站点"),
            "queryset": lambda u: selectors.service_points_visible_to(u).order_by("area_path", "kind", "name"),
            "search": ["name", "address"],
            "headers": [_("名称"), _("类型"), _("所在区域"), _("地址"), _("电话"), _("纬度"), _("经度")],
            "row": lambda o: [
                o.name,
                o.get_kind_display(),
                o.area.name,
                o.address,
                o.phone,
                round(o.lat, 5),
                round(o.lng, 5),
            ],
        },
        "model-households": {
            "title": _("学法用法示范户"),
            "queryset": lambda u: selectors.model_households_visible_to(u).order_by("-year", "area_path", "id"),
            "search": ["head_name", "village__name"],
            "headers": [_("年度"), _("户主"), _("户号"), _("村社区")],
            "row": lambda o: [o.year, o.head_name, o.household.number, o.village.name],
        },
        "model-villages": {
            "title": _("民主法治示范村"),
            "queryset": lambda u: selectors.model_villages_visible_to(u).order_by("-year", "area_path"),
            "search": ["village__name"],
            "headers": [_("年度"), _("村社区"), _("级别")],
            "row": lambda o: [o.year, o.village.name, o.get_level_display()],
        },
    }


REGISTRY_KINDS = ["savvy", "advisers", "service-points", "model-households", "model-villages"]


@login_required
def registry(request: HttpRequest, kind: str) -> HttpResponse:
    _readable(request)
    specs = _registry_specs()
    if kind not in specs:
        raise Http404
    spec = specs[kind]
    form = SearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    qs = selectors.search(spec["queryset"](request.user), q, spec["search"])
    point_filter = None
    if kind == "service-points":
        point_filter = ServicePointFilter(request.GET or None)
        if point_filter.is_valid() and point_filter.cleaned_data.get("kind"):
            qs = qs.filter(kind=point_filter.cleaned_data["kind"])
    if kind == "advisers":
        qs = qs.distinct()
    if request.GET.get("export") == "xlsx":
        return _xlsx(spec["title"], spec["headers"], (spec["row"](o) for o in qs[:EXPORT_CAP]))
    page = CappedPaginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    map_points = None
    if kind == "service-points":
        # Every point of the (filtered) list on the map, not only this page's: one light query.
        map_points = [
            {"name": name, "kind": k, "kind_display": str(ServicePointKind(k).label), "lat": lat, "lng": lng}
            for name, k, lat, lng in qs.values_list("name", "kind", "lat", "lng")[:2000]
        ]
    return render(
        request,
        "legal_services/registry.html",
        {
            "kind": kind,
            "kinds": [(k, specs[k]["title"]) for k in REGISTRY_KINDS],
            "title": spec["title"],
            "headers": spec["headers"],
            # each cell with its column's header: a labelled line on a phone's card
            "rows": [
                (list(zip(spec["headers"], spec["row"](o), strict=True)), spec["link"](o) if "link" in spec else "")
                for o in page.object_list
            ],
            "can_add": kind == "savvy" and selectors.can_write(request.user),
            "page": page,
            "form": form,
            "point_filter": point_filter,
            "point_kinds": ServicePointKind.choices,
            "query": query.urlencode(),
            "map_points": map_points,
        },
    )


# ---------------------------------------------------------------------------------------------
# Registry records: a legal-savvy resident's training, an adviser's service log


def _record_page(request, *, title, facts, headers, rows, form, status=200, testid="record") -> HttpResponse:
    return render(
        request,
        "legal_services/record.html",
        {
            "title": title,
            "facts": facts,
            "headers": headers,
            "rows": [list(zip(headers, row, strict=True)) for row in rows],
            "form": form,
            "testid": testid,
        },
        status=status,
    )


def _save(form, create) -> bool:
    """Run a service with the form's data; its errors land on the form. True when stored."""
    if not form.is_valid():
        return False
    try:
        create(**form.cleaned_data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return False
    except ActionNotAllowed as exc:
        form.add_error(None, str(exc))
        return False
    return True


@login_required
def savvy_new(request: HttpRequest) -> HttpResponse:
    """认定 a legal-savvy resident (法律明白人) from the registry."""
    _readable(request)
    if not selectors.can_write(request.user):
        raise Http404
    form = SavvyForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if _save(form, lambda **data: services.savvy_register(by=request.user, **data)):
            messages.success(request, _("已认定为法律明白人"))
            return redirect("legal:registry", kind="savvy")
        return render(request, "legal_services/form.html", {"form": form, "title": _("认定法律明白人")}, status=400)
    return render(request, "legal_services/form.html", {"form": form, "title": _("认定法律明白人")})


@login_required
def savvy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    savvy = get_object_or_404(selectors.savvy_detail_queryset(request.user), pk=pk)
    writable = selectors.can_write(request.user, savvy.area_path)
    form = TrainingForm(request.POST or None) if writable else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if _save(form, lambda **data: services.training_add(by=request.user, savvy=savvy, **data)):
            messages.success(request, _("已记录培训"))
            return redirect("legal:savvy_detail", pk=pk)
    trainings = list(savvy.trainings.all())
    return _record_page(
        request,
        title=_("法律明白人 · %(name)s") % {"name": savvy.resident.name},
        facts=[
            (_("服务村社区"), savvy.village.name),
            (_("认定日期"), savvy.since),
            (_("培训次数"), len(trainings)),
            (_("累计学时"), sum((t.hours for t in trainings), 0)),
        ],
        headers=[_("培训日期"), _("学时"), _("培训主题")],
        rows=[[t.held_on, t.hours, t.topic] for t in trainings],
        form=form,
        status=400 if request.method == "POST" else 200,
        testid="savvy-record",
    )


@login_required
def adviser_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request)
    lawyer = get_object_or_404(selectors.advisers_visible_to(request.user), pk=pk)
    villages = list(lawyer.villages.all())
    writable = any(selectors.can_write(request.user, v.path) for v in villages)
    form = AdviserLogForm(request.POST or None, lawyer=lawyer) if writable else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if _save(form, lambda **data: services.adviser_log_add(by=request.user, lawyer=lawyer, **data)):
            messages.success(request, _("已记录服务"))
            return redirect("legal:adviser_detail", pk=pk)
    logs = AdviserLog.objects.filter(lawyer=lawyer).select_related("village")[:100]
    return _record_page(
        request,
        title=_("村(居)法律顾问 · %(name)s") % {"name": lawyer.name},
        facts=[
            (_("律师事务所"), lawyer.firm),
            (_("电话"), lawyer.phone),
            (_("顾问村社区"), "、".join(v.name for v in villages)),
            (_("聘期"), f"{lawyer.term_from or ''} — {lawyer.term_to or ''}"),
            (_("值班时间"), lawyer.duty_hours),
        ],
        headers=[_("日期"), _("村社区"), _("服务类型"), _("内容")],
        rows=[[log.happened_on, log.village.name, log.get_kind_display(), log.note] for log in logs],
        form=form,
        status=400 if request.method == "POST" else 200,
        testid="adviser-record",
    )
