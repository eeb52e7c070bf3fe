"""Mediation actions: one function per domain action, shared by the pages and the API.

Each action runs in one transaction on a row-locked dispute, re-checks the transition table on the
locked row, applies the table's target state and writes one typed timeline event.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.geo import locate_id
from grids.messages import label
from grids.models import Area, Building, Level, Membership, Resident, Role, User
from grids.notifications import Message, notify_many
from grids.selectors import areas_visible_to, get_scope, residents_visible_to
from grids.validators import normalize_id_number, normalize_phone

from .. import deadlines
from ..models import Case, Kind
from ..selectors import cases_visible_to
from ..worktime import WorkingCalendar
from . import events, messages, risk
from .models import (
    RISK_ORDER,
    Agreement,
    Dispute,
    DisputeKind,
    DisputeNumberSequence,
    DisputeSource,
    FollowUp,
    MediationOrg,
    MediationSession,
    MediationSettings,
    Mediator,
    Party,
    PartyRole,
    Referral,
    ReferralTarget,
    RiskLevel,
    ScreeningReport,
)
from .workflow import JUDICIAL_KIND, TRANSITIONS, ActionNotAllowed, authorize, is_center_for, judicial_paths

# Legal-services staff register too: a consultation referred on to mediation (governance/referrals.py).
CREATOR_ROLES = {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF, Role.MEDIATOR, Role.LEGAL_STAFF}


# ---------------------------------------------------------------------------------------------
# Helpers


def msgid(lazy) -> str:
    """The untranslated (Chinese) text of a lazy label, to store as a render-time parameter."""
    with translation.override(None):
        return str(lazy)


def _next_number(now: datetime) -> str:
    """TJ + date + per-day sequence, e.g. TJ20261130-0007; the counter row is locked until commit."""
    day = timezone.localdate(now)
    for _attempt in range(3):
        if DisputeNumberSequence.objects.filter(day=day).update(last=F("last") + 1):
            break
        try:
            with transaction.atomic():
                DisputeNumberSequence.objects.create(day=day, last=1)
            break
        except IntegrityError:
            continue
    last = DisputeNumberSequence.objects.get(day=day).last
    return f"TJ{day:%Y%m%d}-{last:04d}"


def _town_of(area: Area) -> Area | None:
    if area.level == Level.TOWN:
        return area
    if area.level == Level.DISTRICT:
        return None
    return Area.objects.filter(code__in=area.ancestor_codes, level=Level.TOWN).first()


def center_and_judicial_staff(dispute: Dispute) -> list[User]:
    """The town center's staff and the town judicial office's staff (the district's without a town)."""
    target = dispute.town or dispute.area
    memberships = Membership.objects.filter(role=Role.CENTER_STAFF, area=target) | Membership.objects.filter(
        role=Role.DEPARTMENT_STAFF, department__kind__code=JUDICIAL_KIND, department__area=target
    )
    return list(User.objects.filter(pk__in=memberships.values("user_id"), is_active=True))


def _url(dispute: Dispute) -> str:
    return reverse("dispute_detail", args=[dispute.pk])


def _params(dispute: Dispute, **extra) -> dict:
    return {"number": dispute.number, "kind": label(msgid(DisputeKind(dispute.kind).label)), **extra}


def _lock(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("organisation", "area", "town")
        .get(pk=dispute.pk)
    )


def _begin(dispute: Dispute, by: User, action: str) -> tuple[Dispute, str]:
    locked = _lock(dispute)
    authorize(by, locked, action)
    return locked, locked.status


def _apply(dispute: Dispute, action: str, now: datetime, **fields) -> None:
    target = TRANSITIONS[action].target
    if target is not None:
        dispute.status = target
    for name, value in fields.items():
        setattr(dispute, name, value)
    dispute.updated_at = now
    dispute.save()


def _text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [_("此项为必填")]})
    if len(value) > max_length:
        raise ValidationError({field: [_("最多 %(n)s 个字符") % {"n": max_length}]})
    return value


# ---------------------------------------------------------------------------------------------
# Intake


