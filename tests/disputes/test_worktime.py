"""Working time on the official calendar: the deadlines a grid worker or department would see."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.contrib.admin import AdminSite
from django.urls import path

from disputes.admin_calendar import WorkCalendarDayAdmin, years_without_coverage
from disputes.models import WorkCalendarDay
from disputes.worktime import (
    WorkingCalendar,
    WorkingCalendarError,
    add_working_days,
    add_working_hours,
    calendar_coverage,
    is_workday,
    is_working_time,
    next_working_time,
    working_hours_between,
)
from tests.clock import at, clock

# A throw-away admin site for the changelist test; disputes/admin.py belongs to the lead.
calendar_site = AdminSite(name="admin")  # namespace "admin" so the admin templates' {% url %} resolve
calendar_site.register(WorkCalendarDay, WorkCalendarDayAdmin)
urlpatterns = [path("admin/", calendar_site.urls)]


# -- the 2025 National Day week, as the package knows it ----------------------------------------


def test_national_day_2025_matches_the_package():
    holidays = [date(2025, 10, day) for day in range(1, 9)]
    makeup_days = [date(2025, 9, 28), date(2025, 10, 11)]  # a Sunday and a Saturday
    for day in holidays:
        assert chinese_calendar.is_workday(day) is False
        assert is_workday(day, {}) is False
    for day in makeup_days:
        assert day.weekday() >= 5
        assert chinese_calendar.is_workday(day) is True
        assert is_workday(day, {}) is True


def test_one_working_day_set_before_national_day_ends_after_it(db):
    # 1.5 h left on 30 September, the rest on 9 October, the first workday after the holiday.
    assert add_working_days(at("2025-09-30 16:00"), 1) == at("2025-10-09 16:00")


def test_two_hour_sign_limit_set_late_on_the_eve_of_national_day(db):
    assert add_working_hours(at("2025-09-30 17:00"), 2) == at("2025-10-09 10:00")


def test_start_on_make_up_workdays_counts(db):
    # Saturday 11 October 2025 is a make-up workday: the limit runs that same morning.
    assert add_working_hours(at("2025-10-11 09:00"), 2) == at("2025-10-11 11:00")
    # Saturday 27 September is a normal weekend; the make-up Sunday after it is not.
    assert add_working_hours(at("2025-09-27 10:00"), 2) == at("2025-09-28 10:30")


def test_an_ordinary_saturday_waits_for_monday(db):
    assert add_working_hours(at("2025-10-18 09:00"), 2) == at("2025-10-20 10:30")


def test_lunch_break_does_not_count(db):
    assert add_working_hours(at("2025-10-15 12:30"), 1) == at("2025-10-15 15:00")
    assert add_working_hours(at("2025-10-15 11:00"), 2) == at("2025-10-15 15:00")


def test_evening_start_counts_from_next_morning(db):
    assert add_working_hours(at("2025-10-15 20:00"), 1) == at("2025-10-16 09:30")
    # Friday evening: the next working period is Monday morning.
    assert add_working_hours(at("2025-10-17 20:00"), 1) == at("2025-10-20 09:30")


def test_one_working_day_is_seven_working_hours(db):
    calendar = WorkingCalendar()
    start = at("2025-10-15 10:15")
    assert calendar.hours_per_day == 7.0
    assert calendar.add_working_days(start, 1) == calendar.add_working_hours(start, 7)
    assert calendar.add_working_days(at("2025-10-15 08:30"), 1) == at("2025-10-15 17:30")
    # Five working days from Monday afternoon: the following Monday afternoon.
    assert calendar.add_working_days(at("2025-10-20 15:00"), 5) == at("2025-10-27 15:00")


def test_result_is_aware_and_accepts_other_time_zones(db):
    deadline = add_working_hours(datetime(2025, 10, 15, 12, 0, tzinfo=ZoneInfo("UTC")), 1)  # 20:00 Beijing
    assert deadline.tzinfo is not None
    assert deadline == at("2025-10-16 09:30")


def test_naive_datetimes_are_refused(db):
    with pytest.raises(ValueError):
        add_working_hours(datetime(2025, 10, 15, 9), 1)


# -- years the package does not know, and the admin table -----------------------------------------


def test_deadline_crossing_into_an_unknown_year_falls_back_to_weekends(db):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))
    assert calendar_coverage(2027) == "weekends"
    # 31 Dec 2026 is a Thursday; 1 Jan 2027 (Friday) counts as a workday without data.
    assert add_working_days(at("2026-12-31 16:00"), 1) == at("2027-01-01 16:00")
    assert add_working_days(at("2026-12-31 16:00"), 2) == at("2027-01-04 16:00")
    assert is_workday(date(2027, 5, 1)) is False  # a Saturday
    assert is_workday(date(2027, 5, 3)) is True  # a Monday


def test_admin_table_wins_for_an_unknown_year(db):
    WorkCalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    WorkCalendarDay.objects.create(date=date(2027, 1, 2), is_workday=True, note="元旦调休上班")
    assert calendar_coverage(2027) == "table"
    assert is_workday(date(2027, 1, 1)) is False
    assert is_workday(date(2027, 1, 2)) is True
    # 1.5 h on 31 December, nothing on the holiday, the rest on the make-up Saturday.
    assert add_working_days(at("2026-12-31 16:00"), 1) == at("2027-01-02 16:00")


def test_admin_table_overrides_a_day_the_package_knows(db):
    assert chinese_calendar.is_workday(date(2025, 10, 9)) is True
    WorkCalendarDay.objects.create(date=date(2025, 10, 9), is_workday=False, note="临时调整")
    assert is_workday(date(2025, 10, 9)) is False
    assert add_working_days(at("2025-09-30 16:00"), 1) == at("2025-10-10 16:00")

    WorkCalendarDay.objects.create(date=date(2025, 10, 8), is_workday=True, note="临时调整")
    assert add_working_days(at("2025-09-30 16:00"), 1) == at("2025-10-08 16:00")


def test_coverage_of_a_year_the_package_knows(db):
    assert calendar_coverage(2025) == "package"


def test_one_query_per_computation(db, django_assert_num_queries):
    WorkCalendarDay.objects.create(date=date(2025, 11, 3), is_workday=False)
    calendar = WorkingCalendar()
    with django_assert_num_queries(1):
        deadline = calendar.add_working_days(at("2025-09-30 16:00"), 15)
        calendar.working_hours_between(at("2025-09-30 16:00"), deadline)
        calendar.next_working_time(at("2025-10-01 09:00"))
    # Workdays after 30 Sept: 9, 10, 11 (make-up Saturday), 13–17, 20–24, 27, 28 October.
    assert deadline == at("2025-10-28 16:00")


def test_dates_beyond_the_loaded_window_are_still_read(db, django_assert_num_queries):
    WorkCalendarDay.objects.create(date=date(2026, 6, 8), is_workday=False)  # a Monday
    calendar = WorkingCalendar(window_days=2)  # loads Friday 5 .. Sunday 7 June first
    with django_assert_num_queries(2):
        assert calendar.add_working_hours(at("2026-06-05 17:00"), 1) == at("2026-06-09 09:00")


def test_a_list_of_ever_older_cases_costs_few_queries(db, django_assert_max_num_queries):
    # A list view computes the clock of each case with one calendar, newest case first.
    calendar = WorkingCalendar()
    now = at("2025-10-20 10:00")
    with django_assert_max_num_queries(2):
        for age in range(90):
            calendar.working_hours_between(now - timedelta(days=age), now)


def test_bad_data_cannot_hang_the_search():
    everything_off = {date(2025, 1, 1) + timedelta(days=n): False for n in range(800)}
    calendar = WorkingCalendar(overrides=everything_off)
    with pytest.raises(WorkingCalendarError):
        calendar.add_working_hours(at("2025-01-01 09:00"), 1)
    with pytest.raises(WorkingCalendarError):
        calendar.next_working_time(at("2025-01-01 09:00"))


def test_working_periods_are_configurable():
    calendar = WorkingCalendar(periods=["09:00-17:00"], overrides={})
    assert calendar.hours_per_day == 8.0
    assert calendar.add_working_days(at("2025-10-15 13:00"), 1) == at("2025-10-16 13:00")
    assert calendar.is_working_time(at("2025-10-15 12:30"))


# -- elapsed working time, for the 80 % warning ------------------------------------------------------


def test_working_hours_between_skips_nights_and_holidays(db):
    assert working_hours_between(at("2025-09-30 16:00"), at("2025-10-09 10:00")) == pytest.approx(3.0)
    assert working_hours_between(at("2025-10-15 11:00"), at("2025-10-15 15:00")) == pytest.approx(2.0)
    assert working_hours_between(at("2025-10-15 15:00"), at("2025-10-15 11:00")) == 0.0


@pytest.mark.parametrize(
    "start",
    [
        at("2025-09-30 16:00"),  # before National Day
        at("2025-10-11 09:07"),  # make-up Saturday
        at("2025-10-15 12:45"),  # lunch break
        at("2025-10-17 21:00"),  # Friday evening
        at("2026-12-30 10:20"),  # into the unknown year
    ],
)
@pytest.mark.parametrize("hours", [0.25, 2, 3.5, 7, 12.75, 35, 105])
def test_elapsed_hours_agree_with_deadlines(db, start, hours):
    calendar = WorkingCalendar()
    deadline = calendar.add_working_hours(start, hours)
    assert calendar.working_hours_between(start, deadline) == pytest.approx(hours, abs=1e-6)
    # The 80 % warning point lies before the deadline and is 80 % of the way there.
    warning_at = calendar.add_working_hours(start, hours * 0.8)
    assert warning_at <= deadline
    assert calendar.working_hours_between(start, warning_at) / hours == pytest.approx(0.8, abs=1e-6)


# -- working time and deferring notifications --------------------------------------------------------


def test_is_working_time(db):
    assert is_working_time(at("2025-10-15 08:30"))
    assert is_working_time(at("2025-10-15 11:59"))
    assert not is_working_time(at("2025-10-15 12:00"))
    assert not is_working_time(at("2025-10-15 08:29"))
    assert not is_working_time(at("2025-10-03 10:00"))  # National Day holiday
    assert is_working_time(at("2025-09-28 10:00"))  # make-up Sunday


def test_next_working_time(db):
    inside = at("2025-10-15 10:17")
    assert next_working_time(inside) == inside
    assert next_working_time(at("2025-10-15 12:30")) == at("2025-10-15 14:00")
    assert next_working_time(at("2025-10-15 22:00")) == at("2025-10-16 08:30")
    assert next_working_time(at("2025-10-16 06:00")) == at("2025-10-16 08:30")
    # Notifications raised on the eve of National Day wait for 9 October.
    assert next_working_time(at("2025-09-30 18:00")) == at("2025-10-09 08:30")


# -- admin warning about missing holidays ------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_admin_changelist_warns_about_a_year_without_holidays(admin_client):
    with clock("2026-06-01 10:00"):
        response = admin_client.get("/admin/disputes/workcalendarday/")
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "2027 年节假日尚未录入" in messages[0]
    assert "2027 年节假日尚未录入" in response.content.decode()


@pytest.mark.urls(__name__)
def test_admin_changelist_is_quiet_once_holidays_are_entered(admin_client):
    WorkCalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    with clock("2026-06-01 10:00"):
        response = admin_client.get("/admin/disputes/workcalendarday/")
    assert response.status_code == 200
    assert "尚未录入" not in response.content.decode()


def test_years_without_coverage(db):
    assert years_without_coverage(date(2025, 3, 1)) == []
    assert years_without_coverage(date(2026, 11, 21)) == [2027]
    assert years_without_coverage(date(2027, 1, 5)) == [2027, 2028]
