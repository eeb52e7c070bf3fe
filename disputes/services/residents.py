"""Cases from outside the staff: a hotline call taken by the center (12345), a resident's report
on /report/ with no login, and an Open311 request from another system; and the resident's own
rating on /track/{code}/. One service per action, like `cases.py`.

The caller's or submitter's name, phone and email go to `CaseContact`, which only staff who can
see the case read (masked); public pages and Open311 answers never show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from secrets import token_hex, token_urlsafe

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import audiences
from grids.geo import locate_id
from grids.models import Area, Role, User
from grids.notifications import Message, notify_many
from grids.selectors import get_scope
from grids.validators import normalize_phone

from .. import events, stats
from ..messages import RESIDENT_RATED_DISSATISFIED
from ..models import Attachment, Case, CaseContact, Category, Open311Client, Satisfaction, Source, Status, Urgency
from ..uploads import validate_uploads
from ..workflow import ActionConflict, ActionNotAllowed
from .cases import _district_of, _next_number, _town_of, case_create

# Length caps on what outsiders send (the forms and the Open311 parser check them too).
MAX_DESCRIPTION = 2000
MAX_NAME = 60
MAX_ADDRESS = 200
MAX_TICKET = 40
MAX_COMMENT = 500
MAX_EMAIL = 120

# The accounts that stand as `reporter` of cases that no staff member reported (inactive, no role).
PUBLIC_REPORTER = "resident-portal"
OPEN311_REPORTER = "open311-gateway"


def _system_user(username: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _phone(value: str, field: str, errors: dict) -> str:
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return ""


def _cap(errors: dict, field: str, value: str, limit: int) -> None:
    if value and len(value) > limit:
        errors.setdefault(field, []).append(_("不能超过 %(n)s 个字符") % {"n": limit})


def _new_code() -> str:
    return token_urlsafe(12)  # 96 random bits: unguessable


# ---------------------------------------------------------------------------------------------
# Hotline (12345)


@transaction.atomic
def case_log_call(
    *,
    by: User,
    caller_name: str,
    caller_phone: str,
    hotline_ticket: str,
    category: Category,
    description: str,
    **case_fields,
) -> Case:
    """热线受理: center staff log a 12345 call as a case with source `hotline` and its ticket
    number; the caller's name and phone are kept privately. A ticket logged twice is refused."""
    scope = get_scope(by)
    if not (scope.is_admin or scope.has_role(Role.CENTER_STAFF)):
        raise ActionNotAllowed(_("只有综治中心工作人员可以登记热线来电"))
    errors: dict[str, list[str]] = {}
    caller_name, hotline_ticket = (caller_name or "").strip(), (hotline_ticket or "").strip()
    phone = _phone(caller_phone, "caller_phone", errors)
    if not phone:
        errors.setdefault("caller_phone", []).append(_("请填写来电号码"))
    if not hotline_ticket:
        errors.setdefault("hotline_ticket", []).append(_("请填写热线工单号"))
    _cap(errors, "caller_name", caller_name, MAX_NAME)
    _cap(errors, "hotline_ticket", hotline_ticket, MAX_TICKET)
    _cap(errors, "description", description or "", MAX_DESCRIPTION)
    earlier = CaseContact.objects.filter(hotline_ticket=hotline_ticket).select_related("case").first()
    if hotline_ticket and earlier is not None:
        errors.setdefault("hotline_ticket", []).append(
            _("该工单号已登记为事项 %(number)s") % {"number": earlier.case.number}
        )
    if errors:
        raise ValidationError(errors)
    case = case_create(by=by, category=category, description=description, source=Source.HOTLINE, **case_fields)
    try:
        with transaction.atomic():
            CaseContact.objects.create(case=case, name=caller_name, phone=phone, hotline_ticket=hotline_ticket)
    except IntegrityError as exc:  # the same ticket logged at the same moment by a colleague
        raise ValidationError({"hotline_ticket": [_("该工单号已登记")]}) from exc
    return case


# ---------------------------------------------------------------------------------------------
# Residents and other systems: a case with no staff reporter, routed by its pin


