"""Issue 18: faults with real processes. Each test starts its own servers (a private Redis, a private
PostgreSQL cluster: never the machine's shared ones), points the app's processes at them (gunicorn
for the HTTP side, a Celery worker), breaks something for real (stops, kills, restarts) and checks
what the users would see. Each prints its figure at the end of the run.

The processes share the test database, so these run on PostgreSQL only (DATABASE_URL=postgres://…);
elsewhere they skip, and with FAULTS_REQUIRED=1 or E2E_REQUIRED=1 (CI) a missing piece is a failure.
"""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings
from django.db import connection, connections
from django.db.models import F
from django.test import Client

from disputes import services
from disputes.models import Assignment, Case, CaseEvent, DeadlineAlert
from grids import notifications
from grids.models import Delivery, DeliveryStatus, OutboxMessage
from tests.faults import (
    PrivatePostgres,
    PrivateRedis,
    WebServer,
    app_env,
    elapsed,
    send_task,
    shared_database_url,
    token_for,
    unavailable,
)
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]

RELAY = "grids.tasks.relay"
SWEEP = "disputes.tasks.sweep_deadlines"
CASES_DURING_OUTAGE = 10


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        unavailable("the fault tests' processes share the test database: run with DATABASE_URL=postgres://…")


@pytest.fixture
def redis():
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.fixture
def started():
    """Stops what a test started, in reverse order, whatever happens to the test."""
    processes = []
    yield processes.append
    for process in reversed(processes):
        process.stop()


