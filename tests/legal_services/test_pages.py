"""The legal-services pages: workbench, lists with search and XLSX export, details with their action
forms, the calendar, the village page block; 404 for everyone without a legal role."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from legal_services.models import Consultation, LawEvent
from legal_services.services import aid_apply, consultation_record, event_log

from ..clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, legal_world):
    with clock("2026-11-16 09:00"):
        consultation = consultation_record(
            by=world.legal, topic="wages", question="欠薪怎么办", channel="phone", name="刘工人"
        )
        aid = aid_apply(by=world.legal, matter="wages", reason="欠薪三个月", name="刘工人")
        event = event_log(
            by=world.legal,
            held_on=consultation.asked_at.date(),
            place="广场",
            organiser="一街司法所",
            topic="anti_fraud",
            audience=80,
            area=legal_world.village1,
        )
    return consultation, aid, event


def _urls(consultation, aid):
    return [
        reverse("legal:workbench"),
        reverse("legal:consultation_list"),
        reverse("legal:consultation_new"),
        reverse("legal:consultation_detail", args=[consultation.pk]),
        reverse("legal:aid_list"),
        reverse("legal:aid_new"),
        reverse("legal:aid_detail", args=[aid.pk]),
        reverse("legal:event_list"),
        reverse("legal:event_new"),
        reverse("legal:event_calendar"),
        *[
            reverse("legal:registry", args=[k])
            for k in ("savvy", "advisers", "service-points", "model-households", "model-villages")
        ],
    ]


def test_every_page_is_404_for_outsiders_and_roles_without_legal_scope(world, records, browser_client):
    consultation, aid, _event = records
    for persona in (world.outsider, world.grid_a, world.dept_police):
        c = browser_client(persona)
        for url in _urls(consultation, aid):
            assert c.get(url).status_code == 404, (persona, url)
        assert c.post(reverse("legal:aid_action", args=[aid.pk, "review"])).status_code == 404
        assert c.post(reverse("legal:consultation_answer", args=[consultation.pk]), {"answer": "x"}).status_code == 404
        assert c.post(reverse("legal:consultation_refer", args=[consultation.pk, "aid"])).status_code == 404


def test_every_page_renders_for_legal_and_for_the_official(world, records, browser_client):
    consultation, aid, _event = records
    legal = browser_client(world.legal)
    for url in _urls(consultation, aid):
        assert legal.get(url).status_code == 200, url
    official = browser_client(world.official)
    assert official.get(reverse("legal:aid_detail", args=[aid.pk])).status_code == 200
    # An official reads but records nothing.
    assert official.get(reverse("legal:consultation_new")).status_code == 404
    assert b"do-review" not in official.get(reverse("legal:aid_detail", args=[aid.pk])).content


def test_workbench_shows_what_needs_doing_today(world, records, browser_client, django_assert_max_num_queries):
    consultation, aid, _event = records
    c = browser_client(world.legal)
    with django_assert_max_num_queries(14):
        page = c.get(reverse("legal:workbench")).content.decode()
    assert aid.number in page and "欠薪" not in page.split("to-answer")[0][-10:]
    assert 'data-kpi="to_review">1<' in page and 'data-kpi="to_answer">1<' in page
    assert 'data-clock="' in page


def test_aid_page_actions_and_the_eligibility_reasons(world, records, browser_client):
    _consultation, aid, _event = records
    c = browser_client(world.legal)
    r = c.post(reverse("legal:aid_action", args=[aid.pk, "review"]))
    assert r.status_code == 302
    page = c.get(reverse("legal:aid_detail", args=[aid.pk])).content.decode()
    assert "属于法律援助事项范围" in page and "未填写家庭人均月收入" in page
    assert 'data-action="approve"' in page and 'data-action="refuse"' in page
    # A refusal without a reason comes back with the field error, not a 500.
    r = c.post(reverse("legal:aid_action", args=[aid.pk, "refuse"]), {"reason": ""})
    assert r.status_code == 400 and "field-error" in r.content.decode()
    c.post(reverse("legal:aid_action", args=[aid.pk, "approve"]))
    c.post(reverse("legal:aid_action", args=[aid.pk, "assign"]), {"lawyer": _lawyer()})
    aid.refresh_from_db()
    assert aid.status == "assigned"


def _lawyer() -> int:
    from legal_services.models import Lawyer

    return Lawyer.objects.get(name="陈律师").pk


def test_consultation_page_answers_and_refers_to_aid(world, records, browser_client):
    consultation, _aid, _event = records
    c = browser_client(world.legal)
    assert (
        c.post(reverse("legal:consultation_answer", args=[consultation.pk]), {"answer": "可申请法律援助"}).status_code
        == 302
    )
    r = c.post(reverse("legal:consultation_refer", args=[consultation.pk, "aid"]), {"monthly_income": "800"})
    assert r.status_code == 302 and "/legal/aid/" in r["Location"]
    page = c.get(reverse("legal:consultation_detail", args=[consultation.pk])).content.decode()
    assert 'data-referral="aid"' in page
    assert Consultation.objects.get(pk=consultation.pk).status == "referred"


def test_lists_search_export_and_keep_their_query_count(world, records, browser_client, django_assert_max_num_queries):
    c = browser_client(world.legal)
    for _i in range(15):
        aid_apply(by=world.legal, matter="labour", reason="劳动争议", name="工人")
    with django_assert_max_num_queries(14):
        assert c.get(reverse("legal:aid_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(reverse("legal:consultation_list")).status_code == 200
    for kind in ("savvy", "advisers", "service-points", "model-households", "model-villages"):
        with django_assert_max_num_queries(12):
            assert c.get(reverse("legal:registry", args=[kind])).status_code == 200
    page = c.get(reverse("legal:registry", args=["savvy"]) + "?q=王法").content.decode()
    assert "王法明" in page
    r = c.get(reverse("legal:registry", args=["advisers"]) + "?export=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "姓名" and rows[1][0] == "陈律师" and rows[1][3] == "测试社区1"
    r = c.get(reverse("legal:aid_list") + "?export=xlsx&status=applied")
    assert len(list(load_workbook(io.BytesIO(r.content)).active.values)) == 17


def test_event_calendar_per_town(world, records, browser_client):
    _c, _a, event = records
    c = browser_client(world.legal)
    page = c.get(reverse("legal:event_calendar") + "?month=2026-11").content.decode()
    assert f'data-calendar-event="{event.pk}"' in page
    assert c.get(reverse("legal:event_calendar") + f"?town={world.town2.pk}").status_code == 404
    official = browser_client(world.official)
    page = official.get(reverse("legal:event_calendar") + f"?town={world.town2.pk}&month=2026-11").content.decode()
    assert "data-calendar-event" not in page


def test_logging_an_event_on_the_page(world, legal_world, browser_client):
    c = browser_client(world.legal)
    r = c.post(
        reverse("legal:event_new"),
        {
            "held_on": "2026-11-20",
            "topic": "civil_code",
            "place": "村委会",
            "organiser": "司法所",
            "audience": "50",
            "materials": "100",
            "area": legal_world.village1.pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert LawEvent.objects.get().audience == 50
    r = c.post(reverse("legal:event_new"), {"held_on": "2026-11-20", "topic": "civil_code", "place": "x" * 201})
    assert r.status_code == 200 and "field-error" in r.content.decode()


def test_village_page_shows_its_adviser_and_legal_savvy_residents(world, legal_world, browser_client):
    page = (
        browser_client(world.center_town).get(reverse("area_detail", args=[legal_world.village1.pk])).content.decode()
    )
    assert 'data-testid="village-legal"' in page
    assert "陈律师" in page and "王法明" in page
    other = (
        browser_client(world.center_town2).get(reverse("area_detail", args=[legal_world.village2.pk])).content.decode()
    )
    assert "尚未配备法律顾问" in other
    # A town page has no such block.
    assert (
        "village-legal"
        not in browser_client(world.legal).get(reverse("area_detail", args=[world.town1.pk])).content.decode()
    )


def test_nav_and_home_block_for_legal(world, records, browser_client):
    page = browser_client(world.legal).get(reverse("home")).content.decode()
    assert 'data-testid="nav-legal"' in page and 'data-testid="home-legal"' in page
    page = browser_client(world.grid_a).get(reverse("home")).content.decode()
    assert "nav-legal" not in page and "home-legal" not in page


def test_lessons_from_closed_cases_without_personal_details(world, legal_world, browser_client, report):
    from disputes.models import Case, Status

    case = report(description="某甲与某乙因欠款发生纠纷")
    c = browser_client(world.legal)
    body = {
        "source_kind": "case",
        "source_id": case.pk,
        "title": "借款要留借条",
        "lesson": "民间借贷应当签订书面借条。",
        "law_refs": "民法典第六百六十八条",
        "area": world.town1.pk,
    }
    r = c.post(reverse("legal:lesson_new"), body)
    assert r.status_code == 200 and "只能选择已办结的事项" in r.content.decode()
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    r = c.post(reverse("legal:lesson_new"), body | {"lesson": "当事人电话 13912345678"})
    assert "请删去身份证号、手机号等个人信息" in r.content.decode()
    assert c.post(reverse("legal:lesson_new"), body).status_code == 302
    assert "借款要留借条" in c.get(reverse("legal:lesson_list")).content.decode()
    assert browser_client(world.outsider).get(reverse("legal:lesson_list")).status_code == 404
    assert browser_client(world.outsider).get(reverse("legal:lesson_new")).status_code == 404


def _event_form(village, photo) -> dict:
    return {
        "held_on": "2026-11-20",
        "topic": "civil_code",
        "place": "村委会",
        "organiser": "司法所",
        "audience": "50",
        "materials": "0",
        "area": village.pk,
        "photo": photo,
    }


def _png(size=(8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_event_photo_gets_the_same_content_check_as_case_photos(world, legal_world, browser_client, settings):
    """Too big, a decompression bomb or not an image: a clear error on the photo, and no event."""
    import struct
    import zlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # 8000 × 7000: Pillow opens it, the app's 50-megapixel cap refuses it.
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8000, 7000, 8, 2, 0, 0, 0))
    bomb += chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    settings.UPLOAD_MAX_BYTES = 2000
    c = browser_client(world.legal)
    for name, content in [("big.png", _png((300, 300)) + b"\0" * 3000), ("bomb.png", bomb)]:
        r = c.post(reverse("legal:event_new"), _event_form(legal_world.village1, SimpleUploadedFile(name, content)))
        assert r.status_code == 200, name
        assert "field-error" in r.content.decode() and name in r.content.decode()
    assert not LawEvent.objects.exists()
    r = c.post(reverse("legal:event_new"), _event_form(legal_world.village1, SimpleUploadedFile("ok.png", _png())))
    assert r.status_code == 302
    assert LawEvent.objects.get().photo.name.endswith(".png")
