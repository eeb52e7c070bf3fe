"""The whole journey through the API, and the refusals: 403 for a visible case the caller may not
act on, 404 for an invisible one, 409 for a wrong state, 400 for a bad body."""

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from disputes.models import Assignment, Case, CaseEvent

pytestmark = pytest.mark.django_db

# A Tuesday morning in working hours, Asia/Shanghai.
MORNING = "2026-11-17 09:00 +0800"


def act(api, user, case, action, **body):
    return api(user).post(f"/api/v1/cases/{case.pk}/actions/{action}/", body, format="json")


@time_machine.travel(MORNING, tick=False)
def test_full_journey_from_pin_to_closed(world, categories, api):
    micro = world.t.micro_grids[1]
    r = api(world.grid_a).post(
        "/api/v1/cases/",
        {
            "category": "road_damage",
            "description": "井盖缺失",
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
            "urgency": "normal",
            "title": "井盖缺失",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("20261117-")
    assert body["area"]["id"] == micro.pk
    assert body["status"] == "reported"
    assert body["center"]["id"] == world.town1.pk
    case = Case.objects.get(pk=body["id"])

    assert "accept" in api(world.center_town).get(f"/api/v1/cases/{case.pk}/").json()["available_actions"]
    assert act(api, world.center_town, case, "accept", comment="受理").status_code == 200
    r = act(
        api,
        world.center_town,
        case,
        "dispatch",
        lead_department=world.police1.pk,
        co_departments=[world.urban1.pk],
        comment="请派出所牵头",
    )
    assert r.status_code == 200, r.content
    detail = r.json()
    assert detail["status"] == "dispatched"
    assert {a["department"]["id"]: a["role"] for a in detail["assignments"]} == {
        world.police1.pk: "lead",
        world.urban1.pk: "co",
    }
    # 7 working hours from Tue 09:00 → Tue 17:30 is 7.5 h away minus lunch 2 h = 6.5 h; so Wed 09:00.
    assert parse_datetime(detail["deadlines"]["sign"]) == parse_datetime("2026-11-18T09:00+08:00")

    assert act(api, world.dept_urban, case, "sign").status_code == 200
    assert Case.objects.get(pk=case.pk).status == "dispatched"  # only the lead's sign-in moves the case
    assert act(api, world.dept_police, case, "sign").status_code == 200
    assert Case.objects.get(pk=case.pk).status == "in_progress"

    r = act(api, world.dept_police, case, "handle", result="已修复")
    assert r.status_code == 409  # the co-department has not reported yet
    assert "协办" in r.json()["detail"]
    assert act(api, world.dept_urban, case, "progress", note="已设置围挡").status_code == 200
    assert act(api, world.dept_urban, case, "report", result="已配合设置围挡").status_code == 200
    assert act(api, world.dept_police, case, "handle", result="已更换井盖").status_code == 200
    assert act(api, world.center_town, case, "verify", comment="现场核查完成").status_code == 200
    assert act(api, world.center_town, case, "feedback", satisfaction="satisfied").status_code == 200
    r = act(api, world.center_town, case, "close")
    assert r.status_code == 200
    assert r.json()["status"] == "closed"

    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == [
        "create",
        "accept",
        "dispatch",
        "sign",
        "sign",
        "progress",
        "report",
        "handle",
        "verify",
        "feedback",
        "close",
    ]
    timeline = api(world.official).get(f"/api/v1/cases/{case.pk}/").json()["timeline"]
    assert [e["action"] for e in timeline] == actions
    assert timeline[2]["actor"]["username"] == "center_town"
    assert timeline[2]["from_status"] == "accepted" and timeline[2]["to_status"] == "dispatched"


def test_outsiders_get_404_and_visible_non_actors_get_403(world, report, api):
    case = report()
    for persona in (world.grid_b, world.center_town2, world.dept_police2, world.outsider):
        assert api(persona).get(f"/api/v1/cases/{case.pk}/").status_code == 404, persona
        assert act(api, persona, case, "accept").status_code == 404, persona
    # The official and the district center can read it, but it is the town center's to accept.
    for persona in (world.official, world.center_district, world.mediator):
        assert api(persona).get(f"/api/v1/cases/{case.pk}/").status_code == 200
        assert act(api, persona, case, "accept").status_code == 403
    # Departments see nothing until dispatch.
    assert api(world.dept_police).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api().get(f"/api/v1/cases/{case.pk}/").status_code in (401, 403)


def test_wrong_state_is_409_and_bad_body_is_400(world, report, api):
    case = report()
    r = act(api, world.center_town, case, "close")
    assert r.status_code == 409
    assert "detail" in r.json()
    r = act(api, world.center_town, case, "reject")
    assert r.status_code == 400
    assert "reason" in r.json()
    assert act(api, world.center_town, case, "accept").status_code == 200
    r = act(api, world.center_town, case, "dispatch", lead_department=world.police2.pk)
    assert r.status_code == 400  # town 2's police station does not serve town 1
    assert "lead_department" in r.json()
    r = act(
        api, world.center_town, case, "dispatch", lead_department=world.police1.pk, co_departments=[world.police1.pk]
    )
    assert r.status_code == 400
    assert "co_departments" in r.json()
    assert api(world.center_town).post(f"/api/v1/cases/{case.pk}/actions/fly/", {}, format="json").status_code == 404


def test_double_dispatch_gives_one_transition(world, report, api):
    case = report()
    act(api, world.center_town, case, "accept")
    first = act(api, world.center_town, case, "dispatch", lead_department=world.police1.pk)
    second = act(api, world.center_town, case, "dispatch", lead_department=world.police1.pk)
    assert first.status_code == 200
    assert second.status_code == 409
    assert "已是" in second.json()["detail"]
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Assignment.objects.filter(case=case).count() == 1


def test_return_revokes_access_and_counts(world, report, api):
    case = report()
    act(api, world.center_town, case, "accept")
    act(api, world.center_town, case, "dispatch", lead_department=world.police1.pk, co_departments=[world.urban1.pk])
    assert api(world.dept_police).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    r = act(api, world.dept_urban, case, "return", reason_code="not_our_duty", reason="非城管职责")
    assert r.status_code == 200
    assert api(world.dept_urban).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert Case.objects.get(pk=case.pk).status == "dispatched"  # a co-department's return ends only its part
    r = act(api, world.dept_police, case, "return", reason_code="wrong_area", reason="不属本所辖区")
    assert r.status_code == 200
    case.refresh_from_db()
    assert case.status == "accepted"
    assert case.return_count == 2
    assert case.next_deadline_at is None
    assert api(world.dept_police).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    # The center re-dispatches, and the department sees it again.
    r = act(api, world.center_town, case, "dispatch", lead_department=world.police1.pk)
    assert r.status_code == 200
    assert api(world.dept_police).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    r = act(api, world.dept_police, case, "return", reason_code="bogus", reason="x")
    assert r.status_code == 400 and "reason_code" in r.json()


def test_dissatisfied_feedback_reopens(world, report, api):
    case = report()
    act(api, world.center_town, case, "accept")
    act(api, world.center_town, case, "dispatch", lead_department=world.urban1.pk)
    act(api, world.dept_urban, case, "sign")
    act(api, world.dept_urban, case, "handle", result="已处理")
    act(api, world.center_town, case, "verify")
    assert act(api, world.center_town, case, "reopen", reason="x").status_code == 409  # no feedback yet
    act(api, world.center_town, case, "feedback", satisfaction="dissatisfied", comment="仍有积水")
    assert act(api, world.center_town, case, "reopen", reason="群众不满意").status_code == 200
    case.refresh_from_db()
    assert case.status == "accepted"
    r = act(api, world.center_town, case, "dispatch", lead_department=world.urban1.pk)
    assert r.status_code == 200, r.content


def test_rework_and_extension(world, report, api):
    case = report()
    act(api, world.center_town, case, "accept")
    act(api, world.center_town, case, "dispatch", lead_department=world.urban1.pk)
    act(api, world.dept_urban, case, "sign")
    before = Case.objects.get(pk=case.pk).handle_deadline
    assert act(api, world.dept_urban, case, "request_extension", days=0, reason="x").status_code == 400
    assert act(api, world.dept_urban, case, "request_extension", days=3, reason="需采购材料").status_code == 200
    assert act(api, world.dept_urban, case, "request_extension", days=3, reason="again").status_code == 409
    assert act(api, world.dept_urban, case, "approve_extension").status_code == 403
    assert act(api, world.center_town, case, "approve_extension", comment="同意").status_code == 200
    after = Case.objects.get(pk=case.pk).handle_deadline
    assert after > before
    assert act(api, world.center_town, case, "refuse_extension").status_code == 409
    act(api, world.dept_urban, case, "handle", result="已处理")
    assert act(api, world.center_town, case, "rework", reason="未修复到位").status_code == 200
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert act(api, world.dept_urban, case, "handle", result="已彻底修复").status_code == 200


def test_escalate_hands_the_case_to_the_district_center(world, report, api):
    case = report()
    assert act(api, world.center_district, case, "accept").status_code == 403
    assert act(api, world.center_town, case, "escalate", reason="涉及多个镇街").status_code == 200
    case.refresh_from_db()
    assert case.center_id == world.t.district.pk
    assert act(api, world.center_town, case, "accept").status_code == 403
    assert act(api, world.center_district, case, "accept").status_code == 200
    assert act(api, world.center_district, case, "escalate", reason="x").status_code == 403


def test_resolve_on_site_by_the_grid_worker_of_the_grid(world, report, api):
    case = report()
    other = report(micro=world.t.micro_grids[4], by=world.grid_b)
    assert act(api, world.grid_b, case, "resolve_on_site", result="x").status_code == 404
    assert act(api, world.grid_a, other, "resolve_on_site", result="x").status_code == 404
    assert act(api, world.grid_a, case, "resolve_on_site", result="").status_code == 400
    assert act(api, world.grid_a, case, "resolve_on_site", result="已劝导当事人清理").status_code == 200
    case.refresh_from_db()
    assert case.status == "verified"
    assert act(api, world.center_town, case, "feedback", satisfaction="satisfied").status_code == 200
    assert act(api, world.center_town, case, "close").status_code == 200


def test_merge_into_a_visible_case(world, report, api):
    first, dup = report(), report(description="同一处井盖")
    assert act(api, world.center_town, dup, "merge", into=dup.pk).status_code == 400
    assert act(api, world.center_town, dup, "merge", into=999999).status_code == 400
    r = act(api, world.center_town, dup, "merge", into=first.pk)
    assert r.status_code == 200
    assert r.json()["merged_into"]["number"] == first.number


@time_machine.travel(MORNING, tick=False)
def test_reclassifying_recomputes_the_running_clocks(world, report, api, categories):
    case = report()
    act(api, world.center_town, case, "accept")
    act(api, world.center_town, case, "dispatch", lead_department=world.urban1.pk)
    before = Case.objects.get(pk=case.pk).sign_deadline
    assert (
        api(world.official).patch(f"/api/v1/cases/{case.pk}/", {"urgency": "emergency"}, format="json").status_code
        == 403
    )
    assert (
        api(world.grid_b).patch(f"/api/v1/cases/{case.pk}/", {"urgency": "emergency"}, format="json").status_code == 404
    )
    assert (
        api(world.center_town).patch(f"/api/v1/cases/{case.pk}/", {"urgency": "soon"}, format="json").status_code == 400
    )
    r = api(world.center_town).patch(f"/api/v1/cases/{case.pk}/", {"urgency": "emergency"}, format="json")
    assert r.status_code == 200
    after = Case.objects.get(pk=case.pk).sign_deadline
    assert after < before
    assert parse_datetime(r.json()["deadlines"]["sign"]) == parse_datetime("2026-11-17T10:00+08:00")  # 1 working hour
    assert r.json()["timeline"][-1]["action"] == "reclassify"
