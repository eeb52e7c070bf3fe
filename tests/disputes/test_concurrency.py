"""Two center staff dispatching at once give exactly one transition and one event (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import connection, connections

from disputes import services
from disputes.models import Assignment, CaseEvent
from disputes.workflow import ActionConflict

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (run with DATABASE_URL=postgres://…)")


def run_concurrently(n, fn):
    barrier = threading.Barrier(n)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(("ok", fn()))
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            outcomes.append(("error", exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_simultaneous_dispatch(world, report):
    case = services.case_accept(case=report(), by=world.center_town)
    outcomes = run_concurrently(
        4,
        lambda: services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "error", "error", "ok"], outcomes
    assert all(isinstance(exc, ActionConflict) for kind, exc in outcomes if kind == "error")
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Assignment.objects.filter(case=case).count() == 1


def test_simultaneous_intake_numbers_are_unique(world, categories):
    from disputes.models import Case

    micro = world.t.micro_grids[0]
    outcomes = run_concurrently(
        6,
        lambda: services.case_create(
            by=world.grid_a, category=categories.road, description="x", lat=micro.centroid_lat, lng=micro.centroid_lng
        ).number,
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    numbers = [n for _, n in outcomes]
    assert len(set(numbers)) == 6
    assert Case.objects.count() == 6


def test_two_sweeps_at_once_escalate_once(world, report):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from disputes.models import DeadlineAlert
    from disputes.sweep import sweep_deadlines

    with time_machine.travel(datetime(2026, 11, 16, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        for _ in range(30):
            case = services.case_accept(case=report(), by=world.center_town)
            services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    moment = datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    outcomes = run_concurrently(3, lambda: sweep_deadlines(now=moment, batch_size=7))
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert sum(r.escalated for _, r in outcomes) == 30
    assert DeadlineAlert.objects.filter(level="red").count() == 30
    assert CaseEvent.objects.filter(action="escalate").count() == 30
