"""The resident's own pages, with no login: /report/ answers with a tracking code, and
/track/{code}/ shows the status, the public part of the timeline and, once the center verified
the work, asks for a rating. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grids.models import Area, Level

from . import challenge, events, selectors, services
from .forms import PublicReportForm, ResidentRatingForm
from .models import CaseEventKind, Status
from .workflow import ActionConflict

REPORTS_PER_IP_PER_HOUR = 10
PAGE_HITS_PER_IP_PER_MINUTE = 60

# What a resident sees of the timeline: the steps, never who took them or what staff wrote.
PUBLIC_EVENT_KINDS = frozenset(
    {
        CaseEventKind.CREATE,
        CaseEventKind.ACCEPT,
        CaseEventKind.REJECT,
        CaseEventKind.MERGE,
        CaseEventKind.RESOLVE_ON_SITE,
        CaseEventKind.DISPATCH,
        CaseEventKind.HANDLE,
        CaseEventKind.VERIFY,
        CaseEventKind.FEEDBACK,
        CaseEventKind.REOPEN,
        CaseEventKind.CLOSE,
    }
)


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _too_many(request: HttpRequest) -> HttpResponse | None:
    if challenge.rate_limited(f"page:{_ip(request)}", limit=PAGE_HITS_PER_IP_PER_MINUTE):
        return render(request, "disputes/public_limited.html", status=429)
    return None


def _district_map() -> dict:
    district = Area.objects.filter(level=Level.DISTRICT).order_by("pk").first()
    return {
        "center": district.centroid if district else None,
        "boundary": district.boundary if district else None,
        "locate_url": "",
        "duplicates_url": "",
        "text": {"placed": _("已标注位置"), "outside": "", "noGeo": _("无法获取当前位置")},
    }


@never_cache
def report(request: HttpRequest) -> HttpResponse:
    """群众反映: pin, category, photos, description, an optional phone; answers a tracking code."""
    limited = _too_many(request)
    if limited:
        return limited
    form = PublicReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not challenge.verify(data["challenge"], data["answer"]):
            form.add_error("answer", _("验证答案不正确或已过期,请重新计算"))
        elif challenge.rate_limited(f"report:{_ip(request)}", limit=REPORTS_PER_IP_PER_HOUR, window=3600):
            return render(request, "disputes/public_limited.html", status=429)
        else:
            try:
                case, code = services.case_report_public(
                    category=data["category"],
                    description=data["description"],
                    lat=data.get("lat"),
                    lng=data.get("lng"),
                    phone=data.get("phone") or "",
                    address=data.get("address") or "",
                    files=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("已提交,请保存您的查询码"))
                return redirect("public_track", code=code)
    token, question = challenge.issue()
    data = form.data.copy() if form.is_bound else None
    if data is not None:
        data["challenge"], data["answer"] = token, ""
        form.data = data
    else:
        form.initial["challenge"] = token
    return render(
        request,
        "disputes/public_report.html",
        {"form": form, "question": question, "map_data": _district_map()},
        status=400 if form.is_bound else 200,
    )


@never_cache
def track(request: HttpRequest, code: str) -> HttpResponse:
    """The status and the public timeline of the case behind the code; the rating at feedback time."""
    limited = _too_many(request)
    if limited:
        return limited
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404
    rated = case.events.filter(action=CaseEventKind.FEEDBACK, data__by_resident=True).exists()
    form = ResidentRatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.case_resident_rate(case=case, **form.cleaned_data)
            except ActionConflict as exc:
                messages.warning(request, str(exc))
                return redirect("public_track", code=code)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("感谢您的评价"))
                return redirect("public_track", code=code)
        status = 400
    timeline = [
        (e.created_at, events.label(e), bool(e.data.get("by_resident")))
        for e in case.events.filter(action__in=PUBLIC_EVENT_KINDS).only("action", "created_at", "data")
    ]
    return render(
        request,
        "disputes/public_track.html",
        {
            "case": case,
            "code": code,
            "timeline": timeline,
            "may_rate": case.status == Status.VERIFIED and not rated,
            "rated": rated,
            "form": form,
        },
        status=status,
    )
