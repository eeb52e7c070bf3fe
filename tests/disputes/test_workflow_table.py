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
        .objects.prefetch_related("assignments__department", "extensions", "supervisions")
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
        center_town={"escalate", "supervise"},
        center_district={"supervise"},
        official={"supervise"},
        dept_police={"sign", "return"},
        dept_urban={"sign", "return"},
    )
    services.case_supervise(case=case, by=world.official, note="请加快", reply_within_hours=4)
    assert offered(world, case) == expect(
        center_town={"escalate"},
        dept_police={"sign", "return", "reply"},
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
        center_town={"escalate", "supervise"},
        center_district={"supervise"},
        official={"supervise"},
        dept_police={"return", "progress", "request_extension"},  # no "handle" until urban reports
        dept_urban={"return", "progress", "report"},
    )
    services.case_report(case=case, by=world.dept_urban, result="已配合")
    services.case_request_extension(case=case, by=world.dept_police, days=2, reason="等待材料")
    assert offered(world, case) == expect(
        center_town={"escalate", "approve_extension", "refuse_extension", "supervise"},
        center_district={"supervise"},
        official={"supervise"},
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


# ---------------------------------------------------------------------------------------------
# The table's invariants (formerly module-level asserts, which `python -O` strips)


def test_every_public_transition_has_one_service_and_one_form():
    from disputes.forms import ACTION_FORMS
    from disputes.services import ACTION_SERVICES
    from disputes.workflow import ACTION_NAMES, TRANSITIONS

    assert set(ACTION_SERVICES) == set(TRANSITIONS) == set(ACTION_FORMS) == set(ACTION_NAMES)


def test_public_action_names_are_the_contract():
    from disputes.workflow import ACTION_NAMES

    assert ACTION_NAMES == [
        "accept",
        "reject",
        "merge",
        "resolve_on_site",
        "dispatch",
        "sign",
        "return",
        "progress",
        "request_extension",
        "approve_extension",
        "refuse_extension",
        "report",
        "handle",
        "verify",
        "rework",
        "feedback",
        "reopen",
        "close",
        "escalate",
        "supervise",
        "reply",
    ]


def test_reclassify_is_a_table_entry_but_not_a_public_action(world, report):
    from disputes.workflow import ACTION_NAMES, ALL_TRANSITIONS, ActionNotAllowed, authorize

    assert "reclassify" in ALL_TRANSITIONS and "reclassify" not in ACTION_NAMES
    case = report()
    authorize(world.center_town, case, "reclassify")  # the responsible center may
    for persona in (world.grid_a, world.center_town2, world.center_district, world.dept_police, world.official):
        with pytest.raises(ActionNotAllowed):
            authorize(persona, case, "reclassify")
    with pytest.raises(ActionNotAllowed):
        services.case_reclassify(case=case, by=world.center_district, urgency="urgent")


def test_sign_and_return_targets_are_computed_by_the_table(world, report):
    from disputes.models import AssignmentRole, Status
    from disputes.workflow import target_of

    case = services.case_accept(case=report(), by=world.center_town)
    case = services.case_dispatch(
        case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
    )
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    co = case.assignments.get(role=AssignmentRole.CO)
    assert target_of("sign", case, lead) == Status.IN_PROGRESS
    assert target_of("sign", case, co) is None
    assert target_of("return", case, lead) == Status.ACCEPTED
    assert target_of("return", case, co) is None
    services.case_sign(case=case, by=world.dept_urban)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED  # a co-department's sign-in starts nothing
    services.case_sign(case=case, by=world.dept_police)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
