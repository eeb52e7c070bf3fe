"""Writes of legal services: one keyword-only, typed, atomic function per domain action, shared by
the pages, the API and the admin. Visibility was checked by the caller through `selectors`; the
services check that the actor may write in the record's area and validate every free text."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from secrets import token_hex

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.messages import label
from grids.models import Area, Level, Membership, Resident, Role, User
from grids.notifications import Message, notify_many
from grids.validators import normalize_id_number, normalize_phone
from grids.worktime import WorkingCalendar

from . import events, messages
from .eligibility import assess
from .models import (
    AdviserLog,
    AdviserLogKind,
    AidApplication,
    AidStatus,
    CaseLesson,
    Consultation,
    ConsultationStatus,
    LawEvent,
    Lawyer,
    LegalSavvyResident,
    Referral,
    TargetKind,
    TrainingRecord,
)
from .selectors import can_write
from .targets import resolve_one
from .workflow import TRANSITIONS, ActionNotAllowed, authorize

# 法律援助法 第四十三条: the decision within seven days; counted here in working days.
REVIEW_WORKING_DAYS = 7
WARN_SHARE = 0.8


def _msgid(text) -> str:
    """The Chinese msgid of a lazy choice label, to store as a `label()` parameter."""
    with translation.override(None):
        return str(text)


def _require_write(by: User, area_path: str) -> None:
    if not can_write(by, area_path):
        raise ActionNotAllowed(_("您无权在该区域登记法律服务记录"))


def _check_length(**fields: tuple[str, int]) -> None:
    errors = {
        name: [_("最多 %(n)s 个字符") % {"n": limit}]
        for name, (value, limit) in fields.items()
        if len(value or "") > limit
    }
    if errors:
        raise ValidationError(errors)


def _village_of(area: Area) -> Area | None:
    codes = [c for c in area.path.split("/") if c]
    return Area.objects.filter(code__in=codes, level=Level.VILLAGE).first()


def _staff_over(area_path: str) -> list[User]:
    codes = [c for c in area_path.split("/") if c]
    return [
        m.user
        for m in Membership.objects.filter(role=Role.LEGAL_STAFF, area__code__in=codes).select_related("user")
        if m.user.is_active
    ]


# ---------------------------------------------------------------------------------------------
# Registries


@transaction.atomic
def savvy_register(*, by: User, resident: Resident, village: Area, since: date | None = None) -> LegalSavvyResident:
    """认定 a resident as a 法律明白人 serving a village (the village they live in, or one above it)."""
    if village.level != Level.VILLAGE:
        raise ValidationError({"village": [_("请选择村(社区)")]})
    _require_write(by, village.path)
    if not resident.area_path.startswith(village.path):
        raise ValidationError({"resident": [_("该居民不住在所选村(社区)")]})
    if LegalSavvyResident.objects.filter(resident=resident).exists():
        raise ValidationError({"resident": [_("该居民已是法律明白人")]})
    return LegalSavvyResident.objects.create(
        resident=resident, village=village, area_path=village.path, since=since or timezone.localdate()
    )


@transaction.atomic
def training_add(*, by: User, savvy: LegalSavvyResident, held_on: date, hours: Decimal, topic: str) -> TrainingRecord:
    _require_write(by, savvy.area_path)
    _check_length(topic=(topic, 200))
    errors: dict[str, list] = {}
    if not (topic or "").strip():
        errors["topic"] = [_("请填写培训主题")]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("日期不能晚于今天")]
    if not (Decimal("0.5") <= Decimal(hours) <= Decimal("80")):
        errors["hours"] = [_("学时应在 0.5 到 80 之间")]
    if errors:
        raise ValidationError(errors)
    return TrainingRecord.objects.create(savvy=savvy, held_on=held_on, hours=hours, topic=topic.strip())


@transaction.atomic
def adviser_log_add(*, by: User, lawyer: Lawyer, village: Area, happened_on: date, kind: str, note: str) -> AdviserLog:
    """One entry of a village legal adviser's service log (a visit, advice, a document reviewed …),
    in one of the villages the adviser serves."""
    _require_write(by, village.path)
    _check_length(note=(note, 500))
    errors: dict[str, list] = {}
    if kind not in AdviserLogKind.values:
        errors["kind"] = [_("未知服务类型")]
    if not lawyer.villages.filter(pk=village.pk).exists():
        errors["village"] = [_("该律师不是这个村(社区)的法律顾问")]
    if not (note or "").strip():
        errors["note"] = [_("请填写服务内容")]
    if happened_on > timezone.localdate():
        errors["happened_on"] = [_("日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    return AdviserLog.objects.create(
        lawyer=lawyer, village=village, area_path=village.path, happened_on=happened_on, kind=kind, note=note.strip()
    )


@transaction.atomic
def lawyer_register(
    *,
    by: User,
    name: str,
    firm: str,
    licence_no: str,
    area: Area,
    phone: str = "",
    villages: list[Area] | None = None,
    term_from: date | None = None,
    term_to: date | None = None,
    duty_hours: str = "",
) -> Lawyer:
    """Register a lawyer; with villages and a term, the village legal adviser (一村一法律顾问)."""
    _require_write(by, area.path)
    _check_length(name=(name, 50), firm=(firm, 100), licence_no=(licence_no, 32), duty_hours=(duty_hours, 100))
    villages = list(villages or [])
    errors: dict[str, list[str]] = {}
    if any(v.level != Level.VILLAGE or not v.path.startswith(area.path) for v in villages):
        errors["villages"] = [_("顾问村(社区)必须在登记区域内")]
    if villages and (term_from is None or term_to is None):
        errors["term_to"] = [_("法律顾问须填写聘期")]
    if term_from and term_to and term_to < term_from:
        errors["term_to"] = [_("聘期结束不能早于开始")]
    if Lawyer.objects.filter(licence_no=licence_no.strip()).exists():
        errors["licence_no"] = [_("执业证号已登记")]
    if errors:
        raise ValidationError(errors)
    lawyer = Lawyer.objects.create(
        name=name.strip(),
        firm=firm.strip(),
        licence_no=licence_no.strip(),
        phone=normalize_phone(phone) if phone else "",
        area=area,
        area_path=area.path,
        term_from=term_from,
        term_to=term_to,
        duty_hours=duty_hours.strip(),
    )
    lawyer.villages.set(villages)
    return lawyer


# ---------------------------------------------------------------------------------------------
# Consultations


def _default_area(by: User, resident: Resident | None, area: Area | None) -> Area:
    if area is not None:
        return area
    if resident is not None:
        return resident.micro_grid
    from .selectors import home_area

    home = home_area(by)
    if home is None:
        raise ActionNotAllowed(_("您没有法律服务的工作区域"))
    return home


@transaction.atomic
def consultation_record(
    *,
    by: User,
    topic: str,
    question: str,
    channel: str,
    answer: str = "",
    resident: Resident | None = None,
    name: str = "",
    area: Area | None = None,
) -> Consultation:
    """Record a 法律咨询. With an answer it is answered at once (the usual case at a window)."""
    _check_length(question=(question, 2000), answer=(answer, 2000), name=(name, 50))
    if resident is None and not name.strip():
        raise ValidationError({"name": [_("请选择居民或填写咨询人姓名")]})
    area = _default_area(by, resident, area)
    _require_write(by, area.path)
    now = timezone.now()
    answer = answer.strip()
    return Consultation.objects.create(
        area=area,
        area_path=area.path,
        topic=topic,
        question=question.strip(),
        answer=answer,
        channel=channel,
        resident=resident,
        name=name.strip(),
        status=ConsultationStatus.ANSWERED if answer else ConsultationStatus.OPEN,
        asked_at=now,
        recorded_by=by,
        answered_by=by if answer else None,
        answered_at=now if answer else None,
    )


@transaction.atomic
def consultation_answer(*, by: User, consultation: Consultation, answer: str) -> Consultation:
    _require_write(by, consultation.area_path)
    _check_length(answer=(answer, 2000))
    if not answer.strip():
        raise ValidationError({"answer": [_("请填写答复")]})
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    consultation.answer = answer.strip()
    consultation.answered_by, consultation.answered_at = by, timezone.now()
    if consultation.status == ConsultationStatus.OPEN:
        consultation.status = ConsultationStatus.ANSWERED
    consultation.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    return consultation


@transaction.atomic
def referral_record(
    *,
    by: User,
    source_kind: str,
    source_id: int,
    target_kind: str,
    target_id: int,
    area_path: str,
    note: str = "",
) -> Referral:
    """Store a referral once; both sides list it (`selectors.referrals_of`)."""
    _check_length(note=(note, 500))
    try:
        with transaction.atomic():
            return Referral.objects.create(
                source_kind=source_kind,
                source_id=source_id,
                target_kind=target_kind,
                target_id=target_id,
                area_path=area_path,
                note=note.strip(),
                created_by=by,
            )
    except IntegrityError as exc:
        raise ValidationError({"to": [_("已转介过")]}) from exc


def _mark_referred(consultation: Consultation) -> None:
    Consultation.objects.filter(pk=consultation.pk).update(status=ConsultationStatus.REFERRED)
    consultation.status = ConsultationStatus.REFERRED


@transaction.atomic
def consultation_refer_to_aid(
    *,
    consultation: Consultation,
    by: User,
    note: str = "",
    monthly_income: Decimal | None = None,
    special_group: str = "",
    id_number: str = "",
    phone: str = "",
) -> AidApplication:
    """A consultation becomes a legal-aid application: the asker, the matter and the question carry over."""
    _require_write(by, consultation.area_path)
    if Referral.objects.filter(
        source_kind=TargetKind.CONSULTATION, source_id=consultation.pk, target_kind=TargetKind.AID
    ).exists():
        raise ValidationError({"to": [_("已转介过")]})
    application = aid_apply(
        by=by,
        matter=consultation.topic,
        reason=consultation.question,
        resident=consultation.resident,
        name=consultation.name,
        id_number=id_number,
        phone=phone,
        monthly_income=monthly_income,
        special_group=special_group,
        area=consultation.area,
        referral_from=TargetKind.CONSULTATION,
    )
    referral_record(
        by=by,
        source_kind=TargetKind.CONSULTATION,
        source_id=consultation.pk,
        target_kind=TargetKind.AID,
        target_id=application.pk,
        area_path=consultation.area_path,
        note=note,
    )
    _mark_referred(consultation)
    return application


def consultation_referred_elsewhere(
    *, consultation: Consultation, by: User, target_kind: str, target_id: int, note: str = ""
) -> Referral:
    """Record a referral made by another app (a case or a dispute created from the consultation)."""
    referral = referral_record(
        by=by,
        source_kind=TargetKind.CONSULTATION,
        source_id=consultation.pk,
        target_kind=target_kind,
        target_id=target_id,
        area_path=consultation.area_path,
        note=note,
    )
    _mark_referred(consultation)
    return referral


# ---------------------------------------------------------------------------------------------
# Legal aid


def _review_clock(start: datetime) -> tuple[datetime, datetime]:
    calendar = WorkingCalendar()
    deadline = calendar.add_working_days(start, REVIEW_WORKING_DAYS)
    total = calendar.working_hours_between(start, deadline)
    warn = calendar.add_working_hours(start, WARN_SHARE * total) if total > 0 else deadline
    return deadline, warn


@transaction.atomic
def aid_apply(
    *,
    by: User,
    matter: str,
    reason: str,
    resident: Resident | None = None,
    name: str = "",
    id_number: str = "",
    phone: str = "",
    monthly_income: Decimal | None = None,
    special_group: str = "",
    area: Area | None = None,
    referral_from: str = "",
) -> AidApplication:
    """Accept a 法律援助 application and start its review clock (working days, official calendar)."""
    _check_length(reason=(reason, 2000), name=(name, 50))
    errors: dict[str, list[str]] = {}
    if resident is None and not name.strip():
        errors["name"] = [_("请选择居民或填写申请人姓名")]
    if resident is None:
        try:
            id_number = normalize_id_number(id_number) if id_number else ""
        except ValidationError as exc:
            errors["id_number"] = exc.messages
        try:
            phone = normalize_phone(phone) if phone else ""
        except ValidationError as exc:
            errors["phone"] = exc.messages
    else:
        name, id_number, phone = "", "", ""
    if errors:
        raise ValidationError(errors)
    area = _default_area(by, resident, area)
    _require_write(by, area.path)
    now = timezone.now()
    deadline, warn = _review_clock(now)
    application = AidApplication.objects.create(
        number=token_hex(8),
        matter=matter,
        reason=reason.strip(),
        resident=resident,
        name=name.strip(),
        id_number=id_number,
        phone=phone,
        monthly_income=monthly_income,
        special_group=special_group or "",
        area=area,
        area_path=area.path,
        applied_at=now,
        created_by=by,
        review_deadline=deadline,
        review_warn_at=warn,
    )
    application.number = f"FY{timezone.localdate(now):%Y%m%d}-{application.pk:05d}"
    application.save(update_fields=["number"])
    events.applied(application, by=by, referral_from=referral_from)
    recipients = [u for u in _staff_over(area.path) if u.pk != by.pk]
    if recipients:
        notify_many(
            [
                Message(
                    recipients,
                    "legal_aid_applied",
                    key=messages.AID_APPLIED,
                    params={
                        "number": application.number,
                        "matter": label(_msgid(application.get_matter_display())),
                        "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}",
                    },
                    url=reverse("legal:aid_detail", args=[application.pk]),
                    dedupe_key=f"legal-aid-applied:{application.pk}",
                )
            ]
        )
    return application


def _lock(application: AidApplication, by: User, action: str) -> tuple[AidApplication, str]:
    locked = AidApplication.objects.select_for_update().select_related("area").get(pk=application.pk)
    authorize(by, locked, action)
    return locked, locked.status


def _move(application: AidApplication, action: str) -> None:
    application.status = TRANSITIONS[action].target


@transaction.atomic
def aid_review(*, application: AidApplication, by: User) -> AidApplication:
    """Start the review (审查); the eligibility reasons are shown from now on."""
    application, before = _lock(application, by, "review")
    _move(application, "review")
    application.save(update_fields=["status"])
    events.review_started(application, by=by, from_status=before)
    return application


@transaction.atomic
def aid_approve(*, application: AidApplication, by: User, comment: str = "") -> AidApplication:
    """Grant legal aid. The eligibility reasons at this moment go on the timeline."""
    _check_length(comment=(comment, 2000))
    application, before = _lock(application, by, "approve")
    verdict = assess(application)
    _move(application, "approve")
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    events.approved(application, by=by, from_status=before, comment=comment.strip(), reasons=verdict.reasons)
    return application


@transaction.atomic
def aid_refuse(*, application: AidApplication, by: User, reason: str) -> AidApplication:
    _check_length(reason=(reason, 500))
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写不予援助的理由")]})
    application, before = _lock(application, by, "refuse")
    verdict = assess(application)
    _move(application, "refuse")
    application.decided_at = timezone.now()
    application.refuse_reason = reason.strip()
    application.save(update_fields=["status", "decided_at", "refuse_reason"])
    events.refused(application, by=by, from_status=before, reason=application.refuse_reason, reasons=verdict.reasons)
    return application


@transaction.atomic
def aid_assign(*, application: AidApplication, by: User, lawyer: Lawyer) -> AidApplication:
    """指派 a lawyer: a village legal adviser or another registered lawyer of the area or above."""
    application, before = _lock(application, by, "assign")
    if not (application.area_path.startswith(lawyer.area_path) or lawyer.area_path.startswith(application.area_path)):
        raise ValidationError({"lawyer": [_("该律师不在本区域登记")]})
    _move(application, "assign")
    application.lawyer, application.assigned_at = lawyer, timezone.now()
    application.save(update_fields=["status", "lawyer", "assigned_at"])
    events.assigned(application, by=by, from_status=before)
    return application


@transaction.atomic
def aid_close(*, application: AidApplication, by: User, outcome: str) -> AidApplication:
    _check_length(outcome=(outcome, 2000))
    if not outcome.strip():
        raise ValidationError({"outcome": [_("请填写办理结果")]})
    application, before = _lock(application, by, "close")
    _move(application, "close")
    application.outcome, application.closed_at = outcome.strip(), timezone.now()
    application.save(update_fields=["status", "outcome", "closed_at"])
    events.closed(application, by=by, from_status=before, outcome=application.outcome)
    return application


ACTION_SERVICES = {
    "review": aid_review,
    "approve": aid_approve,
    "refuse": aid_refuse,
    "assign": aid_assign,
    "close": aid_close,
}
assert set(ACTION_SERVICES) == set(TRANSITIONS)
assert AidStatus.CLOSED in {t.target for t in TRANSITIONS.values()}


# ---------------------------------------------------------------------------------------------
# Law popularisation

PERSONAL_DETAILS = re.compile(r"\d{17}[\dXx]|(?<!\d)1[3-9]\d{9}(?!\d)")


@transaction.atomic
def event_log(
    *,
    by: User,
    held_on: date,
    place: str,
    organiser: str,
    topic: str,
    audience: int,
    area: Area,
    materials: int = 0,
    title: str = "",
    case: int | None = None,
    photo=None,
) -> LawEvent:
    """Log a 普法 event. A linked case must be one the recorder can see."""
    _check_length(place=(place, 200), organiser=(organiser, 100), title=(title, 200))
    _require_write(by, area.path)
    if case is not None and resolve_one(by, TargetKind.CASE, case) is None:
        raise ValidationError({"case": [_("事项不存在或不在您的范围内")]})
    return LawEvent.objects.create(
        held_on=held_on,
        place=place.strip(),
        organiser=organiser.strip(),
        topic=topic,
        title=title.strip(),
        audience=audience,
        materials=materials,
        area=area,
        area_path=area.path,
        case_ref=case,
        photo=photo or "",
        recorded_by=by,
    )


@transaction.atomic
def lesson_write(
    *,
    by: User,
    source_kind: str,
    source_id: int,
    title: str,
    lesson: str,
    area: Area,
    law_refs: str = "",
    event: LawEvent | None = None,
) -> CaseLesson:
    """以案释法: a closed case or dispute and its lesson. ID and phone numbers are refused, so the
    personal details stay out."""
    _check_length(title=(title, 200), lesson=(lesson, 4000), law_refs=(law_refs, 300))
    _require_write(by, area.path)
    target = resolve_one(by, source_kind, source_id)
    errors: dict[str, list[str]] = {}
    if target is None:
        errors["source_id"] = [_("事项不存在或不在您的范围内")]
    elif not target.closed:
        errors["source_id"] = [_("只能选择已办结的事项")]
    for name, text in (("title", title), ("lesson", lesson)):
        if PERSONAL_DETAILS.search(text or ""):
            errors[name] = [_("请删去身份证号、手机号等个人信息")]
    if errors:
        raise ValidationError(errors)
    return CaseLesson.objects.create(
        source_kind=source_kind,
        source_id=source_id,
        title=title.strip(),
        lesson=lesson.strip(),
        law_refs=law_refs.strip(),
        area=area,
        area_path=area.path,
        event=event,
        created_by=by,
    )


def village_of(area: Area) -> Area | None:
    return _village_of(area)
