"""/api/v1/legal/: the contract's URLs, bodies, statuses and actions; scope; 400/403/404/409."""

from __future__ import annotations

import pytest

from legal_services.models import AidApplication, Consultation, Referral

from ..clock import clock

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/legal/savvy-residents/",
    "/api/v1/legal/advisers/",
    "/api/v1/legal/service-points/",
    "/api/v1/legal/consultations/",
    "/api/v1/legal/aid/",
    "/api/v1/legal/events/",
    "/api/v1/legal/model-households/",
]


def test_the_whole_legal_aid_journey_through_the_api(world, legal_world, api):
    """legal records a consultation, refers it to legal aid, reviews (reasons shown), approves,
    assigns a lawyer, closes, and logs a 普法 event."""
    c = api(world.legal)
    with clock("2026-11-16 09:00"):
        r = c.post(
            "/api/v1/legal/consultations/",
            {"topic": "wages", "question": "老板拖欠三个月工资怎么办?", "channel": "in_person", "name": "刘工人"},
            format="json",
        )
        assert r.status_code == 201, r.content
        consultation = r.json()
        assert consultation["status"] == "open" and consultation["area"]["id"] == world.town1.pk

        r = c.post(
            f"/api/v1/legal/consultations/{consultation['id']}/refer/",
            {"to": "aid", "monthly_income": "1200", "phone": "13912345678"},
            format="json",
        )
        assert r.status_code == 201, r.content
        assert r.json()["kind"] == "aid"
        aid_id = r.json()["id"]

        detail = c.get(f"/api/v1/legal/aid/{aid_id}/").json()
        assert detail["status"] == "applied" and detail["matter"] == "wages"
        assert detail["number"].startswith("FY20261116-")
        assert detail["available_actions"] == ["review"]
        assert detail["referrals"][0]["source"]["kind"] == "consultation"
        assert detail["referrals"][0]["source"]["label"]  # resolved for the reader
        # 7 working days from Monday 09:00: the next Wednesday at 09:00.
        assert detail["review_deadline"].startswith("2026-11-25T09:00")

        r = c.post(f"/api/v1/legal/aid/{aid_id}/actions/review/", {}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "reviewing"
        reasons = r.json()["eligibility"]
        assert reasons["eligible"] is True
        assert [x["code"] for x in reasons["reasons"]] == ["matter_in_scope", "income_under"]
        assert "1500" in reasons["reasons"][1]["text"]

        assert c.post(f"/api/v1/legal/aid/{aid_id}/actions/approve/", {"comment": "符合条件"}).status_code == 200
        r = c.post(f"/api/v1/legal/aid/{aid_id}/actions/assign/", {"lawyer": legal_world.adviser.pk}, format="json")
        assert r.status_code == 200 and r.json()["lawyer"]["name"] == "陈律师"
        r = c.post(f"/api/v1/legal/aid/{aid_id}/actions/close/", {"outcome": "调解结案,追回工资"}, format="json")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "closed" and body["available_actions"] == []
        assert [e["kind"] for e in body["timeline"]] == ["apply", "review", "approve", "assign", "close"]

        r = c.post(
            "/api/v1/legal/events/",
            {
                "held_on": "2026-11-20",
                "place": "村委会广场",
                "topic": "civil_code",
                "audience": 120,
                "materials": 300,
                "area": legal_world.village1.pk,
            },
            format="json",
        )
        assert r.status_code == 201, r.content
    assert Consultation.objects.get().status == "referred"
    assert Referral.objects.count() == 1


def test_outsider_gets_404_everywhere(world, legal_world, api):
    c = api(world.outsider)
    aid = _aid(world)
    for url in LISTS:
        assert c.get(url).status_code == 404, url
        assert c.post(url, {}, format="json").status_code in (404, 405), url
    assert c.get(f"/api/v1/legal/aid/{aid.pk}/").status_code == 404
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/review/", {}).status_code == 404
    consultation = Consultation.objects.create(
        area=world.town1,
        area_path=world.town1.path,
        topic="labour",
        question="?",
        channel="phone",
        name="某人",
        recorded_by=world.legal,
    )
    assert c.get(f"/api/v1/legal/consultations/{consultation.pk}/").status_code == 404
    assert c.post(f"/api/v1/legal/consultations/{consultation.pk}/refer/", {"to": "aid"}).status_code == 404
    # Roles without legal scope get 404 too: a grid worker, a department.
    for persona in (world.grid_a, world.dept_police, world.mediator):
        assert api(persona).get("/api/v1/legal/aid/").status_code == 404


def _aid(world, **extra):
    from legal_services.services import aid_apply

    return aid_apply(by=world.legal, matter="wages", reason="欠薪", name="刘工人", **extra)


def test_scope_official_reads_and_is_refused_writes_legal_of_other_town_sees_nothing(world, legal_world, api):
    aid = _aid(world)
    official = api(world.official)
    assert official.get(f"/api/v1/legal/aid/{aid.pk}/").status_code == 200
    assert official.post(f"/api/v1/legal/aid/{aid.pk}/actions/review/", {}).status_code == 403
    r = official.post(
        "/api/v1/legal/consultations/", {"topic": "labour", "question": "?", "channel": "phone", "name": "x"}
    )
    assert r.status_code == 403
    # The adviser list shows only town 1's advisers to legal; the other town's lawyer is not one anyway.
    names = [row["name"] for row in api(world.legal).get("/api/v1/legal/advisers/").json()["results"]]
    assert names == ["陈律师"]
    adviser = api(world.legal).get("/api/v1/legal/advisers/").json()["results"][0]
    assert {"villages", "term_from", "term_to"} <= set(adviser)
    assert adviser["villages"][0]["id"] == legal_world.village1.pk


def test_states_and_bodies_409_and_400(world, legal_world, api):
    aid = _aid(world)
    c = api(world.legal)
    r = c.post(f"/api/v1/legal/aid/{aid.pk}/actions/approve/", {})
    assert r.status_code == 409 and "审查" not in r.json().get("lawyer", "")
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/review/", {}).status_code == 200
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/review/", {}).status_code == 409
    r = c.post(f"/api/v1/legal/aid/{aid.pk}/actions/refuse/", {"reason": ""})
    assert r.status_code == 400 and "reason" in r.json()
    r = c.post(f"/api/v1/legal/aid/{aid.pk}/actions/refuse/", {"reason": "x" * 501})
    assert r.status_code == 400 and "reason" in r.json()
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/bogus/", {}).status_code == 404
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/refuse/", {"reason": "不属于援助范围"}).status_code == 200
    assert c.post(f"/api/v1/legal/aid/{aid.pk}/actions/assign/", {"lawyer": 1}).status_code == 409
    # Bad bodies on creation.
    r = c.post("/api/v1/legal/aid/", {"matter": "wages", "reason": "x", "id_number": "123"}, format="json")
    assert r.status_code == 400 and {"name", "id_number"} <= set(r.json())
    r = c.post("/api/v1/legal/consultations/", {"topic": "nope", "question": "q" * 2001, "channel": "fax"})
    assert r.status_code == 400 and {"topic", "question", "channel"} <= set(r.json())
    r = c.get("/api/v1/legal/service-points/?kind=castle")
    assert r.status_code == 400


def test_assign_a_lawyer_of_another_town_is_400(world, legal_world, api):
    aid = _aid(world)
    c = api(world.legal)
    c.post(f"/api/v1/legal/aid/{aid.pk}/actions/review/", {})
    c.post(f"/api/v1/legal/aid/{aid.pk}/actions/approve/", {})
    r = c.post(f"/api/v1/legal/aid/{aid.pk}/actions/assign/", {"lawyer": legal_world.other.pk})
    assert r.status_code == 400 and "lawyer" in r.json()


def test_applicant_details_masked_for_officials_full_for_legal(world, legal_world, api):
    from tests.grids.conftest import valid_id_number

    number = valid_id_number()
    aid = _aid(world, id_number=number, phone="13912345678")
    mine = api(world.legal).get(f"/api/v1/legal/aid/{aid.pk}/").json()["applicant"]
    assert mine["id_number"] == number and mine["phone"] == "13912345678"
    theirs = api(world.official).get(f"/api/v1/legal/aid/{aid.pk}/").json()["applicant"]
    assert theirs["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert theirs["phone"] == "139****5678"
    listed = api(world.official).get("/api/v1/legal/aid/").json()["results"][0]["applicant"]
    assert "*" in listed["id_number"]


def test_lists_paginate_filter_and_keep_their_query_count(world, legal_world, api, django_assert_max_num_queries):
    for _i in range(25):
        _aid(world)
    c = api(world.legal)
    with django_assert_max_num_queries(8):
        r = c.get("/api/v1/legal/aid/?page_size=200")
    assert r.json()["count"] == 25 and len(r.json()["results"]) == 25
    assert c.get("/api/v1/legal/aid/").json()["next"]
    for url in LISTS:
        with django_assert_max_num_queries(8):
            assert c.get(url).status_code == 200, url
    assert c.get(f"/api/v1/legal/aid/?area={world.town2.pk}").status_code == 400
    assert c.get("/api/v1/legal/savvy-residents/?q=王法").json()["count"] == 1
    assert api(world.official).get("/api/v1/legal/aid/?status=applied").json()["count"] == 25


def test_create_registries_through_the_api(world, legal_world, api):
    c = api(world.legal)
    r = c.post(
        "/api/v1/legal/savvy-residents/",
        {"resident": legal_world.r2.pk, "village": legal_world.village1.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    # The other town's resident is out of scope: a field error, not a leak.
    r = c.post("/api/v1/legal/savvy-residents/", {"resident": legal_world.r3.pk, "village": legal_world.village1.pk})
    assert r.status_code == 400 and "resident" in r.json()
    r = c.post(
        "/api/v1/legal/advisers/",
        {
            "name": "周律师",
            "firm": "包头律所",
            "licence_no": "X-1",
            "area": world.town1.pk,
            "villages": [legal_world.village1.pk],
            "term_from": "2026-01-01",
            "term_to": "2025-12-31",
        },
        format="json",
    )
    assert r.status_code == 400 and "term_to" in r.json()


def test_consultation_refer_to_case_goes_through_governance(world, legal_world, api, categories):
    c = api(world.legal)
    consultation = c.post(
        "/api/v1/legal/consultations/",
        {"topic": "neighbour", "question": "邻居占道堆放杂物", "channel": "phone", "resident": legal_world.r1.pk},
        format="json",
    ).json()
    r = c.post(
        f"/api/v1/legal/consultations/{consultation['id']}/refer/",
        {"to": "case", "category": "road_damage", "note": "需城管处理"},
        format="json",
    )
    assert r.status_code == 201, r.content
    from disputes.models import Case

    case = Case.objects.get(pk=r.json()["id"])
    assert case.description == "邻居占道堆放杂物" and case.area_id == legal_world.r1.micro_grid_id
    assert list(case.involved_residents.all()) == [legal_world.r1]
    detail = c.get(f"/api/v1/legal/consultations/{consultation['id']}/").json()
    assert detail["status"] == "referred"
    assert detail["referrals"][0]["target"] == {
        "kind": "case",
        "id": case.pk,
        "label": case.number,
        "url": f"/cases/{case.pk}/",
    }
    assert c.post(f"/api/v1/legal/consultations/{consultation['id']}/refer/", {"to": "nowhere"}).status_code == 400
    r = c.post(f"/api/v1/legal/consultations/{consultation['id']}/refer/", {"to": "case", "category": "zzz"})
    assert r.status_code == 400 and "category" in r.json()


def test_schema_lists_the_legal_endpoints(world, api):
    schema = api(world.legal).get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/legal/aid/",
        "/api/v1/legal/aid/{id}/actions/{name}/",
        "/api/v1/legal/consultations/",
        "/api/v1/legal/events/",
        "/api/v1/legal/service-points/",
    ):
        assert path in schema["paths"], path
    assert AidApplication  # the module is importable for the schema


def test_referrals_show_on_the_case_page_too(world, legal_world, api, categories, browser_client):
    """Consultation → case, and case → legal aid: each visible on both sides."""
    from governance.referrals import refer_case_to_aid

    c = api(world.legal)
    consultation = c.post(
        "/api/v1/legal/consultations/",
        {"topic": "wages", "question": "工地欠薪", "channel": "phone", "name": "刘工"},
        format="json",
    ).json()
    case_id = c.post(
        f"/api/v1/legal/consultations/{consultation['id']}/refer/", {"to": "case", "category": "road_damage"}
    ).json()["id"]
    from disputes.models import Case

    aid_id = refer_case_to_aid(case=Case.objects.get(pk=case_id), by=world.legal, matter="wages", name="刘工")
    page = browser_client(world.center_town).get(f"/cases/{case_id}/").content.decode()
    assert page.count("data-referral=") == 2
    assert 'data-referral="consultation"' in page and 'data-referral="aid"' in page
    aid = c.get(f"/api/v1/legal/aid/{aid_id}/").json()
    assert aid["referrals"][0]["source"] == {
        "kind": "case",
        "id": case_id,
        "label": Case.objects.get(pk=case_id).number,
        "url": f"/cases/{case_id}/",
    }


def test_details_keep_their_query_count(world, legal_world, api, browser_client, django_assert_max_num_queries):
    aid = _aid(world)
    c = api(world.legal)
    for action in ("review", "approve"):
        c.post(f"/api/v1/legal/aid/{aid.pk}/actions/{action}/", {})
    with django_assert_max_num_queries(12):
        assert c.get(f"/api/v1/legal/aid/{aid.pk}/").status_code == 200
    page = browser_client(world.legal)
    with django_assert_max_num_queries(14):
        assert page.get(f"/legal/aid/{aid.pk}/").status_code == 200
    consultation = Consultation.objects.create(
        area=world.town1,
        area_path=world.town1.path,
        topic="labour",
        question="?",
        channel="phone",
        name="某人",
        recorded_by=world.legal,
    )
    with django_assert_max_num_queries(8):
        assert c.get(f"/api/v1/legal/consultations/{consultation.pk}/").status_code == 200
    assert (
        api(world.outsider).post(f"/api/v1/legal/consultations/{consultation.pk}/answer/", {"answer": "x"}).status_code
        == 404
    )
    r = c.post(f"/api/v1/legal/consultations/{consultation.pk}/answer/", {"answer": "可以申请仲裁"})
    assert r.status_code == 200 and r.json()["status"] == "answered"
    assert (
        api(world.official).post(f"/api/v1/legal/consultations/{consultation.pk}/answer/", {"answer": "x"}).status_code
        == 403
    )


@pytest.mark.parametrize("body", [[1, 2], "case", 5, {"to": ["case"]}, {"to": {"kind": "case"}}])
def test_a_refer_body_that_is_not_an_object_with_a_string_target_is_a_400(world, legal_world, api, body):
    # Found by the fuzz (tests/fuzz): these were 500s (`.get` on a list, a list as a registry key).
    c = api(world.legal)
    consultation = c.post(
        "/api/v1/legal/consultations/",
        {"topic": "neighbour", "question": "邻居占道堆放杂物", "channel": "phone", "resident": legal_world.r1.pk},
        format="json",
    ).json()
    r = c.post(f"/api/v1/legal/consultations/{consultation['id']}/refer/", body, format="json")
    assert r.status_code == 400, r.content
    assert Referral.objects.count() == 0


def test_the_schema_documents_the_404_a_role_without_legal_services_gets(world, api):
    schema = api(world.legal).get("/api/v1/schema/?format=json").json()
    assert api(world.grid_a).get("/api/v1/legal/events/").status_code == 404
    for path, method in (("/api/v1/legal/events/", "get"), ("/api/v1/legal/events/", "post")):
        assert "404" in schema["paths"][path][method]["responses"], (path, method)
