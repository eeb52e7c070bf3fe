"""Two center staff dispatching at once give exactly one transition and one event (PostgreSQL, real threads)."""

import threading
from datetime import timedelta

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


def test_actions_on_different_cases_do_not_wait_for_each_other(world, report):
    """No hot row: while one action's transaction is still open, an action on another case (and a
    reader recounting today) completes at once. With `lock_timeout` set, a wait on a shared row
    (the old upsert of today's StatDay marker) would raise instead."""
    from django.db import transaction

    from disputes import stats
    from disputes.models import StatDay

    first = report()  # town 1
    second = report(by=world.grid_b, micro=world.t.micro_of(world.t.grids[2])[0])  # town 2
    stats.ensure(stats.local_today(), stats.local_today() + timedelta(days=1))
    assert StatDay.objects.exists()  # today is stored: its marker row exists to be locked
    holding, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def hold_first():
        try:
            with transaction.atomic():
                services.case_accept(case=first, by=world.center_town)
                holding.set()
                release.wait(20)
            outcomes["first"] = "ok"
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["first"] = exc
            holding.set()
        finally:
            connections.close_all()

    def act_on_second():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                services.case_accept(case=second, by=world.center_town2)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                stats.ensure(stats.local_today(), stats.local_today() + timedelta(days=1))
            outcomes["second"] = "ok"
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["second"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert holding.wait(20)
    other = threading.Thread(target=act_on_second)
    other.start()
    other.join(20)
    finished_while_held = not other.is_alive() and "first" not in outcomes
    release.set()
    holder.join(20)
    assert outcomes == {"first": "ok", "second": "ok"}, outcomes
    assert finished_while_held
    assert CaseEvent.objects.filter(action="accept").count() == 2


def test_concurrent_readers_store_a_day_once(world, report):
    """Four readers at once on a stale week: each day is stored once, and equals a plain count."""
    from disputes import stats
    from disputes.models import Case, DailyStat

    for _ in range(3):
        report()
    today = stats.local_today()
    lo = today - timedelta(days=6)
    hi = today + timedelta(days=1)
    stats.ensure(lo, hi)
    rows = DailyStat.objects.count()
    stats.invalidate([lo + timedelta(days=i) for i in range(7)])
    outcomes = run_concurrently(4, lambda: stats.ensure(lo, hi))
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert sum(n for _, n in outcomes) >= 7  # the stale days were counted (by whoever came first)
    assert DailyStat.objects.count() == rows
    total = stats.Figures(world.t.district.path, lo, hi).total(lo, hi)
    assert total["new"] == Case.objects.count() == 3


# ------------------------------------------------------------------------------------------------
# Issue 18: 50 clients at once through the HTTP API (the views, the serializers and the middleware
# included), each thread with its own client and its own database connection, closed at its end.

FIFTY = 50


def api_concurrently(n, user, method, url, body_of):
    """`n` threads released together, each sending one request as `user`; returns the responses
    (a server error is a response with status 500, not an exception)."""
    from rest_framework.test import APIClient

    def call(i):
        client = APIClient()
        client.raise_request_exception = False
        client.force_authenticate(user=user)
        return getattr(client, method)(url if isinstance(url, str) else url(i), body_of(i), format="json")

    counter = iter(range(n))
    lock = threading.Lock()

    def one():
        with lock:
            i = next(counter)
        return call(i)

    outcomes = run_concurrently(n, one)
    assert all(kind == "ok" for kind, _ in outcomes), [o for o in outcomes if o[0] != "ok"][:3]
    return [response for _, response in outcomes]


def statuses(responses) -> dict[int, int]:
    counts: dict[int, int] = {}
    for r in responses:
        counts[r.status_code] = counts.get(r.status_code, 0) + 1
    return dict(sorted(counts.items()))


def test_fifty_clients_take_the_same_transition_once(world, report, figure):
    case = services.case_accept(case=report(), by=world.center_town)
    responses = api_concurrently(
        FIFTY,
        world.center_town,
        "post",
        f"/api/v1/cases/{case.pk}/actions/dispatch/",
        lambda i: {"lead_department": world.police1.pk},
    )
    counts = statuses(responses)
    figure(f"concurrency same-transition: {FIFTY} clients, {counts} (1 × 200 expected, the rest 409)")
    assert counts == {200: 1, 409: FIFTY - 1}, counts
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Assignment.objects.filter(case=case).count() == 1


def test_fifty_clients_file_cases_with_distinct_numbers(world, categories, figure):
    from disputes.models import Case

    micro = world.t.micro_grids[0]
    responses = api_concurrently(
        FIFTY,
        world.grid_a,
        "post",
        "/api/v1/cases/",
        lambda i: {
            "category": "road_damage",
            "description": f"第{i}处路面塌陷",
            "lat": micro.centroid_lat,
            "lng": micro.centroid_lng,
        },
    )
    counts = statuses(responses)
    numbers = {r.json()["number"] for r in responses if r.status_code == 201}
    figure(f"concurrency intake: {FIFTY} clients, {counts}, {len(numbers)} distinct numbers")
    assert counts == {201: FIFTY}, [r.content[:200] for r in responses if r.status_code != 201][:3]
    assert len(numbers) == FIFTY
    assert Case.objects.count() == FIFTY
    assert CaseEvent.objects.filter(action="create").count() == FIFTY


def test_fifty_progress_notes_at_once_are_all_kept(world, report, figure):
    case = services.case_accept(case=report(), by=world.center_town)
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    services.case_sign(case=case, by=world.dept_police)
    responses = api_concurrently(
        FIFTY,
        world.dept_police,
        "post",
        f"/api/v1/cases/{case.pk}/actions/progress/",
        lambda i: {"note": f"第{i}次进展"},
    )
    counts = statuses(responses)
    notes = CaseEvent.objects.filter(case=case, action="progress").count()
    figure(f"concurrency progress notes: {FIFTY} clients, {counts}, {notes} events, 0 server errors expected")
    assert counts == {200: FIFTY}, [r.content[:200] for r in responses if r.status_code != 200][:3]
    assert notes == FIFTY


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_a_sweep_and_an_action_on_the_same_case_do_not_deadlock(world, report):
    """Actions lock the case, then its assignments; the sweep locked the due assignments, then
    their cases. An action holding the case while the sweep held its assignment waited on each
    other: PostgreSQL killed one of them (deadlock detected, a 503 or a failed sweep batch). The
    sweep now leaves a case an action holds to its next run."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine
    from django.db import transaction

    from disputes.models import Case, DeadlineAlert
    from disputes.sweep import sweep_deadlines
    from tests.worker import wait_for

    with time_machine.travel(datetime(2026, 11, 16, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        busy = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(case=busy, by=world.center_town, lead_department=world.police1)
        other = services.case_accept(case=report(), by=world.center_town)
        services.case_dispatch(case=other, by=world.center_town, lead_department=world.police1)
    moment = datetime(2026, 11, 17, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # both sign clocks lapsed
    case_locked, go_on = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def action():
        try:
            with time_machine.travel(moment, tick=False), transaction.atomic():
                Case.objects.select_for_update().get(pk=busy.pk)  # the action's first step: the case
                case_locked.set()
                go_on.wait(20)
                services.case_sign(case=busy, by=world.dept_police)  # then the assignments
            outcomes["action"] = "ok"
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["action"] = exc
        finally:
            case_locked.set()
            connections.close_all()

    def sweep():
        try:
            outcomes["sweep"] = sweep_deadlines(now=moment)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes["sweep"] = exc
        finally:
            connections.close_all()

    acting = threading.Thread(target=action)
    acting.start()
    assert case_locked.wait(20)
    sweeping = threading.Thread(target=sweep)
    sweeping.start()
    # Either the sweep waits on the case (the old order), or it is done with what it could take.
    wait_for(lambda: _someone_waits_on_a_lock() or not sweeping.is_alive(), 20)
    go_on.set()
    acting.join(30)
    sweeping.join(30)
    assert outcomes["action"] == "ok", outcomes
    assert not isinstance(outcomes["sweep"], Exception), outcomes
    # The other case lapsed (red, escalated) in this sweep; the busy one was left to the next.
    assert DeadlineAlert.objects.filter(case=other, level="red").count() == 1
    assert CaseEvent.objects.filter(case=other, action="escalate").count() == 1
    assert not DeadlineAlert.objects.filter(case=busy).exists()
    assert sweep_deadlines(now=moment).escalated == 0  # the next run: the busy case signed, late
