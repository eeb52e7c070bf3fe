import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and single-use challenges live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sms_outbox(settings):
    from grids.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "grids.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox
