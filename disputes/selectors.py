"""What cases a user may see. The one place that decides; every view and the API use it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from math import cos, radians

from django.conf import settings
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from grids.models import Area, Department, Role, User
from grids.selectors import get_scope

from .deadlines import ClockColour, clock
from .models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    CENTER_CLOCKS,
    ESCALATED,
    OPEN_STATUSES,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Case,
    CaseEvent,
    Category,
    ExtensionRequest,
    ExtensionStatus,
    StageClock,
    Status,
    Supervision,
)
from .worktime import WorkingCalendar

# The roles that may report a case (上报): grid workers and chiefs, and center staff taking a hotline call.
# Legal-services staff report too: a consultation referred on to a case (governance/referrals.py).
REPORTER_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF, Role.LEGAL_STAFF})


def may_report(user: User) -> bool:
    scope = get_scope(user)
    return scope.is_admin or scope.has_role(*REPORTER_ROLES)


def report_areas_for(user: User) -> QuerySet[Area]:
    """Where the user may report a case: the subtrees of the areas of their reporting roles (an
    admin: anywhere). The one rule for a pin on the map and an area chosen by hand alike."""
    scope = get_scope(user)
    if scope.is_admin:
        return Area.objects.all()
    return Area.objects.filter(scope.path_q("path", roles=REPORTER_ROLES))


def may_report_in(user: User, area: Area) -> bool:
    """Whether the user may report a case located in `area` (see `report_areas_for`)."""
    scope = get_scope(user)
    return scope.is_admin or scope.covers(area.path, roles=REPORTER_ROLES)


def category_by_ref(value: str, *, active_only: bool = False) -> Category | None:
    """A category named by its code or its id, as the API and the forms accept both."""
    qs = Category.objects.filter(active=True) if active_only else Category.objects.all()
    value = (value or "").strip()
    return qs.filter(pk=int(value)).first() if value.isdigit() else qs.filter(code=value).first()


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Area roles see their subtree; department staff see what was dispatched to their department;
    everyone sees what they reported; admins see all.

    A department's cases are django-guardian's: dispatch grants the department's group `view_case`
    on the case and a department's return of every assignment revokes it
    (`services.cases._sync_department_access`); guardian's `get_objects_for_user` reads them
    through the user's groups (filled by `grids.services.membership_grant`). One source of truth.
    """
    scope = get_scope(user)
    qs = Case.objects.all()
    if scope.is_admin:
        return qs
    q = Q(reporter_id=user.pk)
    if scope.area_paths():
        q |= scope.path_q("area_path")
    visible = qs.filter(q)
    if scope.departments():
        # Lazy: two subqueries in the same WHERE, no query of its own.
        visible |= get_objects_for_user(
            user, "disputes.view_case", klass=Case, use_groups=True, with_superuser=False, accept_global_perms=False
        )
    return visible


def case_list_queryset(user: User) -> QuerySet[Case]:
    """Visible cases with what a list row shows, in a constant number of queries."""
    return (
        cases_visible_to(user)
        .select_related("category", "area", "center", "reporter")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(status__in=ACTIVE_ASSIGNMENT_STATUSES).select_related("department"),
                to_attr="active_assignments",
            )
        )
    )


def _detail_prefetches() -> list:
    return [
        Prefetch("assignments", queryset=Assignment.objects.select_related("department").order_by("role", "id")),
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "id")),
        "attachments",
        "involved_residents",
        Prefetch("extensions", queryset=ExtensionRequest.objects.order_by("requested_at")),
        Prefetch("stage_clocks", queryset=StageClock.objects.order_by("started_at", "id")),
        Prefetch(
            "supervisions",
            queryset=Supervision.objects.select_related("department", "clock", "by").order_by("created_at", "id"),
        ),
    ]


def latest_stage_clocks(case: Case) -> dict[str, StageClock | None]:
    """The latest run of each center clock (accept, verify, feedback), from the prefetched clocks."""
    latest: dict[str, StageClock | None] = {kind: None for kind in CENTER_CLOCKS}
    for c in case.stage_clocks.all():
        if c.clock in latest:
            latest[c.clock] = c
    return latest


def case_detail_queryset(user: User) -> QuerySet[Case]:
    """Visible cases with everything the case page needs (assignments, timeline, attachments, extensions)."""
    return (
        cases_visible_to(user)
        .select_related("category", "area", "center", "town", "reporter", "merged_into", "contact")
        .prefetch_related(*_detail_prefetches())
    )


