"""Cases per source on the dashboard: grid worker, resident, hotline, Open311."""

import pytest

from disputes import services
from disputes.models import Open311Client

pytestmark = pytest.mark.django_db


def test_the_dashboard_counts_cases_by_source(world, categories, report, api, browser_client):
    micro = world.t.micro_grids[0]
    report()  # grid worker
    services.case_report_public(
        category=categories.road, description="x", lat=micro.centroid_lat, lng=micro.centroid_lng
    )
    services.case_log_call(
        by=world.center_town,
        caller_name="",
        caller_phone="13912345678",
        hotline_ticket="T-1",
        category=categories.road,
        description="来电",
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
    )
    client = Open311Client(name="x")
    client.set_key("k" * 20)
    client.save()
    for _ in range(2):
        services.case_submit_open311(
            client=client, category=categories.road, description="y", lat=micro.centroid_lat, lng=micro.centroid_lng
        )
    body = api(world.center_town).get("/api/v1/dashboard/", {"area": world.town1.pk}).json()
    assert body["sources"] == {"grid_worker": 1, "resident": 1, "hotline": 1, "open311": 2, "patrol": 0}
    # Town 2 sees none of town 1's cases.
    body2 = api(world.center_town2).get("/api/v1/dashboard/", {"area": world.town2.pk}).json()
    assert sum(body2["sources"].values()) == 0
    page = browser_client(world.center_town).get("/dashboard/").content.decode()
    assert 'data-testid="sources"' in page
    assert api(world.outsider).get("/api/v1/dashboard/", {"area": world.town1.pk}).status_code == 404


def test_admin_creates_an_open311_client_and_shows_the_key_once(world, browser_client):
    c = browser_client(world.admin)
    r = c.post(
        "/admin/disputes/open311client/add/",
        {"name": "12345 市平台", "active": "on", "requests_per_minute": 30, "new_key": ""},
        follow=True,
    )
    assert r.status_code == 200
    stored = Open311Client.objects.get()
    shown = [str(m) for m in r.context["messages"]]
    key = shown[0].split(":")[-1].strip()
    assert len(key) >= 24 and stored.key_hash == Open311Client.hash_key(key)
    assert key not in stored.key_hash
    assert browser_client(world.outsider).get("/admin/disputes/open311client/").status_code == 302
