"""Exactly-once intake: POST /api/v1/cases/ with an Idempotency-Key (API.md, "exactly-once intake")."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from disputes.models import Attachment, Case, IntakeKey
from tests.disputes.test_intake import png_bytes

pytestmark = pytest.mark.django_db


def body(micro, **extra):
    data = {"category": "road_damage", "description": "路灯不亮", "lat": micro.centroid_lat, "lng": micro.centroid_lng}
    data.update(extra)
    return data


def post(client, data, key, fmt="multipart"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/cases/", data, format=fmt, headers=headers)


def photo(content=None):
    return SimpleUploadedFile("a.png", content or png_bytes(), "image/png")


def test_replay_with_the_same_content_returns_the_same_case_and_creates_nothing(world, categories, api):
    client = api(world.grid_a)
    micro = world.t.micro_grids[0]
    first = post(client, body(micro, photos=[photo()]), "draft-1")
    assert first.status_code == 201, first.content
    again = post(client, body(micro, photos=[photo()]), "draft-1")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1
    assert IntakeKey.objects.get().case_id == first.json()["id"]


def test_same_key_other_content_is_a_conflict(world, categories, api):
    client = api(world.grid_a)
    micro = world.t.micro_grids[0]
    assert post(client, body(micro), "k").status_code == 201
    r = post(client, body(micro, description="井盖丢失"), "k")
    assert r.status_code == 409 and r.json()["detail"]
    # A different photo is different content too.
    assert post(client, body(micro, photos=[photo()]), "p").status_code == 201
    assert post(client, body(micro, photos=[photo(png_bytes((9, 9)))]), "p").status_code == 409
    assert Case.objects.count() == 2


def test_keys_are_per_user(world, categories, api):
    micro = world.t.micro_grids[0]
    assert post(api(world.grid_a), body(micro), "same").status_code == 201
    r = post(api(world.grid_b), body(world.t.micro_grids[5]), "same")
    assert r.status_code == 201
    assert Case.objects.count() == 2


def test_without_a_key_every_post_makes_a_case(world, categories, api):
    client = api(world.grid_a)
    micro = world.t.micro_grids[0]
    assert post(client, body(micro), None).status_code == 201
    assert post(client, body(micro), None).status_code == 201
    assert Case.objects.count() == 2 and not IntakeKey.objects.exists()


def test_a_refused_first_request_stores_no_key(world, categories, api):
    """A 400 keeps nothing, so the draft fixed by its worker can be sent again under its key."""
    client = api(world.grid_a)
    micro = world.t.micro_grids[0]
    r = post(client, body(micro, description=""), "fix-me")
    assert r.status_code == 400 and "description" in r.json()
    assert not IntakeKey.objects.exists()
    assert post(client, body(micro), "fix-me").status_code == 201


def test_key_length_is_checked(world, categories, api):
    client = api(world.grid_a)
    micro = world.t.micro_grids[0]
    assert post(client, body(micro), "x" * 100).status_code == 201
    r = post(client, body(micro), "x" * 101)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()
    assert post(client, body(micro), "  ").status_code == 400
    assert Case.objects.count() == 1


def test_json_replay(world, categories, api):
    client = api(world.grid_a)
    grid = world.t.grids[0]
    data = {"category": "road_damage", "description": "x", "area": grid.pk}
    assert post(client, data, "j", fmt="json").status_code == 201
    assert post(client, data, "j", fmt="json").status_code == 200
    assert Case.objects.count() == 1


def test_outsider_cannot_report_and_stores_no_key(world, categories, api):
    r = post(api(world.outsider), body(world.t.micro_grids[0]), "o")
    assert r.status_code in (400, 403)
    assert not IntakeKey.objects.exists() and not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_replays_make_one_case(world, categories, api):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (run with DATABASE_URL=postgres://…)")
    micro = world.t.micro_grids[0]
    content = png_bytes()
    n = 4
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def worker():
        try:
            client = api(world.grid_a)
            barrier.wait()
            codes.append(post(client, body(micro, photos=[photo(content)]), "flaky-net").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [200] * (n - 1) + [201], codes
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1 and IntakeKey.objects.count() == 1
