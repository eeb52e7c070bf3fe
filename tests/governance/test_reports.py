"""Weekly reports and the monthly ranking, checked against a week counted by hand.

The week is ISO 2026-W47: Monday 16 to Sunday 22 November 2026, Asia/Shanghai. Cases are walked
through the real workflow services with the clock moved by time-machine; deadlines and red alerts
(which the working calendar and the sweep would otherwise decide) are then set explicitly, so every
figure below can be recounted from this docstring:

town 1 (police1 and urban1 serve it)
  A  new Mon 09:00; police1 lead signs in time, urban1 co signs late (red alert on urban1); handled Wed
     before its Fri deadline; feedback satisfied; closed Thu.
  B  new Tue; police1 lead signs late (red alert), handle deadline Fri passes unhandled (second red
     alert on the same case); extension requested and approved.
  C  new Wed (security); urban1 lead returns it (police1 co withdrawn with it); police1 re-dispatched
     as lead, signs in time, handles Fri after its Thu deadline; extension requested and refused;
     feedback basically satisfied, then dissatisfied (the latest counts).
  D  new Sun 15 Nov 23:00 (the week before), resolved on site; dissatisfied feedback that night,
     satisfied on Mon 16; closed Mon.
  E  new Fri, resolved on site (no deadline: on time).
  G  new Mon 23 Nov 00:00 (the next week).
town 2: F new Tue, police2 lead signs in time, handle deadline 25 Nov; a red alert at 23 Nov 00:00.
"""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from disputes import services as s
from disputes.models import Assignment, Case, DeadlineAlert
from governance import reports, tasks
from governance.api import XLSX_CONTENT_TYPE
from governance.models import Report
from grids.models import Notification, OutboxMessage
from tests.clock import at, clock

pytestmark = pytest.mark.django_db

W47 = date(2026, 11, 16)
W47_END = date(2026, 11, 23)
NOV = date(2026, 11, 1)
DEC = date(2026, 12, 1)
AFTER = "2026-11-24 10:00"  # W47 is over, November is not
AFTER_NOV = "2026-12-02 10:00"


def deadlines(qs, *, sign: str, handle: str) -> None:
    qs.update(sign_deadline=at(sign), handle_deadline=at(handle))


def alert(case, department, *, kind: str, when: str, level: str = "red", role: str | None = None) -> None:
    assignments = Assignment.objects.filter(case=case, department=department)
    if role:
        assignments = assignments.filter(role=role)
    DeadlineAlert.objects.create(
        case=case,
        assignment=assignments.latest("id"),
        department=department,
        clock=kind,
        level=level,
        deadline=at(when),
        created_at=at(when),
        sweep="test",
    )


