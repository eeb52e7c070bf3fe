"""Risk early warning with its reasons and notifications; the dispute deadline in the sweep:
a warning, then escalation to the town judicial office, exactly once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import translation

from disputes.mediation.models import DisputeAlert, DisputeEvent, MediationSettings
from disputes.mediation.risk import render_reasons
from disputes.mediation.sweep import sweep_disputes
from grids.models import Notification, SpecialPopulation
from tests.clock import at, clock

pytestmark = pytest.mark.django_db


def test_second_dispute_at_the_same_building_raises_risk(world, med, new_dispute, api, browser_client):
    first = new_dispute()
    assert first.risk_level == "low" and first.risk_reasons == []
    assert first.building == med.building  # from the parties' household
    # Other people, same building: the place rule.
    second = new_dispute(parties=[{"role": "applicant", "resident": med.wang}, {"role": "respondent", "name": "租户"}])
    assert second.risk_level == "high"
    assert [r["key"] for r in second.risk_reasons] == ["repeat_place"]
    reasons = render_reasons(second.risk_reasons)
    assert "幸福小区3号楼" in reasons[0] and "1 起" in reasons[0]
    # The reason on the page and in the API, in the reader's language.
    page = browser_client(world.center_town).get(f"/disputes/{second.pk}/").content.decode()
    assert "为什么是高风险" in page and "幸福小区3号楼" in page
    body = api(world.center_town).get(f"/api/v1/disputes/{second.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["risk_level"] == "high" and "幸福小区3号楼" in body["risk_reasons"][0]
    with translation.override("en"):
        assert "building" in render_reasons(second.risk_reasons)[0].lower()
    # The town center and the judicial office are told, once each.
    told = Notification.objects.filter(key="mediation.risk_raised")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["center_town", "dept_judicial"]
    with translation.override("zh-hans"):  # the API call above read English
        assert "同一楼栋或地点重复纠纷" in told.first().display_body
    assert DisputeEvent.objects.filter(dispute=second, kind="risk").count() == 1


def test_same_parties_amount_group_special_population_and_season(world, med, new_dispute):
    new_dispute = _by_center(world, new_dispute)
    with clock("2026-06-10 10:00"):
        new_dispute(
            parties=[{"role": "applicant", "name": "钱七", "phone": "13700000001"}],
            area=world.t.grids[1],
            lat=None,
            lng=None,
        )
        again = new_dispute(
            parties=[{"role": "applicant", "name": "钱七", "phone": "13700000001"}],
            area=world.t.grids[1],
            lat=None,
            lng=None,
        )
        assert [r["key"] for r in again.risk_reasons] == ["repeat_parties"]
        big = new_dispute(
            parties=[{"role": "applicant", "resident": med.zhao}],
            amount_at_stake=150000,
            area=world.t.grids[1],
            lat=None,
            lng=None,
        )
        assert big.risk_level == "high" and [r["key"] for r in big.risk_reasons] == ["large_amount"]
        crowd = new_dispute(
            kind="labour",
            parties=[{"role": "applicant", "name": "工友代表"}],
            people_involved=35,
            area=world.t.grids[1],
            lat=None,
            lng=None,
        )
        assert crowd.risk_level == "major" and [r["key"] for r in crowd.risk_reasons] == ["group_major"]
    med.zhao.special_population = SpecialPopulation.RELEASED_PRISONER
    med.zhao.save()
    with clock("2026-06-20 10:00"):
        special = new_dispute(
            parties=[{"role": "applicant", "resident": med.zhao}],
            summary="x",
            area=world.t.grids[1],
            lat=None,
            lng=None,
            kind="land_property",
        )
    assert "special_population" in [r["key"] for r in special.risk_reasons]
    with clock("2027-01-15 10:00"):
        wages = new_dispute(
            kind="labour",
            parties=[{"role": "applicant", "name": "务工人员"}],
            area=world.t.villages[0],
            lat=None,
            lng=None,
        )
    assert wages.risk_level == "medium" and [r["key"] for r in wages.risk_reasons] == ["seasonal"]
    # Thresholds are data: raise the amount threshold and the same sum is no longer large.
    settings = MediationSettings.current()
    settings.amount_threshold = 500000
    settings.save()
    with clock("2027-03-01 10:00"):
        modest = new_dispute(
            parties=[{"role": "applicant", "name": "孙八"}],
            amount_at_stake=150000,
            area=world.t.villages[0],
            lat=None,
            lng=None,
        )
    assert modest.risk_level == "low"


def _by_center(world, make):
    return lambda **kw: make(by=world.center_town, **kw)


def test_deadline_warns_then_escalates_to_the_judicial_office_once(world, med, mediating):
    with clock("2026-11-02 09:00"):
        d = mediating()
    settings = MediationSettings.current()
    assert settings.deadline_working_days == 30
    # 30 working days from Monday 2 November 2026: 14 December, as the calendar counts them.
    assert d.deadline > at("2026-12-10 09:00")
    with clock("2026-11-20 09:00"):
        assert str(sweep_disputes()) == "disputes: 0 warned, 0 escalated"
    warn_moment = d.warn_at + timedelta(minutes=1)
    assert sweep_disputes(now=warn_moment).warned == 1
    assert sweep_disputes(now=warn_moment).warned == 0
    warned = Notification.objects.filter(key="mediation.deadline_warning")
    assert list(warned.values_list("recipient__username", flat=True)) == ["mediator"]
    late = d.deadline + timedelta(minutes=1)
    out = io.StringIO()
    call_command("sweep_deadlines", "--now", late.isoformat(), stdout=out)
    assert "disputes: 0 warned, 1 escalated" in out.getvalue()
    call_command("sweep_deadlines", "--now", (late + timedelta(days=3)).isoformat(), stdout=io.StringIO())
    assert DisputeAlert.objects.filter(dispute=d, level="red").count() == 1
    assert DisputeAlert.objects.get(dispute=d, level="red").escalated_to == world.town1
    escalated = Notification.objects.filter(key="mediation.deadline_escalated")
    assert list(escalated.values_list("recipient__username", flat=True)) == ["dept_judicial"]
    assert [e.kind for e in DisputeEvent.objects.filter(dispute=d, kind__in=["warning", "escalate"])] == [
        "warning",
        "escalate",
    ]
    d.refresh_from_db()
    assert d.deadline_alert == "red"


def test_a_settled_dispute_is_not_swept(world, med, mediating):
    from disputes.mediation import services

    d = mediating()
    services.dispute_agree(dispute=d, by=world.mediator, terms="和解", signed_at=d.created_at.date())
    result = sweep_disputes(now=d.deadline + timedelta(days=1))
    assert (result.warned, result.escalated) == (0, 0)


def test_configurable_time_limit(world, med, new_dispute):
    settings = MediationSettings.current()
    settings.deadline_working_days = 5
    settings.save()
    with clock("2026-11-16 09:00"):  # a Monday
        d = new_dispute()
    assert d.deadline.date() == at("2026-11-23 09:00").date()


def test_the_sweep_costs_the_same_for_one_dispute_or_many(
    world, med, new_dispute, mediating, django_assert_max_num_queries
):
    with clock("2026-11-02 09:00"):
        first = mediating()
    with django_assert_max_num_queries(40) as one:
        sweep_disputes(now=first.deadline + timedelta(minutes=1))
    with clock("2026-11-02 09:00"):
        many = [mediating() for _ in range(4)] + [new_dispute(by=world.center_town) for _ in range(3)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        result = sweep_disputes(now=many[0].deadline + timedelta(minutes=1))
    assert result.escalated == 7
    told = Notification.objects.filter(key="mediation.deadline_escalated")
    assert told.count() == 8 and set(told.values_list("recipient__username", flat=True)) == {"dept_judicial"}
