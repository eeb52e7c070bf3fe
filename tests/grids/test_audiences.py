"""Who hears about what (grids/audiences.py), decided from memberships in one place."""

import pytest

from grids import audiences

pytestmark = pytest.mark.django_db


def names(users):
    return sorted(u.username for u in users)


def test_a_dispatch_tells_the_departments_and_other_steps_the_center(world):
    departments = [world.police1.pk, world.urban1.pk]
    assert names(audiences.case_step("dispatch", center_id=world.town1.pk, department_ids=departments)) == [
        "dept_police",
        "dept_urban",
    ]
    assert names(audiences.case_step("handle", center_id=world.town1.pk)) == ["center_town"]
    # The person who acted is not told of their own step.
    assert audiences.case_step("return", center_id=world.town1.pk, by=world.center_town) == []
    with pytest.raises(ValueError):
        audiences.case_step("gossip", center_id=world.town1.pk)


def test_a_report_is_read_by_the_officials_above_and_its_own_center(world):
    assert names(audiences.report_readers(world.town1)) == ["center_town", "official"]
    assert names(audiences.report_readers(world.t.district)) == ["center_district", "official"]


def test_red_lapses_reach_the_centers_and_the_officials_above_the_case(world, django_assert_max_num_queries):
    grid = world.t.micro_grids[0]
    with django_assert_max_num_queries(1):
        overseers = audiences.Overseers(
            department_ids=[world.police1.pk], center_ids=[world.town1.pk, world.t.district.pk], area_paths=[grid.path]
        )
    assert names(overseers.yellow(world.police1.pk)) == ["dept_police"]
    assert names(overseers.red_overseers(area_path=grid.path, center_ids=[world.town1.pk])) == [
        "center_town",
        "official",
    ]
    assert audiences.needs_digest(audiences.DIGEST_AFTER + 1) and not audiences.needs_digest(audiences.DIGEST_AFTER)
