"""The cache is an optimisation: with Redis out of reach, pages that read cached figures still
answer (computed), and writes that forget cached figures still succeed."""

import pytest

from grids.models import Level
from grids.selectors import area_choices_for
from legal_services.figures import population

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: refused at once
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def no_cache(settings):
    settings.CACHES = UNREACHABLE


def test_area_choices_and_population_are_computed_without_the_cache(world, no_cache):
    names = {name for _pk, name in area_choices_for(world.center_town, [Level.TOWN, Level.VILLAGE])}
    assert world.town1.name in names
    assert population(world.town1.path) == 0  # the test territory registers no residents


def test_the_queue_and_a_territory_change_work_without_the_cache(world, no_cache, browser_client):
    village = world.t.villages[0]
    village.name = "无缓存时改名"
    village.save()  # forgetting the cached choices fails quietly
    page = browser_client(world.center_town).get("/cases/")
    assert page.status_code == 200 and "无缓存时改名" in page.content.decode()