@pytest.fixture
def w47(world, categories, report):
    ct, police, urban = world.center_town, world.dept_police, world.dept_urban
    cases = {}

    with clock("2026-11-16 09:00"):
        a = cases["A"] = report(title="A")
    with clock("2026-11-16 09:20"):
        s.case_accept(case=a, by=ct)
    with clock("2026-11-16 09:30"):
        s.case_dispatch(case=a, by=ct, lead_department=world.police1, co_departments=[world.urban1])
    with clock("2026-11-16 10:00"):
        s.case_sign(case=a, by=police)
    with clock("2026-11-17 16:00"):
        s.case_sign(case=a, by=urban)
    with clock("2026-11-17 16:30"):
        s.case_report(case=a, by=urban, result="已设置围挡")
    with clock("2026-11-18 10:00"):
        s.case_handle(case=a, by=police, result="已修复")
    with clock("2026-11-18 15:00"):
        s.case_verify(case=a, by=ct)
    with clock("2026-11-19 10:00"):
        s.case_feedback(case=a, by=ct, satisfaction="satisfied")
    with clock("2026-11-19 11:00"):
        s.case_close(case=a, by=ct)
    deadlines(Assignment.objects.filter(case=a), sign="2026-11-17 09:00", handle="2026-11-20 17:30")
    Case.objects.filter(pk=a.pk).update(handle_deadline=at("2026-11-20 17:30"))
    alert(a, world.urban1, kind="sign", when="2026-11-17 09:00")

    with clock("2026-11-17 09:00"):
        b = cases["B"] = report(title="B")
    with clock("2026-11-17 09:20"):
        s.case_accept(case=b, by=ct)
    with clock("2026-11-17 09:30"):
        s.case_dispatch(case=b, by=ct, lead_department=world.police1)
    with clock("2026-11-18 14:00"):
        s.case_sign(case=b, by=police)
    with clock("2026-11-19 09:00"):
        s.case_request_extension(case=b, by=police, days=2, reason="需协调施工队")
    with clock("2026-11-19 10:00"):
        s.case_approve_extension(case=b, by=ct)
    deadlines(Assignment.objects.filter(case=b), sign="2026-11-18 09:00", handle="2026-11-20 17:30")
    Case.objects.filter(pk=b.pk).update(handle_deadline=at("2026-11-20 17:30"))
    alert(b, world.police1, kind="sign", when="2026-11-18 09:00")
    alert(b, world.police1, kind="handle", when="2026-11-20 17:30")

    with clock("2026-11-18 10:00"):
        c = cases["C"] = report(title="C", category=categories.security)
    with clock("2026-11-18 10:10"):
        s.case_accept(case=c, by=ct)
    with clock("2026-11-18 10:30"):
        s.case_dispatch(case=c, by=ct, lead_department=world.urban1, co_departments=[world.police1])
    with clock("2026-11-18 11:00"):
        s.case_return(case=c, by=urban, reason_code="not_our_duty", reason="治安问题应由派出所主办")
    with clock("2026-11-18 14:00"):
        s.case_dispatch(case=c, by=ct, lead_department=world.police1)
    with clock("2026-11-18 15:00"):
        s.case_sign(case=c, by=police)
    with clock("2026-11-19 10:00"):
        s.case_request_extension(case=c, by=police, days=1, reason="当事人外出")
    with clock("2026-11-19 11:00"):
        s.case_refuse_extension(case=c, by=ct)
    with clock("2026-11-20 09:00"):
        s.case_handle(case=c, by=police, result="已调解")
    with clock("2026-11-20 10:00"):
        s.case_verify(case=c, by=ct)
    with clock("2026-11-20 11:00"):
        s.case_feedback(case=c, by=ct, satisfaction="basically_satisfied")
    with clock("2026-11-20 15:00"):
        s.case_feedback(case=c, by=ct, satisfaction="dissatisfied")
    # Every assignment of C is due this week; the returned lead's handling deadline too, and it
    # must not count against urban1's resolution rate.
    deadlines(
        Assignment.objects.filter(case=c, department=world.urban1), sign="2026-11-19 09:00", handle="2026-11-20 17:30"
    )
    deadlines(
        Assignment.objects.filter(case=c, department=world.police1), sign="2026-11-19 09:00", handle="2026-11-19 17:30"
    )
    Case.objects.filter(pk=c.pk).update(handle_deadline=at("2026-11-19 17:30"))
    alert(c, world.urban1, kind="sign", when="2026-11-18 10:50", level="yellow")

    with clock("2026-11-15 23:00"):
        d = cases["D"] = report(title="D")
    with clock("2026-11-15 23:30"):
        s.case_resolve_on_site(case=d, by=world.grid_a, result="已当场劝离")
    with clock("2026-11-15 23:40"):
        s.case_feedback(case=d, by=ct, satisfaction="dissatisfied")
    with clock("2026-11-16 10:00"):
        s.case_feedback(case=d, by=ct, satisfaction="satisfied")
    with clock("2026-11-16 11:00"):
        s.case_close(case=d, by=ct)

    with clock("2026-11-20 09:00"):
        e = cases["E"] = report(title="E")
    with clock("2026-11-20 09:30"):
        s.case_resolve_on_site(case=e, by=world.grid_a, result="已清理")

    with clock("2026-11-23 00:00"):
        cases["G"] = report(title="G")

    town2_micro = world.t.micro_of(world.t.grids[2])[0]
    with clock("2026-11-17 10:00"):
        f = cases["F"] = report(by=world.grid_b, micro=town2_micro, title="F")
    with clock("2026-11-17 10:10"):
        s.case_accept(case=f, by=world.center_town2)
    with clock("2026-11-17 10:30"):
        s.case_dispatch(case=f, by=world.center_town2, lead_department=world.police2)
    with clock("2026-11-17 11:00"):
        s.case_sign(case=f, by=world.dept_police2)
    deadlines(Assignment.objects.filter(case=f), sign="2026-11-18 09:00", handle="2026-11-25 17:30")
    Case.objects.filter(pk=f.pk).update(handle_deadline=at("2026-11-25 17:30"))
    alert(f, world.police2, kind="handle", when="2026-11-23 00:00")
    return cases


