"""The vector base map: generated streets, buildings and landmarks, served as GeoJSON by bounding box."""

import time

import pytest
from django.core.cache import cache

from governance.demo import plan_territory
from governance.demo_map import plan_map_features, seed_map_features
from grids.models import MapFeature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_generation_is_fast_idempotent_and_inside_the_territory():
    planned = plan_territory()
    started = time.monotonic()
    created = seed_map_features(planned, lambda m: None)
    assert time.monotonic() - started < 10
    assert created == MapFeature.objects.count() == len(plan_map_features(planned))
    kinds = set(MapFeature.objects.values_list("kind", flat=True))
    assert kinds == {"street", "building", "landmark"}
    assert seed_map_features(planned, lambda m: None) == 0
    district = planned[0].rect
    assert MapFeature.objects.filter(min_lng__lt=district[0]).count() == 0
    assert MapFeature.objects.filter(max_lat__gt=district[3]).count() == 0


def _seed_one_grid(grid_rect):
    from types import SimpleNamespace

    grid = SimpleNamespace(code="G1", level="grid", parent_code="V1", rect=grid_rect, name="一号网格", kind="")
    village = SimpleNamespace(
        code="V1", level="village", parent_code=None, rect=grid_rect, name="试验村", kind="village"
    )
    seed_map_features([village, grid], lambda m: None)


def test_features_by_bounding_box(world, api, django_assert_max_num_queries):
    micro = world.t.micro_grids[0]
    lat, lng = micro.centroid_lat, micro.centroid_lng
    _seed_one_grid((lng - 0.005, lat - 0.004, lng + 0.005, lat + 0.004))
    bbox = f"{lng - 0.01},{lat - 0.01},{lng + 0.01},{lat + 0.01}"
    client = api(world.grid_a)
    r = client.get("/api/v1/map-features/", {"bbox": bbox})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["type"] == "FeatureCollection"
    kinds = sorted({f["properties"]["kind"] for f in body["features"]})
    assert kinds == ["building", "landmark", "street"]
    assert any(f["properties"]["name"] == "试验村村委会" for f in body["features"])
    assert "max-age" in r["Cache-Control"]
    # Cached: a second identical request does not query the features again.
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/map-features/", {"bbox": bbox}).json() == body
    # Far away: nothing.
    far = client.get("/api/v1/map-features/", {"bbox": "100,30,100.05,30.05"}).json()
    assert far["features"] == []


def test_bad_or_huge_bounding_box_is_a_field_error(world, api):
    client = api(world.grid_a)
    for bbox in ["", "1,2,3", "a,b,c,d", "110,40,109,41", "109,40,109.5,40.3"]:
        r = client.get("/api/v1/map-features/", {"bbox": bbox})
        assert r.status_code == 400 and "bbox" in r.json(), bbox


def test_outsider_gets_404(world, api):
    r = api(world.outsider).get("/api/v1/map-features/", {"bbox": "109.8,40.5,109.85,40.55"})
    assert r.status_code == 404
    assert api().get("/api/v1/map-features/", {"bbox": "109.8,40.5,109.85,40.55"}).status_code in (401, 403)
