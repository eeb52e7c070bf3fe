"""Mediation pages: the workbench and list, the new-dispute form, the dispute page with its
actions, the printable agreement and case file (HTML and DOCX), mediation bodies, and the monthly
screening. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids import audit
from grids.models import Area, Level
from grids.pagination import CappedPaginator, badge, capped_counts
from grids.selectors import get_scope

from ..selectors import cases_visible_to
from . import documents, selectors, services
from .actions import perform_action
from .events import event_label
from .forms import DisputeFilterForm, DisputeForm, ScreeningForm, form_for
from .models import Mediator
from .risk import render_reasons
from .workflow import TRANSITIONS, ActionConflict, ActionNotAllowed, available_actions

TAB_LABELS = {
    "to_accept": gettext_lazy("待受理"),
    "mediating": gettext_lazy("调解中"),
    "follow_up": gettext_lazy("待回访与履行"),
    "due_soon": gettext_lazy("七日内到期"),
    "to_assign": gettext_lazy("待指派"),
    "high_risk": gettext_lazy("高风险"),
    "overdue": gettext_lazy("已超期"),
    "all": gettext_lazy("全部"),
}


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    """The mediator's queue (workbench) and the center's, with filters."""
    user = request.user
    tabs = selectors.tabs_for(user)
    tab = request.GET.get("tab") or tabs[0]
    if tab not in tabs:
        tab = "all"
    qs = selectors.dispute_list_queryset(user)
    form = DisputeFilterForm(request.GET or None, user=user, orgs=selectors.orgs_visible_to(user))
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    listed = selectors.filter_disputes(selectors.queue_tab(user, qs, tab), **filters)
    page = CappedPaginator(listed, 25).get_page(request.GET.get("page"))
    # One statement for the badges, each counted up to the cap ("999+").
    counts = capped_counts({t: selectors.queue_tab(user, qs, t) for t in tabs if t != "all"})
    return render(
        request,
        "disputes/mediation/dispute_list.html",
        {
            "page": page,
            "form": form,
            "tab": tab,
            "tabs": [(t, TAB_LABELS[t], badge(counts[t]) if t in counts else None) for t in tabs],
            "can_create": services.may_create(user),
        },
    )


@login_required
def dispute_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.may_create(user):
        raise Http404
    initial = {}
    case = None
    if request.GET.get("case", "").isdigit():
        case = cases_visible_to(user).select_related("area").filter(pk=request.GET["case"]).first()
        if case is not None:
            initial = {
                "case": case.pk,
                "summary": case.description[:2000],
                "area": case.area_id,
                "address": case.address,
                "source": "grid_worker",
            }
    form = DisputeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parties = form.parties()
        for key in list(data):
            if key.startswith(("applicant_", "respondent_")):
                del data[key]
        try:
            dispute = services.dispute_create(by=user, parties=parties, **data)
        except ActionNotAllowed as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("纠纷已登记:%(number)s") % {"number": dispute.number})
            return redirect("dispute_detail", pk=dispute.pk)
    return render(request, "disputes/mediation/dispute_form.html", {"form": form, "case": case})


def _masked(user):
    return lambda party: selectors.party_identifiers(user, party)


def _visible(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.dispute_detail_queryset(request.user), pk=pk)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible(request, pk))


def _render_detail(request: HttpRequest, dispute, failed_action: str = "", failed_form=None) -> HttpResponse:
    user = request.user
    masked = _masked(user)
    actions = []
    for t in available_actions(user, dispute):
        form = failed_form if t.action == failed_action else form_for(t.action, user=user, dispute=dispute)
        actions.append((t, form))
    return render(
        request,
        "disputes/mediation/dispute_detail.html",
        {
            "dispute": dispute,
            "parties": [(p, *masked(p)) for p in dispute.parties.all()],
            "risk_reasons": render_reasons(dispute.risk_reasons),
            "agreement": getattr(dispute, "agreement", None),
            "referral": getattr(dispute, "referral", None),
            "actions": actions,
            "open_action": failed_action,
            "events": [(e, event_label(e)) for e in dispute.events.all()],
            "case": dispute.case
            if dispute.case_id and cases_visible_to(user).filter(pk=dispute.case_id).exists()
            else None,
        },
        status=400 if failed_form is not None else 200,
    )


@login_required
@require_POST
def dispute_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        raise Http404
    dispute = _visible(request, pk)
    try:
        perform_action(user=request.user, dispute=dispute, action=action, data=request.POST)
    except ActionNotAllowed as exc:
        messages.error(request, str(exc))
    except ActionConflict as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        form = form_for(action, user=request.user, dispute=dispute, data=request.POST)
        form.is_valid()
        for field, errors in exc.message_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, errors)
        return _render_detail(request, dispute, failed_action=action, failed_form=form)
    else:
        messages.success(request, _("已完成:%(action)s") % {"action": TRANSITIONS[action].label})
    return redirect("dispute_detail", pk=pk)


def _with_agreement(request: HttpRequest, pk: int):
    dispute = _visible(request, pk)
    if getattr(dispute, "agreement", None) is None:
        raise Http404
    return dispute


@login_required
def agreement_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreement (调解协议书), printable with the print style sheet."""
    dispute = _with_agreement(request, pk)
    masked = _masked(request.user)
    return render(
        request,
        "disputes/mediation/agreement.html",
        {
            "dispute": dispute,
            "agreement": dispute.agreement,
            "parties": [(p, *masked(p)) for p in dispute.parties.all()],
        },
    )


