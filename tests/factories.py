"""factory_boy factories for bulk data in tests (HackSoft's testing_examples). The named personas
and the territory stay in tests/conftest.py; these make many rows of one kind at once:
`NotificationFactory.create_batch(20, recipient=world.grid_a)`."""

import factory
from django.utils import timezone

from grids.models import Notification, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_active = True


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification as the code stores it: a message key and parameters, no finished sentence."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "case_dispatch"
    key = "case.dispatch"
    params = factory.Sequence(lambda n: {"number": f"A{n:04d}", "title": f"事项{n}"})
    url = "/cases/1/"
    created_at = factory.LazyFunction(timezone.now)
    deliver_after = factory.LazyFunction(timezone.now)
