"""Who sees which legal-services records. The one place that decides; pages and the API ask here.

Legal-services staff see (and write) their area's records; officials read over their area; admins
see everything; everyone else sees nothing, so every id reads as 404.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from grids.models import Area, Level, Resident, Role, User
from grids.selectors import SENSITIVE_ROLES, areas_visible_to, get_scope
from grids.validators import mask

from .models import (
    OPEN_AID_STATUSES,
    AidApplication,
    AidEvent,
    AidStatus,
    CaseLesson,
    Consultation,
    ConsultationStatus,
    LawEvent,
    Lawyer,
    LegalSavvyResident,
    ModelHousehold,
    ModelVillage,
    Referral,
    ServicePoint,
    TargetKind,
    TrainingRecord,
)

READ_ROLES = {Role.LEGAL_STAFF, Role.OFFICIAL}
WRITE_ROLES = {Role.LEGAL_STAFF}


def _q(user: User, field: str = "area_path", roles=READ_ROLES) -> Q:
    return get_scope(user).path_q(field, roles=roles)


def can_read(user: User) -> bool:
    scope = get_scope(user)
    return scope.is_admin or bool(scope.area_paths(READ_ROLES))


def can_write(user: User, area_path: str | None = None) -> bool:
    """Legal-services staff (and admins) record and act; with a path, only inside their area."""
    scope = get_scope(user)
    if area_path is None:
        return scope.is_admin or bool(scope.area_paths(WRITE_ROLES))
    return scope.covers(area_path, roles=WRITE_ROLES)


def writable_areas(user: User) -> QuerySet[Area]:
    scope = get_scope(user)
    return Area.objects.all() if scope.is_admin else Area.objects.filter(scope.path_q("path", roles=WRITE_ROLES))


def readable_areas(user: User) -> QuerySet[Area]:
    scope = get_scope(user)
    return Area.objects.all() if scope.is_admin else Area.objects.filter(scope.path_q("path", roles=READ_ROLES))


def home_area(user: User) -> Area | None:
    scope = get_scope(user)
    areas = sorted(scope.areas(READ_ROLES), key=lambda a: (a.depth, a.code))
    if areas:
        return areas[0]
    return Area.objects.filter(level=Level.DISTRICT).order_by("code").first() if scope.is_admin else None


def residents_for_legal(user: User) -> QuerySet[Resident]:
    """Residents a legal-services worker may pick (as asker, applicant or legal-savvy resident)."""
    return Resident.objects.filter(_q(user, roles=WRITE_ROLES)).select_related("micro_grid")


# ---------------------------------------------------------------------------------------------
# Registries


def savvy_visible_to(user: User) -> QuerySet[LegalSavvyResident]:
    return (
        LegalSavvyResident.objects.filter(_q(user))
        .select_related("resident", "village")
        .annotate(training_count=Count("trainings"))
    )


def savvy_detail_queryset(user: User) -> QuerySet[LegalSavvyResident]:
    return (
        LegalSavvyResident.objects.filter(_q(user))
        .select_related("resident", "village")
        .prefetch_related(Prefetch("trainings", queryset=TrainingRecord.objects.order_by("-held_on")))
    )


def lawyers_visible_to(user: User) -> QuerySet[Lawyer]:
    return Lawyer.objects.filter(_q(user)).select_related("area").prefetch_related("villages")


def advisers_visible_to(user: User) -> QuerySet[Lawyer]:
    """Village legal advisers: registered lawyers who serve at least one village."""
    return lawyers_visible_to(user).filter(pk__in=Lawyer.villages.through.objects.values("lawyer_id"))


def service_points_visible_to(user: User) -> QuerySet[ServicePoint]:
    return ServicePoint.objects.filter(_q(user)).select_related("area")


def model_households_visible_to(user: User) -> QuerySet[ModelHousehold]:
    return ModelHousehold.objects.filter(_q(user)).select_related("village", "household")


def model_villages_visible_to(user: User) -> QuerySet[ModelVillage]:
    return ModelVillage.objects.filter(_q(user)).select_related("village")


# ---------------------------------------------------------------------------------------------
# Services delivered


def consultations_visible_to(user: User) -> QuerySet[Consultation]:
    return Consultation.objects.filter(_q(user)).select_related("area", "resident", "recorded_by", "answered_by")


def aid_visible_to(user: User) -> QuerySet[AidApplication]:
    return AidApplication.objects.filter(_q(user)).select_related("area", "resident", "lawyer")


def aid_detail_queryset(user: User) -> QuerySet[AidApplication]:
    return aid_visible_to(user).prefetch_related(
        Prefetch("events", queryset=AidEvent.objects.select_related("actor").order_by("created_at", "id"))
    )


def events_visible_to(user: User) -> QuerySet[LawEvent]:
    return LawEvent.objects.filter(_q(user)).select_related("area")


def lessons_visible_to(user: User) -> QuerySet[CaseLesson]:
    return CaseLesson.objects.filter(_q(user)).select_related("area")


def referrals_of(kind: str, pk: int) -> QuerySet[Referral]:
    """Both directions: what this record was referred to, and what referred it here."""
    return Referral.objects.filter(
        Q(source_kind=kind, source_id=pk) | Q(target_kind=kind, target_id=pk)
    ).select_related("created_by")


def can_see_applicant_details(user: User, application: AidApplication) -> bool:
    """Full ID numbers and phones: the roles that may see them for residents (grids rules), and the
    legal-services staff who handle the application, in their own area."""
    return get_scope(user).covers(application.area_path, roles=SENSITIVE_ROLES | WRITE_ROLES)


def applicant_details(user: User, application: AidApplication) -> dict[str, str]:
    full = can_see_applicant_details(user, application)
    id_number, phone = application.applicant_id_number, application.applicant_phone
    return {
        "name": application.applicant_name,
        "id_number": id_number if full else mask(id_number, "id_number"),
        "phone": phone if full else mask(phone, "phone"),
    }


def asker_phone(user: User, consultation: Consultation) -> str:
    phone = consultation.resident.phone if consultation.resident_id else ""
    full = get_scope(user).covers(consultation.area_path, roles=SENSITIVE_ROLES | WRITE_ROLES)
    return phone if full else mask(phone, "phone")


# ---------------------------------------------------------------------------------------------
# Filters shared by pages, API and exports


def search(qs: QuerySet, q: str, fields: list[str]) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    cond = Q()
    for f in fields:
        cond |= Q(**{f"{f}__icontains": q})
    return qs.filter(cond)


def in_area(qs: QuerySet, area: Area | None, field: str = "area_path") -> QuerySet:
    return qs if area is None else qs.filter(**{f"{field}__startswith": area.path})


# ---------------------------------------------------------------------------------------------
# The workbench: what needs doing today


def workbench(user: User, *, today: date | None = None) -> dict:
    now = timezone.now()
    today = today or timezone.localdate(now)
    aid = aid_visible_to(user)
    return {
        "to_review": list(aid.filter(status__in=OPEN_AID_STATUSES).order_by("review_deadline", "id")[:20]),
        "to_assign": list(aid.filter(status=AidStatus.APPROVED).order_by("decided_at", "id")[:20]),
        "in_hand": aid.filter(status=AidStatus.ASSIGNED).count(),
        "to_answer": list(
            consultations_visible_to(user).filter(status=ConsultationStatus.OPEN).order_by("asked_at", "id")[:20]
        ),
        "upcoming": list(
            events_visible_to(user)
            .filter(held_on__gte=today, held_on__lte=today + timedelta(days=30))
            .order_by("held_on", "id")[:10]
        ),
    }


# ---------------------------------------------------------------------------------------------
# The village page block (templates/grids/area_detail.html, through legal_services' template tag)


def village_block(user: User, area: Area) -> dict | None:
    """The village's adviser(s) and its legal-savvy residents, for anyone who may open the village
    page (the grid team included); None for other levels or areas the user cannot see."""
    if area.level != Level.VILLAGE or not areas_visible_to(user).filter(pk=area.pk).exists():
        return None
    today = timezone.localdate()
    advisers = list(
        Lawyer.objects.filter(villages=area).filter(Q(term_to__isnull=True) | Q(term_to__gte=today)).order_by("name")
    )
    savvy = list(
        LegalSavvyResident.objects.filter(village=area, active=True).select_related("resident").order_by("id")[:50]
    )
    return {"advisers": advisers, "savvy": savvy}


def home_counts(user: User) -> dict[str, int]:
    """The home page's small block for legal-services staff."""
    aid = aid_visible_to(user).aggregate(
        to_review=Count("id", filter=Q(status__in=OPEN_AID_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_AID_STATUSES, review_alert="red")),
        to_assign=Count("id", filter=Q(status=AidStatus.APPROVED)),
    )
    aid["to_answer"] = consultations_visible_to(user).filter(status=ConsultationStatus.OPEN).count()
    return aid


def referrals_for_display(user: User, kind: str, pk: int) -> list[dict]:
    """The referrals of one record, both directions, with the other side resolved for this user
    (a label and a link when they may see it, the kind and id otherwise)."""
    from .targets import resolve

    rows = list(referrals_of(kind, pk))
    found = resolve(user, [(r.source_kind, r.source_id) for r in rows] + [(r.target_kind, r.target_id) for r in rows])
    result = []
    for r in rows:
        outgoing = r.source_kind == kind and r.source_id == pk
        other_kind, other_id = (r.target_kind, r.target_id) if outgoing else (r.source_kind, r.source_id)
        result.append(
            {
                "referral": r,
                "outgoing": outgoing,
                "kind": other_kind,
                "kind_label": TargetKind(other_kind).label if other_kind in TargetKind.values else other_kind,
                "other_id": other_id,
                "other": found.get((other_kind, other_id)),
            }
        )
    return result
