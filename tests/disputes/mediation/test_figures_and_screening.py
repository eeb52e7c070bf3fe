"""Mediation figures (dashboard, weekly report) against an independent count; monthly screening
with zero reports and the villages that have not reported; the admin's validation."""

from __future__ import annotations

from datetime import date

import pytest

from disputes.mediation import services
from disputes.mediation.figures import mediation_figures
from disputes.mediation.models import Dispute, MediationSettings, ScreeningReport
from governance.reports import make_monthly_reports, make_weekly_reports
from tests.clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, med, new_dispute, mediating):
    """November 2026 in town 1: 3 agreed (one a court referral), 1 failed, 1 still mediating, 1 new;
    plus one agreed in town 2 and one agreed in October."""
    made = []
    with clock("2026-10-20 10:00"):
        d = mediating()
        services.dispute_agree(dispute=d, by=world.mediator, terms="和解", signed_at=date(2026, 10, 20))
    with clock("2026-11-10 10:00"):
        for n in range(3):
            d = mediating(source="court_referral" if n == 0 else "grid_worker")
            services.dispute_agree(dispute=d, by=world.mediator, terms="和解", signed_at=date(2026, 11, 10))
            made.append(d)
        d = mediating(kind="property_management")
        services.dispute_fail(dispute=d, by=world.mediator, reason="分歧大")
        mediating()
        new_dispute()
        micro2 = world.t.micro_grids[4]
        d = new_dispute(
            by=world.grid_b,
            lat=micro2.centroid_lat,
            lng=micro2.centroid_lng,
            parties=[{"role": "applicant", "name": "某乙"}],
        )
        d = services.dispute_assign(
            dispute=d, by=world.center_town2, organisation=med.committee2, mediator=med.mediator2
        )
        d = services.dispute_accept(dispute=d, by=med.mediator2)
        services.dispute_agree(dispute=d, by=med.mediator2, terms="和解", signed_at=date(2026, 11, 10))
    return made


def _independent(path, lo, hi):
    qs = Dispute.objects.filter(area_path__startswith=path)
    received = sum(1 for d in qs if lo <= d.created_at.date() <= hi)
    agreed = [d for d in qs if d.agreed_at and lo <= d.agreed_at.date() <= hi]
    failed = sum(1 for d in qs if d.failed_at and lo <= d.failed_at.date() <= hi)
    return received, len(agreed), failed, sum(1 for d in agreed if d.source != "court_referral")


