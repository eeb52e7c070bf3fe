"""Legal-services figures per area and period, against counts made independently (by hand from
what the test created), on the dashboard API and page and in the weekly report."""

from __future__ import annotations

from datetime import date

import pytest

from governance.reports import make_weekly_reports
from legal_services.figures import legal_figures
from legal_services.services import (
    aid_apply,
    aid_approve,
    aid_assign,
    aid_close,
    aid_refuse,
    aid_review,
    consultation_record,
    event_log,
)
from tests.grids.conftest import make_resident

from ..clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, legal_world):
    """Week of 16 Nov in town 1: 3 consultations, 3 applications (1 approved and closed, 1 refused),
    2 events (120 + 30 people). Outside it: one of each the week before, and one in town 2."""
    legal2 = legal_world.r3  # a resident of town 2, for the admin's records there
    with clock("2026-11-09 10:00"):
        consultation_record(by=world.legal, topic="labour", question="上周", channel="phone", name="甲")
        aid_apply(by=world.legal, matter="wages", reason="上周", name="甲")
    with clock("2026-11-16 10:00"):
        for i in range(3):
            consultation_record(by=world.legal, topic="labour", question=f"问{i}", channel="phone", name="乙")
        granted = aid_apply(by=world.legal, matter="wages", reason="欠薪", name="乙")
        refused = aid_apply(by=world.legal, matter="contract", reason="合同", name="丙")
        aid_apply(by=world.legal, matter="debt", reason="借款", name="丁")
        consultation_record(by=world.admin, topic="debt", question="二街", channel="online", resident=legal2)
    with clock("2026-11-17 10:00"):
        for a in (granted, refused):
            aid_review(application=a, by=world.legal)
        aid_approve(application=granted, by=world.legal)
        aid_refuse(application=refused, by=world.legal, reason="不属于援助范围")
        aid_assign(application=granted, by=world.legal, lawyer=legal_world.adviser)
    with clock("2026-11-20 10:00"):
        aid_close(application=granted, by=world.legal, outcome="结案")
        for people, day in ((120, date(2026, 11, 18)), (30, date(2026, 11, 22)), (999, date(2026, 11, 23))):
            event_log(
                by=world.legal,
                held_on=day,
                place="广场",
                organiser="司法所",
                topic="civil_code",
                audience=people,
                area=legal_world.village1,
            )
    return legal_world


def test_figures_match_an_independent_count(world, history):
    week = legal_figures(area_path=world.town1.path, start=date(2026, 11, 16), end=date(2026, 11, 22))
    assert week["consultations"] == 3
    assert (week["aid_applications"], week["aid_approved"], week["aid_closed"]) == (3, 1, 1)
    assert (week["events"], week["people_reached"]) == (2, 150)
    # Residents of town 1: r1, r2 (the legal world) — one of them legal-savvy.
    assert week["savvy_residents"] == 1 and week["savvy_per_1000"] == 500.0
    # Village 1 has an adviser; town 1 has no other village.
    assert week["villages_without_adviser"] == 0
    district = legal_figures(area_path=world.t.district.path, start=date(2026, 11, 16), end=date(2026, 11, 22))
    assert district["consultations"] == 4 and district["villages_without_adviser"] == 1
    make_resident(world.t.micro_of(world.t.grids[0])[0], name="新居民")
    again = legal_figures(area_path=world.town1.path, start=date(2026, 11, 16), end=date(2026, 11, 22))
    assert again["savvy_per_1000"] == round(1000 / 3, 2)


def test_dashboard_api_and_page_carry_the_legal_block(world, history, api, browser_client):
    r = api(world.official).get(f"/api/v1/dashboard/?area={world.town1.pk}&from=2026-11-16&to=2026-11-22")
    assert r.status_code == 200
    legal = r.json()["legal"]
    assert {k: legal[k] for k in ("consultations", "aid_applications", "aid_approved", "events", "people_reached")} == {
        "consultations": 3,
        "aid_applications": 3,
        "aid_approved": 1,
        "events": 2,
        "people_reached": 150,
    }
    page = browser_client(world.official).get(f"/dashboard/?area={world.town1.pk}&from=2026-11-16&to=2026-11-22")
    html = page.content.decode()
    assert 'data-testid="dashboard-legal"' in html and 'data-legal="people_reached">150<' in html


def test_weekly_report_has_a_legal_section(world, history, browser_client):
    with clock("2026-11-23 08:00"):
        reports = make_weekly_reports(week_start=date(2026, 11, 16), areas=[world.town1])
    legal = reports[0].data["figures"]["legal"]
    assert (legal["consultations"], legal["aid_applications"], legal["events"], legal["people_reached"]) == (
        3,
        3,
        2,
        150,
    )
    html = browser_client(world.official).get(f"/reports/{reports[0].pk}/").content.decode()
    assert 'data-testid="report-legal"' in html
