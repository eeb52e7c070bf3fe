"""The deadline sweep, by moving the clock: yellow, red and escalation across a holiday; exactly once."""

import pytest
from django.core.management import call_command

from disputes import services
from disputes.models import Case, CaseEvent, DeadlineAlert
from disputes.sweep import sweep_deadlines
from grids.models import Notification
from grids.services import membership_grant
from tests.clock import at, clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(world, report):
    """Dispatched on Wed 2026-09-30 16:00, the eve of the National Day week (Oct 1–7 holidays)."""
    with clock("2026-09-30 16:00"):
        case = services.case_accept(case=report(), by=world.center_town)
        case = services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    return case


def test_deadlines_skip_the_national_day_holiday(dispatched):
    # 1.5 h on Sep 30, nothing Oct 1–7, 5.5 h more on Thu Oct 8 → 16:00.
    assert dispatched.sign_deadline == at("2026-10-08 16:00")
    # 5 × 7 h: Sep 30, Oct 8, 9, 10 (a make-up Saturday), 12, and 5.5 h on Oct 13.
    assert dispatched.handle_deadline == at("2026-10-13 16:00")


def test_yellow_then_red_then_one_escalation(world, dispatched):
    membership_grant(user=world.official, role="official", area=world.t.district)
    assert sweep_deadlines(now=at("2026-10-03 10:00")).changes == 0  # a holiday: the clock does not run
    result = sweep_deadlines(now=at("2026-10-08 14:40"))  # past 80 % of the sign-in limit (14:36)
    assert (result.yellow, result.red) == (1, 0)
    case = Case.objects.get(pk=dispatched.pk)
    assert not case.overdue and case.center_id == world.town1.pk
    assert Notification.objects.filter(recipient=world.dept_police, kind="deadline_yellow").count() == 1

    result = sweep_deadlines(now=at("2026-10-08 16:01"))
    assert (result.yellow, result.red, result.escalated) == (0, 1, 1)
    case.refresh_from_db()
    assert case.overdue
    assert case.center_id == world.t.district.pk
    assert case.assignments.get().overdue
    red = DeadlineAlert.objects.get(level="red")
    assert red.department == world.police1 and red.escalated_to == world.t.district
    for user in (world.dept_police, world.center_town, world.official):
        assert Notification.objects.filter(recipient=user, kind="deadline_red").count() == 1
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))[-3:] == [
        "deadline_yellow",
        "deadline_red",
        "escalate",
    ]

    again = sweep_deadlines(now=at("2026-10-08 16:05"))
    assert again.changes == 0
    assert DeadlineAlert.objects.count() == 2
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1


def test_a_sweep_rerun_after_a_crash_changes_nothing(world, dispatched):
    sweep_deadlines(now=at("2026-10-08 16:01"))
    # Simulate a crash after the alerts were written but before the assignment was marked:
    # the unique alert rows still stop a second escalation.
    a = dispatched.assignments.get()
    type(a).objects.filter(pk=a.pk).update(sign_alert="", next_deadline_at=a.sign_deadline)
    result = sweep_deadlines(now=at("2026-10-08 16:10"))
    assert result.changes == 0
    assert CaseEvent.objects.filter(case=dispatched, action="escalate").count() == 1
    assert Notification.objects.filter(kind="deadline_red", recipient=world.dept_police).count() == 1


def test_signing_in_stops_the_sign_clock(world, dispatched):
    with clock("2026-10-08 09:00"):
        services.case_sign(case=dispatched, by=world.dept_police)
    result = sweep_deadlines(now=at("2026-10-08 16:30"))
    assert result.changes == 0
    # The handling clock runs on: yellow at 80 % of 35 working hours, red on Oct 13 16:00.
    result = sweep_deadlines(now=at("2026-10-13 16:01"))
    assert (result.yellow, result.red, result.escalated) == (1, 1, 1)


def test_an_approved_extension_moves_the_handling_clock(world, dispatched):
    with clock("2026-10-08 09:00"):
        services.case_sign(case=dispatched, by=world.dept_police)
        services.case_request_extension(case=dispatched, by=world.dept_police, days=2, reason="等待鉴定")
        services.case_approve_extension(case=dispatched, by=world.center_town)
    assert Case.objects.get(pk=dispatched.pk).handle_deadline == at("2026-10-15 16:00")
    assert sweep_deadlines(now=at("2026-10-13 16:01")).red == 0
    assert sweep_deadlines(now=at("2026-10-15 16:01")).red == 1


