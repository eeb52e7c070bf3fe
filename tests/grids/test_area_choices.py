"""The list pages' area filter: cached per scope, forgotten as soon as the territory changes."""

import pytest

from grids.models import Level
from grids.selectors import area_choices_for

pytestmark = pytest.mark.django_db

LEVELS = [Level.DISTRICT, Level.TOWN, Level.VILLAGE, Level.GRID]


def test_choices_are_the_scopes_areas_and_a_second_read_costs_no_query(world, django_assert_num_queries):
    first = area_choices_for(world.center_town, LEVELS)
    names = {name for _pk, name in first}
    assert world.town1.name in names and world.t.villages[0].name in names
    assert world.town2.name not in names and world.t.villages[1].name not in names  # not theirs
    with django_assert_num_queries(0):
        assert area_choices_for(world.center_town, LEVELS) == first
    assert area_choices_for(world.outsider, LEVELS) == []


def test_a_renamed_area_shows_at_once_on_the_queue(world, browser_client):
    client = browser_client(world.center_town)
    village = world.t.villages[0]
    assert village.name in client.get("/cases/").content.decode()
    village.name = "改名后的社区"
    village.save()
    page = client.get("/cases/").content.decode()
    assert "改名后的社区" in page


def test_people_with_another_scope_do_not_share_the_list(world):
    town1 = {pk for pk, _n in area_choices_for(world.center_town, LEVELS)}
    town2 = {pk for pk, _n in area_choices_for(world.center_town2, LEVELS)}
    assert world.town1.pk in town1 and world.town2.pk in town2 and not town1 & town2