def with_emails(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def file_and_dispatch(web, tokens, world, n, prefix):
    """The intake as the users do it over HTTP: the grid worker files an urgent case, the center
    accepts and dispatches it (the reporter and the department are notified). Returns the statuses."""
    micro = world.t.micro_grids[0]
    seen = []
    for i in range(n):
        r = requests.post(
            f"{web.url}/api/v1/cases/",
            json={
                "category": "road_damage",
                "description": f"{prefix}{i}号",
                "urgency": "urgent",
                "lat": micro.centroid_lat,
                "lng": micro.centroid_lng,
            },
            headers={"Authorization": f"Token {tokens['grid']}"},
            timeout=30,
        )
        seen.append(r.status_code)
        if r.status_code != 201:
            continue
        url = f"{web.url}/api/v1/cases/{r.json()['id']}/actions"
        center = {"Authorization": f"Token {tokens['center']}"}
        seen.append(requests.post(f"{url}/accept/", json={}, headers=center, timeout=30).status_code)
        seen.append(
            requests.post(
                f"{url}/dispatch/", json={"lead_department": world.police1.pk}, headers=center, timeout=30
            ).status_code
        )
    return seen


def sent_count() -> int:
    return Delivery.objects.filter(status=DeliveryStatus.SENT).count()


def test_redis_stopped_during_intake_cases_are_saved_and_notified_after_it_returns(
    world, categories, redis, started, tmp_path, figure
):
    with_emails(world.grid_a, world.dept_police)
    env = app_env(database_url=shared_database_url(), broker_url=redis.url)
    web = WebServer(env)
    started(web)
    worker = Worker(tmp_path / "mail", name="faults-redis-down", CELERY_BROKER_URL=redis.url)
    started(worker)
    tokens = {"grid": token_for(world.grid_a), "center": token_for(world.center_town)}

    redis.stop()
    outage = time.monotonic()
    statuses = file_and_dispatch(web, tokens, world, CASES_DURING_OUTAGE, "停机期间")
    intake_seconds = elapsed(outage)
    assert set(statuses) == {200, 201}, statuses  # every step answered as usual, none lost
    assert Case.objects.filter(status="dispatched").count() == CASES_DURING_OUTAGE
    deliveries = Delivery.objects.count()
    assert (
        deliveries == 2 * CASES_DURING_OUTAGE
    )  # each case: × (the reporter told of the acceptance, the department of the dispatch)
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == deliveries
    assert sent_count() == 0

    redis.start()  # back, and empty
    back = time.monotonic()

    def delivered() -> bool:
        send_task(redis.url, RELAY)  # the beat's relay (every minute in production)
        return wait_for(lambda: sent_count() == deliveries, 2)

    assert wait_for(delivered, 90), f"{sent_count()} of {deliveries} delivered"
    after = elapsed(back)
    assert list(Delivery.objects.values_list("attempts", flat=True).distinct()) == [1]
    mails = worker.mails()
    assert mails.count("Subject:") == deliveries
    for i in range(CASES_DURING_OUTAGE):
        assert mails.count(f"停机期间{i}号") == 2  # the reporter and the department, once each
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    figure(
        f"fault redis-down: {len(statuses)} requests during the outage ({intake_seconds:.1f} s), 0 failed; "
        f"{CASES_DURING_OUTAGE} cases saved; {deliveries} notifications delivered once, the last {after:.1f} s after Redis "
        "returned (the outbox retries a refused publish after 30 s)"
    )


def test_redis_restarted_empty_pending_deliveries_are_sent_again_once(
    world, categories, redis, started, tmp_path, figure
):
    with_emails(world.grid_a, world.dept_police)
    web = WebServer(app_env(database_url=shared_database_url(), broker_url=redis.url))
    started(web)
    tokens = {"grid": token_for(world.grid_a), "center": token_for(world.center_town)}
    statuses = file_and_dispatch(web, tokens, world, 5, "丢失")
    assert set(statuses) == {200, 201}, statuses
    deliveries = Delivery.objects.count()
    assert deliveries == 10
    # Handed to Redis (no worker has taken them yet)…
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    queued = int(subprocess.run(["redis-cli", "-p", str(redis.port), "llen", "celery"], capture_output=True).stdout)
    assert queued == deliveries
    # …and lost with it: killed, restarted without its data.
    redis.kill()
    redis.start()
    assert subprocess.run(["redis-cli", "-p", str(redis.port), "dbsize"], capture_output=True).stdout.strip() == b"0"
    worker = Worker(tmp_path / "mail", name="faults-redis-empty", CELERY_BROKER_URL=redis.url)
    started(worker)

    # The relay re-queues a delivery still waiting REQUEUE_AFTER (5 min) after its task was queued:
    # those minutes pass for the rows; the relay itself runs in the worker, on the real clock.
    Delivery.objects.update(queued_at=F("queued_at") - notifications.REQUEUE_AFTER - timedelta(seconds=1))
    back = time.monotonic()
    send_task(redis.url, RELAY)
    send_task(redis.url, RELAY)  # two relays (two beats, or a slow one): still queued once
    assert wait_for(lambda: sent_count() == deliveries, 90), f"{sent_count()} of {deliveries} delivered"
    after = elapsed(back)
    assert wait_for(lambda: worker.mails().count("Subject:") >= deliveries, 10)
    mails = worker.mails()
    assert mails.count("Subject:") == deliveries
    for i in range(5):
        assert mails.count(f"丢失{i}号") == 2
    assert list(Delivery.objects.values_list("attempts", flat=True).distinct()) == [1]
    # Delivered: nothing is queued again, however late the next relay runs.
    later = datetime.now(tz=ZoneInfo("UTC")) + notifications.REQUEUE_AFTER * 3
    assert notifications.requeue_stale(later) == 0
    figure(
        f"fault redis-restarted-empty: {queued} queued tasks lost, {deliveries} deliveries re-queued by the "
        f"relay and sent once each ({after:.1f} s), 0 doubles"
    )


# ------------------------------------------------------------------------------------------------
# The worker killed mid-sweep


def _waiting_on_a_lock(database: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()",
            [database],
        )
        return cursor.fetchone()[0] > 0


def _busy_sessions(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state <> 'idle' AND pid <> pg_backend_pid()",
            [database],
        )
        return cursor.fetchone()[0]


def test_worker_killed_mid_sweep_the_rerun_completes_without_double_escalation(
    world, report, redis, started, tmp_path, figure
):
    import time_machine

    # 20 overdue cases in town 1, then 10 in town 2 (their clocks lapse later, so a later batch).
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        for _ in range(20):
            case = services.case_accept(case=report(), by=world.center_town)
            services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        for _ in range(10):
            case = report(by=world.grid_b, micro=world.t.micro_of(world.t.grids[2])[0])
            case = services.case_accept(case=case, by=world.center_town2)
            services.case_dispatch(case=case, by=world.center_town2, lead_department=world.police2)
    total = Case.objects.count()
    assert total == 30

    # A transaction holding an (uncommitted) alert of a town-2 clock makes the sweep's third batch
    # wait inside its INSERT, after two batches committed: that is where the worker dies.
    holding, release, held = threading.Event(), threading.Event(), {}
    town2 = Assignment.objects.filter(department=world.police2).order_by("id").first()

    class Rollback(Exception):
        pass

    def hold():
        from django.db import transaction

        try:
            with transaction.atomic():
                DeadlineAlert.objects.create(
                    case_id=town2.case_id,
                    assignment=town2,
                    department=world.police2,
                    clock="sign",
                    level="red",
                    deadline=town2.sign_deadline,
                    sweep="holder",
                )
                holding.set()
                release.wait(120)
                raise Rollback
        except Rollback:
            held["ok"] = True
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(20)
    env = {"CELERY_BROKER_URL": redis.url, "SWEEP_BATCH_SIZE": "10"}
    first = Worker(tmp_path / "mail1", name="faults-sweep-1", **env)
    started(first)
    try:
        send_task(redis.url, SWEEP)
        database = connection.settings_dict["NAME"]
        escalated = lambda: CaseEvent.objects.filter(action="escalate").count()  # noqa: E731
        assert wait_for(lambda: escalated() == 20 and _waiting_on_a_lock(database), 90), escalated()
        first.kill()
    finally:
        release.set()
        holder.join(30)
    assert held == {"ok": True}
    # The dead worker's session ends once its statement is done (nothing to commit it).
    assert wait_for(lambda: not _busy_sessions(database), 30)
    at_kill = escalated()
    assert at_kill == 20  # the killed batch left nothing behind

    second = Worker(tmp_path / "mail2", name="faults-sweep-2", **env)
    started(second)
    rerun = time.monotonic()
    send_task(redis.url, SWEEP)  # the beat's next minute
    assert wait_for(lambda: escalated() == total, 90), escalated()
    # The rerun is over once no clock is due any more (its last batch committed).
    assert wait_for(
        lambda: not Assignment.objects.filter(next_deadline_at__lte=datetime.now(tz=ZoneInfo("UTC"))).exists(), 30
    )
    seconds = elapsed(rerun)
    per_case = set(CaseEvent.objects.filter(action="escalate").values_list("case_id", flat=True).order_by().distinct())
    assert len(per_case) == total  # each case escalated exactly once (count == distinct == total)
    assert DeadlineAlert.objects.filter(level="red").count() == total
    assert Case.objects.filter(center=world.t.district, overdue=True).count() == total
    figure(
        f"fault worker-killed: SIGKILL after {at_kill} of {total} escalations (batch 3 of 3 in flight), "
        f"the rerun completed the other {total - at_kill} in {seconds:.1f} s: {total} escalations, 0 doubles"
    )


# ------------------------------------------------------------------------------------------------
# PostgreSQL restarted under load


def test_postgres_restarted_under_load_answers_503_then_recovers(world, report, redis, started, figure):
    case = services.case_accept(case=report(), by=world.center_town)
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    services.case_sign(case=case, by=world.dept_police)
    tokens = {"dept": token_for(world.dept_police), "center": token_for(world.center_town)}
    center = {"Authorization": f"Token {tokens['center']}"}
    signed_in = Client()
    signed_in.force_login(world.center_town)  # a session row, copied with the database
    browser = {settings.SESSION_COOKIE_NAME: signed_in.cookies[settings.SESSION_COOKIE_NAME].value}

    cluster = PrivatePostgres()
    started(type("Destroy", (), {"stop": lambda self: cluster.destroy()})())
    cluster.copy_database(shared_database_url(), "faults")
    web = WebServer(app_env(database_url=cluster.url("faults"), broker_url=redis.url, DB_CONNECT_TIMEOUT="2"))
    started(web)

    results: list[tuple[float, str, int | str]] = []
    stop_load = threading.Event()
    lock = threading.Lock()

    def load(n):
        session = requests.Session()
        i = 0
        while not stop_load.is_set():
            i += 1
            if i % 3 == 1:  # the API, read
                kind, call = "read", lambda: session.get(f"{web.url}/api/v1/cases/", headers=center, timeout=30)
            elif i % 3 == 2:  # the API, write
                kind, call = (
                    "note",
                    lambda i=i: session.post(
                        f"{web.url}/api/v1/cases/{case.pk}/actions/progress/",
                        json={"note": f"负载{n}-{i}"},
                        headers={"Authorization": f"Token {tokens['dept']}"},
                        timeout=30,
                    ),
                )
            else:  # a signed-in page (the session is read from the database)
                kind, call = "page", lambda: session.get(f"{web.url}/cases/", cookies=browser, timeout=30)
            try:
                status = call().status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            with lock:
                results.append((time.monotonic(), kind, status))

    threads = [threading.Thread(target=load, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    try:
        assert wait_for(lambda: sum(1 for _, _, s in results if s == 200) >= 30, 60), _summary(results)
        down = time.monotonic()
        cluster.stop()
        assert wait_for(lambda: sum(1 for at, _, s in results if at > down and s == 503) >= 10, 60)
        cluster.start()
        up = time.monotonic()
        # Recovered: a run of answers all 200, started after the server came back.
        assert wait_for(lambda: _recovered_at(results, up) is not None, 60), _summary(results)
        recovered = _recovered_at(results, up)
    finally:
        stop_load.set()
        for t in threads:
            t.join(60)
    counts = _summary(results)
    assert set(counts) <= {200, 503}, counts  # no 500, no dropped connection: a clean 503, then back
    notes_ok = sum(1 for _, kind, s in results if kind == "note" and s == 200)
    notes_503 = sum(1 for _, kind, s in results if kind == "note" and s == 503)
    with psycopg_connection(cluster.url("faults")) as other:
        stored = other.execute(
            "SELECT count(*) FROM disputes_caseevent WHERE case_id = %s AND action = 'progress'", [case.pk]
        )
    # Every acknowledged note kept; a 503 means "not done" (a commit cut off mid-answer is the
    # only way a 503'd note can exist, and it cannot be told apart from the client's side).
    assert notes_ok <= stored <= notes_ok + notes_503
    figure(
        f"fault postgres-restart: {len(results)} requests under load, {counts.get(200, 0)} × 200, "
        f"{counts.get(503, 0)} × 503 (Retry-After), 0 × 500; PostgreSQL down {up - down:.1f} s, "
        f"answers all 200 again {recovered - up:.1f} s after it was back; {notes_ok} notes acknowledged, "
        f"{stored} stored"
    )


def _summary(results) -> dict:
    counts: dict = {}
    for _, _, status in results:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _recovered_at(results, up: float, run: int = 20) -> float | None:
    """When the answers became all 200 for `run` requests in a row, sent after `up`."""
    after = sorted((at, s) for at, _, s in results if at > up)
    streak_start, streak = None, 0
    for at, status in after:
        if status == 200:
            streak_start = at if streak == 0 else streak_start
            streak += 1
            if streak >= run:
                return streak_start
        else:
            streak = 0
    return None


class psycopg_connection:
    """A plain connection to the private cluster (the test's own connection is on the shared one)."""

    def __init__(self, url: str) -> None:
        import psycopg2

        self.conn = psycopg2.connect(url)

    def __enter__(self):
        return self

    def execute(self, sql, params):
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def __exit__(self, *exc):
        self.conn.close()
