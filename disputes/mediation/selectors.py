"""What disputes, mediation bodies and screening reports a user may see: the one place that decides.

A dispute is seen by the mediators of its body, the center staff over its area, the judicial office
serving it, officials over it (read-only), and whoever registered it. Everyone else gets 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from grids.models import Area, Level, Role, User
from grids.selectors import SENSITIVE_ROLES, areas_visible_to, can_see_sensitive, get_scope
from grids.validators import mask

from .models import (
    OPEN_DISPUTE_STATUSES,
    Dispute,
    DisputeEvent,
    DisputeStatus,
    MediationOrg,
    Mediator,
    Party,
    ScreeningReport,
)
from .workflow import judicial_paths, mediator_org_ids

# Legal-services staff (司法所) guide people's mediation in their area and refer a failed mediation
# on to legal aid: they read the area's disputes too.
READ_ROLES = {Role.CENTER_STAFF, Role.OFFICIAL, Role.LEGAL_STAFF}


def _paths_q(field: str, paths: list[str]) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths)) if paths else Q(pk__in=[])


def disputes_visible_to(user: User) -> QuerySet[Dispute]:
    scope = get_scope(user)
    qs = Dispute.objects.all()
    if scope.is_admin:
        return qs
    if not user.is_authenticated:
        return qs.none()
    q = Q(reporter_id=user.pk)
    orgs = mediator_org_ids(user)
    if orgs:
        q |= Q(organisation_id__in=orgs)
    paths = scope.area_paths(READ_ROLES) + judicial_paths(user)
    if paths:
        q |= _paths_q("area_path", paths)
    return qs.filter(q)


def dispute_list_queryset(user: User) -> QuerySet[Dispute]:
    return disputes_visible_to(user).select_related("area", "organisation", "mediator")


def dispute_detail_queryset(user: User) -> QuerySet[Dispute]:
    return (
        disputes_visible_to(user)
        .select_related(
            "area", "town", "organisation", "mediator", "reporter", "case", "building", "agreement", "referral"
        )
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("resident").order_by("role", "id")),
            "sessions",
            "follow_ups",
            Prefetch("events", queryset=DisputeEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
    )


def filter_disputes(
    qs: QuerySet[Dispute],
    *,
    status: str | None = None,
    area: Area | None = None,
    kind: str | None = None,
    risk: str | None = None,
    organisation: MediationOrg | None = None,
    q: str | None = None,
) -> QuerySet[Dispute]:
    if status:
        qs = qs.filter(status__in=status.split(","))
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    if kind:
        qs = qs.filter(kind=kind)
    if risk:
        qs = qs.filter(risk_level__in=risk.split(","))
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if q:
        q = q.strip()
        qs = qs.filter(Q(number__startswith=q) | Q(summary__icontains=q) | Q(address__icontains=q))
    return qs


# Queue tabs of the mediator's workbench and the center's.
MEDIATOR_TABS = ["to_accept", "mediating", "follow_up", "due_soon"]
CENTER_TABS = ["to_assign", "high_risk", "overdue"]


def queue_tab(user: User, qs: QuerySet[Dispute], tab: str) -> QuerySet[Dispute]:
    now = timezone.now()
    orgs = mediator_org_ids(user)
    mine = Q(organisation_id__in=orgs) & (Q(mediator__isnull=True) | Q(mediator_id=user.pk))
    if tab == "to_accept":
        return qs.filter(mine, status=DisputeStatus.ASSIGNED)
    if tab == "mediating":
        return qs.filter(mine, status=DisputeStatus.MEDIATING)
    if tab == "follow_up":
        return qs.filter(mine, status=DisputeStatus.AGREED)
    if tab == "due_soon":
        return qs.filter(mine, status__in=OPEN_DISPUTE_STATUSES, deadline__lt=now + timedelta(days=7))
    if tab == "to_assign":
        return qs.filter(status=DisputeStatus.REPORTED)
    if tab == "high_risk":
        return qs.filter(status__in=OPEN_DISPUTE_STATUSES, risk_level__in=["high", "major"])
    if tab == "overdue":
        return qs.filter(status__in=OPEN_DISPUTE_STATUSES, deadline_alert="red")
    return qs


def tabs_for(user: User) -> list[str]:
    tabs: list[str] = []
    if mediator_org_ids(user):
        tabs += MEDIATOR_TABS
    scope = get_scope(user)
    if scope.is_admin or scope.has_role(Role.CENTER_STAFF) or judicial_paths(user):
        tabs += CENTER_TABS
    return tabs + ["all"]


def party_identifiers(user: User, party: Party) -> tuple[str, str]:
    """A party's (ID number, phone) as this user may see them: in full for the roles that see
    residents' identifiers in their area (grids.selectors.can_see_sensitive; for a party who is not
    a registered resident, the same roles over the dispute's area), masked for everyone else."""
    if party.resident_id:
        sensitive = can_see_sensitive(user, party.resident)
        id_number, phone = party.resident.id_number, party.resident.phone
    else:
        sensitive = get_scope(user).covers(party.dispute.area_path, roles=SENSITIVE_ROLES)
        id_number, phone = party.id_number, party.phone
    if sensitive:
        return id_number, phone
    # The one masking rule of grids/validators.py (main: grids.validators.mask(value, kind)).
    return mask(id_number, "id_number"), mask(phone, "phone")


