"""Typed timeline events: every kind is declared, written by its function in disputes/events.py,
and what the system says about an event is rendered in the reader's language at read time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from disputes import events, services
from disputes.models import CaseEvent, CaseEventKind, ExtensionRequest
from disputes.sweep import sweep_deadlines

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_every_kind_written_by_the_workflow_is_declared(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    services.case_reclassify(case=case, by=world.center_town, urgency="urgent")
    kinds = set(CaseEvent.objects.values_list("action", flat=True))
    assert kinds == {"create", "accept", "dispatch", "reclassify"}
    assert kinds <= set(CaseEventKind.values)
    field = CaseEvent._meta.get_field("action")
    assert dict(field.choices) == dict(CaseEventKind.choices)


@pytest.fixture
def escalated(world, report):
    with time_machine.travel(datetime(2026, 11, 16, 9, tzinfo=SH), tick=False):
        case = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    result = sweep_deadlines(now=datetime(2026, 11, 20, 9, tzinfo=SH))
    assert result.escalated == 1
    return case


def test_automatic_escalation_stores_data_not_a_sentence(escalated):
    event = CaseEvent.objects.get(case=escalated, action="escalate")
    assert event.comment == "" and event.actor is None
    assert event.data["automatic"] is True and event.data["to_center"] != event.data["from_center"]
    with translation.override("zh-hans"):
        assert events.system_note(event) == "超期自动上报区级社会治理中心"
    with translation.override("en"):
        note = events.system_note(event)
        label = events.label(event)
    assert note and "超期" not in note and "上报" not in label


def test_the_timeline_renders_the_note_in_the_readers_language(world, escalated, browser_client, api):
    client = browser_client(world.center_district)
    page = client.get(f"/cases/{escalated.pk}/").content.decode()
    assert "超期自动上报区级社会治理中心" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/cases/{escalated.pk}/").content.decode()
    assert "超期自动上报区级社会治理中心" not in page
    timeline = api(world.center_district).get(f"/api/v1/cases/{escalated.pk}/").json()["timeline"]
    auto = next(e for e in timeline if e["action"] == "escalate")
    assert auto["comment"] == "" and auto["note"] and auto["label"]


def test_a_leads_return_withdraws_co_departments_as_data(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    services.case_dispatch(
        case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
    )
    services.case_sign(case=case, by=world.dept_police)
    services.case_request_extension(case=case, by=world.dept_police, days=2, reason="等材料")
    services.case_return(case=case, by=world.dept_police, reason_code="not_our_duty", reason="不属本部门职责")
    event = CaseEvent.objects.get(case=case, action="return")
    assert event.comment == "不属本部门职责" and event.data["withdrawn"] == 1
    dropped = ExtensionRequest.objects.get(case=case)
    assert dropped.status == "refused" and dropped.decided_by is None and dropped.comment == ""
    with translation.override("en"):
        assert events.system_note(event) and "主办" not in events.system_note(event)