@transaction.atomic
def dispute_create(
    *,
    by: User,
    kind: str,
    summary: str,
    source: str,
    parties: list[dict],
    lat: float | None = None,
    lng: float | None = None,
    area: Area | None = None,
    case: Case | None = None,
    amount_at_stake: Decimal | None = None,
    people_involved: int | None = None,
    address: str = "",
    building: Building | None = None,
) -> Dispute:
    """Register a dispute (纠纷登记): from the field, a walk-in, a referral, or a case of kind dispute
    handed to mediation. The risk rules run at once; a high risk notifies the town center and the
    judicial office. The time limit runs from now in working days."""
    scope = get_scope(by)
    if not (scope.is_admin or scope.has_role(*CREATOR_ROLES) or judicial_paths(by)):
        raise ActionNotAllowed(_("您无权登记纠纷"))
    if kind not in DisputeKind.values:
        raise ValidationError({"kind": [_("未知纠纷类型")]})
    if source not in DisputeSource.values:
        raise ValidationError({"source": [_("未知来源")]})
    summary = _text(summary, "summary", max_length=2000)
    address = _text(address, "address", max_length=200, required=False)
    errors: dict[str, list] = {}
    if case is not None:
        if not cases_visible_to(by).filter(pk=case.pk).exists():
            errors["case"] = [_("事项不存在或不在您的范围内")]
        elif case.kind != Kind.DISPUTE:
            errors["case"] = [_("只有矛盾纠纷类事项可以移交调解")]
        elif Dispute.objects.filter(case=case).exists():
            errors["case"] = [_("该事项已移交调解")]
    located = None
    if lat is not None and lng is not None:
        located_id = locate_id(lat, lng)
        located = Area.objects.filter(pk=located_id).first() if located_id else None
        if located is None and area is None:
            errors["lat"] = [_("该位置不在任何网格内")]
    target = located or area or (case.area if case is not None and "case" not in errors else None)
    if target is None and "lat" not in errors:
        errors["area"] = [_("请在地图上选点或选择区域")]
    elif target is not None and not areas_visible_to(by).filter(pk=target.pk).exists():
        errors["area"] = [_("区域不存在或不在您的范围内")]
    if not parties:
        errors["parties"] = [_("至少填写一名当事人")]
    rows: list[Party] = []
    visible_residents = residents_visible_to(by)
    for i, p in enumerate(parties or []):
        resident = p.get("resident")
        if resident is not None and not isinstance(resident, Resident):
            resident = visible_residents.filter(pk=resident).first()
            if resident is None:
                errors[f"parties[{i}].resident"] = [_("居民不存在或不在您的范围内")]
                continue
        elif resident is not None and not visible_residents.filter(pk=resident.pk).exists():
            errors[f"parties[{i}].resident"] = [_("居民不存在或不在您的范围内")]
            continue
        name = (p.get("name") or "").strip()
        if resident is None and not name:
            errors[f"parties[{i}].name"] = [_("请选择居民或填写姓名")]
            continue
        if len(name) > 50 or len(p.get("phone") or "") > 20:
            errors[f"parties[{i}]"] = [_("姓名或电话过长")]
            continue
        id_number = phone = ""
        if resident is None:
            try:
                id_number = normalize_id_number(p.get("id_number") or "") if p.get("id_number") else ""
                phone = normalize_phone(p.get("phone") or "")
            except ValidationError as exc:
                errors[f"parties[{i}]"] = exc.messages
                continue
        role = p.get("role") or PartyRole.APPLICANT
        if role not in PartyRole.values:
            errors[f"parties[{i}].role"] = [_("当事人身份无效")]
            continue
        rows.append(
            Party(
                role=role,
                resident=resident,
                name="" if resident else name,
                phone=phone,
                id_number=id_number,
            )
        )
    if amount_at_stake is not None and Decimal(amount_at_stake) < 0:
        errors["amount_at_stake"] = [_("金额不能为负")]
    if errors:
        raise ValidationError(errors)

    if building is None:
        first = next((p.resident for p in rows if p.resident_id and p.resident.household_id), None)
        if first is not None and first.household.building_id:
            building = first.household.building
    now = timezone.now()
    settings = MediationSettings.current()
    dispute = Dispute(
        number=_next_number(now),
        kind=kind,
        summary=summary,
        source=source,
        area=target,
        area_path=target.path,
        town=_town_of(target),
        lat=lat if located else None,
        lng=lng if located else None,
        address=address,
        building=building,
        amount_at_stake=amount_at_stake,
        people_involved=people_involved or max(len(rows), 2),
        case=case,
        reporter=by,
        created_at=now,
        updated_at=now,
    )
    calendar = WorkingCalendar()
    dispute.deadline = calendar.add_working_days(now, settings.deadline_working_days)
    dispute.warn_at = deadlines.warn_at(now, dispute.deadline, calendar)
    dispute.save()
    for row in rows:
        row.dispute = dispute
    Party.objects.bulk_create(rows)
    events.created(dispute, by=by)
    _assess(dispute, rows, settings)
    return dispute