def rate(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator, "rate": pytest.approx(numerator / denominator)}


# ---------------------------------------------------------------------------------------------
# Figures


def test_weekly_figures_of_a_town_match_the_hand_count(world, w47, django_assert_max_num_queries):
    with clock("2026-11-23 08:00"), django_assert_max_num_queries(33):  # 33: the population is counted once (cached)
        first = reports.weekly_figures(area=world.town1, start=W47, end=W47_END)  # counts the week's days
    with clock("2026-11-23 08:00"), django_assert_max_num_queries(10):
        figures = reports.weekly_figures(area=world.town1, start=W47, end=W47_END)  # sums them
    assert figures == first
    assert figures == reports.weekly_figures(area=world.town1, start=W47, end=W47_END)  # today live: the same

    assert figures["counts"] == {
        "new": 4,  # A B C E; D was the Sunday before, G the Monday after
        "closed": 2,  # A and D
        "handled": 3,  # A C E
        "on_time": 2,  # A before its deadline, E without one; C was late
        "overdue": 2,  # A (urban1's sign-in) and B (two red alerts, one case); C's yellow does not count
        "open_at_end": 3,  # B C E
        "feedback_unreachable": 0,  # A and D were closed after feedback
    }
    assert figures["rates"] == {
        # A police1 ✓, A urban1 late, B police1 late, C urban1 returned unsigned, C police1 (lead) ✓;
        # C's withdrawn police1 co-assignment is not counted. The center's accept clocks: A B C
        # accepted within minutes, D (its limit fell on Monday) and E resolved on site at once ✓.
        "response": rate(2 + 5, 5 + 5),
        # A ✓; B unhandled, C handled after its deadline; A verified the afternoon it was handled ✓
        # (C's verify limit falls next week).
        "resolution": rate(1 + 1, 3 + 1),
        "satisfaction": rate(2, 3),  # A satisfied, D satisfied (its latest this week), C's latest: dissatisfied
        "on_time": rate(2, 3),
    }
    assert figures["satisfaction"] == {"satisfied": 2, "basically_satisfied": 0, "dissatisfied": 1, "total": 3}
    assert [(c["code"], c["count"]) for c in figures["categories"]] == [("road_damage", 3), ("public_security", 1)]
    assert [(d["name"], d["alerts"], d["cases"]) for d in figures["overdue_departments"]] == [
        ("一街派出所", 2, 1),
        ("一街城管中队", 1, 1),
    ]
    assert [(d["name"], d["count"]) for d in figures["returns"]] == [("一街城管中队", 1)]
    assert figures["returns_total"] == 1
    assert figures["extensions"] == {"requested": 2, "approved": 1, "refused": 1}
    assert figures["period"] == {"start": "2026-11-16", "end": "2026-11-23"}


def test_district_figures_add_the_other_town(world, w47):
    figures = reports.weekly_figures(area=world.t.district, start=W47, end=W47_END)
    assert figures["counts"]["new"] == 5
    assert figures["counts"]["overdue"] == 2  # F's red alert came at 23 Nov 00:00, the next week
    assert figures["counts"]["open_at_end"] == 4
    # town 1's 7/10, and F: police2 signed in time, town 2's center accepted it in ten minutes
    assert figures["rates"]["response"] == rate(7 + 2, 10 + 2)
    assert figures["rates"]["resolution"] == rate(2, 4)  # F is due the next week
    town2 = reports.weekly_figures(area=world.town2, start=W47, end=W47_END)
    assert town2["counts"]["new"] == 1
    assert town2["rates"]["response"] == rate(2, 2)


def test_rates_are_none_when_nothing_was_due(world, w47):
    figures = reports.weekly_figures(area=world.town1, start=date(2026, 10, 5), end=date(2026, 10, 12))
    assert figures["counts"] == dict.fromkeys(figures["counts"], 0)
    for key in ("response", "resolution", "satisfaction", "on_time"):
        assert figures["rates"][key] == {"numerator": 0, "denominator": 0, "rate": None}
    assert figures["categories"] == [] and figures["overdue_departments"] == [] and figures["returns"] == []


# ---------------------------------------------------------------------------------------------
# Ranking


