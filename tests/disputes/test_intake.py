"""Intake: routing by pin, the manual area, uploads checked by content, the duplicate hint."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from disputes.models import Attachment, Case
from tests.clock import clock

pytestmark = pytest.mark.django_db


def png_bytes(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def post_case(api, user, micro, **extra):
    body = {"category": "road_damage", "description": "路灯不亮", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    body.update(extra)
    return api(user).post("/api/v1/cases/", body, format="multipart")


def test_pin_routes_to_the_micro_grid_and_its_town_center(world, categories, api):
    micro = world.t.micro_grids[5]  # in town 2
    r = post_case(api, world.grid_b, micro)
    assert r.status_code == 201, r.content
    assert r.json()["area"]["id"] == micro.pk
    assert r.json()["center"]["id"] == world.town2.pk


def test_case_numbers_are_date_and_sequence_never_reused(world, categories, api):
    with clock("2026-11-21 10:00"):
        numbers = [post_case(api, world.grid_a, world.t.micro_grids[0]).json()["number"] for _ in range(3)]
    assert numbers == ["20261121-0001", "20261121-0002", "20261121-0003"]
    Case.objects.filter(number="20261121-0003").update(description="x")
    with clock("2026-11-21 11:00"):
        assert post_case(api, world.grid_a, world.t.micro_grids[0]).json()["number"] == "20261121-0004"


def test_area_by_hand_without_a_pin(world, categories, api):
    grid = world.t.grids[0]
    r = api(world.grid_a).post(
        "/api/v1/cases/", {"category": "road_damage", "description": "x", "area": grid.pk}, format="json"
    )
    assert r.status_code == 201
    assert r.json()["area"]["id"] == grid.pk
    # An area outside the reporter's scope is refused as a field error.
    r = api(world.grid_a).post(
        "/api/v1/cases/", {"category": "road_damage", "description": "x", "area": world.t.grids[2].pk}, format="json"
    )
    assert r.status_code == 400 and "area" in r.json()


def test_bad_intake_gives_field_errors(world, categories, api):
    r = api(world.grid_a).post("/api/v1/cases/", {"category": "nope", "description": ""}, format="json")
    assert r.status_code == 400
    assert {"category", "description"} <= set(r.json())
    r = api(world.grid_a).post(
        "/api/v1/cases/", {"category": "road_damage", "description": "x", "lat": 10.0, "lng": 10.0}, format="json"
    )
    assert r.status_code == 400 and "lat" in r.json()
    r = api(world.grid_a).post("/api/v1/cases/", {"category": "road_damage", "description": "x"}, format="json")
    assert r.status_code == 400 and "area" in r.json()
    assert Case.objects.count() == 0


def test_roles_that_may_not_report(world, categories, api):
    for persona in (world.official, world.dept_police, world.outsider):
        assert post_case(api, persona, world.t.micro_grids[0]).status_code == 403


def test_photo_is_stored_and_served_only_to_those_who_see_the_case(world, categories, api, browser_client):
    photo = SimpleUploadedFile("scene.png", png_bytes(), content_type="image/png")
    r = post_case(api, world.grid_a, world.t.micro_grids[0], photos=[photo])
    assert r.status_code == 201, r.content
    item = Attachment.objects.get()
    assert item.content_type == "image/png"
    url = r.json()["attachments"][0]["url"]
    assert browser_client(world.center_town).get(url).status_code == 200
    assert browser_client(world.grid_b).get(url).status_code == 404
    assert browser_client(world.outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    "name,content,ctype",
    [
        ("fake.jpg", b"just some text, not an image", "image/jpeg"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
    ],
)
def test_uploads_are_checked_by_content(world, categories, api, name, content, ctype):
    r = post_case(api, world.grid_a, world.t.micro_grids[0], photos=[SimpleUploadedFile(name, content, ctype)])
    assert r.status_code == 400
    assert "photos" in r.json()
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


@override_settings(UPLOAD_MAX_BYTES=1000, UPLOAD_MAX_FILES=2)
def test_upload_size_and_count_caps(world, categories, api):
    big = SimpleUploadedFile("big.png", png_bytes((400, 400)) + b"\0" * 2000, content_type="image/png")
    r = post_case(api, world.grid_a, world.t.micro_grids[0], photos=[big])
    assert r.status_code == 400 and "photos" in r.json()
    files = [SimpleUploadedFile(f"p{i}.png", png_bytes(), content_type="image/png") for i in range(3)]
    r = post_case(api, world.grid_a, world.t.micro_grids[0], photos=files)
    assert r.status_code == 400 and "photos" in r.json()
    assert Case.objects.count() == 0


def test_duplicate_hint_finds_same_category_nearby_and_recent(world, categories, api, report):
    micro = world.t.micro_grids[0]
    with clock("2026-11-01 10:00"):
        old = report(micro=micro)
    with clock("2026-11-20 10:00"):
        near = report(micro=micro)
        report(micro=micro, category=categories.security)
        report(micro=world.t.micro_grids[1])  # another micro-grid, kilometres away
    with clock("2026-11-21 10:00"):
        r = api(world.grid_a).get(
            "/api/v1/cases/duplicates/",
            {"category": "road_damage", "lat": micro.centroid_lat + 0.0003, "lng": micro.centroid_lng},
        )
    assert r.status_code == 200
    # Paginated like every list, as the schema says.
    assert r.json()["count"] == 1
    assert [c["number"] for c in r.json()["results"]] == [near.number]
    assert old.number not in [c["number"] for c in r.json()["results"]]
    assert api(world.grid_a).get("/api/v1/cases/duplicates/", {"category": "road_damage"}).status_code == 400


def test_involved_residents_are_linked_only_when_visible(world, categories, api):
    from stdnum.cn import ric

    from grids.models import Resident

    def resident(name, micro, serial):
        body = f"15020719900101{serial:03d}"  # region, birth date, serial: 17 digits
        number = body + ric.calc_check_digit(body + "0")
        return Resident.objects.create(name=name, id_number=number, micro_grid=micro, area_path=micro.path)

    mine = resident("张三", world.t.micro_grids[0], 1)
    elsewhere = resident("李四", world.t.micro_grids[4], 2)
    micro = world.t.micro_grids[0]
    body = {"category": "road_damage", "description": "x", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    r = api(world.grid_a).post("/api/v1/cases/", {**body, "involved_residents": [elsewhere.pk]}, format="json")
    assert r.status_code == 400 and "involved_residents" in r.json()
    r = api(world.grid_a).post("/api/v1/cases/", {**body, "involved_residents": [mine.pk]}, format="json")
    assert r.status_code == 201
    assert r.json()["involved_residents"] == [{"id": mine.pk, "name": "张三"}]


def test_a_pin_in_another_town_is_refused_like_the_same_area_chosen_by_hand(world, categories, api):
    """One rule decides where a user may report: grid_a (town 1) may not file into town 2, neither
    with a map pin nor by choosing the area (issue 18, defect 7)."""
    micro = world.t.micro_grids[5]  # in town 2
    r = post_case(api, world.grid_a, micro)
    assert r.status_code == 400 and "lat" in r.json(), r.content
    r = api(world.grid_a).post(
        "/api/v1/cases/", {"category": "road_damage", "description": "x", "area": micro.pk}, format="json"
    )
    assert r.status_code == 400 and "area" in r.json()
    assert not Case.objects.exists()
    # The grid worker of that grid may, and a district hotline operator may anywhere in the district.
    assert post_case(api, world.grid_b, micro).status_code == 201
    assert post_case(api, world.center_district, micro).status_code == 201


def test_intake_answers_a_light_201_in_few_queries(world, categories, api, django_assert_max_num_queries):
    """The 201 carries the routed area and center and the number, read from what intake holds: no
    timeline, no available actions (the whole case is one GET away)."""
    micro = world.t.micro_grids[0]
    post_case(api, world.grid_a, micro)  # the process-wide caches (routing index, token user) warm up
    from django.db import connection

    # PostgreSQL: locate + town + number in one statement; SQLite: one query each. Starting the
    # center's accept clock (issue 12) costs 6 more (its limit, the working calendar, the clock row).
    with django_assert_max_num_queries(14 if connection.vendor == "postgresql" else 18):
        r = post_case(api, world.grid_a, micro)
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "number", "status", "area", "center", "attachments"} <= set(body)
    assert body["area"]["id"] == micro.pk and body["status"] == "reported"
    assert "timeline" not in body and "available_actions" not in body
