"""Legal-services fixtures on top of the personas (tests/conftest.py): `legal` works in town 1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from legal_services.models import EligibilityRule, Lawyer, MatterKind, RuleKind, SpecialGroup
from legal_services.services import lawyer_register, savvy_register
from tests.grids.conftest import make_resident


@pytest.fixture
def legal_world(world):
    t = world.t
    village1, village2 = t.villages
    r1 = make_resident(t.micro_of(t.grids[0])[0], name="王法明")
    r2 = make_resident(t.micro_of(t.grids[1])[0], name="李守法")
    r3 = make_resident(t.micro_of(t.grids[2])[0], name="赵二街")
    adviser = lawyer_register(
        by=world.legal,
        name="陈律师",
        firm="九原律师事务所",
        licence_no="11502201010000001",
        area=world.town1,
        villages=[village1],
        term_from=date(2026, 1, 1),
        term_to=date(2027, 12, 31),
        duty_hours="每周三 9:00-12:00",
    )
    other = Lawyer.objects.create(
        name="二街律师", firm="二街所", licence_no="2", area=world.town2, area_path=world.town2.path
    )
    savvy = savvy_register(by=world.legal, resident=r1, village=village1)
    EligibilityRule.objects.create(kind=RuleKind.INCOME, name="低收入标准", income_threshold=Decimal("1500"))
    EligibilityRule.objects.create(kind=RuleKind.MATTER, name="追索劳动报酬", matter=MatterKind.WAGES)
    EligibilityRule.objects.create(kind=RuleKind.MATTER, name="婚姻家庭", matter=MatterKind.MARRIAGE_FAMILY)
    EligibilityRule.objects.create(kind=RuleKind.SPECIAL_GROUP, name="老年人", special_group=SpecialGroup.ELDERLY)
    return SimpleNamespace(
        village1=village1, village2=village2, r1=r1, r2=r2, r3=r3, adviser=adviser, other=other, savvy=savvy
    )