def test_monthly_ranking_of_towns_and_departments(world, w47):
    ranking = reports.monthly_ranking(district=world.t.district, start=NOV, end=DEC, weights=(30, 35, 35))
    towns = [(t["name"], t["rank"], t["score"]) for t in ranking["towns"]]
    # town 1: (30·0.4 + 35·1/3 + 35·2/3) / 100 = 47.0; town 2 has no feedback, so its weights are
    # renormalised: (30·1 + 35·0) / 65 = 46.15.
    assert towns == [("测试街道1", 1, 47.0), ("测试街道2", 2, 46.15)]
    assert ranking["towns"][1]["rates"]["satisfaction"]["rate"] is None

    departments = {d["name"]: d for d in ranking["departments"]}
    police1 = departments["一街派出所"]["rates"]
    assert police1["response"] == rate(2, 3)  # A ✓, B late, C (lead) ✓; the withdrawn co-assignment left out
    assert police1["resolution"] == rate(1, 3)  # A ✓, B unhandled, C late
    assert police1["satisfaction"] == rate(1, 2)  # A satisfied, C dissatisfied
    urban1 = departments["一街城管中队"]["rates"]
    assert urban1["response"] == rate(0, 2)
    assert urban1["resolution"]["rate"] is None  # its only lead assignment was returned
    assert [(d["name"], d["rank"], d["score"]) for d in ranking["departments"]] == [
        ("一街派出所", 1, 49.17),
        ("二街派出所", 2, 46.15),
        ("一街城管中队", 3, 0.0),
        ("一街司法所", None, None),  # nothing to judge: no score, no rank, last
    ]


def test_weights_decide_the_order(world, w47):
    def order(**kwargs) -> list[str]:
        ranking = reports.monthly_ranking(district=world.t.district, start=NOV, end=DEC, **kwargs)
        return [t["name"] for t in ranking["towns"]]

    assert order() == ["测试街道1", "测试街道2"]  # settings: 30/35/35
    # Weighting response heavily favours town 2, which signed everything in time.
    assert order(weights=(60, 20, 20)) == ["测试街道2", "测试街道1"]
    with override_settings(REPORT_WEIGHTS=(60.0, 20.0, 20.0)):
        assert order() == ["测试街道2", "测试街道1"]
        ranking = reports.monthly_ranking(district=world.t.district, start=NOV, end=DEC)
        assert ranking["weights"] == [60.0, 20.0, 20.0]
        assert ranking["towns"][0]["score"] == 75.0  # 60·1 / (60 + 20)


def test_weighted_score_renormalises_over_the_available_rates():
    rates = {"response": 1.0, "resolution": 0.5, "satisfaction": None}
    assert reports.weighted_score(rates, (30, 35, 35)) == pytest.approx(round(100 * (30 + 17.5) / 65, 2))
    assert reports.weighted_score(dict.fromkeys(rates), (30, 35, 35)) is None
    assert reports.weighted_score({"response": 0.0, "resolution": 0.0, "satisfaction": 0.0}, (1, 1, 1)) == 0.0


