"""The center's clocks (受理, 核查, 回访) and supervision (督办) with its reply clock, by moving the clock."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from disputes import services
from disputes.models import Case, CaseEvent, DeadlineAlert, StageClock, Supervision
from disputes.sweep import sweep_deadlines
from grids.models import Notification
from tests.clock import at, clock

pytestmark = pytest.mark.django_db


def _api_case(api, user, case):
    response = api(user).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    return response.json()


def test_a_new_case_shows_an_accept_clock_that_warns_then_escalates_exactly_once(world, report, api):
    with clock("2026-11-16 09:00"):  # a Monday
        case = report()
        body = _api_case(api, world.center_town, case)
    accept = StageClock.objects.get(case=case, clock="accept")
    assert body["deadlines"]["accept"] is not None
    assert body["deadlines"]["verify"] is None and body["deadlines"]["feedback"] is None
    # 4 working hours (the category's default for a normal case).
    assert accept.deadline == at("2026-11-16 13:00") or accept.deadline > at("2026-11-16 12:59")
    assert accept.warn_at < accept.deadline

    assert sweep_deadlines(now=accept.warn_at - timedelta(minutes=1)).changes == 0
    result = sweep_deadlines(now=accept.warn_at + timedelta(minutes=1))
    assert (result.yellow, result.red, result.escalated) == (1, 0, 0)
    assert Notification.objects.filter(recipient=world.center_town, kind="deadline_yellow").count() == 1
    case.refresh_from_db()
    assert not case.overdue and case.center_id == world.town1.pk

    result = sweep_deadlines(now=accept.deadline + timedelta(minutes=1))
    assert (result.yellow, result.red, result.escalated) == (0, 1, 1)
    case.refresh_from_db()
    assert case.overdue and case.center_id == world.t.district.pk
    red = DeadlineAlert.objects.get(level="red")
    assert red.clock == "accept" and red.department is None and red.stage_clock_id == accept.pk
    assert red.escalated_to == world.t.district
    assert Notification.objects.filter(recipient=world.center_town, kind="deadline_red").count() == 1

    again = sweep_deadlines(now=accept.deadline + timedelta(hours=2))
    assert again.changes == 0
    assert DeadlineAlert.objects.count() == 2
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1
    # A re-run after a crash that lost the clock's mark changes nothing: the unique alert rows hold.
    StageClock.objects.filter(pk=accept.pk).update(alert="", next_deadline_at=accept.deadline)
    assert sweep_deadlines(now=accept.deadline + timedelta(hours=3)).changes == 0
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1


def test_accepting_in_time_stops_the_accept_clock(world, report):
    with clock("2026-11-16 09:00"):
        case = report()
    with clock("2026-11-16 10:00"):
        services.case_accept(case=case, by=world.center_town)
    assert sweep_deadlines(now=at("2026-11-18 09:00")).changes == 0
    accept = StageClock.objects.get(case=case, clock="accept")
    assert accept.stopped_at is not None and accept.next_deadline_at is None


def _dispatched(world, report, when="2026-11-16 09:00"):
    with clock(when):
        case = services.case_accept(case=report(), by=world.center_town)
        return services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)


def test_verify_and_feedback_clocks_run_from_handled_and_verified(world, report, api):
    case = _dispatched(world, report)
    with clock("2026-11-16 10:00"):
        services.case_sign(case=case, by=world.dept_police)
        services.case_handle(case=case, by=world.dept_police, result="已处理")
    verify = StageClock.objects.get(case=case, clock="verify")
    assert verify.started_at == at("2026-11-16 10:00") and verify.stopped_at is None
    with clock("2026-11-16 11:00"):
        services.case_verify(case=case, by=world.center_town)
        body = _api_case(api, world.center_town, case)
    verify.refresh_from_db()
    assert verify.stopped_at == at("2026-11-16 11:00")
    feedback = StageClock.objects.get(case=case, clock="feedback")
    assert body["deadlines"]["verify"] and body["deadlines"]["feedback"]
    # The feedback clock lapses if nobody calls the resident back.
    result = sweep_deadlines(now=feedback.deadline + timedelta(minutes=1))
    assert result.red == 1
    assert DeadlineAlert.objects.get(level="red").clock == "feedback"


def test_close_needs_feedback_or_unreachable(world, report, api):
    case = _dispatched(world, report)
    services.case_sign(case=case, by=world.dept_police)
    services.case_handle(case=case, by=world.dept_police, result="已处理")
    services.case_verify(case=case, by=world.center_town)
    response = api(world.center_town).post(f"/api/v1/cases/{case.pk}/actions/close/", {}, format="json")
    assert response.status_code == 400 and "unreachable" in response.json()
    with pytest.raises(ValidationError):
        services.case_close(case=case, by=world.center_town)
    response = api(world.center_town).post(
        f"/api/v1/cases/{case.pk}/actions/close/", {"unreachable": True, "comment": "三次电话未接"}, format="json"
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == "closed" and case.feedback_unreachable
    assert not StageClock.objects.filter(case=case, stopped_at__isnull=True).exists()


def test_the_reporter_hears_when_accepted_handled_and_closed(world, report):
    case = _dispatched(world, report)
    services.case_sign(case=case, by=world.dept_police)
    services.case_handle(case=case, by=world.dept_police, result="已处理")
    services.case_verify(case=case, by=world.center_town)
    services.case_feedback(case=case, by=world.center_town, satisfaction="satisfied")
    services.case_close(case=case, by=world.center_town)
    kinds = set(Notification.objects.filter(recipient=world.grid_a).values_list("kind", flat=True))
    assert {"case_reporter_accept", "case_reporter_handle", "case_reporter_close"} <= kinds


def test_official_supervises_and_dept_police_replies(world, report, api, browser_client):
    case = _dispatched(world, report)
    response = api(world.official).post(
        f"/api/v1/cases/{case.pk}/actions/supervise/",
        {"note": "群众反映强烈,请加快办理", "reply_within_hours": 4},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["supervisions"][0]["open"]
    assert Notification.objects.filter(recipient=world.dept_police, kind="case_supervise").count() == 1
    # dept_police sees it in 被督办 (its count too) and replies.
    page = browser_client(world.dept_police).get("/cases/?tab=supervised")
    assert case.number in page.content.decode()
    assert "reply" in _api_case(api, world.dept_police, case)["available_actions"]
    # Not the co-department, not the official: 403; the outsider: 404.
    assert (
        api(world.official).post(f"/api/v1/cases/{case.pk}/actions/reply/", {"note": "x"}, format="json").status_code
        == 403
    )
    assert (
        api(world.outsider)
        .post(f"/api/v1/cases/{case.pk}/actions/supervise/", {"note": "x", "reply_within_hours": 2}, format="json")
        .status_code
        == 404
    )
    assert (
        api(world.dept_police).post(f"/api/v1/cases/{case.pk}/actions/reply/", {"note": ""}, format="json").status_code
        == 400
    )
    response = api(world.dept_police).post(
        f"/api/v1/cases/{case.pk}/actions/reply/", {"note": "已安排人员今日处置"}, format="json"
    )
    assert response.status_code == 200, response.content
    supervision = Supervision.objects.get(case=case)
    assert supervision.replied_at is not None and supervision.clock.stopped_at is not None
    assert Notification.objects.filter(recipient=world.official, kind="case_reply").count() == 1
    assert case.number not in browser_client(world.dept_police).get("/cases/?tab=supervised").content.decode()


def test_supervise_body_is_validated(world, report, api):
    case = _dispatched(world, report)
    url = f"/api/v1/cases/{case.pk}/actions/supervise/"
    assert api(world.official).post(url, {"note": "x" * 501, "reply_within_hours": 4}, format="json").status_code == 400
    assert api(world.official).post(url, {"note": "请办理", "reply_within_hours": 0}, format="json").status_code == 400
    assert (
        api(world.dept_police).post(url, {"note": "请办理", "reply_within_hours": 4}, format="json").status_code == 403
    )


def test_an_unanswered_supervision_lapses_and_counts_against_the_department(world, report, api):
    case = _dispatched(world, report, when="2026-11-16 09:00")
    with clock("2026-11-16 09:30"):
        services.case_sign(case=case, by=world.dept_police)
        services.case_supervise(case=case, by=world.official, note="请尽快回复", reply_within_hours=2)
    supervision = Supervision.objects.get(case=case)
    result = sweep_deadlines(now=supervision.clock.deadline + timedelta(minutes=1))
    assert result.red == 1
    red = DeadlineAlert.objects.get(level="red", clock="reply")
    assert red.department == world.police1
    assert Notification.objects.filter(recipient=world.dept_police, kind="deadline_red").count() == 1
    assert Case.objects.get(pk=case.pk).overdue
    with clock("2026-11-16 16:00"):
        body = api(world.official).get("/api/v1/dashboard/", {"period": "month"}).json()
    league = {row["name"]: row for row in body["departments"]}
    assert league[world.police1.name]["overdue"] >= 1
    assert league[world.police1.name]["supervised"] == 1


def test_unreachable_closes_are_counted_apart(world, report, api):
    case = _dispatched(world, report, when="2026-11-16 09:00")
    with clock("2026-11-16 10:00"):
        services.case_sign(case=case, by=world.dept_police)
        services.case_handle(case=case, by=world.dept_police, result="已处理")
        services.case_verify(case=case, by=world.center_town)
        services.case_close(case=case, by=world.center_town, unreachable=True)
        body = api(world.official).get("/api/v1/dashboard/").json()
    assert body["kpis"]["feedback_unreachable"] == 1
    assert body["kpis"]["satisfaction_rate"] is None  # no answer: not counted as an answer


def test_a_co_departments_return_tells_the_center_it_withdrew(world, report):
    with clock("2026-11-16 09:00"):
        case = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(
            case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
        )
        services.case_return(case=case, by=world.dept_urban, reason_code="not_our_duty", reason="非本部门职责")
    kinds = list(Notification.objects.filter(recipient=world.center_town).values_list("kind", flat=True))
    assert "case_co_withdrew" in kinds and "case_return" not in kinds


def test_the_lead_sees_why_handle_is_not_offered(world, report, browser_client):
    with clock("2026-11-16 09:00"):
        case = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(
            case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
        )
        services.case_sign(case=case, by=world.dept_police)
        services.case_sign(case=case, by=world.dept_urban)
    page = browser_client(world.dept_police).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-blocked="handle"' in page and world.urban1.name in page
    assert 'data-testid="do-handle"' not in page


def test_after_photos_sit_beside_the_before_photos(world, report, browser_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.disputes.test_uploads import image_bytes

    case = _dispatched(world, report)
    services.case_sign(case=case, by=world.dept_police)
    client = browser_client(world.dept_police)
    photo = SimpleUploadedFile("after.png", image_bytes("PNG"), content_type="image/png")
    response = client.post(f"/cases/{case.pk}/actions/handle/", {"result": "已修复", "photos": [photo]})
    assert response.status_code == 302
    after = case.attachments.get()
    assert after.phase == "after"
    page = browser_client(world.center_town).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-phase="after"' in page and after.token in page


def test_the_case_page_and_the_queue_show_the_accept_clock(world, report, browser_client):
    with clock("2026-11-16 09:00"):
        case = report()
        page = browser_client(world.center_town).get(f"/cases/{case.pk}/").content.decode()
        queue = browser_client(world.center_town).get("/cases/?tab=new").content.decode()
    assert 'data-center-clock="accept"' in page
    case.refresh_from_db()
    accept = StageClock.objects.get(case=case, clock="accept")
    assert case.next_deadline_at == accept.deadline
    assert 'class="pill pill-green"' in queue


def test_the_api_filters_supervised_and_escalated(world, report, api):
    case = _dispatched(world, report)
    services.case_supervise(case=case, by=world.official, note="请加快", reply_within_hours=4)
    services.case_escalate(case=report(), by=world.center_town, reason="重大")
    client = api(world.official)
    assert client.get("/api/v1/cases/", {"supervised": "true"}).json()["count"] == 1
    assert client.get("/api/v1/cases/", {"escalated": "true"}).json()["count"] == 1
    assert client.get("/api/v1/cases/", {"escalated": "false"}).json()["count"] == 1
