"""Every action, allowed and refused, for every role: what each persona is offered in each state."""

import pytest

from disputes import services
from disputes.workflow import available_actions

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_a",
    "grid_b",
    "center_town",
    "center_town2",
    "center_district",
    "official",
    "dept_police",
    "dept_urban",
    "dept_police2",
    "mediator",
    "legal",
    "outsider",
    "admin",
]


def offered(world, case):
    case = (
        type(case)
        .objects.prefetch_related("assignments__department", "extensions")
        .select_related("center")
        .get(pk=case.pk)
    )
    return {p: {t.action for t in available_actions(getattr(world, p), case)} for p in PERSONAS}


def expect(**given):
    return {p: set(given.get(p, ())) for p in PERSONAS}


def test_reported(world, report):
    case = report()
    assert offered(world, case) == expect(
        grid_a={"resolve_on_site"},
        center_town={"accept", "reject", "merge", "escalate"},
    )


def test_accepted(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    assert offered(world, case) == expect(center_town={"dispatch", "escalate"})


def test_dispatched(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    case = services.case_dispatch(
        case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
    )
    assert offered(world, case) == expect(
        center_town={"escalate"},
        dept_police={"sign", "return"},
        dept_urban={"sign", "return"},
    )


def test_in_progress_with_co_department_working(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    case = services.case_dispatch(
        case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
    )
    services.case_sign(case=case, by=world.dept_police)
    services.case_sign(case=case, by=world.dept_urban)
    assert offered(world, case) == expect(
        center_town={"escalate"},
        dept_police={"return", "progress", "request_extension"},  # no "handle" until urban reports
        dept_urban={"return", "progress", "report"},
    )
    services.case_report(case=case, by=world.dept_urban, result="已配合")
    services.case_request_extension(case=case, by=world.dept_police, days=2, reason="等待材料")
    assert offered(world, case) == expect(
        center_town={"escalate", "approve_extension", "refuse_extension"},
        dept_police={"return", "progress", "handle"},
    )


def test_handled_then_verified(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    case = services.case_dispatch(case=case, by=world.center_town, lead_department=world.urban1)
    services.case_sign(case=case, by=world.dept_urban)
    case = services.case_handle(case=case, by=world.dept_urban, result="done")
    assert offered(world, case) == expect(center_town={"verify", "rework"}, grid_a={"verify"})
    case = services.case_verify(case=case, by=world.grid_a)
    assert offered(world, case) == expect(center_town={"feedback", "close"})
    case = services.case_feedback(case=case, by=world.center_town, satisfaction="dissatisfied")
    assert offered(world, case) == expect(center_town={"feedback", "close", "reopen"})
    case = services.case_close(case=case, by=world.center_town)
    assert offered(world, case) == expect()


def test_escalated_case_belongs_to_the_district_center(world, report):
    case = services.case_escalate(case=report(), by=world.center_town, reason="重大")
    assert offered(world, case) == expect(grid_a={"resolve_on_site"}, center_district={"accept", "reject", "merge"})