def test_ranking_runs_in_a_constant_number_of_queries(world, w47, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        reports.monthly_ranking(district=world.t.district, start=NOV, end=DEC)


# ---------------------------------------------------------------------------------------------
# Periods


def test_period_parsing_and_previous_periods():
    assert reports.parse_week("2026-W47") == W47
    assert reports.parse_week("2026-w01") == date(2025, 12, 29)  # ISO week 1 holds 1 January
    assert reports.parse_week("2026-W53") == date(2026, 12, 28)  # 2026 has 53 ISO weeks, 2027 has not
    assert reports.parse_month("2026-11") == NOV
    assert reports.period_end(kind="monthly", start=date(2026, 12, 1)) == date(2027, 1, 1)
    assert reports.period_label(kind="weekly", start=W47) == "2026-W47"
    for bad in ("2026-47", "2026W47", "26-W47", "", "2026-W00", "2027-W53"):
        with pytest.raises(reports.PeriodError):
            reports.parse_week(bad)
    for bad in ("2026-13", "2026/11", "2026-1", "1999-12"):
        with pytest.raises(reports.PeriodError):
            reports.parse_month(bad)
    # Monday 00:30 in Shanghai is still Sunday in UTC: the calendar is Shanghai's.
    assert reports.previous_week_start(at("2026-11-23 00:30")) == W47
    assert reports.previous_week_start(at("2026-11-22 23:30")) == date(2026, 11, 9)
    assert reports.previous_month_start(at("2026-12-01 00:30")) == NOV
    assert reports.previous_month_start(at("2026-01-15 12:00")) == date(2025, 12, 1)


# ---------------------------------------------------------------------------------------------
# Generation


def test_weekly_reports_for_every_town_and_the_district_announced_once(world, w47, report):
    with clock(AFTER):
        made = reports.make_weekly_reports(week_start=W47)
    assert [r.area for r in made] == [world.t.district, world.town1, world.town2]
    town1 = Report.objects.get(kind="weekly", area=world.town1, period_start=W47)
    assert town1.period_end == W47_END and town1.period_label == "2026-W47"
    assert town1.data["figures"]["counts"]["new"] == 4

    def inbox(user) -> list[str]:
        return sorted(Notification.objects.filter(recipient=user, kind="report").values_list("url", flat=True))

    by_area = {r.area_id: f"/reports/{r.pk}/" for r in made}
    # Officials hear of every report under them; center staff of their own center's report only.
    assert inbox(world.official) == sorted(by_area.values())
    assert inbox(world.center_town) == [by_area[world.town1.pk]]
    assert inbox(world.center_district) == [by_area[world.t.district.pk]]
    assert inbox(world.grid_a) == inbox(world.dept_police) == inbox(world.mediator) == []
    title = Notification.objects.get(recipient=world.center_town, kind="report").display_title
    assert "测试街道1" in title and "2026-W47" in title

    # Re-running replaces the figures in place and announces nothing new.
    with clock("2026-11-21 12:00"):
        report(title="周六补报")
    before = Notification.objects.count()
    with clock("2026-11-25 10:00"):
        again = reports.make_weekly_reports(week_start=W47)
    assert [r.pk for r in again] == [r.pk for r in made]
    assert Report.objects.count() == 3
    assert Notification.objects.count() == before
    town1.refresh_from_db()
    assert town1.data["figures"]["counts"]["new"] == 5
    assert town1.created_at == at("2026-11-25 10:00")


def test_monthly_report_holds_ranking_and_figures(world, w47):
    with clock(AFTER_NOV):
        (report,) = reports.make_monthly_reports(month_start=NOV, by=world.admin)
    assert report.area == world.t.district and report.period_end == DEC and report.generated_by == world.admin
    assert report.data["figures"]["counts"]["new"] == 7  # D (15 Nov) and G (23 Nov) are November's too
    assert [t["name"] for t in report.data["ranking"]["towns"]] == ["测试街道1", "测试街道2"]
    assert Notification.objects.filter(recipient=world.official, kind="report").count() == 1
    assert not Notification.objects.filter(recipient=world.center_town, kind="report").exists()


def test_scheduled_tasks_make_the_previous_period(world, w47):
    with clock("2026-11-23 08:00"):  # Monday morning
        ids = tasks.make_weekly_reports()
    assert {r.period_start for r in Report.objects.filter(pk__in=ids)} == {W47}
    with clock("2026-12-01 08:00"):
        (monthly_id,) = tasks.make_monthly_reports()
    assert Report.objects.get(pk=monthly_id).period_start == NOV
    with clock("2026-12-01 09:00"):  # running twice is harmless
        assert tasks.make_monthly_reports() == [monthly_id]


def test_make_reports_command(world, w47):
    out = io.StringIO()
    with clock(AFTER):
        call_command("make_reports", week="2026-W47", stdout=out)
    text = out.getvalue()
    assert "测试街道1 (150207001)" in text and "4 new" in text and "Made 3 report(s)" in text
    with clock(AFTER_NOV):
        call_command("make_reports", "--month", "2026-11", stdout=io.StringIO())
    assert Report.objects.filter(kind="monthly").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-47"], "YYYY-Www"),
        (["--week", "2026-W54"], "54"),
        (["--month", "2026-13"], "01"),
        (["--month", "11-2026"], "YYYY-MM"),
        (["--week", "2026-W48"], "has not ended"),
        (["--week", "2026-W47", "--month", "2026-11"], "not allowed with"),
        ([], "one of the arguments"),
    ],
)
def test_make_reports_command_refuses_bad_arguments(world, args, message):
    with clock(AFTER), pytest.raises(CommandError, match=message):
        call_command("make_reports", *args, stdout=io.StringIO())
    assert not Report.objects.exists()


# ---------------------------------------------------------------------------------------------
# XLSX


