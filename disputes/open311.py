"""Open311 GeoReport v2 at /open311/v2/, in JSON and XML (the `.json` / `.xml` suffix decides).

- discovery, services (service_code = the category's code), service definitions with attributes
- POST requests (form-encoded, `api_key` required): a case with source `open311`, routed by its pin
- tokens/{token}, GET requests (filters, the last 90 days by default, at most 1,000), requests/{id}
- servicerequestupdates (FixMyStreet's extension): status changes since a time

Errors follow the spec: `[{"code", "description"}]` or `<errors><error>…`: a missing or bad key
403, an unknown request or service 404, too many requests 429, anything else invalid 400.

What is published: cases that residents and other systems reported (sources `resident` and
`open311`), with their public fields only. The submitter's name, email and phone, staff names and
staff notes never appear; photos stay behind the login.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import challenge, events, services
from .models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    Category,
    Kind,
    Open311Client,
    Source,
    Urgency,
)
from .worktime import WorkingCalendar

PUBLISHED_SOURCES = (Source.RESIDENT, Source.OPEN311)
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
READS_PER_IP_PER_MINUTE = 120
MAX_PARAM = 2000  # any other parameter longer than this is refused
STATUS_EVENTS = [
    CaseEventKind.CREATE,
    CaseEventKind.ACCEPT,
    CaseEventKind.REJECT,
    CaseEventKind.MERGE,
    CaseEventKind.RESOLVE_ON_SITE,
    CaseEventKind.DISPATCH,
    CaseEventKind.HANDLE,
    CaseEventKind.VERIFY,
    CaseEventKind.REOPEN,
    CaseEventKind.CLOSE,
]


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


# ---------------------------------------------------------------------------------------------
# Rendering: one structure, two formats


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _xml_value(parent: ET.Element, name: str, value) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, list):  # a list of dicts (attributes, values) or of strings (formats)
        child_name = {"attributes": "attribute", "values": "value", "formats": "format", "endpoints": "endpoint"}[name]
        for item in value:
            if isinstance(item, dict):
                _xml_item(node, child_name, item)
            else:
                ET.SubElement(node, child_name).text = str(item)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def _xml_item(parent: ET.Element, name: str, item: dict) -> None:
    node = ET.SubElement(parent, name)
    for key, value in item.items():
        _xml_value(node, key, value)


def _respond(fmt: str, data, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    """`data` is a list of dicts (rendered as <root><item>…</item></root>) or one dict (<root>…)."""
    if fmt == "json":
        return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_item(top, item, entry)
    else:
        for key, value in data.items():
            _xml_value(top, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _respond(fmt, [{"code": code, "description": description}], root="errors", item="error", status=code)


def _endpoint(view):
    """Parse the format, turn Open311Error (and validation) into the spec's error shape."""

    def wrapped(request: HttpRequest, fmt: str = "json", **kwargs) -> HttpResponse:
        fmt = fmt if fmt in ("json", "xml") else "json"
        try:
            for key, value in request.GET.items():
                if len(value) > MAX_PARAM or len(key) > 100:
                    raise Open311Error(400, _("参数过长:%(name)s") % {"name": key[:100]})
            if request.method == "GET" and challenge.rate_limited(
                f"open311-read:{request.META.get('REMOTE_ADDR', '')}", limit=READS_PER_IP_PER_MINUTE
            ):
                raise Open311Error(429, _("请求过于频繁,请稍后再试"))
            return view(request, fmt, **kwargs)
        except Open311Error as exc:
            return _error(fmt, exc.code, exc.description)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _only(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise Open311Error(400, _("不支持的请求方法:%(method)s") % {"method": request.method})


# ---------------------------------------------------------------------------------------------
# Discovery and services


@_endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    base = request.build_absolute_uri(reverse("open311_root"))
    data = {
        "changeset": "2026-11-30T00:00:00+08:00",
        "contact": _("区社会治理中心(12345)"),
        "key_service": _("向区社会治理中心申请 API 密钥"),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": "2026-11-30T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _respond(fmt, data, root="discovery")


URGENCY_ATTRIBUTE = "urgency"


def _attributes() -> list[dict]:
    """Every category takes one optional attribute: the urgency (singlevaluelist)."""
    return [
        {
            "variable": True,
            "code": URGENCY_ATTRIBUTE,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("默认为一般"),
            "order": 1,
            "description": _("紧急程度"),
            "values": [{"key": value, "name": str(label)} for value, label in Urgency.choices],
        }
    ]


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("%(name)s,一般件 %(days)s 个工作日内办结")
        % {"name": category.name, "days": category.handle_days(Urgency.NORMAL)},
        "metadata": True,
        "type": "realtime",
        "keywords": category.code.replace("_", ","),
        "group": str(Kind(category.kind).label),
    }


@_endpoint
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    services_ = [_service(c) for c in Category.objects.filter(active=True)]
    return _respond(fmt, services_, root="services", item="service")


def _category(code: str) -> Category:
    category = Category.objects.filter(active=True, code=code).first()
    if category is None:
        raise Open311Error(404, _("未知的服务代码:%(code)s") % {"code": code[:40]})
    return category


@_endpoint
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    category = _category(code)
    return _respond(fmt, {"service_code": category.code, "attributes": _attributes()}, root="service_definition")


# ---------------------------------------------------------------------------------------------
# Requests


def published_cases():
    lead = Assignment.objects.filter(role=AssignmentRole.LEAD).exclude(status=AssignmentStatus.RETURNED)
    return (
        Case.objects.filter(source__in=PUBLISHED_SOURCES)
        .select_related("category")
        .prefetch_related(
            Prefetch("assignments", queryset=lead.select_related("department").order_by("-id"), to_attr="leads")
        )
        .order_by("-created_at", "-id")
    )


def _status(status: str) -> str:
    return "closed" if status in FINAL_STATUSES else "open"


def _request(case: Case, calendar: WorkingCalendar) -> dict:
    leads = getattr(case, "leads", [])
    expected = case.handle_deadline
    if expected is None and case.status in OPEN_STATUSES:
        # Not dispatched yet: the handling limit from the working-time calendar, counted from now on.
        expected = calendar.add_working_days(
            max(case.created_at, timezone.now()), case.category.handle_days(case.urgency)
        )
    return {
        "service_request_id": case.number,
        "status": _status(case.status),
        "status_notes": case.get_status_display(),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": leads[0].department.name if leads else "",
        "service_notice": _("一般件 %(days)s 个工作日内办结") % {"days": case.category.handle_days(case.urgency)},
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(expected),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": "",
    }


def _moment(value: str, name: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise Open311Error(400, _("%(name)s 不是 ISO-8601 时间") % {"name": name})
        moment = datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _period(request: HttpRequest) -> tuple[datetime, datetime | None]:
    start = _moment(request.GET["start_date"], "start_date") if request.GET.get("start_date") else None
    end = _moment(request.GET["end_date"], "end_date") if request.GET.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, _("end_date 早于 start_date"))
    if start is None:
        start = (end or timezone.now()) - timedelta(days=DEFAULT_DAYS)
    return start, end


def _client(request: HttpRequest) -> Open311Client:
    key = request.POST.get("api_key", "")
    client = (
        Open311Client.objects.filter(key_hash=Open311Client.hash_key(key), active=True).first()
        if key and len(key) <= 200
        else None
    )
    if client is None:
        raise Open311Error(403, _("API 密钥缺失或无效"))
    if challenge.rate_limited(f"open311-key:{client.pk}", limit=client.requests_per_minute):
        raise Open311Error(429, _("请求过于频繁,请稍后再试"))
    return client


def _float(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise Open311Error(400, _("%(name)s 不是数字") % {"name": name}) from exc


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client(request)
    post = request.POST
    for key, value in post.items():
        if len(value) > MAX_PARAM or len(key) > 100:
            raise Open311Error(400, _("参数过长:%(name)s") % {"name": key[:100]})
    if not post.get("service_code"):
        raise Open311Error(400, _("缺少 service_code"))
    category = _category(post["service_code"])
    lat, lng = _float(post.get("lat", ""), "lat"), _float(post.get("long", ""), "long")
    if lat is None or lng is None:
        raise Open311Error(400, _("需要 lat 和 long:按位置分派到网格"))
    urgency = post.get(f"attribute[{URGENCY_ATTRIBUTE}]", Urgency.NORMAL) or Urgency.NORMAL
    if urgency not in Urgency.values:
        raise Open311Error(400, _("attribute[urgency] 无效"))
    name = " ".join(p for p in (post.get("last_name", "").strip(), post.get("first_name", "").strip()) if p)
    try:
        case, token = services.case_submit_open311(
            client=client,
            category=category,
            description=post.get("description", ""),
            lat=lat,
            lng=lng,
            address=post.get("address_string", ""),
            name=name,
            email=post.get("email", ""),
            phone=post.get("phone", ""),
            urgency=urgency,
        )
    except ValidationError as exc:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        raise Open311Error(400, text) from exc
    data = [
        {
            "service_request_id": case.number,
            "token": token,
            "service_notice": _("一般件 %(days)s 个工作日内办结") % {"days": category.handle_days(case.urgency)},
            "account_id": None,
        }
    ]
    return _respond(fmt, data, root="service_requests", item="request")


@_endpoint
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: the published requests (filters; the last 90 days by default; at most 1,000).
    POST: a new request (form-encoded, api_key required)."""
    _only(request, "GET", "HEAD", "POST")
    if request.method == "POST":
        return _create(request, fmt)
    qs = published_cases()
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:  # overrides every other filter, as the spec says
        qs = qs.filter(number__in=ids[:MAX_RESULTS])
    else:
        start, end = _period(request)
        qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed"))
        if statuses == {"open"}:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=FINAL_STATUSES)
    calendar = WorkingCalendar()
    data = [_request(case, calendar) for case in qs[:MAX_RESULTS]]
    return _respond(fmt, data, root="service_requests", item="request")


@_endpoint
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    case = published_cases().filter(number=request_id[:20]).first()
    if case is None:
        raise Open311Error(404, _("未找到该请求"))
    return _respond(fmt, [_request(case, WorkingCalendar())], root="service_requests", item="request")


@_endpoint
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    _only(request, "GET", "HEAD")
    case = published_cases().filter(contact__open311_token=token[:32]).first() if token else None
    if case is None:
        raise Open311Error(404, _("未找到该 token"))
    return _respond(fmt, [{"service_request_id": case.number, "token": token}], root="service_requests", item="request")


@_endpoint
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """FixMyStreet's servicerequestupdates: status changes of published requests in a period
    (start_date/end_date; the last 90 days by default), oldest first, at most 1,000."""
    _only(request, "GET", "HEAD")
    start, end = _period(request)
    qs = (
        CaseEvent.objects.filter(case__source__in=PUBLISHED_SOURCES, action__in=STATUS_EVENTS, created_at__gte=start)
        .select_related("case")
        .only("id", "action", "to_status", "data", "created_at", "case__number")
        .order_by("created_at", "id")
    )
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    data = [
        {
            "update_id": str(e.pk),
            "service_request_id": e.case.number,
            "status": _status(e.to_status),
            "updated_datetime": _iso(e.created_at),
            "description": events.label(e),
            "media_url": "",
        }
        for e in qs[:MAX_RESULTS]
    ]
    return _respond(fmt, data, root="service_request_updates", item="request_update")


@_endpoint
def not_found(request: HttpRequest, fmt: str = "json", rest: str = "") -> HttpResponse:
    raise Open311Error(404, _("未知的 Open311 路径"))
