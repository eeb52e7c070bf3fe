"""Against the real stack: Redis stopped while cases are created and dispatched, then started again,
and a real Celery worker process delivers every notification exactly once.

Runs when CELERY_BROKER_URL points at Redis and the database is PostgreSQL (the worker process
must see the test database); .ci/run does that.
"""

import shutil
import subprocess

import pytest

from disputes import services
from disputes.models import Case
from grids import outbox
from grids.models import Delivery, DeliveryStatus, OutboxMessage
from tests.worker import Worker, purge_queue, real_stack_problem, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def redis_up() -> bool:
    return (
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True).stdout.strip()
        == "PONG"
    )


@pytest.fixture
def real_stack():
    problem = real_stack_problem()
    if problem:
        pytest.skip(f"needs the real stack (run by .ci/run): {problem}")
    if not shutil.which("redis-server") or not redis_up():
        pytest.skip("no local Redis server to stop and start")
    yield
    if not redis_up():
        subprocess.run(REDIS_START, check=True)
        wait_for(redis_up, 20)


@pytest.fixture
def worker(tmp_path, real_stack):
    """A real `celery worker` process on the test database, writing emails to files."""
    purge_queue()
    process = Worker(tmp_path / "mail", name="it")
    yield process
    process.stop()


def test_redis_down_then_up_delivers_everything_once(world, categories, worker):
    for user in (world.dept_police, world.dept_urban):
        user.email = f"{user.username}@example.org"
        user.save()
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True)
    assert wait_for(lambda: not redis_up(), 10)

    numbers = []
    for i in range(3):
        micro = world.t.micro_grids[i % 2]
        case = services.case_create(
            by=world.grid_a,
            category=categories.road,
            description=f"第{i}件",
            urgency="urgent",
            lat=micro.centroid_lat,
            lng=micro.centroid_lng,
        )
        case = services.case_accept(case=case, by=world.center_town)
        services.case_dispatch(
            case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
        )
        numbers.append(case.number)
    assert Case.objects.filter(status="dispatched").count() == 3
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 6  # 3 cases × 2 departments

    subprocess.run(REDIS_START, check=True)
    assert wait_for(redis_up, 20)
    from django.utils import timezone

    assert outbox.drain(timezone.now() + timezone.timedelta(minutes=1)) == 6
    assert wait_for(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 6, 90)
    assert outbox.drain(timezone.now() + timezone.timedelta(minutes=1)) == 0
    assert list(Delivery.objects.values_list("attempts", flat=True)) == [1] * 6
    mails = worker.mails()
    assert mails.count("Subject:") == 6
    for i in range(3):
        assert mails.count(f"第{i}件") == 2  # one email to each department, no more
    assert len(set(numbers)) == 3


def test_redis_restarted_empty_pending_deliveries_are_sent_again_once(world, categories, real_stack, tmp_path):
    """Issue 18, defect 10: the tasks reached Redis, then Redis restarted without its data before a
    worker took them. The relay queues the still-pending deliveries again, and each is sent once."""
    from django.utils import timezone

    from grids import notifications

    purge_queue()
    for user in (world.dept_police, world.dept_urban):
        user.email = f"{user.username}@example.org"
        user.save()
    for i in range(2):
        micro = world.t.micro_grids[i % 2]
        case = services.case_create(
            by=world.grid_a,
            category=categories.road,
            description=f"丢失{i}",
            urgency="urgent",
            lat=micro.centroid_lat,
            lng=micro.centroid_lng,
        )
        case = services.case_accept(case=case, by=world.center_town)
        services.case_dispatch(
            case=case, by=world.center_town, lead_department=world.police1, co_departments=[world.urban1]
        )
    # Published to Redis (no worker yet to take them)…
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 0
    # …and lost with it.
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True)
    assert wait_for(lambda: not redis_up(), 10)
    subprocess.run(REDIS_START, check=True)
    assert wait_for(redis_up, 20)

    worker = Worker(tmp_path / "mail", name="it-lost")
    try:
        later = timezone.now() + notifications.REQUEUE_AFTER + timezone.timedelta(seconds=1)
        assert notifications.requeue_stale(later) == 4
        assert notifications.requeue_stale(later) == 0  # queued once
        assert outbox.drain(later) == 4
        assert wait_for(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4, 90)
        assert notifications.requeue_stale(later + notifications.REQUEUE_AFTER * 2) == 0
        mails = worker.mails()
    finally:
        worker.stop()
    assert mails.count("Subject:") == 4
    for i in range(2):
        assert mails.count(f"丢失{i}") == 2