def test_figures_match_an_independent_count(world, med, history):
    for area in (world.t.district, world.town1, world.town2, world.t.villages[0]):
        with clock("2026-12-01 10:00"):
            f = mediation_figures(area=area, start=date(2026, 11, 1), end=date(2026, 11, 30))
        received, succeeded, failed, before = _independent(area.path, date(2026, 11, 1), date(2026, 11, 30))
        assert (f["received"], f["succeeded"], f["failed"], f["resolved_before_litigation"]) == (
            received,
            succeeded,
            failed,
            before,
        ), area
        assert f["mediated"] == succeeded + failed
    with clock("2026-12-01 10:00"):
        town1 = mediation_figures(area=world.town1, start=date(2026, 11, 1), end=date(2026, 11, 30))
        district = mediation_figures(area=world.t.district, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert (town1["received"], town1["succeeded"], town1["failed"]) == (6, 3, 1)
    assert town1["success_rate"] == 0.75 and town1["resolved_before_litigation"] == 2
    assert {r["kind"]: r["received"] for r in town1["by_kind"]} == {"neighbour": 5, "property_management": 1}
    assert [(r["name"], r["succeeded"]) for r in town1["by_organisation"]] == [("一街人民调解委员会", 3)]
    assert [(r["name"], r["received"], r["succeeded"]) for r in district["by_area"]] == [
        ("测试街道1", 6, 3),
        ("测试街道2", 1, 1),
    ]
    # Two villages, neither has reported for November: 2 missing village-months.
    assert district["screening_missing"] == 2


def test_dashboard_and_weekly_report_show_mediation(world, med, history, api, browser_client):
    with clock("2026-12-01 10:00"):
        body = api(world.official).get("/api/v1/dashboard/?from=2026-11-01&to=2026-11-30").json()
        assert {"received", "mediated", "succeeded", "failed", "success_rate"} <= set(body["mediation"])
        assert body["mediation"]["received"] == 7 and body["mediation"]["succeeded"] == 4
        page = browser_client(world.official).get("/dashboard/?from=2026-11-01&to=2026-11-30").content.decode()
        assert 'data-testid="mediation-figures"' in page and 'data-mediation="succeeded">4<' in page
        reports = make_weekly_reports(week_start=date(2026, 11, 9), areas=[world.town1])
        monthly = make_monthly_reports(month_start=date(2026, 11, 1))[0].data["mediation"]
    assert [(r["name"], r["received"], r["succeeded"]) for r in monthly["by_area"]] == [
        ("测试街道1", 6, 3),
        ("测试街道2", 1, 1),
    ]
    figures = reports[0].data["mediation"]
    assert (figures["received"], figures["succeeded"], figures["failed"]) == (6, 3, 1)
    assert [(r["name"], r["received"]) for r in figures["by_area"]] == [("测试社区1", 6)]
    assert [r["name"] for r in figures["by_organisation"]] == ["一街人民调解委员会"]
    page = browser_client(world.center_town).get(f"/reports/{reports[0].pk}/").content.decode()
    assert 'data-testid="mediation-figures"' in page and 'data-mediation="received">6<' in page


def test_screening_zero_reports_and_missing_villages(world, med, api, browser_client):
    with clock("2026-11-15 10:00"):
        client = api(world.grid_a)
        village1, village2 = world.t.villages
        zero = client.post(
            "/api/v1/screenings/",
            {"area": village1.pk, "month": "2026-11", "disputes_found": 0, "notes": ""},
            format="json",
        )
        assert zero.status_code == 201 and zero.json()["zero_report"] is True
        again = client.post(
            "/api/v1/screenings/", {"area": village1.pk, "month": "2026-11", "disputes_found": 2}, format="json"
        )
        assert again.status_code == 400 and "month" in again.json()
        future = client.post(
            "/api/v1/screenings/", {"area": village1.pk, "month": "2026-12", "disputes_found": 2}, format="json"
        )
        assert future.status_code == 400
        assert (
            client.post(
                "/api/v1/screenings/", {"area": village2.pk, "month": "2026-11", "disputes_found": 1}, format="json"
            ).status_code
            == 404
        )
        grid = client.post(
            "/api/v1/screenings/", {"area": world.t.grids[0].pk, "month": "2026-11", "disputes_found": 1}, format="json"
        )
        assert grid.status_code == 400
        assert (
            api(world.official)
            .post("/api/v1/screenings/", {"area": village1.pk, "month": "2026-11", "disputes_found": 1}, format="json")
            .status_code
            == 403
        )
        listed = api(world.official).get("/api/v1/screenings/?month=2026-11").json()
        assert [r["area"]["id"] for r in listed["results"]] == [village1.pk]
        assert api(world.center_town2).get("/api/v1/screenings/?month=2026-11").json()["count"] == 0
        page = browser_client(world.official).get("/screenings/?month=2026-11").content.decode()
        assert f'data-village="{village2.code}"' in page and f'data-village="{village1.code}"' not in page
        town_page = browser_client(world.center_town2).get("/screenings/?month=2026-11").content.decode()
        assert f'data-village="{village2.code}"' in town_page
        posted = browser_client(world.center_town2).post(
            "/screenings/?month=2026-11",
            {"area": village2.pk, "month": "2026-11", "disputes_found": 3, "notes": "土地纠纷"},
        )
        assert posted.status_code == 302
    assert ScreeningReport.objects.count() == 2


def test_admin_validates_thresholds_and_bodies(world, med, browser_client):
    settings = MediationSettings.current()
    admin = browser_client(world.admin)
    url = f"/admin/disputes/mediationsettings/{settings.pk}/change/"
    assert admin.get(url).status_code == 200
    response = admin.post(
        url,
        {
            "deadline_working_days": 0,
            "repeat_days": 90,
            "amount_threshold": "100000",
            "group_threshold": 10,
            "group_major_threshold": 5,
            "seasonal_kinds": '["wages"]',
            "seasonal_months": "[13]",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"deadline_working_days", "seasonal_kinds", "seasonal_months", "group_major_threshold"} <= set(errors)
    ok = admin.post(
        url,
        {
            "deadline_working_days": 20,
            "repeat_days": 60,
            "amount_threshold": "50000",
            "group_threshold": 8,
            "group_major_threshold": 20,
            "seasonal_kinds": '["labour"]',
            "seasonal_months": "[1, 2]",
        },
    )
    assert ok.status_code == 302
    settings.refresh_from_db()
    assert settings.deadline_working_days == 20 and settings.seasonal_months == [1, 2]
    org_url = f"/admin/disputes/mediationorg/{med.labour.pk}/change/"
    assert admin.get(org_url).status_code == 200
