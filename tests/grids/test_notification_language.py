"""A notification is stored as a message key and parameters, never a finished sentence, and each
reader reads it in their own language: the language switch on pages, Accept-Language on the API."""

from datetime import date

import pytest
from django.utils import translation

from disputes import services
from disputes.models import Clock
from governance import reports
from grids.messages import label, render
from grids.models import Notification
from tests.clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(world, categories):
    micro = world.t.micro_grids[0]
    case = services.case_create(
        by=world.grid_a,
        category=categories.road,
        description="路面塌陷",
        urgency="urgent",
        lat=micro.centroid_lat,
        lng=micro.centroid_lng,
    )
    case = services.case_accept(case=case, by=world.center_town)
    return services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)


def test_a_dispatch_is_stored_as_a_key_and_read_in_each_readers_language(world, dispatched, api, browser_client):
    notice = Notification.objects.get(recipient=world.dept_police, kind="case_dispatch")
    assert (notice.key, notice.title, notice.body) == ("case.dispatch", "", "")
    assert notice.params == {"number": dispatched.number, "title": "路面塌陷"}

    english = f"New dispatch: {dispatched.number} — please sign in promptly"
    chinese = f"新派单:{dispatched.number} 请及时签收"
    (row,) = api(world.dept_police).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert row["title"] == english
    (row,) = api(world.dept_police).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-CN").json()["results"]
    assert row["title"] == chinese
    (row,) = api(world.dept_police).get("/api/v1/notifications/").json()["results"]
    assert row["title"] == chinese  # no header: the site's language

    reader = browser_client(world.dept_police)
    assert chinese in reader.get("/notifications/").content.decode()
    reader.post("/i18n/setlang/", {"language": "en", "next": "/notifications/"})
    page = reader.get("/notifications/").content.decode()
    assert english in page and chinese not in page


def test_a_report_names_its_kind_in_the_readers_language(world, api):
    with clock("2026-11-24 09:00"):
        reports.make_weekly_reports(week_start=date(2026, 11, 16), areas=[world.town1])
    notice = Notification.objects.get(recipient=world.center_town, kind="report")
    assert notice.title == "" and notice.params["kind"] == {"msgid": "周报"}
    (row,) = api(world.center_town).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert row["title"] == "测试街道1 Weekly report (2026-W47) has been generated"
    assert row["body"].startswith("New")
    (row,) = api(world.center_town).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert row["title"] == "测试街道1周报(2026-W47)已生成"


def test_labels_are_stored_as_msgids_whatever_language_is_active():
    with translation.override("en"):
        stored = label(Clock.SIGN.label)
    assert stored == {"msgid": "签收"}
    params = {"number": "A1", "clock": stored, "deadline": "2026-11-16 09:00"}
    with translation.override("en"):
        assert render("deadline.yellow", params) == "Yellow warning: A1 — Sign-in deadline approaching"
    with translation.override("zh-hans"):
        assert render("deadline.yellow", params) == "黄灯预警:A1 签收时限将到"


def test_email_is_rendered_in_the_site_language_when_sent(world, dispatched):
    from django.core import mail

    from grids import notifications
    from grids.models import Delivery

    notice = Notification.objects.get(recipient=world.dept_police, kind="case_dispatch")
    world.dept_police.email = "police@example.org"
    world.dept_police.save()
    delivery = Delivery.objects.create(notification=notice, channel="email", queued_at=notice.deliver_after)
    with translation.override("en"):  # whatever language the worker happens to run in
        assert notifications.deliver(delivery.pk) == "sent"
    assert mail.outbox[-1].subject == f"新派单:{dispatched.number} 请及时签收"
    assert "路面塌陷" in mail.outbox[-1].body