def with_detail(case: Case) -> Case:
    """The case its reporter has just written (case_create set its related objects), with what the
    detail needs loaded: no second visibility query for a case the caller created a moment ago."""
    prefetch_related_objects([case], *_detail_prefetches())
    return case


def filter_cases(
    qs: QuerySet[Case],
    *,
    status: str | None = None,
    area=None,
    category=None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    escalated: bool | None = None,
    open: bool | None = None,
    q: str | None = None,
    created_from=None,
    created_to=None,
    closed_from=None,
    closed_to=None,
) -> QuerySet[Case]:
    """The filters the queue, the list page, the API and the dashboard's cross-checks share.
    Date bounds are local dates, inclusive."""
    if status:
        qs = qs.filter(status__in=status.split(","))
    if area is not None:
        qs = qs.filter(area_path__startswith=area.path)
    if category is not None:
        qs = qs.filter(category=category)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if open is not None:
        qs = qs.filter(status__in=OPEN_STATUSES) if open else qs.exclude(status__in=OPEN_STATUSES)
    if supervised is not None:
        under = Supervision.objects.filter(replied_at__isnull=True).values("case_id")
        qs = qs.filter(pk__in=under) if supervised else qs.exclude(pk__in=under)
    if escalated is not None:
        qs = qs.filter(ESCALATED) if escalated else qs.exclude(ESCALATED)
    for field, lo, hi in (("created_at", created_from, created_to), ("closed_at", closed_from, closed_to)):
        if lo is not None:
            qs = qs.filter(**{f"{field}__gte": _day_start(lo)})
        if hi is not None:
            qs = qs.filter(**{f"{field}__lt": _day_start(hi + timedelta(days=1))})
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(number__startswith=q) | Q(title__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q)
        )
    return qs


def _day_start(day):
    from datetime import time

    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# Queue tabs. Each is a filter on top of the visible cases. "escalated": what a town center
# handed to the district, still listed for the town; "supervised" (被督办): open supervisions.
CENTER_TABS = ["new", "returned", "extensions", "due_soon", "overdue", "supervised", "escalated", "all"]
DEPARTMENT_TABS = ["to_sign", "in_progress", "overdue", "supervised", "done"]
REPORTER_TABS = ["mine", "area"]
# Every visible case (the home page's summary tiles open this tab with their filters).
VISIBLE_TAB = "visible"


def center_tab(qs: QuerySet[Case], tab: str, *, center_ids: list[int]) -> QuerySet[Case]:
    if tab == "escalated":
        # ESCALATED named as well (implied by the rest): it lets the planner use case_escalated_town.
        return qs.filter(ESCALATED, town_id__in=center_ids).exclude(center_id__in=center_ids)
    qs = qs.filter(center_id__in=center_ids)
    now = timezone.now()
    if tab == "supervised":
        return qs.filter(pk__in=Supervision.objects.filter(replied_at__isnull=True).values("case_id"))
    if tab == "new":
        return qs.filter(status=Status.REPORTED)
    if tab == "returned":
        return qs.filter(status=Status.ACCEPTED, return_count__gt=0)
    if tab == "extensions":
        return qs.filter(extensions__status=ExtensionStatus.PENDING)
    if tab == "due_soon":
        return qs.filter(next_deadline_at__gte=now, next_deadline_at__lt=now + timedelta(hours=24))
    if tab == "overdue":
        # Open statuses named (not "not closed"): the planner can then use the open-case indexes.
        return qs.filter(overdue=True, status__in=OPEN_STATUSES)
    return qs


def department_tab(qs: QuerySet[Case], tab: str, *, department_ids: list[int]) -> QuerySet[Case]:
    mine = Assignment.objects.filter(department_id__in=department_ids)
    if tab == "to_sign":
        return qs.filter(pk__in=mine.filter(status=AssignmentStatus.PENDING).values("case_id"))
    if tab == "in_progress":
        return qs.filter(pk__in=mine.filter(status=AssignmentStatus.SIGNED).values("case_id"))
    if tab == "overdue":
        return qs.filter(pk__in=mine.filter(overdue=True, status__in=ACTIVE_ASSIGNMENT_STATUSES).values("case_id"))
    if tab == "supervised":
        return qs.filter(
            pk__in=Supervision.objects.filter(replied_at__isnull=True, department_id__in=department_ids).values(
                "case_id"
            )
        )
    return qs.filter(
        pk__in=mine.filter(status__in=[AssignmentStatus.REPORTED, AssignmentStatus.HANDLED]).values("case_id")
    )


