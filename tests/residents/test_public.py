"""The resident's own pages, no login: report with a challenge, track by an unguessable code, rate."""

import re

import pytest
from django.test import Client

from disputes import services
from disputes.models import Case, CaseContact, Source
from tests.clock import clock

pytestmark = pytest.mark.django_db


def solve(page: str) -> tuple[str, int]:
    token = re.search(r'name="challenge" value="([^"]+)"', page).group(1)
    a, b = re.search(r'data-testid="challenge-question">(\d+) \+ (\d+)<', page).groups()
    return token, int(a) + int(b)


def report(client, micro, category, **extra):
    token, answer = solve(client.get("/report/").content.decode())
    body = {
        "category": category.pk,
        "description": "小区门口路灯坏了",
        "lat": micro.centroid_lat,
        "lng": micro.centroid_lng,
        "phone": "13800138000",
        "challenge": token,
        "answer": answer,
    }
    body.update(extra)
    return client.post("/report/", body)


def walk_to_verified(world, case):
    services.case_accept(case=case, by=world.center_town)
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1)
    services.case_sign(case=case, by=world.dept_urban)
    services.case_handle(case=case, by=world.dept_urban, result="已修复")
    services.case_verify(case=case, by=world.center_town)


def test_a_resident_reports_without_an_account_and_gets_a_tracking_code(world, categories):
    c = Client()
    r = report(c, world.t.micro_grids[0], categories.road)
    assert r.status_code == 302, r.content.decode()[:3000]
    case = Case.objects.get()
    assert case.source == Source.RESIDENT
    assert case.area == world.t.micro_grids[0] and case.center == world.town1
    code = case.contact.tracking_code
    assert len(code) >= 16
    assert r["Location"] == f"/track/{code}/"
    page = c.get(r["Location"]).content.decode()
    assert code in page and case.number in page and "已上报" in page


def test_the_challenge_is_needed_and_good_once(world, categories):
    c = Client()
    r = report(c, world.t.micro_grids[0], categories.road, answer=999)
    assert r.status_code == 400 and not Case.objects.exists()
    token, answer = solve(c.get("/report/").content.decode())
    body = {
        "category": categories.road.pk,
        "description": "x",
        "lat": world.t.micro_grids[0].centroid_lat,
        "lng": world.t.micro_grids[0].centroid_lng,
        "challenge": token,
        "answer": answer,
    }
    assert c.post("/report/", body).status_code == 302
    assert c.post("/report/", body).status_code == 400  # replayed
    assert Case.objects.count() == 1
    body["challenge"] = token[:-2] + "xx"  # forged
    assert c.post("/report/", body).status_code == 400


def test_reports_per_ip_are_rate_limited(world, categories):
    c = Client()
    for _ in range(10):
        assert report(c, world.t.micro_grids[0], categories.road).status_code == 302
    assert report(c, world.t.micro_grids[0], categories.road).status_code == 429
    assert Case.objects.count() == 10
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert report(other, world.t.micro_grids[0], categories.road).status_code == 302


def test_pins_outside_the_territory_and_oversize_text_are_refused(world, categories):
    c = Client()
    r = report(c, world.t.micro_grids[0], categories.road, lat=10.0, lng=10.0)
    assert r.status_code == 400 and "不在本区" in r.content.decode()
    r = report(c, world.t.micro_grids[0], categories.road, description="长" * 2001)
    assert r.status_code == 400
    r = report(c, world.t.micro_grids[0], categories.road, phone="12")
    assert r.status_code == 400
    assert not Case.objects.exists()


def test_wrong_codes_are_404(world, categories):
    assert Client().get("/track/not-a-code/").status_code == 404
    assert Client().get("/track/" + "a" * 16 + "/").status_code == 404


def test_the_tracking_page_shows_no_staff_names_notes_or_resident_details(world, categories):
    world.center_town.first_name = "中心张三"
    world.center_town.save()
    case, code = services.case_report_public(
        category=categories.road,
        description="路灯坏了",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
        phone="13800138000",
    )
    services.case_accept(case=case, by=world.center_town, comment="内部意见:先联系物业")
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1, comment="派单备注")
    page = Client().get(f"/track/{code}/").content.decode()
    assert "已派单" in page
    for secret in ("中心张三", "center_town", "内部意见", "派单备注", "13800138000", "138****8000"):
        assert secret not in page


