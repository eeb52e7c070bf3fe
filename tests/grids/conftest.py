"""Resident helpers for the grids tests: valid ID numbers (GB 11643 check digit) on real micro-grids."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from stdnum.cn import ric

from grids.models import Area, Resident

_sequence = itertools.count(1)


def check_digit(body: str) -> str:
    """GB 11643 check digit of the first 17 digits (stdnum expects a placeholder last digit)."""
    return ric.calc_check_digit(body + "0")


def valid_id_number(birth: date = date(1980, 5, 17), region: str = "150207") -> str:
    """A resident ID number with a correct check digit and a unique sequence number."""
    seq = next(_sequence) % 1000
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def make_resident(micro_grid: Area, name: str = "张三", **extra) -> Resident:
    extra.setdefault("id_number", valid_id_number())
    extra.setdefault("phone", f"139{next(_sequence):08d}")
    extra.setdefault("birth_date", date(1980, 5, 17))
    return Resident.objects.create(name=name, micro_grid=micro_grid, area_path=micro_grid.path, **extra)


@pytest.fixture
def residents(world):
    """One resident under grid_a (with sensitive flags), one elsewhere in town 1, one in town 2."""
    t = world.t
    return {
        "a": make_resident(
            t.micro_of(t.grids[0])[0],
            name="王小明",
            phone="13912345678",
            special_population="community_correction",
            key_person=True,
        ),
        "town1": make_resident(t.micro_of(t.grids[1])[0], name="李四"),
        "b": make_resident(t.micro_of(t.grids[2])[0], name="赵六", key_person=True),
    }
