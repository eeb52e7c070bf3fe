"""Open311 GeoReport v2 against our own server, in JSON and XML: discovery, services, definitions,
POST requests, tokens, GET requests (filters, 90-day default, cap), one request, updates, and the
error shapes (403 bad key, 404 unknown, 400 the rest, 429 over the rate)."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from disputes import services
from disputes.models import Case, CaseContact, Open311Client, Source
from tests.clock import clock

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
KEY = "test-open311-key-0123456789"


@pytest.fixture
def client311(world, categories):
    c = Open311Client(name="12345 平台", requests_per_minute=100)
    c.set_key(KEY)
    c.save()
    return c


def parse(response, fmt):
    if fmt == "json":
        return response.json()
    root = ET.fromstring(response.content)
    return root


def post_request(fmt, micro, **extra):
    body = {
        "api_key": KEY,
        "service_code": "road_damage",
        "lat": micro.centroid_lat,
        "long": micro.centroid_lng,
        "description": "人行道地砖松动",
        "first_name": "小明",
        "last_name": "李",
        "email": "li@example.com",
        "phone": "13700001111",
        "address_string": "沙河街道某路 1 号",
    }
    body.update(extra)
    body = {k: v for k, v in body.items() if v is not None}
    return Client().post(f"{BASE}/requests.{fmt}", body)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_and_services(client311, fmt):
    r = Client().get(f"{BASE}/discovery.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        d = r.json()
        assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert "text/xml" in d["endpoints"][0]["formats"]
    else:
        root = parse(r, fmt)
        assert root.tag == "discovery"
        assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    r = Client().get(f"{BASE}/services.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        items = r.json()
        road = next(s for s in items if s["service_code"] == "road_damage")
        assert road["service_name"] == "道路破损" and road["metadata"] is True and road["type"] == "realtime"
        assert road["group"]
    else:
        root = parse(r, fmt)
        assert root.tag == "services"
        codes = [s.find("service_code").text for s in root.findall("service")]
        assert "road_damage" in codes
        assert root.find("service/metadata").text == "true"
    r = Client().get(f"{BASE}/services/road_damage.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        d = r.json()
        assert d["service_code"] == "road_damage"
        attr = d["attributes"][0]
        assert attr["code"] == "urgency" and attr["datatype"] == "singlevaluelist"
        assert {v["key"] for v in attr["values"]} == {"normal", "urgent", "emergency"}
    else:
        root = parse(r, fmt)
        assert root.tag == "service_definition"
        assert root.find("attributes/attribute/code").text == "urgency"
        assert len(root.findall("attributes/attribute/values/value")) == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_resolve_token_and_read_back(world, client311, fmt):
    micro = world.t.micro_grids[0]
    r = post_request(fmt, micro, **{"attribute[urgency]": "urgent"})
    assert r.status_code == 200, r.content
    if fmt == "json":
        created = r.json()[0]
    else:
        node = parse(r, fmt).find("request")
        created = {child.tag: child.text for child in node}
    case = Case.objects.get()
    assert case.source == Source.OPEN311 and case.urgency == "urgent"
    assert case.area == micro and case.center == world.town1
    assert created["service_request_id"] == case.number
    contact = CaseContact.objects.get()
    assert (contact.name, contact.email, contact.phone) == ("李 小明", "li@example.com", "13700001111")
    assert contact.open311_client == client311

    r = Client().get(f"{BASE}/tokens/{created['token']}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        assert r.json() == [{"service_request_id": case.number, "token": created["token"]}]
    else:
        assert parse(r, fmt).find("request/service_request_id").text == case.number

    r = Client().get(f"{BASE}/requests/{case.number}.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        item = r.json()[0]
    else:
        item = {child.tag: child.text for child in parse(r, fmt).find("request")}
    assert item["service_request_id"] == case.number
    assert item["status"] == "open"
    assert item["service_code"] == "road_damage"
    assert item["requested_datetime"].endswith("+08:00")
    assert item["expected_datetime"].endswith("+08:00")
    # Private details never leave.
    for secret in ("13700001111", "li@example.com", "小明"):
        assert secret not in r.content.decode()


def test_fields_follow_the_case(world, client311, categories):
    micro = world.t.micro_grids[0]
    with clock("2026-11-23 09:00"):
        post_request("json", micro)
        case = Case.objects.get()
        services.case_accept(case=case, by=world.center_town)
        services.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1, comment="内部:找张三")
    with clock("2026-11-23 10:00"):
        item = Client().get(f"{BASE}/requests/{case.number}.json").json()[0]
    case.refresh_from_db()
    assert item["agency_responsible"] == "一街城管中队"
    assert item["expected_datetime"] == timezone.localtime(case.handle_deadline).isoformat(timespec="seconds")
    assert item["status"] == "open" and item["status_notes"] == "已派单"
    assert "张三" not in json.dumps(item, ensure_ascii=False)
    services.case_sign(case=case, by=world.dept_urban)
    services.case_handle(case=case, by=world.dept_urban, result="已修复")
    services.case_verify(case=case, by=world.center_town)
    services.case_close(case=case, by=world.center_town, unreachable=True)
    item = Client().get(f"{BASE}/requests/{case.number}.json").json()[0]
    assert item["status"] == "closed"


def test_get_requests_filters_default_90_days_and_cap(world, client311, monkeypatch):
    micro = world.t.micro_grids[0]
    with clock("2026-07-01 10:00"):
        post_request("json", micro, description="很久以前")
    with clock("2026-11-20 10:00"):
        post_request("json", micro, description="最近一")
        post_request("json", micro, service_code="public_security", description="最近二")
    old, recent1, recent2 = Case.objects.order_by("created_at", "id")
    services.case_reject(case=recent2, by=world.center_town, reason="不属实")
    with clock("2026-11-25 10:00"):
        get = lambda **q: Client().get(f"{BASE}/requests.json", q).json()  # noqa: E731
        assert {i["service_request_id"] for i in get()} == {recent1.number, recent2.number}  # 90 days
        assert {i["service_request_id"] for i in get(start_date="2026-06-01T00:00:00+08:00")} == {
            old.number,
            recent1.number,
            recent2.number,
        }
        assert [i["service_request_id"] for i in get(service_code="public_security")] == [recent2.number]
        assert [i["service_request_id"] for i in get(status="closed")] == [recent2.number]
        assert [i["service_request_id"] for i in get(status="open")] == [recent1.number]
        assert {i["service_request_id"] for i in get(service_request_id=f"{old.number},{recent2.number}")} == {
            old.number,
            recent2.number,
        }
        assert get(end_date="2026-08-01T00:00:00+08:00") == [
            i for i in get(start_date="2026-05-01T00:00:00+08:00") if i["service_request_id"] == old.number
        ]
        xml = ET.fromstring(Client().get(f"{BASE}/requests.xml").content)
        assert xml.tag == "service_requests" and len(xml.findall("request")) == 2
        monkeypatch.setattr("disputes.open311.MAX_RESULTS", 1)
        assert len(get()) == 1


def test_cases_of_staff_are_not_published(world, categories, report, client311):
    case = report()  # a grid worker's case
    assert Client().get(f"{BASE}/requests.json").json() == []
    assert Client().get(f"{BASE}/requests/{case.number}.json").status_code == 404


def test_the_list_is_a_constant_number_of_queries(world, client311, django_assert_max_num_queries):
    for i in range(5):
        post_request("json", world.t.micro_grids[i % 3], description=f"第 {i} 件")
    with django_assert_max_num_queries(8):
        assert len(Client().get(f"{BASE}/requests.json").json()) == 5


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_error_shapes(world, client311, fmt):
    def error(r):
        if fmt == "json":
            body = r.json()
            assert isinstance(body, list) and set(body[0]) == {"code", "description"}
            return body[0]["code"]
        root = ET.fromstring(r.content)
        assert root.tag == "errors"
        return int(root.find("error/code").text)

    micro = world.t.micro_grids[0]
    assert error(post_request(fmt, micro, api_key=None)) == 403
    assert error(post_request(fmt, micro, api_key="wrong")) == 403
    client311.active = False
    client311.save()
    assert error(post_request(fmt, micro)) == 403
    client311.active = True
    client311.save()
    assert error(post_request(fmt, micro, service_code="nope")) == 404
    assert error(Client().get(f"{BASE}/services/nope.{fmt}")) == 404
    assert error(Client().get(f"{BASE}/requests/20991231-9999.{fmt}")) == 404
    assert error(Client().get(f"{BASE}/tokens/nope.{fmt}")) == 404
    assert error(Client().get(f"{BASE}/nothing-here.{fmt}")) == 404
    assert error(post_request(fmt, micro, lat=10.0, long=10.0)) == 400  # outside the territory
    assert error(post_request(fmt, micro, lat=None, long=None)) == 400
    assert error(post_request(fmt, micro, lat="north")) == 400
    assert error(post_request(fmt, micro, description="长" * 2001)) == 400
    assert error(post_request(fmt, micro, description="")) == 400
    assert error(post_request(fmt, micro, email="not-an-email")) == 400
    assert error(post_request(fmt, micro, **{"attribute[urgency]": "panic"})) == 400
    assert error(Client().get(f"{BASE}/requests.{fmt}", {"start_date": "yesterday"})) == 400
    assert error(Client().get(f"{BASE}/requests.{fmt}", {"status": "pending"})) == 400
    assert error(Client().delete(f"{BASE}/requests.{fmt}")) == 400
    assert not Case.objects.exists()


def test_posts_are_rate_limited_per_key(world, client311):
    client311.requests_per_minute = 3
    client311.save()
    micro = world.t.micro_grids[0]
    with clock("2026-11-23 09:00"):
        assert [post_request("json", micro).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert post_request("json", micro).json()[0]["code"] == 429
    assert Case.objects.count() == 3


def test_keys_are_stored_hashed(client311):
    stored = Open311Client.objects.get()
    assert KEY not in (stored.key_hash, stored.key_hint)
    assert stored.key_hash == Open311Client.hash_key(KEY)


def test_service_request_updates(world, client311):
    micro = world.t.micro_grids[0]
    with clock("2026-11-23 09:00"):
        post_request("json", micro)
        post_request("json", micro, description="第二件")
        first, second = Case.objects.order_by("id")
    with clock("2026-11-23 10:00"):
        services.case_accept(case=first, by=world.center_town, comment="内部备注")
    with clock("2026-11-23 11:00"):
        services.case_reject(case=second, by=world.center_town, reason="不属实")
    with clock("2026-11-24 09:00"):
        all_ = Client().get(f"{BASE}/servicerequestupdates.json").json()
        assert [(u["service_request_id"], u["status"]) for u in all_] == [
            (first.number, "open"),
            (second.number, "open"),
            (first.number, "open"),
            (second.number, "closed"),
        ]
        assert {"update_id", "status", "description", "media_url", "updated_datetime"} <= set(all_[0])
        since = Client().get(f"{BASE}/servicerequestupdates.json", {"start_date": "2026-11-23T10:30:00+08:00"}).json()
        assert [(u["service_request_id"], u["status"]) for u in since] == [(second.number, "closed")]
        assert "内部备注" not in json.dumps(all_, ensure_ascii=False)
        xml = ET.fromstring(Client().get(f"{BASE}/servicerequestupdates.xml").content)
        assert xml.tag == "service_request_updates"
        assert [n.find("status").text for n in xml.findall("request_update")] == ["open", "open", "open", "closed"]


def test_seed_key_setting_default(settings):
    assert settings.OPEN311_DEMO_KEY == "demo-open311-key"


def test_outsider_reads_only_the_public_fields(world, client311, api):
    post_request("json", world.t.micro_grids[0])
    case = Case.objects.get()
    # Logged in as an outsider changes nothing: the same public answer, no private details.
    c = Client()
    c.force_login(world.outsider)
    body = c.get(f"{BASE}/requests.json").content.decode()
    assert case.number in body and "13700001111" not in body
    assert api(world.outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_old_requests_fall_out_of_the_default_window(world, client311):
    with clock("2026-11-01 10:00"):
        post_request("json", world.t.micro_grids[0])
    now = timezone.now()
    number = Case.objects.get().number
    with clock("2027-01-29 10:00"):  # 89 days later
        assert [i["service_request_id"] for i in Client().get(f"{BASE}/requests.json").json()] == [number]
    with clock("2027-02-01 10:00"):  # 92 days later
        assert Client().get(f"{BASE}/requests.json").json() == []
    assert now - timedelta(days=1) < timezone.now()
