"""The daily roll-up must always say what counting the cases live says, also after actions that
change finished days (reclassify, extension, rework, a second answer, a lead's return, deletion)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from disputes import services as s
from disputes import stats
from disputes.models import OPEN_STATUSES, Assignment, Case, DailyStat, OpenCount, StatDay
from disputes.sweep import sweep_deadlines
from tests.clock import at, clock

pytestmark = pytest.mark.django_db

MON = date(2026, 11, 16)
NEXT_MON = date(2026, 11, 23)
DIMS = [(), ("day",), ("child",), ("category",), ("department",), ("day", "child", "category", "department")]


def clean(rows: dict[tuple, Counter]) -> dict[tuple, dict]:
    out = {key: {k: v for k, v in counts.items() if v} for key, counts in rows.items()}
    return {key: counts for key, counts in out.items() if counts}


def mismatches(area, lo=MON, hi=NEXT_MON) -> list[str]:
    """What the roll-up says differently from a live count over the same days, by every grouping."""
    figures = stats.Figures(area.path, lo, hi)
    live = stats.count_days(lo, hi, path=area.path)
    problems = []
    for dims in DIMS:
        got = clean(figures.rows(lo, hi, dims))
        want = clean(stats.roll_up(live, figures.depth, dims=dims))
        if got != want:
            problems.append(f"{area.name} by {dims}: roll-up {got} != live {want}")
    kept = {k: dict(+v) for k, v in stats.open_now(area.path, figures.depth).items() if +v}
    live_open: dict[str, Counter] = {}
    for case in Case.objects.filter(area_path__startswith=area.path, status__in=OPEN_STATUSES):
        live_open.setdefault(stats.truncate(case.area_path, figures.depth), Counter()).update(
            open=1, overdue=int(case.overdue)
        )
    if kept != {k: dict(+v) for k, v in live_open.items() if +v}:
        problems.append(f"{area.name} open now: kept {kept} != live {live_open}")
    return problems


@pytest.fixture
def week(world, categories, report):
    """A week of town 1 and town 2 cases, with every kind of day figure."""
    ct, police, urban = world.center_town, world.dept_police, world.dept_urban
    cases = {}
    with clock("2026-11-16 09:00"):
        for name in "ABCD":
            cases[name] = s.case_accept(case=report(title=name), by=ct)
            s.case_dispatch(case=cases[name], by=ct, lead_department=world.police1, co_departments=[world.urban1])
        cases["E"] = report(title="E", by=world.grid_b, micro=world.t.micro_of(world.t.grids[2])[0])
    with clock("2026-11-16 15:00"):
        for name in "ACD":
            s.case_sign(case=cases[name], by=urban)
            s.case_sign(case=cases[name], by=police)
    sweep_deadlines(now=at("2026-11-17 12:00"))  # B's two sign-ins lapse: red alerts
    with clock("2026-11-17 10:00"):
        s.case_report(case=cases["A"], by=urban, result="围挡")
        s.case_handle(case=cases["A"], by=police, result="修复")
        s.case_request_extension(case=cases["C"], by=police, days=2, reason="等材料")
    with clock("2026-11-18 10:00"):
        s.case_verify(case=cases["A"], by=ct)
        s.case_feedback(case=cases["A"], by=ct, satisfaction="satisfied")
    return cases


def test_the_roll_up_matches_a_live_count_by_every_grouping(world, week):
    with clock("2026-11-19 10:00"):
        assert not mismatches(world.t.district) and not mismatches(world.town1)
        assert StatDay.objects.filter(stale=False).count() == 4  # Monday to today (Thursday) stored
        assert DailyStat.objects.filter(depth=2).exists() and DailyStat.objects.filter(depth=4).exists()
    with clock("2026-11-24 10:00"):
        assert not mismatches(world.t.district) and not mismatches(world.town1) and not mismatches(world.t.villages[0])
        assert not mismatches(world.t.grids[0])  # below the stored depths: counted live
    assert stats.Figures(world.t.district.path, MON, NEXT_MON).total(MON, NEXT_MON)["new"] == 5


def test_an_action_marks_today_stale_and_the_next_read_counts_it_again(world, week, report):
    with clock("2026-11-19 10:00"):
        district = world.t.district.path
        before = stats.Figures(district, MON, NEXT_MON).total(MON, NEXT_MON)["new"]
        assert not stats.is_stale(date(2026, 11, 19))
    with clock("2026-11-19 10:05"):
        report(title="F")
        assert stats.is_stale(date(2026, 11, 19))
        assert stats.Figures(district, MON, NEXT_MON).total(MON, NEXT_MON)["new"] == before + 1
        assert not stats.is_stale(date(2026, 11, 19))


def test_actions_that_change_finished_days_recount_them(world, week, categories):
    ct, police = world.center_town, world.dept_police
    with clock("2026-11-19 10:00"):
        assert not mismatches(world.t.district)  # Mon–Wed stored
        s.case_reclassify(
            case=week["B"], by=world.center_district, category=categories.security
        )  # Monday's new moves category
        s.case_approve_extension(case=week["C"], by=ct)  # a limit moves
        s.case_feedback(case=week["A"], by=ct, satisfaction="dissatisfied")  # Wednesday's answer is replaced
        s.case_reopen(case=week["A"], by=ct, reason="居民不满意")  # Tuesday's handling is taken back
        s.case_return(case=week["D"], by=police, reason_code="not_our_duty", reason="不属本部门职责")
    with clock("2026-11-19 11:00"):
        assert not mismatches(world.t.district) and not mismatches(world.town1)
    Case.objects.filter(pk=week["E"].pk).delete()
    with clock("2026-11-24 10:00"):
        assert not mismatches(world.t.district) and not mismatches(world.town2)
        total = stats.Figures(world.t.district.path, MON, NEXT_MON).total(MON, NEXT_MON)
        assert total["new"] == 4 and total["fb_satisfied"] == 0 and total["fb_dissatisfied"] == 1


def test_without_invalidation_the_roll_up_would_be_stale(world, week, categories, monkeypatch):
    """The comparison can fail: skip the invalidation and the stored Monday keeps B's old category."""
    with clock("2026-11-19 10:00"):
        assert not mismatches(world.t.district)
        monkeypatch.setattr(stats, "invalidate_case", lambda case: None)
        s.case_reclassify(case=week["B"], by=world.center_district, category=categories.security)
        assert mismatches(world.t.district)