def _intake(
    *,
    by: User,
    source: str,
    category: Category | None,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str = "",
    files: Sequence = (),
    errors: dict | None = None,
    urgency: str = Urgency.NORMAL,
) -> Case:
    """Validate and create a case reported from outside: the pin decides the micro-grid and the
    town center, as for any case; a pin outside the territory is refused."""
    errors = errors if errors is not None else {}
    description = (description or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("请填写事项描述"))
    _cap(errors, "description", description, MAX_DESCRIPTION)
    _cap(errors, "address", address, MAX_ADDRESS)
    if category is None or not category.active:
        errors.setdefault("category", []).append(_("未知分类"))
    area = None
    if lat is None or lng is None:
        errors.setdefault("lat", []).append(_("请在地图上标注位置"))
    elif not (-90 <= lat <= 90 and -180 <= lng <= 180):
        errors.setdefault("lat", []).append(_("坐标超出范围"))
    else:
        routed = locate_id(lat, lng)
        if routed is None:
            errors.setdefault("lat", []).append(_("该位置不在本区任何网格内"))
        else:
            area = Area.objects.get(pk=routed)
    validated = []
    try:
        validated = validate_uploads(list(files))
    except ValidationError as exc:
        errors.setdefault("photos", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    town = _town_of(area)
    case = Case.objects.create(
        number=_next_number(now),
        kind=category.kind,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=(address or "").strip(),
        area=area,
        area_path=area.path,
        town=town,
        urgency=urgency if urgency in Urgency.values else Urgency.NORMAL,
        source=source,
        reporter=by,
        center=town or _district_of(area),
        created_at=now,
        updated_at=now,
    )
    stats.count_open({case.area_path: stats.open_state(case)})
    for f, info in zip(files, validated, strict=True):
        token = token_hex(16)
        attachment = Attachment(
            case=case,
            token=token,
            original_name=getattr(f, "name", "upload")[:200],
            content_type=info.content_type,
            extension=info.extension,
            size=info.size,
            uploaded_by=by,
        )
        attachment.file.save(f"{token}.{info.extension}", f, save=False)
        attachment.save()
    stats.touch(now)
    events.case_created(case, by=by, attachments=len(validated), at=now)
    return case


@transaction.atomic
def case_report_public(
    *,
    category: Category | None,
    description: str,
    lat: float | None,
    lng: float | None,
    phone: str = "",
    address: str = "",
    files: Sequence = (),
) -> tuple[Case, str]:
    """群众反映: a resident reports on /report/ without an account. Answers the case and its
    tracking code; a phone left here gets an SMS at acceptance and at closure."""
    errors: dict[str, list[str]] = {}
    phone = _phone(phone, "phone", errors) if phone else ""
    case = _intake(
        by=_system_user(PUBLIC_REPORTER),
        source=Source.RESIDENT,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=address,
        files=files,
        errors=errors,
    )
    code = _new_code()
    CaseContact.objects.create(case=case, phone=phone, tracking_code=code, sms=bool(phone))
    return case, code


@transaction.atomic
def case_submit_open311(
    *,
    client: Open311Client,
    category: Category | None,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    urgency: str = Urgency.NORMAL,
) -> tuple[Case, str]:
    """An Open311 `POST requests`: a case with source `open311`, routed by its pin. The submitter's
    name, email and phone are kept privately. Answers the case and its token."""
    errors: dict[str, list[str]] = {}
    name, email = (name or "").strip(), (email or "").strip()
    _cap(errors, "name", name, MAX_NAME)
    _cap(errors, "email", email, MAX_EMAIL)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("邮箱无效"))
    phone = _phone(phone, "phone", errors) if phone else ""
    case = _intake(
        by=_system_user(OPEN311_REPORTER),
        source=Source.OPEN311,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=address,
        errors=errors,
        urgency=urgency,
    )
    token = _new_code()
    CaseContact.objects.create(
        case=case, name=name, email=email, phone=phone, open311_token=token, open311_client=client
    )
    return case, token


# ---------------------------------------------------------------------------------------------
# The resident rates the handling on /track/{code}/


@transaction.atomic
def case_resident_rate(*, case: Case, satisfaction: str, comment: str = "") -> Case:
    """The resident's own 回访 answer, given on the tracking page once the center verified the
    work. It is a feedback event like the center's, so it feeds the same satisfaction figures;
    "dissatisfied" lets the center reopen the case (and the center is told)."""
    comment = (comment or "").strip()
    errors: dict[str, list[str]] = {}
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("请选择满意度")]
    _cap(errors, "comment", comment, MAX_COMMENT)
    if errors:
        raise ValidationError(errors)
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.status != Status.VERIFIED:
        raise ActionConflict(_("当前状态不能评价"))
    if case.events.filter(action="feedback", data__by_resident=True).exists():
        raise ActionConflict(_("您已评价过"))
    open_before = stats.open_state(case)
    stats.touch()
    stats.invalidate_case(case)
    case.satisfaction = satisfaction
    case.updated_at = timezone.now()
    case.save(update_fields=["satisfaction", "updated_at"])
    stats.case_changed(case, open_before)
    event = events.resident_rated(case, satisfaction=satisfaction, comment=comment)
    if satisfaction == Satisfaction.DISSATISFIED:
        notify_many(
            [
                Message(
                    audiences.center_staff([case.center_id]),
                    "resident_dissatisfied",
                    key=RESIDENT_RATED_DISSATISFIED,
                    params={"number": case.number, "title": case.display_title},
                    url=reverse("case_detail", args=[case.pk]),
                    dedupe_key=f"event:{event.pk}",
                )
            ]
        )
    return case
