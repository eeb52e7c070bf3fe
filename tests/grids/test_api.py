"""The grids part of the public REST API: token, me, areas, departments, residents, notifications."""

from __future__ import annotations

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import Level, Notification, Role
from grids.services import area_create
from grids.validators import mask
from tests.conftest import PASSWORD
from tests.factories import NotificationFactory
from tests.grids.conftest import make_resident

pytestmark = pytest.mark.django_db

API = "/api/v1"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response) -> set[int]:
    return {row["id"] for row in results(response)}


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- token and me


def test_token_then_me_with_token_header(world):
    anon = APIClient()
    response = anon.post(f"{API}/auth/token/", {"username": "grid_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(f"{API}/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": world.grid_a.pk,
        "username": "grid_a",
        "roles": [{"role": "grid_worker", "area": world.t.grids[0].pk, "department": None}],
    }


def test_each_device_gets_its_own_token(world):
    # Issue 18, defect 6: one token per sign-in (device), not one shared by all of a user's devices.
    anon = APIClient()
    first = anon.post(f"{API}/auth/token/", {"username": "official", "password": PASSWORD}, format="json")
    second = anon.post(f"{API}/auth/token/", {"username": "official", "password": PASSWORD}, format="json")
    assert first.json()["token"] != second.json()["token"]


def test_token_bad_credentials_400_with_errors(world):
    anon = APIClient()
    response = anon.post(f"{API}/auth/token/", {"username": "grid_a", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    response = anon.post(f"{API}/auth/token/", {"password": "x"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(f"{API}/me/").status_code == 401


def test_me_for_department_staff_and_admin(world, api):
    me = api(world.dept_police).get(f"{API}/me/").json()
    assert me["roles"] == [{"role": "department_staff", "area": None, "department": world.police1.pk}]
    admin_roles = api(world.admin).get(f"{API}/me/").json()["roles"]
    assert {"role": "admin", "area": None, "department": None} in admin_roles
    assert api(world.outsider).get(f"{API}/me/").json()["roles"] == []


# ---------------------------------------------------------------- anonymous and outsiders everywhere


def detail_urls(world, residents, notification) -> list[str]:
    return [
        f"{API}/areas/{world.t.grids[0].pk}/",
        f"{API}/departments/{world.police1.pk}/",
        f"{API}/residents/{residents['a'].pk}/",
        f"{API}/notifications/{notification.pk}/",
    ]


LIST_URLS = [
    f"{API}/me/",
    f"{API}/areas/",
    f"{API}/areas/locate/?lat=40.55&lng=110.05",
    f"{API}/departments/",
    f"{API}/residents/",
    f"{API}/notifications/",
]


def test_anonymous_gets_401_everywhere(world, residents):
    notification = Notification.objects.create(recipient=world.grid_a, kind="x", title="t")
    anon = APIClient()
    for url in LIST_URLS + detail_urls(world, residents, notification):
        assert anon.get(url).status_code == 401, url
    assert anon.post(f"{API}/notifications/{notification.pk}/read/").status_code == 401
    assert anon.post(f"{API}/notifications/read_all/").status_code == 401


def test_outsider_gets_nothing(world, residents, api):
    notification = Notification.objects.create(recipient=world.grid_a, kind="x", title="t")
    client = api(world.outsider)
    for url in detail_urls(world, residents, notification):
        assert client.get(url).status_code == 404, url
    for url in (f"{API}/areas/", f"{API}/departments/", f"{API}/residents/", f"{API}/notifications/"):
        assert results(client.get(url)) == [], url
    assert client.get(f"{API}/areas/locate/?lat=40.55&lng=110.05").status_code == 404
    assert client.post(f"{API}/notifications/{notification.pk}/read/").status_code == 404


# ---------------------------------------------------------------- areas


def test_area_list_is_scoped(world, api):
    t = world.t
    grid = t.grids[0]
    assert ids(api(world.grid_a).get(f"{API}/areas/")) == {grid.pk, *(m.pk for m in t.micro_of(grid))}
    assert len(ids(api(world.official).get(f"{API}/areas/?page_size=200"))) == 17
    town1_ids = ids(api(world.center_town).get(f"{API}/areas/?page_size=200"))
    assert world.town1.pk in town1_ids and world.town2.pk not in town1_ids


def test_area_list_filters(world, api):
    client = api(world.official)
    assert ids(client.get(f"{API}/areas/?level=town")) == {world.town1.pk, world.town2.pk}
    assert ids(client.get(f"{API}/areas/?parent={world.town1.pk}")) == {world.t.villages[0].pk}
    village = world.t.villages[0]
    assert ids(client.get(f"{API}/areas/?parent={village.pk}&level=grid")) == {world.t.grids[0].pk, world.t.grids[1].pk}
    assert results(client.get(f"{API}/areas/?parent={village.pk}&level=town")) == []


@pytest.mark.parametrize(
    "query, field",
    [
        ("level=county", "level"),
        ("parent=abc", "parent"),
        ("parent=999999", "parent"),
        ("parent=1.5", "parent"),
        ("page_size=abc&level=nope", "level"),
    ],
)
def test_area_list_bad_params_400(world, api, query, field):
    response = api(world.official).get(f"{API}/areas/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_area_parent_filter_out_of_scope_is_rejected(world, api):
    response = api(world.grid_b).get(f"{API}/areas/?parent={world.town1.pk}")
    assert response.status_code == 400
    assert "parent" in response.json()


def test_area_list_omits_boundary_unless_asked(world, api):
    client = api(world.official)
    row = results(client.get(f"{API}/areas/?level=district"))[0]
    assert set(row) == {"id", "code", "name", "level", "parent", "centroid"}
    row = results(client.get(f"{API}/areas/?level=district&boundary=1"))[0]
    assert row["boundary"]["type"] == "Polygon"


def test_area_detail(world, api):
    grid = world.t.grids[0]
    body = api(world.grid_a).get(f"{API}/areas/{grid.pk}/").json()
    assert body["code"] == grid.code
    assert body["name"] == grid.name
    assert body["level"] == "grid"
    assert body["parent"] == world.t.villages[0].pk
    assert body["centroid"] == {"lat": pytest.approx(grid.centroid_lat), "lng": pytest.approx(grid.centroid_lng)}
    assert body["boundary"] == grid.boundary


def test_area_detail_without_boundary_has_null_centroid(world, api):
    micro = world.t.micro_grids[0]
    bare = area_create(code=f"{micro.code}9", name="无边界", level=Level.MICRO_GRID, parent=world.t.grids[0])
    body = api(world.official).get(f"{API}/areas/{bare.pk}/").json()
    assert body["centroid"] is None and body["boundary"] is None


def test_area_detail_out_of_scope_404(world, api):
    town1_grid = world.t.grids[0]
    assert api(world.grid_b).get(f"{API}/areas/{town1_grid.pk}/").status_code == 404
    assert api(world.grid_a).get(f"{API}/areas/{world.t.district.pk}/").status_code == 404
    assert api(world.center_town2).get(f"{API}/areas/{world.town1.pk}/").status_code == 404
    assert api(world.official).get(f"{API}/areas/999999/").status_code == 404


def test_locate_every_micro_grid_centroid(world, api):
    client = api(world.admin)
    for micro in world.t.micro_grids:
        response = client.get(f"{API}/areas/locate/", {"lat": micro.centroid_lat, "lng": micro.centroid_lng})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["id"] == micro.pk
        assert body["level"] == "micro_grid"
        assert [a["code"] for a in body["ancestors"]] == micro.ancestor_codes
        assert [a["level"] for a in body["ancestors"]] == ["district", "town", "village", "grid"]
        assert set(body["ancestors"][0]) == {"id", "code", "name", "level"}


def test_locate_outside_scope_or_outside_any_micro_grid_404(world, api):
    town1_micro = world.t.micro_of(world.t.grids[0])[0]
    params = {"lat": town1_micro.centroid_lat, "lng": town1_micro.centroid_lng}
    assert api(world.grid_a).get(f"{API}/areas/locate/", params).status_code == 200
    assert api(world.grid_b).get(f"{API}/areas/locate/", params).status_code == 404
    assert api(world.admin).get(f"{API}/areas/locate/", {"lat": 10, "lng": 10}).status_code == 404


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "lat"),
        ({"lat": 40.5}, "lng"),
        ({"lat": "abc", "lng": 110}, "lat"),
        ({"lat": 91, "lng": 110}, "lat"),
        ({"lat": 40.5, "lng": -181}, "lng"),
        ({"lat": "nan", "lng": 110}, "lat"),
    ],
)
def test_locate_bad_params_400(world, api, params, field):
    response = api(world.admin).get(f"{API}/areas/locate/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_area_list_query_count_is_constant(world, api):
    client = api(world.official)
    url = f"{API}/areas/?page_size=200&boundary=1"
    baseline = count_queries(client, url)
    grid = world.t.grids[0]
    for i in range(20):
        area_create(code=f"{grid.code}5{i:02d}", name=f"新微网格{i}", level=Level.MICRO_GRID, parent=grid)
    assert count_queries(client, url) <= baseline


# ---------------------------------------------------------------- departments


def test_departments_list_fields_and_scope(world, api):
    rows = results(api(world.grid_a).get(f"{API}/departments/"))
    assert {r["code"] for r in rows} == {"police-1", "urban-1", "judicial-1"}
    police = next(r for r in rows if r["code"] == "police-1")
    assert police == {
        "id": world.police1.pk,
        "code": "police-1",
        "name": "一街派出所",
        "kind": {"code": "police", "name": "派出所"},
        "area": world.town1.pk,
        "phone": "",
    }


def test_departments_serving_an_area(world, api):
    from grids.services import department_create

    district_bureau = department_create(
        code="judicial-bureau", name="区司法局", kind=world.kinds.judicial, area=world.t.district
    )
    client = api(world.official)
    serving_grid = {r["code"] for r in results(client.get(f"{API}/departments/?area={world.t.grids[2].pk}"))}
    assert serving_grid == {"police-2", district_bureau.code}
    serving_district = {r["code"] for r in results(client.get(f"{API}/departments/?area={world.t.district.pk}"))}
    assert serving_district == {district_bureau.code}
    police = {r["code"] for r in results(client.get(f"{API}/departments/?kind=police"))}
    assert police == {"police-1", "police-2"}


def test_departments_bad_filter_400_and_out_of_scope_404(world, api):
    assert api(world.official).get(f"{API}/departments/?area=abc").status_code == 400
    assert api(world.official).get(f"{API}/departments/?kind=nope").status_code == 400
    assert api(world.grid_b).get(f"{API}/departments/?area={world.t.grids[0].pk}").status_code == 400
    assert api(world.grid_b).get(f"{API}/departments/{world.police1.pk}/").status_code == 404
    assert api(world.dept_police2).get(f"{API}/departments/{world.police1.pk}/").status_code == 404
    assert api(world.dept_police).get(f"{API}/departments/{world.police1.pk}/").status_code == 200


def test_department_list_query_count_is_constant(world, api):
    from grids.models import DepartmentKind
    from grids.services import department_create

    client = api(world.admin)
    url = f"{API}/departments/?page_size=200"
    baseline = count_queries(client, url)
    for i in range(10):
        kind = DepartmentKind.objects.create(code=f"kind-{i}", name=f"类型{i}")
        department_create(code=f"dept-{i}", name=f"部门{i}", kind=kind, area=world.t.grids[i % 4])
    assert count_queries(client, url) <= baseline


# ---------------------------------------------------------------- residents


def test_resident_masked_for_official_with_flags_hidden(world, residents, api):
    a = residents["a"]
    for persona in (world.official, world.mediator, world.legal):
        body = api(persona).get(f"{API}/residents/{a.pk}/").json()
        assert body["id_number"] == mask(a.id_number, "id_number")
        assert "*" in body["id_number"] and body["id_number"] != a.id_number
        assert body["phone"] == mask(a.phone, "phone") == "139****5678"
        assert body["birth_date"] is None
        assert body["special_population"] is None
        assert body["special_population_display"] is None
        assert body["key_person"] is None
        assert body["sensitive_visible"] is False


def test_resident_full_for_own_center_and_grid_worker(world, residents, api):
    a = residents["a"]
    for persona in (world.center_town, world.grid_a, world.center_district, world.admin):
        body = api(persona).get(f"{API}/residents/{a.pk}/").json()
        assert body["id_number"] == a.id_number
        assert body["phone"] == "13912345678"
        assert body["birth_date"] == "1980-05-17"
        assert body["special_population"] == "community_correction"
        assert body["special_population_display"] == "社区矫正对象"
        assert body["key_person"] is True
        assert body["sensitive_visible"] is True
        assert body["micro_grid"]["id"] == a.micro_grid_id


def test_resident_out_of_scope_404(world, residents, api):
    a = residents["a"]
    assert api(world.center_town2).get(f"{API}/residents/{a.pk}/").status_code == 404
    assert api(world.grid_b).get(f"{API}/residents/{a.pk}/").status_code == 404
    assert api(world.grid_a).get(f"{API}/residents/{residents['town1'].pk}/").status_code == 404
    assert api(world.dept_police).get(f"{API}/residents/{a.pk}/").status_code == 404
    assert results(api(world.dept_police).get(f"{API}/residents/")) == []


def test_resident_list_masks_per_row(world, residents, api):
    rows = {r["id"]: r for r in results(api(world.center_town).get(f"{API}/residents/"))}
    assert set(rows) == {residents["a"].pk, residents["town1"].pk}
    assert rows[residents["a"].pk]["id_number"] == residents["a"].id_number
    official_rows = results(api(world.official).get(f"{API}/residents/"))
    assert len(official_rows) == 3
    assert all(r["key_person"] is None and "*" in r["id_number"] for r in official_rows)


def test_resident_search(world, residents, api):
    client = api(world.official)
    a = residents["a"]
    assert ids(client.get(f"{API}/residents/", {"q": "小明"})) == {a.pk}
    # The official sees numbers masked: only the visible last four digits are searchable.
    assert ids(client.get(f"{API}/residents/", {"q": a.id_number[-4:]})) == {a.pk}
    assert ids(client.get(f"{API}/residents/", {"q": "13912345678"})) == set()
    assert ids(client.get(f"{API}/residents/", {"q": a.id_number[-6:]})) == set()
    # Center staff of the area see them unmasked: the whole number finds the resident.
    center = api(world.center_town)
    assert ids(center.get(f"{API}/residents/", {"q": "13912345678"})) == {a.pk}
    assert ids(center.get(f"{API}/residents/", {"q": a.id_number})) == {a.pk}
    assert ids(client.get(f"{API}/residents/", {"q": "没有这个人"})) == set()
    assert ids(client.get(f"{API}/residents/", {"q": ""})) == {r.pk for r in residents.values()}


def test_resident_area_filter_is_a_subtree(world, residents, api):
    client = api(world.official)
    assert ids(client.get(f"{API}/residents/", {"area": world.town1.pk})) == {
        residents["a"].pk,
        residents["town1"].pk,
    }
    assert ids(client.get(f"{API}/residents/", {"area": world.t.grids[2].pk})) == {residents["b"].pk}
    assert client.get(f"{API}/residents/", {"area": "x"}).status_code == 400
    assert api(world.grid_a).get(f"{API}/residents/", {"area": world.town2.pk}).status_code == 400


def test_resident_list_query_count_is_constant(world, residents, api):
    for persona in (world.official, world.center_town):
        client = api(persona)
        url = f"{API}/residents/?page_size=200"
        baseline = count_queries(client, url)
        for micro in world.t.micro_grids:
            make_resident(micro, name="批量")
        assert count_queries(client, url) <= baseline


# ---------------------------------------------------------------- notifications


@pytest.fixture
def inbox(world):
    mine = NotificationFactory.create_batch(
        3, recipient=world.grid_a, params=factory.Iterator([{"number": f"通知{i}"} for i in range(3)])
    )
    Notification.objects.filter(pk=mine[0].pk).update(read_at=timezone.now())
    other = NotificationFactory(recipient=world.grid_b)
    return mine, other


def test_notifications_are_the_callers_own(world, inbox, api):
    mine, other = inbox
    client = api(world.grid_a)
    assert ids(client.get(f"{API}/notifications/")) == {n.pk for n in mine}
    assert ids(client.get(f"{API}/notifications/?unread=1")) == {mine[1].pk, mine[2].pk}
    assert ids(client.get(f"{API}/notifications/?unread=0")) == {mine[0].pk}
    assert client.get(f"{API}/notifications/{other.pk}/").status_code == 404
    assert client.post(f"{API}/notifications/{other.pk}/read/").status_code == 404
    body = client.get(f"{API}/notifications/{mine[1].pk}/").json()
    assert body["unread"] is True and body["title"] == "新派单:通知1 请及时签收"


def test_notifications_bad_filter_400(world, inbox, api):
    response = api(world.grid_a).get(f"{API}/notifications/?unread=maybe")
    assert response.status_code == 400
    assert "unread" in response.json()


def test_notification_read_and_read_all(world, inbox, api):
    mine, other = inbox
    client = api(world.grid_a)
    response = client.post(f"{API}/notifications/{mine[1].pk}/read/")
    assert response.status_code == 200
    assert response.json()["unread"] is False
    first_read_at = Notification.objects.get(pk=mine[1].pk).read_at
    assert first_read_at is not None
    client.post(f"{API}/notifications/{mine[1].pk}/read/")  # idempotent: keeps the first time
    assert Notification.objects.get(pk=mine[1].pk).read_at == first_read_at

    response = client.post(f"{API}/notifications/read_all/")
    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=world.grid_a, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_notification_list_query_count_is_constant(world, inbox, api):
    client = api(world.grid_a)
    url = f"{API}/notifications/?page_size=200"
    baseline = count_queries(client, url)
    NotificationFactory.create_batch(20, recipient=world.grid_a)
    assert count_queries(client, url) <= baseline


# ---------------------------------------------------------------- schema


def test_schema_generates(world, api):
    response = api(world.admin).get(f"{API}/schema/")
    assert response.status_code == 200
    assert b"/api/v1/areas/locate/" in response.content


def test_membership_roles_are_listed(world, api):
    from grids.services import membership_grant

    membership_grant(user=world.mediator, role=Role.GRID_WORKER, area=world.t.grids[1])
    roles = api(world.mediator).get(f"{API}/me/").json()["roles"]
    assert {"role": "mediator", "area": world.town1.pk, "department": None} in roles
    assert {"role": "grid_worker", "area": world.t.grids[1].pk, "department": None} in roles
    assert world.t.grids[1].pk != world.town1.pk


def test_the_district_has_no_parent_and_the_schema_says_it_may_not(world, api):
    # Found by the fuzz (tests/fuzz): `parent` was documented as an integer, the district's is null.
    district = world.t.district
    assert api(world.official).get(f"{API}/areas/{district.pk}/").json()["parent"] is None
    schema = api(world.official).get(f"{API}/schema/", {"format": "json"}).json()
    for name in ("Area", "AreaDetail"):
        assert schema["components"]["schemas"][name]["properties"]["parent"].get("nullable") is True, name


def test_a_post_to_a_malformed_api_path_is_a_json_404_not_a_csrf_page(world):
    # Found by the fuzz: with a session cookie and no CSRF token, a POST that no API view matched
    # reached the catch-all plain view and got Django's HTML CSRF page (403).
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.grid_a)
    response = client.post(f"{API}/notifications/p%C2%A1%2B/read/")
    assert response.status_code == 404 and response.json() == {"detail": response.json()["detail"]}


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "{}", "\u0663"])
@pytest.mark.parametrize("path", ["/residents/", "/households/", "/cases/", "/legal/consultations/"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_a_400(world, api, path, value):
    # Found by the fuzz (schemathesis' negative_data_rejection): DRF fell back to 20 silently.
    response = api(world.legal).get(f"{API}{path}", {"page_size": value})
    assert response.status_code == 400, (path, value, response.status_code)
    assert "page_size" in response.json()


def test_a_page_size_above_the_maximum_is_cut_to_it(world, api):
    response = api(world.official).get(f"{API}/areas/", {"page_size": 5000})
    assert response.status_code == 200 and len(response.json()["results"]) == 17
    assert api(world.official).get(f"{API}/areas/", {"page_size": ""}).status_code == 200