def possible_duplicates(
    user: User, *, category_id: int, lat: float, lng: float, exclude_id: int | None = None
) -> QuerySet[Case]:
    """Cases of the same category within about DUPLICATE_RADIUS_M metres in the last DUPLICATE_DAYS days.

    A bounding box on lat/lng is enough at this scale (the index is category + created_at)."""
    radius = settings.DUPLICATE_RADIUS_M
    dlat = radius / 111_320
    dlng = radius / (111_320 * max(cos(radians(lat)), 0.01))
    since = timezone.now() - timedelta(days=settings.DUPLICATE_DAYS)
    qs = cases_visible_to(user).filter(
        category_id=category_id,
        created_at__gte=since,
        lat__range=(lat - dlat, lat + dlat),
        lng__range=(lng - dlng, lng + dlng),
    )
    qs = qs.exclude(status__in=[Status.REJECTED, Status.MERGED])
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.select_related("category", "area").order_by("-created_at")[:10]


def departments_serving(case: Case):
    """Departments whose area is the case's area or one above it: the category's usual kinds of
    department first (the nearest first), then the others."""
    codes = [c for c in case.area_path.split("/") if c]
    usual = list(case.category.usual_department_kinds.values_list("pk", flat=True))
    return (
        Department.objects.filter(area__code__in=codes)
        .select_related("kind", "area")
        .annotate(usual=DbCase(When(kind_id__in=usual, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("usual", "-area__path", "code")
    )


class Clocks:
    """The one place that colours clocks, for the queue, the case page and the API.

    Reads the working calendar once for every clock it is given to `preload` (and today), so a
    page costs the same number of queries whichever cases it shows.
    """

    def __init__(self, now: datetime | None = None, calendar: WorkingCalendar | None = None) -> None:
        self.now = now or timezone.now()
        self.calendar = calendar or WorkingCalendar()

    def preload(self, moments: Iterable[datetime | None]) -> Clocks:
        present = [self.now, *(m for m in moments if m is not None)]
        self.calendar.preload(min(present), max(present))
        return self

    def of_case(self, case: Case) -> ClockColour:
        """The case's nearest running clock (red once the case is overdue)."""
        if case.overdue:
            return ClockColour.RED
        # From the dispatch, or (a center clock before any dispatch) from the report.
        return clock(case.dispatched_at or case.created_at, case.next_deadline_at, self.now, self.calendar)

    def of_stage(self, c: StageClock | None) -> ClockColour:
        """A center or reply clock: coloured while it runs (red once lapsed)."""
        if c is None or c.stopped_at is not None:
            return ClockColour.NONE
        if c.alert == "red":
            return ClockColour.RED
        return clock(c.started_at, c.deadline, self.now, self.calendar)

    def of_assignment(self, a: Assignment) -> ClockColour:
        """A department's running clock: sign-in while pending, handling while the lead works on it."""
        if a.overdue and a.active:
            return ClockColour.RED
        if a.status == AssignmentStatus.PENDING:
            return clock(a.dispatched_at, a.sign_deadline, self.now, self.calendar)
        if a.status == AssignmentStatus.SIGNED and a.role == AssignmentRole.LEAD:
            return clock(a.dispatched_at, a.handle_deadline, self.now, self.calendar)
        return ClockColour.NONE


# ---------------------------------------------------------------------------------------------
# Residents in the loop (issue 15): the private contact of a case, the repeat caller, the public page


def may_see_contact(user: User, case: Case) -> bool:
    """A caller's or submitter's full phone: the staff of the center over the case (who call back)
    and admins; everyone else who can see the case reads it masked."""
    scope = get_scope(user)
    return scope.is_admin or scope.covers(case.area_path, roles={Role.CENTER_STAFF})


def earlier_cases_of_caller(user: User, phone: str, *, limit: int = 10) -> QuerySet[Case]:
    """A repeat caller's earlier cases (by the phone they called from), among the cases the user sees."""
    if not phone:
        return Case.objects.none()
    return (
        cases_visible_to(user)
        .filter(contact__phone=phone)
        .select_related("category", "contact")
        .order_by("-created_at")[:limit]
    )


def case_by_tracking_code(code: str) -> Case | None:
    """The case behind a resident's tracking code (no login: the code is the key); None otherwise."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        return None
    return Case.objects.select_related("category", "contact").filter(contact__tracking_code=code).first()
