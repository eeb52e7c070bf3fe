"""The cases of field work, given to `grids.case_links` (grids may not import this app).

Registered in `disputes.apps`. Every read goes through `cases_visible_to`, so a patrol or
household page never shows a case its reader could not open.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from grids.case_links import CaseLink
from grids.models import Patrol, User

from .models import Case
from .selectors import cases_visible_to


def _link(case: Case, **extra) -> CaseLink:
    return CaseLink(
        id=case.pk,
        number=case.number,
        title=case.display_title,
        status=case.status,
        status_display=str(case.get_status_display()),
        url=reverse("case_detail", args=[case.pk]),
        **extra,
    )


def patrol_cases(user: User, patrol_ids: Iterable[int]) -> list[CaseLink]:
    cases = cases_visible_to(user).filter(patrol_id__in=list(patrol_ids)).select_related("category")
    return [_link(c, patrol_id=c.patrol_id) for c in cases.order_by("created_at", "id")]


def household_cases(user: User, household_ids: Iterable[int]) -> list[CaseLink]:
    """Cases that involve a member of these households (the residents named on the case)."""
    ids = list(household_ids)
    cases = (
        cases_visible_to(user)
        .filter(involved_residents__household_id__in=ids)
        .annotate(household_id=F("involved_residents__household_id"))
        .select_related("category")
        .order_by("-created_at", "id")
    )
    by_case: dict[int, tuple[Case, set[int]]] = {}
    for c in cases:
        by_case.setdefault(c.pk, (c, set()))[1].add(c.household_id)
    return [_link(c, household_ids=tuple(sorted(h))) for c, h in by_case.values()]


@transaction.atomic
def link_to_patrol(*, by: User, patrol: Patrol, case_ids: list[int]) -> int:
    """Cases reported offline during a patrol: only the caller's own, in the patrol's grid, not yet
    linked to another patrol."""
    ids = sorted(set(case_ids))
    cases = list(
        Case.objects.select_for_update().filter(pk__in=ids, reporter=by, area_path__startswith=patrol.area_path)
    )
    found = {c.pk for c in cases}
    missing = [i for i in ids if i not in found]
    taken = [c.pk for c in cases if c.patrol_id not in (None, patrol.pk)]
    if missing or taken:
        raise ValidationError(
            {
                "cases": [
                    _("事项 %(ids)s 不是您在本网格上报的,或已属于其他巡查")
                    % {"ids": ", ".join(map(str, missing + taken))}
                ]
            }
        )
    Case.objects.filter(pk__in=ids).update(patrol=patrol)
    Patrol.objects.filter(pk=patrol.pk).update(case_count=len(ids))
    return len(ids)
