"""Mediation fixtures on top of the named personas (tests/conftest.py).

- town1's people's mediation committee, where `mediator` mediates (as in the demo);
- town2's committee with `mediator2`; a district labour committee (specialised, labour only);
- `dept_judicial`: staff of town 1's judicial office (司法所);
- residents in one building of grid_a's micro-grid, and one elsewhere.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from disputes.mediation.models import MediationOrg, Mediator, OrgKind
from grids.models import Building, Household, Resident, Role
from grids.services import membership_grant
from tests.conftest import make_user


def _org(code, name, kind, area, handles=()):
    return MediationOrg.objects.create(
        code=code, name=name, kind=kind, area=area, area_path=area.path, handles=list(handles)
    )


def _resident(n: int, name: str, micro, household=None, **extra):
    return Resident.objects.create(
        name=name,
        id_number=f"15020719800101{n:03d}X"[-18:],
        phone=f"1380000{n:04d}",
        micro_grid=micro,
        area_path=micro.path,
        household=household,
        **extra,
    )


@pytest.fixture
def med(world):
    t = world.t
    committee1 = _org("tc-1", "一街人民调解委员会", OrgKind.TOWN_COMMITTEE, world.town1)
    committee2 = _org("tc-2", "二街人民调解委员会", OrgKind.TOWN_COMMITTEE, world.town2)
    labour = _org("labour", "劳动争议调解委员会", OrgKind.SPECIALISED, t.district, handles=["labour"])
    Mediator.objects.create(user=world.mediator, organisation=committee1, full_time=True, qualification="二级调解员")
    mediator2 = make_user("mediator2")
    membership_grant(user=mediator2, role=Role.MEDIATOR, area=world.town2)
    Mediator.objects.create(user=mediator2, organisation=committee2)
    judicial = make_user("dept_judicial")
    membership_grant(user=judicial, role=Role.DEPARTMENT_STAFF, department=world.judicial1)

    micro = t.micro_grids[0]
    building = Building.objects.create(micro_grid=micro, name="幸福小区3号楼")
    upstairs = Household.objects.create(number="H-301", micro_grid=micro, building=building)
    downstairs = Household.objects.create(number="H-201", micro_grid=micro, building=building)
    zhang = _resident(1, "张三", micro, upstairs)
    li = _resident(2, "李四", micro, downstairs)
    wang = _resident(3, "王五", micro, downstairs)
    zhao = _resident(4, "赵六", t.micro_grids[1])
    return SimpleNamespace(
        committee1=committee1,
        committee2=committee2,
        labour=labour,
        mediator2=mediator2,
        judicial=judicial,
        building=building,
        zhang=zhang,
        li=li,
        wang=wang,
        zhao=zhao,
    )


@pytest.fixture
def new_dispute(world, med):
    """new_dispute(by=..., **fields) registers a neighbour dispute through the service."""
    from disputes.mediation.services import dispute_create

    def make(by=None, **extra):
        parties = extra.pop(
            "parties",
            [{"role": "applicant", "resident": med.li}, {"role": "respondent", "resident": med.zhang}],
        )
        micro = world.t.micro_grids[0]
        return dispute_create(
            by=by or world.grid_a,
            kind=extra.pop("kind", "neighbour"),
            summary=extra.pop("summary", "楼上卫生间漏水,楼下天花板受损,双方争执"),
            source=extra.pop("source", "grid_worker"),
            lat=extra.pop("lat", micro.centroid_lat),
            lng=extra.pop("lng", micro.centroid_lng),
            parties=parties,
            **extra,
        )

    return make


@pytest.fixture
def mediating(world, med, new_dispute):
    """A dispute assigned to town 1's committee and accepted by `mediator`."""
    from disputes.mediation import services

    def make(**extra):
        d = new_dispute(**extra)
        d = services.dispute_assign(
            dispute=d, by=world.center_town, organisation=med.committee1, mediator=world.mediator
        )
        return services.dispute_accept(dispute=d, by=world.mediator)

    return make
