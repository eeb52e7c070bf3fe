"""Field work in the demo district (issue 16): buildings with units in the micro-grids, the demo
households placed in them, special-population follow-ups with helpers, and a year of patrols and
visits in the demo grids (grid_a's and grid_b's).

Deterministic (a seeded generator, moments relative to a fixed anchor before today) and
idempotent: buildings are identified by micro-grid and name, households already placed are left
alone, and a worker who already has patrols gets no more.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.utils import timezone

from grids.models import (
    Area,
    Building,
    FollowUp,
    Household,
    Membership,
    Patrol,
    PatrolPoint,
    Resident,
    Role,
    User,
    Visit,
    VisitPurpose,
)
from grids.services import FOLLOWED_POPULATIONS, _distance_m

SEED = 16
WEEKS = 52
# Community addresses read "…12号楼3单元502室" (governance/demo.py plans them).
FLAT = re.compile(r"(\d+)号楼(\d+)单元(\d+)室")
ROUTINE_PURPOSES = [VisitPurpose.ROUTINE, VisitPurpose.ROUTINE, VisitPurpose.POLICY, VisitPurpose.DISPUTE_CHECK]
NOTES = [
    "家中情况正常",
    "宣传防诈骗知识",
    "了解邻里关系,无矛盾",
    "核对常住人口",
    "提醒用电用气安全",
    "讲解医保缴费政策",
]


def seed_demo_field(*, progress: Callable[[str], None]) -> dict[str, int]:
    """Seed the field-work part of the demo; returns how many rows of each kind it created."""
    created = {"buildings": _buildings(progress)}
    workers = _demo_workers()
    created["follow_ups"] = _follow_ups(workers, progress)
    patrols, visits = _patrols(workers, progress)
    created["patrols"], created["visits"] = patrols, visits
    return created


def _buildings(progress) -> int:
    """Every community household gets its building (with units), unit and room from its address;
    one in twelve is a rental, and its members are floating population."""
    rng = random.Random(SEED)
    households = list(Household.objects.filter(building__isnull=True).order_by("number"))
    wanted: dict[tuple[int, str], int] = {}
    parsed: dict[int, tuple[str, str, str]] = {}
    for h in households:
        match = FLAT.search(h.address)
        if not match:
            continue
        name, unit, room = f"{match[1]}号楼", f"{match[2]}单元", f"{match[3]}室"
        parsed[h.pk] = (name, unit, room)
        key = (h.micro_grid_id, name)
        wanted[key] = max(wanted.get(key, 1), int(match[2]))
    if not parsed:
        progress("field work: buildings already placed")
        return 0
    existing = {
        (b.micro_grid_id, b.name): b
        for b in Building.objects.filter(micro_grid_id__in={k[0] for k in wanted}, name__in={k[1] for k in wanted})
    }
    new = [
        Building(micro_grid_id=micro, name=name, units=max(units, 6))
        for (micro, name), units in sorted(wanted.items())
        if (micro, name) not in existing
    ]
    Building.objects.bulk_create(new, batch_size=500)
    existing |= {(b.micro_grid_id, b.name): b for b in new}
    placed, floating = [], []
    for h in households:
        if h.pk not in parsed:
            continue
        name, h.unit, h.room = parsed[h.pk]
        h.building = existing[(h.micro_grid_id, name)]
        h.rental = rng.random() < 1 / 12
        if h.rental:
            floating.append(h.pk)
        placed.append(h)
    Household.objects.bulk_update(placed, ["building", "unit", "room", "rental"], batch_size=500)
    Resident.objects.filter(household_id__in=floating).update(floating=True)
    progress(f"field work: {len(new)} buildings, {len(placed)} households placed in them")
    return len(new)


def _demo_workers() -> list[tuple[User, Area]]:
    memberships = Membership.objects.filter(
        user__username__in=["grid_a", "grid_b"], role=Role.GRID_WORKER
    ).select_related("user", "area")
    return sorted(((m.user, m.area) for m in memberships), key=lambda pair: pair[0].username)


def _anchor() -> datetime:
    """Yesterday 09:00 local: the last demo patrol; everything else counts back from it."""
    today = timezone.localdate()
    return timezone.make_aware(datetime.combine(today - timedelta(days=1), time(9, 0)))


def _follow_ups(workers, progress) -> int:
    """The followed special populations in the demo grids, each with its grid worker as helper.
    The first one's visit has lapsed, so the sweep has something to warn about."""
    rows = []
    anchor = _anchor()
    for worker, grid in workers:
        people = Resident.objects.filter(
            area_path__startswith=grid.path, special_population__in=FOLLOWED_POPULATIONS, follow_up__isnull=True
        ).order_by("id")
        for i, person in enumerate(people):
            frequency = 30 if i % 2 == 0 else 14
            last = anchor - timedelta(days=frequency + 5 if i == 0 else 3)
            rows.append(
                FollowUp(
                    resident=person,
                    helper=worker,
                    frequency_days=frequency,
                    area_path=person.area_path,
                    last_visit_at=last,
                    next_due_at=last + timedelta(days=frequency),
                )
            )
    FollowUp.objects.bulk_create(rows)
    if rows:
        progress(f"field work: {len(rows)} special-population follow-ups")
    return len(rows)


def _patrols(workers, progress) -> tuple[int, int]:
    """A year of patrols (five a week) with tracks and visits, for each demo grid worker."""
    rng = random.Random(SEED + 1)
    anchor = _anchor()
    made_patrols = made_visits = 0
    for worker, grid in workers:
        if Patrol.objects.filter(worker=worker).exists():
            continue
        households = list(Household.objects.filter(area_path__startswith=grid.path).values_list("pk", "area_path"))
        followed = list(
            FollowUp.objects.filter(area_path__startswith=grid.path).values_list("resident_id", "area_path")
        )
        lat0, lng0 = grid.centroid_lat or 40.6, grid.centroid_lng or 109.9
        patrols, plans = [], []
        for day in range(WEEKS * 7):
            moment = anchor - timedelta(days=day)
            if timezone.localtime(moment).weekday() >= 5:
                continue  # weekdays only
            start = moment + timedelta(minutes=rng.randrange(0, 90))
            minutes = rng.randrange(35, 110)
            track, lat, lng = [], lat0, lng0
            for step in range(minutes // 6):
                lat += rng.uniform(-0.0006, 0.0006)
                lng += rng.uniform(-0.0008, 0.0008)
                track.append((lat, lng, start + timedelta(minutes=step * 6)))
            visit_count = rng.choice((0, 1, 1, 2, 3)) if households else 0
            patrols.append(
                Patrol(
                    worker=worker,
                    grid=grid,
                    area_path=grid.path,
                    started_at=start,
                    ended_at=start + timedelta(minutes=minutes),
                    nothing_found=visit_count == 0,
                    distance_m=_distance_m([(p[0], p[1]) for p in track]),
                    created_at=start,
                )
            )
            plans.append((track, visit_count, start))
        Patrol.objects.bulk_create(patrols, batch_size=500)
        points, visits = [], []
        for patrol, (track, visit_count, start) in zip(patrols, plans, strict=True):
            points += [PatrolPoint(patrol=patrol, lat=lat, lng=lng, at=at) for lat, lng, at in track]
            for v in range(visit_count):
                household_id, path = rng.choice(households)
                visits.append(
                    Visit(
                        by=worker,
                        patrol=patrol,
                        household_id=household_id,
                        area_path=path,
                        purpose=rng.choice(ROUTINE_PURPOSES),
                        note=rng.choice(NOTES),
                        visited_at=start + timedelta(minutes=10 + 12 * v),
                    )
                )
        # Follow-up visits every fortnight for the followed people of the grid.
        household_of = dict(Resident.objects.filter(pk__in=[r for r, _ in followed]).values_list("pk", "household_id"))
        for resident_id, path in followed:
            for k in range(1, WEEKS // 2):
                visits.append(
                    Visit(
                        by=worker,
                        resident_id=resident_id,
                        household_id=household_of[resident_id],
                        area_path=path,
                        purpose=VisitPurpose.FOLLOW_UP,
                        note="帮教谈话,情况稳定",
                        visited_at=anchor - timedelta(days=14 * k + 20),
                    )
                )
        PatrolPoint.objects.bulk_create(points, batch_size=2000)
        Visit.objects.bulk_create(visits, batch_size=1000)
        made_patrols += len(patrols)
        made_visits += len(visits)
    if made_patrols:
        progress(f"field work: {made_patrols} patrols and {made_visits} visits over {WEEKS} weeks")
    return made_patrols, made_visits
