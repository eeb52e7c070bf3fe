"""Hostile names in the dashboard's and the reports' XLSX: no cell is a formula, no text cell starts
with a formula trigger, the text itself survives; these figures hold no personal data, so no audit."""

from __future__ import annotations

from datetime import date

import pytest

from disputes import services as s
from governance.reports import make_monthly_reports, make_weekly_reports
from grids.models import Area, AuditEvent, AuditKind, Department
from tests.clock import clock
from tests.hostile import FORMULAS, workbook_problems, workbook_texts

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


def _exports():
    return AuditEvent.objects.filter(kind=AuditKind.PERSONAL_DATA_EXPORT)


def test_dashboard_and_reports_with_hostile_names(world, categories, report, browser_client):
    """Area, category and department names are typed by people (admin, imports): each goes into the
    dashboard export and both reports as text."""
    payloads = iter(FORMULAS)
    Area.objects.filter(pk=world.town1.pk).update(name=next(payloads))
    for category in (categories.road, categories.security):
        type(category).objects.filter(pk=category.pk).update(name=next(payloads))
    for department in (world.police1, world.urban1):
        Department.objects.filter(pk=department.pk).update(name=next(payloads))
    with clock("2026-11-16 09:00"):
        case = s.case_accept(case=report(), by=world.center_town)
        case = s.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1)
    with clock("2026-11-16 10:00"):
        s.case_return(case=case, by=world.dept_urban, reason_code="not_our_duty", reason=EVIL)
    with clock("2026-11-17 09:00"):
        report(category=categories.security)

    official = browser_client(world.official)
    with clock("2026-11-20 10:00"):
        r = official.get(f"/dashboard/export.xlsx?area={world.t.district.pk}&from=2026-11-16&to=2026-11-20")
    assert r.status_code == 200
    assert workbook_problems(r.content) == []
    texts = workbook_texts(r.content)
    for name in FORMULAS[:3]:  # the town (child areas) and both categories
        assert "'" + name in texts

    with clock("2026-12-01 09:00"):
        weekly = make_weekly_reports(week_start=date(2026, 11, 16))
        (monthly,) = make_monthly_reports(month_start=date(2026, 11, 1))
    town_weekly = next(w for w in weekly if w.area_id == world.town1.pk)
    for rep in (town_weekly, monthly):
        r = official.get(f"/reports/{rep.pk}/xlsx/")
        assert r.status_code == 200
        assert workbook_problems(r.content) == []
        texts = workbook_texts(r.content)
        assert "'" + FORMULAS[0] in texts  # the town
        assert rep != town_weekly or "'" + FORMULAS[4] in texts  # the department that returned the case
    assert not _exports().exists()  # figures, no one's personal data
