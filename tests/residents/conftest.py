import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Rate limits and single-use challenges live in the cache: every test gets an empty one of its
    own (never a flush of the shared Redis database, which is also the Celery broker)."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def sms_outbox(settings):
    from grids.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "grids.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox
