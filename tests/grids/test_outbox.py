"""Claim, publish, then mark: nothing is lost when a publisher or a worker dies, or when the broker
loses what it held. Each test here fails on the code that marked a row published before handing it
to the broker and never reclaimed a delivery stuck in "sending"."""

import pytest
from django.core import mail

from grids import notifications, outbox
from grids.models import Delivery, DeliveryStatus, OutboxMessage
from tests.clock import at, clock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Died(BaseException):
    """The process died mid-way (not an error the code could catch and recover from)."""


@pytest.fixture
def broker(monkeypatch):
    """The broker as a list; `.dies` makes the next publish kill the publisher."""

    class Broker(list):
        dies = False

    b = Broker()

    def send(message):
        if b.dies:
            b.dies = False
            raise Died
        # The row is handed over still unpublished: it is marked only once the broker has it.
        assert OutboxMessage.objects.get(pk=message.pk).published_at is None
        b.append((message.task, message.args))

    monkeypatch.setattr(outbox, "_send", send)
    return b


def _notify(user):
    user.email = f"{user.username}@example.org"
    user.save()
    notifications.notify(recipients=[user], kind="test", title="新派单")
    return Delivery.objects.get(notification__recipient=user)


def test_a_publisher_that_dies_before_the_broker_has_the_task_loses_nothing(world, broker):
    with clock("2026-11-16 09:00"):
        _notify(world.dept_police)
        broker.dies = True
        with pytest.raises(Died):
            outbox.drain()
    assert broker == []
    # A fresh claim is left alone (its publisher may still be at work)…
    assert outbox.drain(at("2026-11-16 09:02")) == 0
    # …an abandoned one is claimed again and published, once.
    assert outbox.drain(at("2026-11-16 09:06")) == 1
    assert outbox.drain(at("2026-11-16 09:20")) == 0
    assert len(broker) == 1
    assert OutboxMessage.objects.get().published_at is not None


def test_rows_are_marked_published_only_after_the_broker_took_them(world, broker):
    with clock("2026-11-16 09:00"):
        _notify(world.dept_police)
        assert outbox.drain() == 1  # `broker` asserts the row was still unpublished when handed over
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 0


def test_a_delivery_stuck_in_sending_is_reclaimed_after_a_timeout(world, broker, monkeypatch):
    with clock("2026-11-16 09:00"):
        delivery = _notify(world.dept_police)

        def dies(*args, **kwargs):
            raise Died

        monkeypatch.setattr(notifications, "send_mail", dies)
        with pytest.raises(Died):
            notifications.deliver(delivery.pk)  # the worker is killed mid-send
        monkeypatch.undo()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING
    with clock("2026-11-16 09:05"):
        assert notifications.deliver(delivery.pk) == "skipped"  # another worker may still be sending
    with clock("2026-11-16 09:11"):
        assert notifications.requeue_stale() == 1
        assert notifications.deliver(delivery.pk) == "sent"
        assert notifications.deliver(delivery.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_pending_deliveries_whose_task_the_broker_lost_are_sent_again_once(world, broker):
    """Issue 18, defect 10: the outbox published the tasks, then Redis restarted empty."""
    with clock("2026-11-16 09:00"):
        delivery = _notify(world.dept_police)
        assert outbox.drain() == 1
    broker.clear()  # the broker lost its data
    with clock("2026-11-16 09:03"):
        assert notifications.requeue_stale() == 0  # the worker may just be behind
    with clock("2026-11-16 09:06"):
        assert notifications.requeue_stale() == 1
        assert notifications.requeue_stale() == 0  # queued once, however many relays run
        assert outbox.drain() == 1
    assert broker == [(notifications.DELIVER_TASK, [delivery.pk])]
    assert notifications.deliver(delivery.pk) == "sent"
    with clock("2026-11-16 09:30"):
        assert notifications.requeue_stale() == 0
        assert outbox.drain() == 0
    assert len(mail.outbox) == 1


def test_deferred_deliveries_are_not_requeued_before_they_are_due(world, broker):
    with clock("2026-11-16 20:00"):
        world.dept_police.email = "p@example.org"
        world.dept_police.save()
        notifications.notify(recipients=[world.dept_police], kind="t", title="x", deliver_after=at("2026-11-17 09:00"))
    with clock("2026-11-17 08:00"):
        assert notifications.requeue_stale() == 0


def test_requeueing_many_lost_deliveries_costs_a_constant_number_of_queries(broker, django_assert_max_num_queries):
    users = UserFactory.create_batch(40)
    with clock("2026-11-16 09:00"):
        notifications.notify(recipients=users, kind="test", title="x")
        assert outbox.drain() == 40
    broker.clear()
    with clock("2026-11-16 09:06"), django_assert_max_num_queries(8):
        assert notifications.requeue_stale() == 40
    with clock("2026-11-16 09:06"):
        assert outbox.drain() == 40
    assert sorted(args[0] for _task, args in broker) == sorted(Delivery.objects.values_list("pk", flat=True))