def test_the_resident_rates_and_it_counts_in_the_satisfaction_rate(world, categories, api):
    with clock("2026-11-23 09:00"):
        case, code = services.case_report_public(
            category=categories.road,
            description="路灯坏了",
            lat=world.t.micro_grids[0].centroid_lat,
            lng=world.t.micro_grids[0].centroid_lng,
        )
        c = Client()
        assert "submit-rating" not in c.get(f"/track/{code}/").content.decode()
        assert c.post(f"/track/{code}/", {"satisfaction": "satisfied"}).status_code == 302  # too early: nothing
        assert Case.objects.get().satisfaction == ""
        walk_to_verified(world, case)
        assert "submit-rating" in c.get(f"/track/{code}/").content.decode()
        r = c.post(f"/track/{code}/", {"satisfaction": "basically_satisfied", "comment": "修得及时"})
        assert r.status_code == 302
        assert Case.objects.get().satisfaction == "basically_satisfied"
        assert "submit-rating" not in c.get(f"/track/{code}/").content.decode()
        c.post(f"/track/{code}/", {"satisfaction": "dissatisfied"})  # a second answer is refused
        assert Case.objects.get().satisfaction == "basically_satisfied"
        figures = api(world.center_town).get("/api/v1/dashboard/", {"area": world.town1.pk}).json()
    assert figures["kpis"]["satisfaction_rate"] == 1.0
    assert figures["sources"]["resident"] == 1


def test_dissatisfied_lets_the_center_reopen(world, categories, api):
    case, code = services.case_report_public(
        category=categories.road,
        description="路灯坏了",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
    )
    walk_to_verified(world, case)
    assert Client().post(f"/track/{code}/", {"satisfaction": "dissatisfied", "comment": "没修好"}).status_code == 302
    body = api(world.center_town).get(f"/api/v1/cases/{case.pk}/").json()
    assert "reopen" in body["available_actions"]
    r = api(world.center_town).post(f"/api/v1/cases/{case.pk}/actions/reopen/", {"reason": "群众不满意"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert world.center_town.notifications.filter(key="resident.dissatisfied").exists()


def test_oversize_rating_comment_is_refused(world, categories):
    case, code = services.case_report_public(
        category=categories.road,
        description="x",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
    )
    walk_to_verified(world, case)
    assert Client().post(f"/track/{code}/", {"satisfaction": "satisfied", "comment": "长" * 501}).status_code == 400
    assert Case.objects.get().satisfaction == ""


def test_a_phone_left_gets_an_sms_at_acceptance_and_closure(
    world, categories, sms_outbox, django_capture_on_commit_callbacks
):
    from disputes.models import ResidentSms
    from disputes.resident_sms import send

    case, code = services.case_report_public(
        category=categories.road,
        description="x",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
        phone="13800138000",
    )
    services.case_accept(case=case, by=world.center_town)
    walk = ResidentSms.objects.get(moment="accepted")
    assert send(walk.pk) == "sent" and send(walk.pk) == "already sent"
    assert sms_outbox == [("13800138000", f"您反映的问题({case.number})已受理,查询码 {code}")]
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1)
    services.case_sign(case=case, by=world.dept_urban)
    services.case_handle(case=case, by=world.dept_urban, result="已修复")
    services.case_verify(case=case, by=world.center_town)
    services.case_close(case=case, by=world.center_town, unreachable=True)
    send(ResidentSms.objects.get(moment="closed").pk)
    assert len(sms_outbox) == 2 and code in sms_outbox[1][1]


def test_no_phone_no_sms(world, categories, sms_outbox):
    from disputes.models import ResidentSms

    case, _code = services.case_report_public(
        category=categories.road,
        description="x",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
    )
    services.case_accept(case=case, by=world.center_town)
    assert not ResidentSms.objects.exists()
    assert CaseContact.objects.get().sms is False


def test_the_public_case_is_not_visible_to_outsiders(world, categories, api):
    case, _code = services.case_report_public(
        category=categories.road,
        description="x",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
        phone="13800138000",
    )
    assert api(world.outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api(world.grid_b).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api(world.center_town).get(f"/api/v1/cases/{case.pk}/").json()["contact"]["phone"] == "13800138000"


def test_photos_from_the_report_page_are_kept_for_staff_only(world, categories, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from disputes.models import Attachment

    settings.MEDIA_ROOT = str(tmp_path)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    photo = SimpleUploadedFile("street.png", buf.getvalue(), content_type="image/png")
    c = Client()
    assert report(c, world.t.micro_grids[0], categories.road, photos=[photo]).status_code == 302
    item = Attachment.objects.get()
    assert item.case.source == Source.RESIDENT
    assert c.get(f"/attachments/{item.token}/").status_code == 302  # behind the login
    staff = Client()
    staff.force_login(world.center_town)
    assert staff.get(f"/attachments/{item.token}/").status_code == 200
    fake = SimpleUploadedFile("evil.png", b"<script>", content_type="image/png")
    assert report(c, world.t.micro_grids[0], categories.road, photos=[fake]).status_code == 400


def test_the_tracking_page_is_a_constant_number_of_queries(world, categories, django_assert_max_num_queries):
    case, code = services.case_report_public(
        category=categories.road,
        description="x",
        lat=world.t.micro_grids[0].centroid_lat,
        lng=world.t.micro_grids[0].centroid_lng,
    )
    c = Client()
    c.get(f"/track/{code}/")
    with django_assert_max_num_queries(8):  # the case, "rated?", the timeline, the session and the rate limit
        assert c.get(f"/track/{code}/").status_code == 200
    walk_to_verified(world, case)  # more timeline lines, the same queries
    with django_assert_max_num_queries(8):
        assert c.get(f"/track/{code}/").status_code == 200
