"""The case pages: the same journey as the API through the browser forms, scoping and query counts."""

import pytest
import time_machine

from disputes import services
from disputes.models import Case

pytestmark = pytest.mark.django_db


def post_action(client, case, action, **data):
    return client.post(f"/cases/{case.pk}/actions/{action}/", data)


@time_machine.travel("2026-11-17 09:00 +0800", tick=False)
def test_journey_through_the_pages(world, categories, browser_client):
    grid_a = browser_client(world.grid_a)
    assert grid_a.get("/cases/new/").status_code == 200
    micro = world.t.micro_grids[0]
    r = grid_a.post(
        "/cases/new/",
        {
            "category": categories.road.pk,
            "urgency": "urgent",
            "description": "路面塌陷",
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
        },
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.area == micro and case.urgency == "urgent"
    page = grid_a.get("/cases/?tab=mine").content.decode()
    assert case.number in page and micro.name in page

    center = browser_client(world.center_town)
    page = center.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-action="accept"' in page and 'data-action="dispatch"' not in page
    assert post_action(center, case, "accept").status_code == 302
    page = center.get(f"/cases/{case.pk}/").content.decode()
    # Dispatch suggests the departments serving the area.
    assert world.police1.name in page and world.police2.name not in page
    r = post_action(center, case, "dispatch", lead_department=world.police1.pk, co_departments=[world.urban1.pk])
    assert r.status_code == 302

    urban, police = browser_client(world.dept_urban), browser_client(world.dept_police)
    assert case.number in urban.get("/cases/?tab=to_sign").content.decode()
    post_action(urban, case, "sign")
    post_action(urban, case, "report", result="已设置围挡")
    post_action(police, case, "sign")
    post_action(police, case, "handle", result="已修复")
    post_action(center, case, "verify")
    post_action(center, case, "feedback", satisfaction="satisfied")
    post_action(center, case, "close")
    case.refresh_from_db()
    assert case.status == "closed"
    page = center.get(f"/cases/{case.pk}/").content.decode()
    for label in ("上报", "受理", "派单", "签收", "协办反馈", "办结", "核查通过", "回访", "结案"):
        assert label in page
    assert 'data-testid="actions"' not in page  # nothing left to do


def test_form_errors_are_shown_and_nothing_is_saved(world, categories, browser_client):
    grid_a = browser_client(world.grid_a)
    r = grid_a.post("/cases/new/", {"category": categories.road.pk, "urgency": "normal", "description": "x"})
    assert r.status_code == 200
    assert "field-error" in r.content.decode()
    assert Case.objects.count() == 0
    case = services.case_create(by=world.grid_a, category=categories.road, description="x", area=world.t.grids[0])
    r = browser_client(world.center_town).post(f"/cases/{case.pk}/actions/reject/", {"reason": ""})
    assert r.status_code == 400
    assert "field-error" in r.content.decode()
    case.refresh_from_db()
    assert case.status == "reported"


def test_wrong_state_shows_a_message_not_an_error_page(world, report, browser_client):
    case = report()
    center = browser_client(world.center_town)
    post_action(center, case, "accept")
    r = center.post(f"/cases/{case.pk}/actions/accept/", follow=True)
    assert r.status_code == 200
    assert "无需重复操作" in r.content.decode()


def test_pages_are_scoped(world, report, browser_client):
    case = report()
    for persona in (world.grid_b, world.dept_police, world.center_town2, world.outsider):
        c = browser_client(persona)
        assert c.get(f"/cases/{case.pk}/").status_code == 404
        assert c.post(f"/cases/{case.pk}/actions/accept/").status_code == 404
        assert case.number not in c.get("/cases/?tab=all").content.decode()
    r = browser_client(world.official).post(f"/cases/{case.pk}/actions/accept/", follow=True)
    assert "无权" in r.content.decode()
    assert Case.objects.get(pk=case.pk).status == "reported"
    # The official may not report: the form is not shown, the queue says why.
    r = browser_client(world.official).get("/cases/new/")
    assert r.status_code == 302 and r["Location"] == "/cases/"
    assert "您的角色不能上报事项" in browser_client(world.official).get("/cases/new/", follow=True).content.decode()
    r = browser_client(world.grid_a).get("/cases/new/")
    assert r.status_code == 200 and 'name="description"' in r.content.decode()


def test_anonymous_is_sent_to_login(world, report, client):
    case = report()
    for url in ("/", "/cases/", "/cases/new/", f"/cases/{case.pk}/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def _dispatch_many(world, report, n):
    for _ in range(n):
        case = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(
            case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
        )


@pytest.mark.parametrize("persona,tab", [("center_town", "all"), ("dept_police", "to_sign"), ("grid_a", "mine")])
def test_queue_query_count_does_not_grow(world, report, browser_client, django_assert_max_num_queries, persona, tab):
    client = browser_client(getattr(world, persona))
    _dispatch_many(world, report, 2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(f"/cases/?tab={tab}").status_code == 200
    _dispatch_many(world, report, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/cases/?tab={tab}").content.decode()
    assert page.count("data-case=") == 14


def test_api_list_query_count_and_filters(world, report, api, django_assert_max_num_queries, categories):
    _dispatch_many(world, report, 3)
    report(category=categories.security)
    client = api(world.center_town)
    with django_assert_max_num_queries(12) as few:
        r = client.get("/api/v1/cases/")
    assert r.json()["count"] == 4
    _dispatch_many(world, report, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/cases/").json()["count"] == 14
    assert client.get("/api/v1/cases/", {"status": "reported"}).json()["count"] == 1
    assert client.get("/api/v1/cases/", {"category": "public_security"}).json()["count"] == 1
    assert client.get("/api/v1/cases/", {"area": world.t.grids[0].pk}).json()["count"] == 14
    assert client.get("/api/v1/cases/", {"area": world.t.grids[1].pk}).json()["count"] == 0
    assert client.get("/api/v1/cases/", {"overdue": "true"}).json()["count"] == 0
    assert client.get("/api/v1/cases/", {"area": world.t.grids[2].pk}).status_code == 400  # not theirs
    assert client.get("/api/v1/cases/", {"area": "abc"}).status_code == 400
    assert client.get("/api/v1/cases/", {"page_size": 500}).json()["count"] == 14
    assert len(client.get("/api/v1/cases/", {"page_size": 5}).json()["results"]) == 5
    assert api(world.grid_b).get("/api/v1/cases/").json()["count"] == 0


def test_timeline_labels_intake_and_co_department_feedback_apart(world, report, browser_client):
    case = services.case_accept(case=report(), by=world.center_town)
    case = services.case_dispatch(
        case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
    )
    services.case_sign(case=case, by=world.dept_urban)
    services.case_report(case=case, by=world.dept_urban, result="已配合")
    page = browser_client(world.center_town).get(f"/cases/{case.pk}/").content.decode()
    import re

    labels = re.findall(r'<li data-event="(\w+)">\s*<time[^>]*>[^<]*</time>\s*<strong>([^<]+)</strong>', page)
    assert labels[0] == ("create", "上报")
    assert ("report", "协办反馈") in labels


def test_dispatch_suggests_the_categorys_usual_departments(world, report, browser_client):
    case = services.case_accept(case=report(), by=world.center_town)  # road damage: usually urban management
    page = browser_client(world.center_town).get(f"/cases/{case.pk}/").content.decode()
    select = page[page.index('name="lead_department"') : page.index("</select>", page.index('name="lead_department"'))]
    options = select.split("<option")[2:]  # after the empty choice
    assert world.urban1.name in options[0] and "selected" in options[0] and "常用" in options[0]
    assert world.police2.name not in select  # town 2's station does not serve this area


def test_a_very_long_queue_counts_only_up_to_the_cap(world, report, browser_client, monkeypatch):
    from grids import pagination

    for _ in range(25):
        report()
    monkeypatch.setattr(pagination, "COUNT_CAP", 21)
    page = browser_client(world.center_town).get("/cases/?tab=all").content.decode()
    assert "超过 21 条" in page and "第 1 / 2 页" in page

    monkeypatch.setattr(pagination, "COUNT_CAP", 100)
    assert "共 25 条" in browser_client(world.center_town).get("/cases/?tab=all").content.decode()


def test_tab_badges_count_up_to_their_cap_in_one_statement(world, report, browser_client, monkeypatch):
    """A badge counts at most BADGE_CAP + 1 rows ("999+" past it); all of a page's badges are one
    statement, so they cost the same at a thousand cases and at a million."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grids import pagination

    for _ in range(6):
        report()
    monkeypatch.setattr(pagination, "BADGE_CAP", 5)
    client = browser_client(world.center_town)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/cases/?tab=new").content.decode()
    assert '<span class="tab-count" data-tab-count="new">5+</span>' in page
    assert '<span class="tab-count" data-tab-count="returned">0</span>' in page
    assert "共 <span data-total>6</span> 件" in page  # the list's own total is exact below COUNT_CAP
    badge_statements = [q["sql"] for q in queries.captured_queries if q["sql"].count("count(*)") >= 8]
    assert len(badge_statements) == 1, "eight tabs, one statement"
    assert badge_statements[0].count("LIMIT 6") == 8


def test_the_api_count_stops_at_the_cap_and_says_so(world, report, api, monkeypatch):
    from grids import pagination

    for _ in range(25):
        report()
    client = api(world.center_town)
    r = client.get("/api/v1/cases/")
    assert r.json()["count"] == 25 and "X-Count-Capped" not in r
    monkeypatch.setattr(pagination, "COUNT_CAP", 21)
    r = client.get("/api/v1/cases/", {"page_size": 20})
    assert r.json()["count"] == 21 and r["X-Count-Capped"] == "21"
    assert r.json()["next"] and len(r.json()["results"]) == 20
    last = client.get("/api/v1/cases/", {"page_size": 20, "page": 2}).json()
    assert len(last["results"]) == 1 and last["next"] is None  # pages go as far as the cap, as on the page


@pytest.fixture
def small_and_big(world, report):
    """Two cases in the same state (lead signed in): one with a short timeline and one department,
    one with a co-department and a long timeline."""
    from disputes import services

    cases = []
    for co, notes in (([], 0), ([world.urban1], 8)):
        case = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1, co_departments=co)
        services.case_sign(case=case, by=world.dept_police)
        for n in range(notes):
            services.case_progress(case=case, by=world.dept_police, note=f"进展 {n}")
        cases.append(case)
    return cases


def test_case_page_query_count_does_not_grow(world, small_and_big, browser_client, django_assert_max_num_queries):
    small, big = small_and_big
    center = browser_client(world.center_town)
    with django_assert_max_num_queries(40) as few:
        assert center.get(f"/cases/{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = center.get(f"/cases/{big.pk}/")
    assert r.status_code == 200 and r.content.decode().count('data-event="progress"') == 8


def test_api_detail_query_count_does_not_grow(world, small_and_big, api, django_assert_max_num_queries):
    small, big = small_and_big
    client = api(world.center_town)
    with django_assert_max_num_queries(30) as few:
        assert client.get(f"/api/v1/cases/{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(f"/api/v1/cases/{big.pk}/")
    assert r.status_code == 200 and len(r.json()["timeline"]) == 12


@pytest.mark.parametrize(
    "field, value",
    [("lat", "NaN"), ("lat", "91"), ("lng", "abc"), ("lat", "1e400"), ("lat", "")],
)
def test_the_report_page_refuses_bad_coordinates_with_a_field_error(world, categories, browser_client, field, value):
    micro = world.t.micro_grids[0]
    data = {"category": categories.road.pk, "urgency": "normal", "description": "路面塌陷"}
    data.update(lat=micro.centroid_lat, lng=micro.centroid_lng)
    data[field] = value
    if value == "":
        data.pop("lng")  # a pin needs both
    r = browser_client(world.grid_a).post("/cases/new/", data)
    assert r.status_code == 200  # the form again, its errors summed up above it
    assert 'data-testid="error-summary"' in r.content.decode()
    assert not Case.objects.exists()


def test_a_report_with_one_bad_photo_among_good_ones_stores_nothing(
    world, categories, browser_client, settings, tmp_path
):
    """The case is not created without its photo, and no file of the batch is left on disk."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from disputes.models import Attachment

    settings.MEDIA_ROOT = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    good = SimpleUploadedFile("good.png", buffer.getvalue(), content_type="image/png")
    bad = SimpleUploadedFile("invoice.jpg", b"%!PS-Adobe not a photo", content_type="image/jpeg")
    micro = world.t.micro_grids[0]
    r = browser_client(world.grid_a).post(
        "/cases/new/",
        {
            "category": categories.road.pk,
            "urgency": "normal",
            "description": "路面塌陷",
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
            "photos": [good, bad],
        },
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert 'data-testid="error-summary"' in page and "文件「invoice.jpg」不是允许的格式" in page
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