def orgs_visible_to(user: User) -> QuerySet[MediationOrg]:
    """Bodies serving an area the user can see, or an area above it, and the user's own bodies."""
    scope = get_scope(user)
    qs = MediationOrg.objects.select_related("area")
    if scope.is_admin:
        return qs
    paths = scope.area_paths() + [d.area.path for d in scope.departments()]
    q = Q(pk__in=list(mediator_org_ids(user)))
    if paths:
        above = {code for p in paths for code in p.split("/") if code}
        q |= _paths_q("area_path", paths) | Q(area__code__in=above)
    return qs.filter(q)


def org_detail_queryset(user: User) -> QuerySet[MediationOrg]:
    return orgs_visible_to(user).prefetch_related(
        Prefetch("mediators", queryset=Mediator.objects.filter(active=True).select_related("user"))
    )


def orgs_for_dispute(dispute: Dispute) -> QuerySet[MediationOrg]:
    """Bodies that may take this dispute: serving its area (or above) and handling its kind."""
    codes = [c for c in dispute.area_path.split("/") if c]
    return (
        MediationOrg.objects.filter(active=True, area__code__in=codes)
        .select_related("area")
        .order_by("-area_path", "kind", "code")
    )


def screenings_visible_to(user: User) -> QuerySet[ScreeningReport]:
    scope = get_scope(user)
    qs = ScreeningReport.objects.select_related("area", "reported_by")
    if scope.is_admin:
        return qs
    return qs.filter(scope.path_q("area_path"))


def villages_missing(town: Area, month: date) -> QuerySet[Area]:
    """The villages of `town` (or of any area) that have not reported for `month`."""
    reported = ScreeningReport.objects.filter(month=month, area_path__startswith=town.path).values("area_id")
    return Area.objects.filter(level=Level.VILLAGE, path__startswith=town.path).exclude(pk__in=reported)


def screening_areas_for(user: User) -> QuerySet[Area]:
    """Villages the user may report a screening for: in the user's areas, or above the user's grid."""
    scope = get_scope(user)
    qs = Area.objects.filter(level=Level.VILLAGE)
    if scope.is_admin:
        return qs
    roles = {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF, Role.MEDIATOR}
    inside = scope.area_paths(roles)
    above = {code for a in scope.areas(roles) for code in a.ancestor_codes}
    q = _paths_q("path", inside) | Q(code__in=above)
    return qs.filter(q)


def areas_for_dispute(user: User) -> QuerySet[Area]:
    return areas_visible_to(user)
