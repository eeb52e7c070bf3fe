"""Notifications are recorded, delivered once per channel, and survive a broker outage in the outbox."""

import pytest
from django.core import mail
from django.test import override_settings

from grids import notifications, outbox
from grids.models import Delivery, Notification, OutboxMessage
from grids.sms import LocmemSmsBackend
from tests.clock import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_tasks(monkeypatch):
    """Replace the broker with a list; flip `.down` to simulate an outage."""

    class Broker(list):
        down = False

    broker = Broker()

    def send(message):
        if broker.down:
            raise ConnectionError("broker unreachable")
        broker.append((message.task, message.args))

    monkeypatch.setattr(outbox, "_send", send)
    return broker


@override_settings(SMS_BACKEND="grids.sms.LocmemSmsBackend")
def test_notify_records_and_delivers_each_channel_once(world, sent_tasks, django_capture_on_commit_callbacks):
    world.dept_police.email, world.dept_police.phone = "police@example.org", "13800138000"
    world.dept_police.save()
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[world.dept_police, world.dept_urban], kind="test", title="新派单", url="/x/")
    assert Notification.objects.count() == 2
    deliveries = list(Delivery.objects.all())
    assert sorted(d.channel for d in deliveries) == ["email", "sms"]  # dept_urban has neither
    assert len(sent_tasks) == 2
    for task, args in sent_tasks:
        assert task == "grids.tasks.deliver"
        assert notifications.deliver(*args) == "sent"
        assert notifications.deliver(*args) == "skipped"  # a duplicate task sends nothing
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["police@example.org"]
    assert LocmemSmsBackend.outbox == [("13800138000", "新派单")]


def test_dedupe_key_never_notifies_twice(world, sent_tasks):
    for _ in range(2):
        notifications.notify(recipients=[world.center_town], kind="report", title="周报", dedupe_key="report:1")
    assert Notification.objects.filter(recipient=world.center_town).count() == 1


def test_deferred_notifications_appear_in_the_morning(world):
    with clock("2026-11-17 20:00"):
        notifications.notify(
            recipients=[world.center_town],
            kind="t",
            title="x",
            deliver_after=notifications.timezone.now().replace(hour=0) + notifications.timezone.timedelta(days=1),
        )
        assert notifications.unread_count(world.center_town) == 0
    with clock("2026-11-18 09:00"):
        assert notifications.unread_count(world.center_town) == 1


def test_broker_down_loses_nothing(world, report, sent_tasks, django_capture_on_commit_callbacks, api):
    from disputes import services

    world.dept_police.email = "police@example.org"
    world.dept_police.save()
    sent_tasks.down = True
    with django_capture_on_commit_callbacks(execute=True):
        r = api(world.grid_a).post(
            "/api/v1/cases/",
            {
                "category": "road_damage",
                "description": "x",
                "lat": world.t.micro_grids[0].centroid_lat,
                "lng": world.t.micro_grids[0].centroid_lng,
                "urgency": "urgent",
            },
            format="json",
        )
        assert r.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_accept(case=services.Case.objects.get(pk=r.json()["id"]), by=world.center_town)
        services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    assert sent_tasks == []
    pending = OutboxMessage.objects.filter(published_at__isnull=True)
    assert pending.count() == 1
    # The broker is back: the sweep drains the outbox, exactly once.
    sent_tasks.down = False
    from django.utils import timezone

    later = timezone.now() + timezone.timedelta(minutes=5)
    assert outbox.drain(later) == 1
    assert outbox.drain(later) == 0
    assert len(sent_tasks) == 1
    assert notifications.deliver(*sent_tasks[0][1]) == "sent"
    assert len(mail.outbox) == 1


def test_a_down_broker_is_tried_once_then_left_to_the_relay(
    world, sent_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue 18 (Redis stopped during intake): each request used to wait out its own connection
    attempt (about 2 s per action while Redis was down). After one refusal, the requests leave their
    tasks in the outbox for BROKER_PAUSE; the relay still tries, and once the broker takes a task
    the requests publish at once again."""
    tries = []
    send = outbox._send
    monkeypatch.setattr(outbox, "_send", lambda message: (tries.append(message.pk), send(message)))
    people = [world.dept_police, world.dept_urban, world.center_town]
    for user in people:
        user.email = f"{user.username}@example.org"
        user.save()

    def request(user):
        with django_capture_on_commit_callbacks(execute=True):
            notifications.notify(recipients=[user], kind="test", title="新派单")

    sent_tasks.down = True
    with clock("2026-11-16 09:00"):
        for user in people:
            request(user)
    assert len(tries) == 1  # the first request met the broker down; the next two did not wait on it
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 3
    sent_tasks.down = False
    with clock("2026-11-16 09:00:20"):
        request(world.dept_police)  # still within the pause: kept for the relay
        assert len(tries) == 1
        assert outbox.drain() == 3  # the relay always tries: the two skipped and this one
        request(world.dept_urban)  # the broker took tasks again: published at once
        assert len(sent_tasks) == 4
    with clock("2026-11-16 09:00:31"):
        assert outbox.drain() == 1  # the refused one, after RETRY_AFTER
    assert len(sent_tasks) == 5
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    assert sorted(args[0] for _task, args in sent_tasks) == sorted(Delivery.objects.values_list("pk", flat=True))