def _audit_parties_export(request: HttpRequest, dispute) -> None:
    """The documents carry the parties' names, phones and ID numbers: a download is a personal-data export."""
    parties = list(dispute.parties.all())
    audit.personal_data_export(
        user=request.user,
        request=request,
        what=dispute.parties.model._meta.label_lower,
        rows=len(parties),
        subject_ids=[p.pk for p in parties],
    )


@login_required
def agreement_docx(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _with_agreement(request, pk)
    response = HttpResponse(documents.agreement_docx(dispute, _masked(request.user)), content_type=documents.DOCX_TYPE)
    _audit_parties_export(request, dispute)
    response["Content-Disposition"] = f'attachment; filename="agreement-{dispute.number}.docx"'
    return response


@login_required
def case_file_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The case file (卷宗): application, minutes, agreement and follow-up record, printable."""
    dispute = _visible(request, pk)
    masked = _masked(request.user)
    return render(
        request,
        "disputes/mediation/case_file.html",
        {
            "dispute": dispute,
            "agreement": getattr(dispute, "agreement", None),
            "parties": [(p, *masked(p)) for p in dispute.parties.all()],
        },
    )


@login_required
def case_file_docx(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _visible(request, pk)
    response = HttpResponse(documents.case_file_docx(dispute, _masked(request.user)), content_type=documents.DOCX_TYPE)
    _audit_parties_export(request, dispute)
    response["Content-Disposition"] = f'attachment; filename="case-file-{dispute.number}.docx"'
    return response


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    orgs = (
        selectors.orgs_visible_to(request.user)
        .annotate(mediator_count=Count("mediators", filter=Q(mediators__active=True)))
        .order_by("area_path", "kind", "code")
    )
    kind = request.GET.get("kind")
    if kind:
        orgs = orgs.filter(kind=kind)
    page = CappedPaginator(orgs, 50).get_page(request.GET.get("page"))
    from .models import OrgKind

    return render(request, "disputes/mediation/org_list.html", {"page": page, "kinds": OrgKind.choices, "kind": kind})


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(
        selectors.orgs_visible_to(request.user).prefetch_related(
            Prefetch("mediators", queryset=Mediator.objects.filter(active=True).select_related("user"))
        ),
        pk=pk,
    )
    recent = selectors.dispute_list_queryset(request.user).filter(organisation=org)[:20]
    return render(request, "disputes/mediation/org_detail.html", {"org": org, "recent": recent})


@login_required
def screening(request: HttpRequest) -> HttpResponse:
    """Monthly screening: the reports of a month, and which villages have not reported."""
    user = request.user
    scope = get_scope(user)
    today = timezone.localdate()
    try:
        year, mon = (int(x) for x in (request.GET.get("month") or f"{today:%Y-%m}").split("-")[:2])
        month = date(year, mon, 1)
    except ValueError:
        month = today.replace(day=1)
    home = scope.home_area()
    area = home
    if request.GET.get("area", "").isdigit():
        from grids.selectors import areas_visible_to

        area = areas_visible_to(user).filter(pk=request.GET["area"]).first() or home
    if area is None and not scope.is_admin:
        raise Http404
    if area is None:
        area = Area.objects.filter(level=Level.DISTRICT).first()
    if area is None:
        raise Http404
    form = ScreeningForm(request.POST or None, user=user, initial={"month": month})
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_report(by=user, **form.cleaned_data)
        except ActionNotAllowed as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("排查月报已提交"))
            return redirect(f"{request.path}?month={month:%Y-%m}")
    reports = selectors.screenings_visible_to(user).filter(month=month, area_path__startswith=area.path)
    missing = selectors.villages_missing(area, month).select_related("parent")
    return render(
        request,
        "disputes/mediation/screening.html",
        {
            "form": form,
            "month": month,
            "area": area,
            "reports": reports.order_by("area_path"),
            "missing": missing.order_by("path"),
            "can_report": form.fields["area"].queryset.exists(),
        },
    )
