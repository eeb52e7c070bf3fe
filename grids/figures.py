"""Field-work figures (巡查走访): patrols per grid and week, grids not patrolled this week, visits
due and overdue. A constant number of aggregate queries on indexed columns, whatever the area."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .field_models import FollowUp, Patrol, Visit
from .models import Area, Level, User
from .selectors import SENSITIVE_ROLES, areas_visible_to, get_scope

DUE_SOON_DAYS = 7
WEEKS = 8


def week_start(now: datetime | None = None) -> date:
    today = timezone.localdate(now or timezone.now())
    return today - timedelta(days=today.weekday())


def _moment(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def grids_not_patrolled(*, area: Area, user: User, now: datetime | None = None) -> QuerySet[Area]:
    """Grids under `area` (or the grid itself) with no patrol started since Monday."""
    since = _moment(week_start(now))
    patrolled = Patrol.objects.filter(grid_id=OuterRef("pk"), started_at__gte=since)
    return (
        areas_visible_to(user)
        .filter(level=Level.GRID, path__startswith=area.path)
        .exclude(Exists(patrolled))
        .order_by("code")
    )


def patrol_figures(*, area: Area, start: date, end: date, user: User, now: datetime | None = None) -> dict:
    """The dashboard's `patrols` block for `area` and [start, end] (dates inclusive)."""
    now = now or timezone.now()
    monday = week_start(now)
    first_week = monday - timedelta(weeks=WEEKS - 1)
    in_area = Q(area_path__startswith=area.path)
    period = Q(started_at__gte=_moment(start), started_at__lt=_moment(end + timedelta(days=1)))
    week_filters = {
        f"w{i}": Count(
            "id",
            filter=Q(
                started_at__gte=_moment(first_week + timedelta(weeks=i)),
                started_at__lt=_moment(first_week + timedelta(weeks=i + 1)),
            ),
        )
        for i in range(WEEKS)
    }
    counts = Patrol.objects.filter(in_area).aggregate(
        patrols=Count("id", filter=period),
        nothing_found=Count("id", filter=period & Q(nothing_found=True)),
        **week_filters,
    )
    since = _moment(monday)
    patrolled = Exists(Patrol.objects.filter(grid_id=OuterRef("pk"), started_at__gte=since))
    grid_counts = (
        areas_visible_to(user)
        .filter(level=Level.GRID, path__startswith=area.path)
        .aggregate(total=Count("id"), not_patrolled=Count("id", filter=~Q(patrolled)))
    )
    grids_total, not_patrolled = grid_counts["total"], grid_counts["not_patrolled"]
    visits = Visit.objects.filter(
        in_area, visited_at__gte=_moment(start), visited_at__lt=_moment(end + timedelta(days=1))
    ).count()
    query = f"?area={area.pk}"
    period_query = f"{query}&from={start.isoformat()}&to={end.isoformat()}"
    block = {
        "patrols": counts["patrols"],
        "grids_not_patrolled": not_patrolled,
        "grids": grids_total,
        "nothing_found": counts["nothing_found"],
        "visits": visits,
        "weeks": [
            {
                "week": (first_week + timedelta(weeks=i)).isoformat(),
                "patrols": counts[f"w{i}"],
                "url": reverse("patrol_list")
                + f"{query}&from={(first_week + timedelta(weeks=i)).isoformat()}"
                + f"&to={(first_week + timedelta(weeks=i, days=6)).isoformat()}",
            }
            for i in range(WEEKS)
        ],
        "visits_due": None,
        "visits_overdue": None,
        "links": {
            "patrols": reverse("patrol_list") + period_query,
            "grids_not_patrolled": reverse("unpatrolled_grids") + query,
        },
    }
    # Follow-up figures only for those who may open the list they count (帮教 is sensitive).
    if get_scope(user).covers(area.path, roles=SENSITIVE_ROLES):
        due = FollowUp.objects.filter(in_area, active=True).aggregate(
            overdue=Count("id", filter=Q(next_due_at__lt=now)),
            due=Count("id", filter=Q(next_due_at__gte=now, next_due_at__lt=now + timedelta(days=DUE_SOON_DAYS))),
        )
        block["visits_due"], block["visits_overdue"] = due["due"], due["overdue"]
        block["links"]["visits_due"] = reverse("follow_up_list") + f"{query}&state=due"
        block["links"]["visits_overdue"] = reverse("follow_up_list") + f"{query}&state=overdue"
    return block