def _assess(dispute: Dispute, parties: list[Party], settings: MediationSettings) -> None:
    level, reasons = risk.assess(dispute, parties, settings)
    dispute.risk_level, dispute.risk_reasons = level, reasons
    dispute.save(update_fields=["risk_level", "risk_reasons"])
    if RISK_ORDER.index(level) >= RISK_ORDER.index(RiskLevel.HIGH):
        events.risk_raised(dispute)
        notify_many(
            [
                Message(
                    center_and_judicial_staff(dispute),
                    "mediation_risk",
                    key=messages.RISK_RAISED,
                    params=_params(
                        dispute,
                        level=label(msgid(RiskLevel(level).label)),
                        reasons=[label(msgid(risk.REASON_LABELS[r["key"]])) for r in reasons],
                    ),
                    url=_url(dispute),
                    dedupe_key=f"dispute-risk-{dispute.pk}-{level}",
                )
            ]
        )


# ---------------------------------------------------------------------------------------------
# Workflow actions


@transaction.atomic
def dispute_assign(*, dispute: Dispute, by: User, organisation: MediationOrg, mediator: User | None = None) -> Dispute:
    """指派: the town center or the judicial office gives the dispute to a mediation body, and
    optionally names one of its mediators."""
    dispute, before = _begin(dispute, by, "assign")
    errors = {}
    codes = [c for c in dispute.area_path.split("/") if c]
    if not organisation.active or organisation.area.code not in codes:
        errors["organisation"] = [_("该调解组织不服务于纠纷所在区域")]
    elif not organisation.takes(dispute.kind):
        errors["organisation"] = [_("该调解组织不受理此类纠纷")]
    if (
        mediator is not None
        and not Mediator.objects.filter(organisation=organisation, user=mediator, active=True).exists()
    ):
        errors["mediator"] = [_("调解员不属于该调解组织")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    _apply(dispute, "assign", now, organisation=organisation, mediator=mediator, assigned_at=now)
    events.assigned(dispute, by=by, from_status=before)
    params = _params(dispute, organisation=organisation.name)
    if mediator is not None:
        notify_many(
            [
                Message(
                    [mediator],
                    "mediation_assigned",
                    key=messages.ASSIGNED,
                    params=params,
                    url=_url(dispute),
                    dedupe_key=f"dispute-assigned-{dispute.pk}-{organisation.pk}-{mediator.pk}",
                )
            ]
        )
    else:
        users = User.objects.filter(mediator_posts__organisation=organisation, mediator_posts__active=True)
        notify_many(
            [
                Message(
                    list(users),
                    "mediation_assigned",
                    key=messages.ASSIGNED_ORG,
                    params=params,
                    url=_url(dispute),
                    dedupe_key=f"dispute-assigned-{dispute.pk}-{organisation.pk}",
                )
            ]
        )
    return dispute


@transaction.atomic
def dispute_accept(*, dispute: Dispute, by: User) -> Dispute:
    """受理: a mediator of the body takes the dispute into mediation (and becomes its mediator)."""
    dispute, before = _begin(dispute, by, "accept")
    now = timezone.now()
    _apply(dispute, "accept", now, mediator_id=dispute.mediator_id or by.pk, accepted_at=now)
    events.accepted(dispute, by=by, from_status=before)
    return dispute


@transaction.atomic
def dispute_session(
    *, dispute: Dispute, by: User, held_at: datetime, place: str, attendees: str, notes: str
) -> MediationSession:
    """One mediation session: when, where, who attended, and the minutes (调解笔录)."""
    dispute, _before = _begin(dispute, by, "session")
    session = MediationSession.objects.create(
        dispute=dispute,
        held_at=held_at,
        place=_text(place, "place", max_length=200),
        attendees=_text(attendees, "attendees", max_length=500),
        notes=_text(notes, "notes", max_length=5000),
        recorded_by=by,
    )
    _apply(dispute, "session", timezone.now())
    events.session_held(dispute, by=by, session=session)
    return session


@transaction.atomic
def dispute_agree(*, dispute: Dispute, by: User, terms: str, signed_at: date) -> Dispute:
    """调解成功: the parties sign the agreement (调解协议书)."""
    dispute, before = _begin(dispute, by, "agree")
    terms = _text(terms, "terms", max_length=10000)
    if signed_at > timezone.localdate():
        raise ValidationError({"signed_at": [_("签订日期不能晚于今天")]})
    now = timezone.now()
    Agreement.objects.create(dispute=dispute, terms=terms, signed_at=signed_at)
    _apply(dispute, "agree", now, agreed_at=now)
    events.agreed(dispute, by=by, from_status=before)
    return dispute


@transaction.atomic
def dispute_fail(*, dispute: Dispute, by: User, reason: str) -> Dispute:
    """调解不成: the parties did not agree."""
    dispute, before = _begin(dispute, by, "fail")
    reason = _text(reason, "reason", max_length=1000)
    now = timezone.now()
    _apply(dispute, "fail", now, failed_at=now)
    events.failed(dispute, by=by, from_status=before, reason=reason)
    return dispute


@transaction.atomic
def dispute_refer(*, dispute: Dispute, by: User, to: str, note: str = "", external_number: str = "") -> Dispute:
    """诉调对接: a failed mediation goes to a court, arbitration, the petition office or review."""
    dispute, before = _begin(dispute, by, "refer")
    if to not in ReferralTarget.values:
        raise ValidationError({"to": [_("未知移送去向")]})
    note = _text(note, "note", max_length=1000, required=False)
    external_number = _text(external_number, "external_number", max_length=60, required=False)
    now = timezone.now()
    Referral.objects.create(dispute=dispute, to=to, note=note, external_number=external_number, referred_by=by)
    _apply(dispute, "refer", now)
    events.referred(dispute, by=by, from_status=before, to=to, note=note)
    return dispute


@transaction.atomic
def dispute_confirm(*, dispute: Dispute, by: User, court_confirmed: bool, note: str = "") -> Dispute:
    """司法确认: whether the court confirmed the agreement."""
    dispute, _before = _begin(dispute, by, "confirm")
    note = _text(note, "note", max_length=500, required=False)
    Agreement.objects.filter(dispute=dispute).update(
        court_confirmed=court_confirmed, confirmation_note=note, confirmed_at=timezone.now()
    )
    _apply(dispute, "confirm", timezone.now())
    events.confirmed(dispute, by=by, court_confirmed=court_confirmed, note=note)
    return dispute


@transaction.atomic
def dispute_fulfil(*, dispute: Dispute, by: User, fulfilled: bool, note: str = "") -> Dispute:
    """履行: whether the agreement has been carried out."""
    dispute, _before = _begin(dispute, by, "fulfil")
    note = _text(note, "note", max_length=500, required=False)
    Agreement.objects.filter(dispute=dispute).update(
        fulfilled=fulfilled, fulfilment_note=note, fulfilled_at=timezone.now()
    )
    _apply(dispute, "fulfil", timezone.now())
    events.fulfilled(dispute, by=by, fulfilled=fulfilled, note=note)
    return dispute


@transaction.atomic
def dispute_follow_up(*, dispute: Dispute, by: User, note: str, satisfied: bool) -> FollowUp:
    """回访: the mediator visits the parties again after the agreement or referral."""
    dispute, _before = _begin(dispute, by, "follow_up")
    visit = FollowUp.objects.create(
        dispute=dispute, note=_text(note, "note", max_length=1000), satisfied=satisfied, by=by
    )
    _apply(dispute, "follow_up", timezone.now())
    events.followed_up(dispute, by=by, note=visit.note, satisfied=satisfied)
    return visit


@transaction.atomic
def dispute_close(*, dispute: Dispute, by: User, comment: str = "") -> Dispute:
    """结案: an agreed or referred dispute is filed."""
    dispute, before = _begin(dispute, by, "close")
    comment = _text(comment, "comment", max_length=1000, required=False)
    now = timezone.now()
    _apply(dispute, "close", now, closed_at=now)
    events.closed(dispute, by=by, from_status=before, comment=comment)
    return dispute


# ---------------------------------------------------------------------------------------------
# Monthly screening


@transaction.atomic
def screening_report(*, by: User, area: Area, month: date, disputes_found: int, notes: str = "") -> ScreeningReport:
    """矛盾纠纷排查: a village reports what it found this month; 0 is a zero report (零报告)."""
    from .selectors import screening_areas_for

    if area.level != Level.VILLAGE:
        raise ValidationError({"area": [_("排查月报按村(社区)填报")]})
    if not screening_areas_for(by).filter(pk=area.pk).exists():
        raise ActionNotAllowed(_("您无权为该村(社区)填报排查月报"))
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": [_("不能填报未来月份")]})
    if disputes_found < 0:
        raise ValidationError({"disputes_found": [_("不能为负数")]})
    notes = _text(notes, "notes", max_length=1000, required=False)
    if ScreeningReport.objects.filter(area=area, month=month).exists():
        raise ValidationError({"month": [_("该村(社区)本月已填报")]})
    return ScreeningReport.objects.create(
        area=area, area_path=area.path, month=month, disputes_found=disputes_found, notes=notes, reported_by=by
    )


def may_create(user: User) -> bool:
    scope = get_scope(user)
    return scope.is_admin or scope.has_role(*CREATOR_ROLES) or bool(judicial_paths(user))


def may_assign(user: User, dispute: Dispute) -> bool:
    return is_center_for(user, dispute)


ACTION_SERVICES = {
    "assign": dispute_assign,
    "accept": dispute_accept,
    "session": dispute_session,
    "agree": dispute_agree,
    "fail": dispute_fail,
    "refer": dispute_refer,
    "confirm": dispute_confirm,
    "fulfil": dispute_fulfil,
    "follow_up": dispute_follow_up,
    "close": dispute_close,
}
