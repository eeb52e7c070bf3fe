"""Visibility: which personas see which areas, departments and residents."""

import pytest

from grids.models import Role
from grids.selectors import (
    areas_visible_to,
    can_see_sensitive,
    departments_visible_to,
    get_scope,
    residents_visible_to,
    team_of,
)
from grids.services import membership_grant

pytestmark = pytest.mark.django_db


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_grid_worker_sees_own_grid_subtree_only(world):
    t = world.t
    grid = t.grids[0]
    assert codes(areas_visible_to(world.grid_a)) == {grid.code, *(m.code for m in t.micro_of(grid))}


def test_town_center_sees_town_subtree(world):
    visible = areas_visible_to(world.center_town)
    assert world.town1.pk in set(visible.values_list("pk", flat=True))
    assert not visible.filter(path__startswith=world.town2.path).exists()
    assert not visible.filter(pk=world.t.district.pk).exists()


def test_official_and_admin_see_everything(world):
    total = 1 + 2 + 2 + 4 + 8
    assert areas_visible_to(world.official).count() == total
    assert areas_visible_to(world.admin).count() == total


def test_outsider_sees_nothing(world, residents):
    assert not areas_visible_to(world.outsider).exists()
    assert not departments_visible_to(world.outsider).exists()
    assert not residents_visible_to(world.outsider).exists()
    assert get_scope(world.outsider).home_area() is None


def test_department_staff_see_their_area_and_departments_but_no_residents(world, residents):
    assert world.town1.pk in set(areas_visible_to(world.dept_police).values_list("pk", flat=True))
    assert not areas_visible_to(world.dept_police).filter(pk=world.town2.pk).exists()
    depts = codes(departments_visible_to(world.dept_police))
    assert {"police-1", "urban-1", "judicial-1"} <= depts
    assert "police-2" not in depts
    assert not residents_visible_to(world.dept_police).exists()


def test_grid_worker_sees_departments_serving_above_their_grid(world):
    depts = codes(departments_visible_to(world.grid_a))
    assert depts == {"police-1", "urban-1", "judicial-1"}
    assert codes(departments_visible_to(world.grid_b)) == {"police-2"}


def test_residents_visible_by_area(world, residents):
    assert set(residents_visible_to(world.grid_a)) == {residents["a"]}
    assert set(residents_visible_to(world.center_town)) == {residents["a"], residents["town1"]}
    assert set(residents_visible_to(world.center_town2)) == {residents["b"]}
    assert set(residents_visible_to(world.official)) == set(residents.values())


def test_sensitive_data_only_for_grid_and_center_roles_in_their_area(world, residents):
    a, b = residents["a"], residents["b"]
    assert can_see_sensitive(world.grid_a, a)
    assert can_see_sensitive(world.center_town, a)
    assert can_see_sensitive(world.center_district, b)
    assert can_see_sensitive(world.admin, b)
    assert not can_see_sensitive(world.grid_b, a)
    assert not can_see_sensitive(world.center_town2, a)
    for persona in ("official", "mediator", "legal", "dept_police", "outsider"):
        assert not can_see_sensitive(getattr(world, persona), a), persona


def test_team_of_grid_includes_the_people_above_but_not_officials(world):
    grid = world.t.grids[0]
    membership_grant(user=world.outsider, role=Role.GRID_CHIEF, area=grid, team_role="网格长")
    usernames = {m.user.username for m in team_of(grid)}
    assert {"grid_a", "center_town", "center_district", "mediator", "legal", "outsider"} <= usernames
    assert "official" not in usernames
    assert "grid_b" not in usernames