def _rows(ws) -> dict:
    return {row[0].value: row for row in ws.iter_rows(min_row=2) if row[0].value is not None}


def test_xlsx_has_the_figures(world, w47, browser_client):
    with clock(AFTER):
        reports.make_weekly_reports(week_start=W47)
    with clock(AFTER):
        empty = reports.make_weekly_reports(week_start=date(2026, 10, 5), areas=[world.town1])[0]
    town1 = Report.objects.get(area=world.town1, period_start=W47)
    book = openpyxl.load_workbook(io.BytesIO(reports.report_xlsx(town1)))
    assert book.sheetnames == ["概况", "分类", "超期部门", "退单与延期"]
    summary = _rows(book["概况"])
    assert summary["区域"][1].value == "测试街道1"
    assert summary["新增事项"][1].value == 4
    assert summary["超期事项(红灯)"][1].value == 2
    response = summary["响应率"]
    assert response[1].value == pytest.approx(0.7) and response[1].number_format == "0.0%"
    assert (response[2].value, response[3].value) == (7, 10)  # with the accept clocks (see the hand count above)
    assert [[c.value for c in row] for row in book["分类"].iter_rows(min_row=2)] == [
        [1, "道路破损", 3],
        [2, "治安问题", 1],
    ]
    assert [[c.value for c in row] for row in book["超期部门"].iter_rows(min_row=2)] == [
        ["一街派出所", 2, 1],
        ["一街城管中队", 1, 1],
    ]
    returns = _rows(book["退单与延期"])
    assert returns["一街城管中队"][1].value == 1
    assert returns["延期申请"][1].value == 2 and returns["不批准延期"][1].value == 1

    nothing = _rows(openpyxl.load_workbook(io.BytesIO(reports.report_xlsx(empty)))["概况"])
    assert nothing["响应率"][1].value == "—"

    with clock(AFTER_NOV):
        (monthly,) = reports.make_monthly_reports(month_start=NOV)
    book = openpyxl.load_workbook(io.BytesIO(reports.report_xlsx(monthly)))
    assert book.sheetnames[-2:] == ["镇街排名", "部门排名"]
    towns = [[c.value for c in row] for row in book["镇街排名"].iter_rows(min_row=2)]
    assert towns[0][:3] == [1, "测试街道1", 47.0]
    assert towns[1][:3] == [2, "测试街道2", 46.15] and towns[1][5] == "—"
    departments = [[c.value for c in row] for row in book["部门排名"].iter_rows(min_row=2)]
    assert departments[-1][:4] == ["—", "一街司法所", "测试街道1", "—"]

    response = browser_client(world.official).get(f"/reports/{monthly.pk}/xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="report-150207-monthly-2026-11.xlsx"'
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[0] == "概况"


# ---------------------------------------------------------------------------------------------
# Pages and API: who sees what


@pytest.fixture
def made(world, w47):
    with clock(AFTER):
        weekly = {r.area_id: r for r in reports.make_weekly_reports(week_start=W47)}
    with clock(AFTER_NOV):
        (monthly,) = reports.make_monthly_reports(month_start=NOV)
    return {
        "town1": weekly[world.town1.pk],
        "town2": weekly[world.town2.pk],
        "district": weekly[world.t.district.pk],
        "monthly": monthly,
    }


def test_report_pages_are_scoped(world, made, browser_client, client):
    town1 = made["town1"]
    for persona in (world.official, world.center_town, world.center_district, world.admin):
        c = browser_client(persona)
        page = c.get(f"/reports/{town1.pk}/")
        assert page.status_code == 200, persona
        html = page.content.decode()
        assert "测试街道1" in html and "70.0%" in html and "50.0%" in html and "66.7%" in html
        assert c.get(f"/reports/{town1.pk}/xlsx/").status_code == 200
    for persona in (world.grid_b, world.grid_a, world.dept_police, world.mediator, world.outsider, world.center_town2):
        c = browser_client(persona)
        assert c.get(f"/reports/{town1.pk}/").status_code == 404, persona
        assert c.get(f"/reports/{town1.pk}/xlsx/").status_code == 404, persona
    for url in (f"/reports/{town1.pk}/", f"/reports/{town1.pk}/xlsx/", "/reports/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    listed = browser_client(world.center_town).get("/reports/").content.decode()
    assert f'data-report="{town1.pk}"' in listed
    assert f'data-report="{made["town2"].pk}"' not in listed and f'data-report="{made["district"].pk}"' not in listed
    assert "data-report=" not in browser_client(world.dept_police).get("/reports/").content.decode()
    monthly_only = browser_client(world.official).get("/reports/?kind=monthly").content.decode()
    assert monthly_only.count("data-report=") == 1


def test_report_page_shows_ranking_and_dashes(world, made, browser_client):
    html = browser_client(world.official).get(f"/reports/{made['monthly'].pk}/").content.decode()
    assert 'data-testid="town-ranking"' in html and "47.00" in html and "46.15" in html
    assert "一街司法所" in html
    with clock(AFTER):
        (empty,) = reports.make_weekly_reports(week_start=date(2026, 10, 5), areas=[world.town1])
    html = browser_client(world.center_town).get(f"/reports/{empty.pk}/").content.decode()
    assert '<td class="num">—</td>' in html
    assert "本期没有新增事项" in html


def test_report_list_query_count_is_constant(world, made, browser_client, django_assert_max_num_queries):
    c = browser_client(world.official)
    c.get("/reports/")  # warm up
    with django_assert_max_num_queries(8):
        few = c.get("/reports/")
    for week in range(36, 46):
        with clock(AFTER):
            reports.make_weekly_reports(week_start=date.fromisocalendar(2026, week, 1))
    with django_assert_max_num_queries(8):
        many = c.get("/reports/")
    assert few.content.decode().count("data-report=") == 4
    assert many.content.decode().count("data-report=") == 20  # one page


def test_api_lists_and_shows_reports_in_scope(world, made, api, django_assert_max_num_queries):
    town1 = made["town1"]
    with django_assert_max_num_queries(6):
        body = api(world.center_town).get("/api/v1/reports/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row == {
        "id": town1.pk,
        "kind": "weekly",
        "area": {"id": world.town1.pk, "name": "测试街道1", "level": "town"},
        "period": "2026-W47",
        "period_start": "2026-11-16",
        "period_end": "2026-11-23",
        "created_at": row["created_at"],
        "xlsx": f"http://testserver/api/v1/reports/{town1.pk}/xlsx/",
    }
    detail = api(world.official).get(f"/api/v1/reports/{town1.pk}/").json()
    assert detail["data"]["figures"]["counts"]["new"] == 4
    assert detail["data"]["figures"]["rates"]["response"]["rate"] == pytest.approx(0.7)
    assert api(world.official).get("/api/v1/reports/?kind=monthly").json()["count"] == 1
    assert api(world.official).get("/api/v1/reports/").json()["count"] == 4
    assert api(world.official).get("/api/v1/reports/?kind=daily").status_code == 400
    for persona in (world.grid_b, world.dept_police, world.outsider, world.center_town2):
        assert api(persona).get(f"/api/v1/reports/{town1.pk}/").status_code == 404, persona
    assert api(world.dept_police).get("/api/v1/reports/").json()["count"] == 0
    assert api().get("/api/v1/reports/").status_code in (401, 403)
    assert api().get(f"/api/v1/reports/{town1.pk}/").status_code in (401, 403)


def test_api_xlsx_link_answers_a_token_client_with_the_workbook(world, made, client):
    """Issue 18, defect 13: the `xlsx` link of the API worked only with a browser session."""
    from knox.models import AuthToken

    town1 = made["town1"]
    token = AuthToken.objects.create(user=world.center_town)[1]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    link = client.get("/api/v1/reports/", **auth).json()["results"][0]["xlsx"]
    response = client.get(link.removeprefix("http://testserver"), **auth)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="report-150207001-weekly-2026-W47.xlsx"'
    assert openpyxl.load_workbook(io.BytesIO(response.content))["概况"]["B2"].value == "测试街道1"
    accepted = client.get(link.removeprefix("http://testserver"), HTTP_ACCEPT=XLSX_CONTENT_TYPE, **auth)
    assert accepted.status_code == 200 and accepted.content[:2] == b"PK"
    for persona in (world.grid_b, world.dept_police, world.outsider, world.center_town2):
        other = AuthToken.objects.create(user=persona)[1]
        assert client.get(f"/api/v1/reports/{town1.pk}/xlsx/", HTTP_AUTHORIZATION=f"Token {other}").status_code == 404
    assert client.get(f"/api/v1/reports/{town1.pk}/xlsx/").status_code in (401, 403)


# ---------------------------------------------------------------------------------------------
# The on-demand button


def test_generate_button_queues_the_task_and_follows_it(world, w47, browser_client):
    c = browser_client(world.center_town)
    with clock(AFTER):
        assert c.get("/reports/generate/").status_code == 200
        response = c.post("/reports/generate/", {"kind": "weekly", "period": "2026-w47"})
    assert response.status_code == 302
    progress_url = response["Location"]
    assert progress_url.startswith("/reports/generate/progress/?")
    message = OutboxMessage.objects.get(task="governance.tasks.generate_report")
    assert message.args == ["weekly", "2026-W47", world.center_town.pk]

    page = c.get(progress_url)
    assert page.status_code == 200 and "测试街道1" in page.content.decode()
    status_url = progress_url.replace("/progress/", "/status/")
    assert c.get(status_url).json() == {"ready": False, "url": None}

    with clock("2026-11-24 10:00:05"):
        ids = tasks.generate_report(*message.args)  # what the worker runs
    # Only the areas the requester reads: town 1's report, not town 2's or the district's.
    (report,) = Report.objects.filter(pk__in=ids)
    assert report.area == world.town1 and report.generated_by == world.center_town
    assert c.get(status_url).json() == {"ready": True, "url": f"/reports/{report.pk}/"}
    assert c.get(progress_url)["Location"] == f"/reports/{report.pk}/"
    # Someone else's progress page reads as absent.
    assert browser_client(world.center_town2).get(status_url).status_code == 404


def test_generate_task_by_an_official_makes_every_report_of_the_period(world, w47):
    with clock(AFTER_NOV):  # run as a worker would (eagerly, through Celery's machinery)
        ids = tasks.generate_report.apply(args=["weekly", "2026-W47", world.official.pk]).get()
        (monthly_id,) = tasks.generate_report.apply(args=["monthly", "2026-11", world.official.pk]).get()
    assert Report.objects.filter(pk__in=ids).count() == 3
    assert Report.objects.get(pk=monthly_id).kind == "monthly"


@pytest.mark.parametrize(
    ("persona", "data", "error"),
    [
        ("center_town", {"kind": "weekly", "period": "2026-47"}, "YYYY-Www"),
        ("center_town", {"kind": "weekly", "period": "2026-W48"}, "尚未结束"),
        ("center_town", {"kind": "monthly", "period": "2026-11"}, "尚未结束"),
        ("center_town", {"kind": "monthly", "period": "2026-10"}, "没有这类报表"),  # a town has no monthly ranking
        ("official", {"kind": "monthly", "period": "2026-13"}, "01"),
        ("official", {"kind": "yearly", "period": "2026"}, "yearly"),
    ],
)
def test_generate_button_validates_the_period(world, persona, data, error, browser_client):
    with clock(AFTER):
        response = browser_client(getattr(world, persona)).post("/reports/generate/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not OutboxMessage.objects.filter(task="governance.tasks.generate_report").exists()


def test_generate_button_is_for_centers_officials_and_admins(world, browser_client):
    for persona in (world.dept_police, world.grid_a, world.mediator, world.outsider):
        c = browser_client(persona)
        assert c.get("/reports/generate/").status_code == 403, persona
        assert c.post("/reports/generate/", {"kind": "weekly", "period": "2026-W40"}).status_code == 403
    with clock(AFTER):
        assert (
            browser_client(world.admin).post("/reports/generate/", {"kind": "monthly", "period": "2026-10"}).status_code
            == 302
        )


def test_admin_shows_reports_read_only(world, made, browser_client):
    c = browser_client(world.admin)
    assert c.get("/admin/governance/report/").status_code == 200
    assert c.get(f"/admin/governance/report/{made['town1'].pk}/change/").status_code == 200
    assert c.get("/admin/governance/report/add/").status_code == 403


@pytest.mark.parametrize("ask", [{"format": "xlsx"}, {}])
def test_an_error_of_the_xlsx_action_is_json_and_labelled_so(world, api, ask):
    # Found by the fuzz (tests/fuzz): `?format=xlsx` on a report out of reach gave a JSON 404
    # body with the spreadsheet's Content-Type.
    headers = {} if ask else {"HTTP_ACCEPT": XLSX_CONTENT_TYPE}
    response = api(world.center_town).get("/api/v1/reports/987654/xlsx/", ask, **headers)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