def test_a_clock_moved_back_recounts_the_day_it_lands_on(world, week, report):
    with clock("2026-11-24 10:00"):
        assert not mismatches(world.t.district)  # the whole week stored
    with clock("2026-11-18 16:00"):
        report(title="late entry")  # written "on Wednesday", after Wednesday was stored
    with clock("2026-11-24 10:00"):
        assert not mismatches(world.t.district)


def test_a_fresh_day_is_kept_and_a_stale_one_is_recounted_in_place(world, week):
    """Sequential: the concurrent version (threads on PostgreSQL) is in test_concurrency.py."""
    with clock("2026-11-24 10:00"):
        stats.ensure(MON, NEXT_MON)
        rows = DailyStat.objects.count()
        assert stats.ensure(MON, NEXT_MON) == 0  # fresh: nothing to do
        StatDay.objects.filter(day=MON).update(stale=True)
        assert stats.ensure(MON, NEXT_MON) == 1
        assert DailyStat.objects.count() == rows


def test_rebuild_counts_every_day_from_the_first_case(world, week):
    with clock("2026-11-24 10:00"):
        OpenCount.objects.all().delete()  # as after a bulk load
        assert mismatches(world.t.district)
        assert stats.rebuild() >= 7
        assert not mismatches(world.t.district)
        assert Assignment.objects.exists()


def test_open_counts_follow_opening_closing_lapsing_and_redispatch(world, week):
    """B lapsed (overdue), A reopened then closed, C and D still open, E reported: each step is counted."""
    ct, police = world.center_town, world.dept_police
    assert not mismatches(world.t.district)
    assert stats.open_now(world.t.district.path, 2)[world.town1.path] == Counter(open=4, overdue=1)
    with clock("2026-11-19 10:00"):
        s.case_close(case=week["A"], by=ct)
        s.case_return(case=week["B"], by=police, reason_code="not_our_duty", reason="不属本部门职责")
    assert not mismatches(world.t.district)
    with clock("2026-11-19 11:00"):
        s.case_dispatch(case=week["B"], by=world.center_district, lead_department=world.police1)  # no longer overdue
        # E was never accepted: its accept clock lapsed in the sweep and took it to the district.
        s.case_reject(case=week["E"], by=world.center_district, reason="重复上报")
    assert not mismatches(world.t.district) and not mismatches(world.town2)
    assert stats.open_now(world.t.district.path, 2)[world.town1.path] == Counter(open=3, overdue=0)
    assert not +stats.open_now(world.t.district.path, 2)[world.town2.path]


