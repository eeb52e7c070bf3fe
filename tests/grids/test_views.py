"""Server-rendered pages: area browser, grid team, residents, notifications, login, language."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids.models import Level, Notification, Role
from grids.services import area_create, membership_grant
from grids.validators import mask
from tests.conftest import PASSWORD
from tests.grids.conftest import make_resident

pytestmark = pytest.mark.django_db


def get_ok(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        get_ok(client, url)
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- anonymous and out of scope


def page_urls(world, residents, notification) -> list[str]:
    grid = world.t.grids[0]
    return [
        reverse("area_browser"),
        reverse("area_detail", args=[grid.pk]),
        reverse("grid_team", args=[grid.pk]),
        reverse("resident_list"),
        reverse("resident_detail", args=[residents["a"].pk]),
        reverse("notifications"),
        reverse("password_change"),
    ]


def test_anonymous_is_sent_to_login(world, residents):
    notification = Notification.objects.create(recipient=world.grid_a, kind="x", title="t")
    anon = Client()
    for url in page_urls(world, residents, notification):
        response = anon.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    response = anon.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_out_of_scope_pages_are_404(world, residents, browser_client):
    town1_grid = world.t.grids[0]
    cases = [
        ("grid_b", reverse("area_detail", args=[town1_grid.pk])),
        ("grid_b", reverse("grid_team", args=[town1_grid.pk])),
        ("grid_b", reverse("resident_detail", args=[residents["a"].pk])),
        ("grid_a", reverse("area_detail", args=[world.t.district.pk])),
        ("center_town2", reverse("area_detail", args=[world.town1.pk])),
        ("center_town2", reverse("resident_detail", args=[residents["a"].pk])),
        ("dept_police", reverse("resident_detail", args=[residents["a"].pk])),
        ("dept_police2", reverse("area_detail", args=[world.town1.pk])),
        ("official", reverse("area_detail", args=[999999])),
    ]
    for persona in ("outsider",):
        for url in (
            reverse("area_detail", args=[town1_grid.pk]),
            reverse("grid_team", args=[town1_grid.pk]),
            reverse("resident_detail", args=[residents["a"].pk]),
        ):
            cases.append((persona, url))
    for persona, url in cases:
        response = browser_client(getattr(world, persona)).get(url)
        assert response.status_code == 404, (persona, url)


def test_outsider_gets_empty_pages(world, residents, browser_client):
    client = browser_client(world.outsider)
    response = get_ok(client, reverse("area_browser"))
    assert "尚未分配" in response.content.decode()
    response = get_ok(client, reverse("resident_list"))
    assert response.context["rows"] == []
    assert residents["a"].name not in response.content.decode()


# ---------------------------------------------------------------- areas


def test_area_browser_redirects_to_home_area(world, browser_client):
    expected = {
        "grid_a": world.t.grids[0],
        "center_town": world.town1,
        "official": world.t.district,
        "admin": world.t.district,
        "dept_police": world.town1,
    }
    for persona, area in expected.items():
        response = browser_client(getattr(world, persona)).get(reverse("area_browser"))
        assert response.status_code == 302, persona
        assert response.url == reverse("area_detail", args=[area.pk]), persona


def test_area_detail_shows_breadcrumb_children_counts_departments_and_map(world, residents, browser_client):
    village = world.t.villages[0]
    grid1, grid2 = world.t.grids[0], world.t.grids[1]
    make_resident(world.t.micro_of(grid1)[1], name="第二位")
    response = get_ok(browser_client(world.official), reverse("area_detail", args=[village.pk]))
    html = response.content.decode()
    children = {c.pk: c for c in response.context["children"]}
    assert set(children) == {grid1.pk, grid2.pk}
    assert children[grid1.pk].children_count == 2
    assert children[grid1.pk].residents_count == 2  # residents["a"] and 第二位
    assert children[grid2.pk].residents_count == 1  # residents["town1"]
    assert response.context["residents_total"] == 3
    assert [c["area"].pk for c in response.context["breadcrumb"]] == [world.t.district.pk, world.town1.pk]
    assert {d.code for d in response.context["departments"]} == {"police-1", "urban-1", "judicial-1"}
    assert reverse("area_detail", args=[grid1.pk]) in html
    assert 'class="breadcrumb"' in html
    # The map: local Leaflet, no tile server, data in a json_script tag.
    assert "vendor/leaflet/leaflet.js" in html and "js/areamap.js" in html
    assert "tile" not in html.lower()
    data = json.loads(re.search(r'<script id="area-map-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert data["area"]["properties"]["id"] == village.pk
    assert {f["properties"]["url"] for f in data["children"]} == {
        reverse("area_detail", args=[grid1.pk]),
        reverse("area_detail", args=[grid2.pk]),
    }


def test_grid_worker_breadcrumb_does_not_link_out_of_scope_ancestors(world, browser_client):
    micro = world.t.micro_of(world.t.grids[0])[0]
    response = get_ok(browser_client(world.grid_a), reverse("area_detail", args=[micro.pk]))
    links = {c["area"].pk: c["link"] for c in response.context["breadcrumb"]}
    assert links[world.t.grids[0].pk] is True
    assert links[world.town1.pk] is False
    assert reverse("area_detail", args=[world.town1.pk]) not in response.content.decode()


def test_department_staff_see_no_resident_counts(world, residents, browser_client):
    response = get_ok(browser_client(world.dept_police), reverse("area_detail", args=[world.town1.pk]))
    assert response.context["sees_residents"] is False
    assert 'data-testid="residents-count"' not in response.content.decode()


def test_area_detail_query_count_is_constant(world, residents, browser_client):
    client = browser_client(world.official)
    url = reverse("area_detail", args=[world.t.villages[0].pk])
    baseline = count_queries(client, url)
    village = world.t.villages[0]
    for i in range(5):
        grid = area_create(code=f"{village.code}{50 + i}", name=f"新网格{i}", level=Level.GRID, parent=village)
        micro = area_create(code=f"{grid.code}01", name=f"新微网格{i}", level=Level.MICRO_GRID, parent=grid)
        make_resident(micro, name=f"新居民{i}")
    assert count_queries(client, url) <= baseline


# ---------------------------------------------------------------- grid team


def test_grid_team_grouped_by_role(world, browser_client):
    grid = world.t.grids[0]
    membership_grant(user=world.outsider, role=Role.GRID_CHIEF, area=grid, team_role="网格长")
    response = get_ok(browser_client(world.grid_a), reverse("grid_team", args=[grid.pk]))
    groups = {g.title: [m.user.username for m in g.members] for g in response.context["groups"]}
    assert groups["网格长"] == ["outsider"]
    assert groups["网格员"] == ["grid_a"]
    assert set(groups["中心工作人员"]) == {"center_town", "center_district"}
    assert groups["调解员"] == ["mediator"]
    titles = [g.title for g in response.context["groups"]]
    assert titles.index("网格长") < titles.index("网格员") < titles.index("中心工作人员")
    html = response.content.decode()
    assert "official" not in groups.get("领导", [])
    assert "grid_b" not in html


# ---------------------------------------------------------------- residents


def test_resident_list_masks_for_official_and_shows_full_for_own_center(world, residents, browser_client):
    a = residents["a"]
    html = get_ok(browser_client(world.official), reverse("resident_list")).content.decode()
    assert mask(a.id_number, "id_number") in html
    assert a.id_number not in html
    assert "13912345678" not in html

    html = get_ok(browser_client(world.center_town), reverse("resident_list")).content.decode()
    assert a.id_number in html
    assert residents["b"].name not in html


def test_resident_list_search_and_area_filter(world, residents, browser_client):
    client = browser_client(world.official)
    a = residents["a"]
    response = get_ok(client, reverse("resident_list") + "?q=小明")
    assert [r.resident.pk for r in response.context["rows"]] == [a.pk]
    response = get_ok(client, reverse("resident_list") + f"?q={a.id_number[-4:]}")
    assert a.pk in [r.resident.pk for r in response.context["rows"]]
    response = get_ok(client, reverse("resident_list") + f"?area={world.town2.pk}")
    assert [r.resident.pk for r in response.context["rows"]] == [residents["b"].pk]


@pytest.mark.parametrize("query", ["?area=abc", "?area=999999", "?page=abc", "?page=9999", "?q=" + "x" * 80])
def test_resident_list_bad_params_are_friendly(world, residents, browser_client, query):
    response = browser_client(world.official).get(reverse("resident_list") + query)
    assert response.status_code == 200


def test_resident_list_bad_area_shows_a_message(world, residents, browser_client):
    response = get_ok(browser_client(world.grid_a), reverse("resident_list") + f"?area={world.town2.pk}")
    assert response.context["valid"] is False
    assert response.context["rows"] == []
    assert 'class="field-error"' in response.content.decode()


def test_resident_list_is_paginated_by_50_with_constant_queries(world, browser_client):
    micro = world.t.micro_grids[0]
    for i in range(5):
        make_resident(micro, name=f"居民{i:03d}")
    client = browser_client(world.official)
    url = reverse("resident_list")
    baseline = count_queries(client, url)
    for i in range(5, 60):
        make_resident(world.t.micro_grids[i % 8], name=f"居民{i:03d}")
    assert count_queries(client, url) <= baseline
    response = get_ok(client, url)
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(get_ok(client, url + "?page=2").context["rows"]) == 10


def test_resident_detail_masking_and_sensitive_flags(world, residents, browser_client):
    a = residents["a"]
    url = reverse("resident_detail", args=[a.pk])
    for persona in ("official", "mediator", "legal"):
        html = get_ok(browser_client(getattr(world, persona)), url).content.decode()
        assert mask(a.id_number, "id_number") in html, persona
        assert a.id_number not in html, persona
        assert "139****5678" in html
        assert "社区矫正对象" not in html, persona
        assert 'data-testid="sensitive"' not in html, persona
    for persona in ("center_town", "grid_a"):
        html = get_ok(browser_client(getattr(world, persona)), url).content.decode()
        assert a.id_number in html, persona
        assert "13912345678" in html
        assert "社区矫正对象" in html, persona
        assert 'data-testid="sensitive"' in html


# ---------------------------------------------------------------- notifications


@pytest.fixture
def inbox(world):
    old = Notification.objects.create(recipient=world.grid_a, kind="case", title="已读通知", read_at=timezone.now())
    new = Notification.objects.create(recipient=world.grid_a, kind="case", title="新通知", url="/areas/")
    evil = Notification.objects.create(recipient=world.grid_a, kind="case", title="外链", url="https://evil.example/")
    other = Notification.objects.create(recipient=world.grid_b, kind="case", title="别人的通知")
    return {"old": old, "new": new, "evil": evil, "other": other}


def test_notifications_page_lists_own_unread_first(world, inbox, browser_client):
    response = get_ok(browser_client(world.grid_a), reverse("notifications"))
    titles = [n.title for n in response.context["page"].object_list]
    assert set(titles) == {"已读通知", "新通知", "外链"}
    assert titles[-1] == "已读通知"
    html = response.content.decode()
    assert "别人的通知" not in html
    assert html.count('class="notification unread"') == 2
    assert 'data-testid="unread-count">2<' in html


def test_notifications_mark_all_read(world, inbox, browser_client):
    client = browser_client(world.grid_a)
    response = client.post(reverse("notifications"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=world.grid_a, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=inbox["other"].pk).read_at is None
    html = get_ok(client, reverse("notifications")).content.decode()
    assert 'data-testid="unread-count"' not in html


def test_notification_open_marks_read_and_follows_local_links_only(world, inbox, browser_client):
    client = browser_client(world.grid_a)
    response = client.post(reverse("notification_open", args=[inbox["new"].pk]))
    assert response.status_code == 302 and response.url == "/areas/"
    assert Notification.objects.get(pk=inbox["new"].pk).read_at is not None
    response = client.post(reverse("notification_open", args=[inbox["evil"].pk]))
    assert response.url == reverse("notifications")
    assert client.post(reverse("notification_open", args=[inbox["other"].pk])).status_code == 404
    assert client.get(reverse("notification_open", args=[inbox["new"].pk])).status_code == 405


# ---------------------------------------------------------------- login, password, language


def test_login_page_and_login(world):
    client = Client()
    response = get_ok(client, reverse("login"))
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="viewport"' in html
    response = client.post(reverse("login"), {"username": "grid_a", "password": "wrong"})
    assert response.status_code == 200
    assert 'class="msg msg-error"' in response.content.decode()
    response = client.post(reverse("login"), {"username": "grid_a", "password": PASSWORD, "next": "/areas/"})
    assert response.status_code == 302 and response.url == "/areas/"


def test_password_change(world, browser_client):
    client = browser_client(world.grid_a)
    get_ok(client, reverse("password_change"))
    new_password = "a-much-better-passphrase-42"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    get_ok(client, response.url)
    world.grid_a.refresh_from_db()
    assert world.grid_a.check_password(new_password)


def test_language_switch_to_english(world, browser_client):
    client = browser_client(world.grid_a)
    html = get_ok(client, reverse("notifications")).content.decode()
    assert '<html lang="zh-hans">' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("notifications")})
    assert response.status_code == 302
    html = get_ok(client, reverse("notifications")).content.decode()
    assert '<html lang="en">' in html
    # A string from Django's own English catalogue: the password-change form labels.
    html = get_ok(client, reverse("password_change")).content.decode()
    assert "Old password" in html
