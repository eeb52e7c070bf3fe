"""The registry's records (issue 14): a legal-savvy resident's training and a village legal
adviser's service log, kept from the pages by legal-services staff, read-only to others who see the
registry, and 404 outside the area."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from legal_services.models import AdviserLog, LegalSavvyResident, TrainingRecord

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-11-30 10:00 +0800", tick=False):
        yield


def test_legal_records_a_training_from_the_registry(world, legal_world, browser_client):
    c = browser_client(world.legal)
    registry = c.get(reverse("legal:registry", args=["savvy"])).content.decode()
    url = reverse("legal:savvy_detail", args=[legal_world.savvy.pk])
    assert f'href="{url}"' in registry
    r = c.post(url, {"held_on": "2026-11-20", "hours": "3.5", "topic": "民法典婚姻家庭编"})
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "民法典婚姻家庭编" in page and 'data-testid="record-form"' in page
    t = TrainingRecord.objects.get()
    assert (t.savvy_id, t.held_on, str(t.hours)) == (legal_world.savvy.pk, date(2026, 11, 20), "3.5")
    assert c.get(reverse("legal:registry", args=["savvy"])).context["rows"][0][0][3][1] == 1


@pytest.mark.parametrize(
    "data",
    [
        {"held_on": "2026-12-05", "hours": "2", "topic": "明天的培训"},
        {"held_on": "2026-11-20", "hours": "0", "topic": "零学时"},
        {"held_on": "2026-11-20", "hours": "2", "topic": "x" * 201},
        {"held_on": "not a date", "hours": "2", "topic": "坏日期"},
        {"held_on": "2026-11-20", "hours": "2", "topic": "   "},
    ],
)
def test_a_bad_training_is_a_field_error_and_stores_nothing(world, legal_world, browser_client, data):
    r = browser_client(world.legal).post(reverse("legal:savvy_detail", args=[legal_world.savvy.pk]), data)
    assert r.status_code == 400 and "field-error" in r.content.decode()
    assert not TrainingRecord.objects.exists()


def test_legal_logs_an_advisers_visit_in_a_village_they_serve(world, legal_world, browser_client):
    c = browser_client(world.legal)
    url = reverse("legal:adviser_detail", args=[legal_world.adviser.pk])
    assert f'href="{url}"' in c.get(reverse("legal:registry", args=["advisers"])).content.decode()
    ok = {"village": legal_world.village1.pk, "happened_on": "2026-11-28", "kind": "visit", "note": "驻村接待 3 人"}
    assert c.post(url, ok).status_code == 302
    assert "驻村接待 3 人" in c.get(url).content.decode()
    # a village the adviser does not serve is not offered, and not accepted
    r = c.post(url, ok | {"village": legal_world.village2.pk})
    assert r.status_code == 400
    assert AdviserLog.objects.count() == 1


def test_the_service_refuses_a_village_the_adviser_does_not_serve(world, legal_world):
    from django.core.exceptions import ValidationError

    from grids.models import Level
    from grids.services import area_create
    from legal_services.services import adviser_log_add

    other = area_create(code=f"{world.town1.code}009", name="一街另一村", level=Level.VILLAGE, parent=world.town1)
    with pytest.raises(ValidationError) as exc:
        adviser_log_add(
            by=world.legal,
            lawyer=legal_world.adviser,
            village=other,
            happened_on=TODAY,
            kind="visit",
            note="x",
        )
    assert "village" in exc.value.message_dict


def test_a_savvy_resident_is_registered_from_the_page(world, legal_world, browser_client):
    c = browser_client(world.legal)
    assert 'data-testid="savvy-new"' in c.get(reverse("legal:registry", args=["savvy"])).content.decode()
    url = reverse("legal:savvy_new")
    r = c.post(url, {"resident": legal_world.r1.pk, "village": legal_world.village1.pk})
    assert r.status_code == 400 and "该居民已是法律明白人" in r.content.decode()
    r = c.post(url, {"resident": legal_world.r3.pk, "village": legal_world.village1.pk})
    assert r.status_code == 400  # r3 lives in town 2, outside legal's register
    assert c.post(url, {"resident": legal_world.r2.pk, "village": legal_world.village1.pk}).status_code == 302
    assert LegalSavvyResident.objects.filter(resident=legal_world.r2).exists()


def test_readers_see_the_records_without_the_form(world, legal_world, browser_client):
    page = browser_client(world.official).get(reverse("legal:adviser_detail", args=[legal_world.adviser.pk]))
    assert page.status_code == 200 and 'data-testid="record-form"' not in page.content.decode()
    r = browser_client(world.official).post(
        reverse("legal:savvy_detail", args=[legal_world.savvy.pk]),
        {"held_on": "2026-11-20", "hours": "2", "topic": "x"},
    )
    assert r.status_code == 404 and not TrainingRecord.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "grid_b", "center_town2", "dept_police2"])
def test_outsiders_get_404_on_the_records(world, legal_world, browser_client, persona):
    c = browser_client(getattr(world, persona))
    for url in (
        reverse("legal:savvy_detail", args=[legal_world.savvy.pk]),
        reverse("legal:adviser_detail", args=[legal_world.adviser.pk]),
        reverse("legal:savvy_new"),
    ):
        assert c.get(url).status_code == 404, url
        assert c.post(url, {"topic": "x"}).status_code == 404, url
    assert not TrainingRecord.objects.exists() and not AdviserLog.objects.exists()


def test_record_pages_keep_their_query_count(world, legal_world, browser_client, django_assert_max_num_queries):
    from legal_services.services import adviser_log_add, training_add

    for i in range(5):
        training_add(by=world.legal, savvy=legal_world.savvy, held_on=TODAY, hours=2, topic=f"t{i}")
        adviser_log_add(
            by=world.legal,
            lawyer=legal_world.adviser,
            village=legal_world.village1,
            happened_on=TODAY,
            kind="advice",
            note=f"n{i}",
        )
    c = browser_client(world.legal)
    c.get("/")  # warm the session
    for url in (
        reverse("legal:savvy_detail", args=[legal_world.savvy.pk]),
        reverse("legal:adviser_detail", args=[legal_world.adviser.pk]),
    ):
        with django_assert_max_num_queries(16):
            assert c.get(url).status_code == 200