def test_notifications_outside_working_hours_wait_for_the_morning(world, report):
    with clock("2026-11-16 09:00"):  # Monday
        normal = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(case=normal, by=world.center_town, lead_department=world.police1)
        urgent = services.case_accept(case=report(urgency="urgent"), by=world.center_town)
        services.case_dispatch(case=urgent, by=world.center_town, lead_department=world.urban1)
    sweep_deadlines(now=at("2026-11-17 19:30"))  # Tuesday evening, both lapsed
    normal_note = Notification.objects.get(recipient=world.dept_police, kind="deadline_red")
    urgent_note = Notification.objects.get(recipient=world.dept_urban, kind="deadline_red")
    assert normal_note.deliver_after == at("2026-11-18 08:30")
    assert urgent_note.deliver_after == at("2026-11-17 19:30")


def test_sweep_queries_are_constant_per_batch(world, report, django_assert_max_num_queries):
    def make(n):
        with clock("2026-11-16 09:00"):
            for _ in range(n):
                case = services.case_accept(case=report(), by=world.center_town)
                services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)

    make(2)
    with django_assert_max_num_queries(40) as few:
        assert sweep_deadlines(now=at("2026-11-20 09:00")).red == 2
    make(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert sweep_deadlines(now=at("2026-11-24 09:00")).red == 15


def test_the_command(world, dispatched, capsys):
    call_command("sweep_deadlines", "--now", "2026-10-08T16:01:00+08:00")
    assert "red=1" in capsys.readouterr().out
    call_command("sweep_deadlines", "--now", "2026-10-08T16:02:00+08:00")
    assert "red=0" in capsys.readouterr().out
    with pytest.raises(Exception, match="ISO-8601"):
        call_command("sweep_deadlines", "--now", "yesterday")


def test_many_lapses_at_once_give_one_digest_per_person(world, report):
    """Seven cases lapse in one sweep: the police station's staff and the town center get one digest
    each, not seven notices; every case still gets its alert, its timeline events and its escalation."""
    from disputes.sweep import DIGEST_AFTER

    count = DIGEST_AFTER + 2
    with clock("2026-09-30 16:00"):
        cases = [services.case_accept(case=report(), by=world.center_town) for _ in range(count)]
        for case in cases:
            services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    result = sweep_deadlines(now=at("2026-10-08 16:01"))
    assert (result.red, result.escalated) == (count, count)
    assert DeadlineAlert.objects.filter(level="red").count() == count
    assert CaseEvent.objects.filter(action="escalate").count() == count

    (notice,) = Notification.objects.filter(recipient=world.dept_police, kind="deadline_red")
    assert f"{count} 件超期" in notice.display_title and world.police1.name in notice.display_title
    assert notice.url.endswith("?tab=overdue")
    (digest,) = Notification.objects.filter(recipient=world.center_town, kind="deadline_red")
    assert f"{count} 件事项超期" in digest.display_title


def test_a_few_lapses_are_told_case_by_case(world, report):
    from disputes.sweep import DIGEST_AFTER

    with clock("2026-09-30 16:00"):
        cases = [services.case_accept(case=report(), by=world.center_town) for _ in range(DIGEST_AFTER)]
        for case in cases:
            services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    sweep_deadlines(now=at("2026-10-08 16:01"))
    notices = Notification.objects.filter(recipient=world.dept_police, kind="deadline_red")
    assert sorted(n.url for n in notices) == sorted(f"/cases/{c.pk}/" for c in cases)
    assert Notification.objects.filter(recipient=world.center_town, kind="deadline_red").count() == DIGEST_AFTER


def test_a_case_already_overdue_at_a_town_center_still_escalates(world, dispatched):
    """Overdue from an earlier lapse yet back at the town center: the next red moves it up."""
    Case.objects.filter(pk=dispatched.pk).update(overdue=True)
    result = sweep_deadlines(now=at("2026-10-08 16:01"))
    assert (result.red, result.escalated) == (1, 1)
    case = Case.objects.get(pk=dispatched.pk)
    assert case.center_id == world.t.district.pk and case.overdue
    assert DeadlineAlert.objects.get(level="red").escalated_to_id == world.t.district.pk


def test_moments_the_sweep_writes_compare_like_the_orms(world, dispatched):
    """The sweep writes with raw SQL; its moments must sort with the ORM's (on SQLite, naive UTC text)."""
    sweep_deadlines(now=at("2026-10-08 23:30"))  # 15:30 UTC: the day differs between the two zones
    late_evening = {"created_at__gt": at("2026-10-08 23:00"), "created_at__lt": at("2026-10-09 00:00")}
    assert DeadlineAlert.objects.filter(**late_evening).count() == 2  # yellow and red
    assert CaseEvent.objects.filter(action__in=["deadline_red", "escalate"], **late_evening).count() == 2
    assert (
        Case.objects.filter(updated_at__gt=at("2026-10-08 23:00"), updated_at__lt=at("2026-10-09 00:00")).count() == 1
    )