def test_rebuild_stats_command(world, week):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with clock("2026-11-24 10:00"):
        call_command("rebuild_stats", stdout=out)
        assert "Counted" in out.getvalue()
        assert not mismatches(world.t.district)


def test_the_roll_up_equals_plain_counts_over_the_cases(world, week, categories):
    """Independent of the code that fills the roll-up: plain COUNTs over the tables, per day."""
    from datetime import timedelta

    from django.db.models import F

    from disputes.models import DeadlineAlert, ExtensionRequest, StageClock

    ct, police = world.center_town, world.dept_police
    with clock("2026-11-19 10:00"):
        s.case_close(case=week["A"], by=ct)
        s.case_return(case=week["D"], by=police, reason_code="not_our_duty", reason="不属本部门职责")
        s.case_reclassify(case=week["B"], by=world.center_district, category=categories.security)
    with clock("2026-11-24 10:00"):
        figures = stats.Figures(world.t.district.path, MON, NEXT_MON)
        by_day = figures.rows(MON, NEXT_MON, ("day",))
        for i in range(7):
            day = MON + timedelta(days=i)
            lo, hi = stats.day_bounds(day, day + timedelta(days=1))
            got = by_day.get((day,), Counter())
            assert got["new"] == Case.objects.filter(created_at__gte=lo, created_at__lt=hi).count(), day
            assert got["closed"] == Case.objects.filter(status="closed", closed_at__gte=lo, closed_at__lt=hi).count()
            assert got["handled"] == Case.objects.filter(handled_at__gte=lo, handled_at__lt=hi).count()
            assert (
                got["red_alerts"]
                == DeadlineAlert.objects.filter(level="red", created_at__gte=lo, created_at__lt=hi).count()
            )
            assert got["returns"] == (
                Assignment.objects.filter(status="returned", finished_at__gte=lo, finished_at__lt=hi)
                .exclude(return_reason_code="withdrawn")
                .count()
            )
            assert (
                got["ext_requested"]
                == ExtensionRequest.objects.filter(requested_at__gte=lo, requested_at__lt=hi).count()
            )
            # the departments' sign-in limits and the center's accept limits (五个第一时间)
            accept = StageClock.objects.filter(clock="accept", deadline__gte=lo, deadline__lt=hi)
            assert got["response_due"] == (
                Assignment.objects.filter(sign_deadline__gte=lo, sign_deadline__lt=hi)
                .exclude(return_reason_code="withdrawn")
                .count()
                + accept.count()
            ), day
            assert got["response_met"] == (
                Assignment.objects.filter(
                    sign_deadline__gte=lo, sign_deadline__lt=hi, signed_at__lte=F("sign_deadline")
                )
                .exclude(return_reason_code="withdrawn")
                .count()
                + accept.filter(stopped_at__lte=F("deadline")).count()
            ), day
            verify = StageClock.objects.filter(clock="verify", deadline__gte=lo, deadline__lt=hi)
            assert got["resolution_due"] == (
                Case.objects.filter(handle_deadline__gte=lo, handle_deadline__lt=hi).count() + verify.count()
            ), day
        by_category = figures.rows(MON, NEXT_MON, ("category",))
        lo, hi = stats.day_bounds(MON, NEXT_MON)
        for category_id in set(Case.objects.values_list("category_id", flat=True)):
            want = Case.objects.filter(category_id=category_id, created_at__gte=lo, created_at__lt=hi).count()
            assert by_category[(category_id,)]["new"] == want
        assert figures.total(MON, NEXT_MON)["new"] == Case.objects.count() == 5
        open_now = stats.open_now(world.t.district.path, 2)
        assert sum(c["open"] for c in open_now.values()) == Case.objects.filter(status__in=OPEN_STATUSES).count()
        assert sum(c["overdue"] for c in open_now.values()) == (
            Case.objects.filter(status__in=OPEN_STATUSES, overdue=True).count()
        )
