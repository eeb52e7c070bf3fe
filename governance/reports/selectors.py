"""Who reads which reports. Territory comes from `grids.selectors`, as everywhere."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length

from grids.models import Area, Level, Role, User
from grids.selectors import areas_visible_to, get_scope

from ..models import Report

# Reports describe how a whole area performs: for those who lead or run it, not for the departments
# and grid workers who are judged by it (they see their own cases elsewhere).
READER_ROLES = frozenset({Role.OFFICIAL, Role.CENTER_STAFF})
REPORT_LEVELS = (Level.DISTRICT, Level.TOWN)


def reports_visible_to(user: User) -> QuerySet[Report]:
    """Reports of the areas the user reads as an official or center staff (admins: all).

    Territory comes from `areas_visible_to`, as everywhere; on top of it only the reader roles
    count, so a department serving a town, or a grid worker in it, does not see the town's report.
    """
    scope = get_scope(user)
    return Report.objects.filter(area__in=areas_visible_to(user)).filter(scope.path_q("area__path", roles=READER_ROLES))


def report_areas_for(user: User) -> QuerySet[Area]:
    """The district and towns whose reports the user reads, widest first."""
    scope = get_scope(user)
    return (
        areas_visible_to(user)
        .filter(level__in=REPORT_LEVELS)
        .filter(scope.path_q("path", roles=READER_ROLES))
        .order_by(Length("path"), "path")
    )


def can_generate(user: User) -> bool:
    """Center staff, officials and admins may (re)generate a past period on demand."""
    scope = get_scope(user)
    return scope.is_admin or scope.has_role(*READER_ROLES)
