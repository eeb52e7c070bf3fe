"""403, 404 and 500 pages in the app's layout, in the reader's language, with a way back; with
DEBUG on, Django's debug pages only for a superuser."""

import pytest
from django.test import Client
from django.urls import path

from governance.urls import urlpatterns as base_patterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), *base_patterns]
handler403 = "governance.errors.permission_denied"
handler404 = "governance.errors.page_not_found"
handler500 = "governance.errors.server_error"


def _client(user=None, language=None):
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user)
    if language:
        c.cookies["django_language"] = language
    return c


def test_404_in_the_layout_with_a_way_home(world):
    r = _client(world.grid_a).get("/no-such-page/")
    body = r.content.decode()
    assert r.status_code == 404
    assert 'data-testid="error-page"' in body and 'data-testid="error-home"' in body
    assert "页面不存在" in body and 'class="topbar"' in body


def test_404_in_english(world):
    r = _client(world.grid_a, language="en").get("/cases/999999/")
    assert r.status_code == 404
    assert "页面不存在" not in r.content.decode()


@pytest.mark.urls("tests.governance.test_error_pages")
def test_500_in_the_layout(world):
    r = _client(world.grid_a).get("/boom/")
    assert r.status_code == 500
    assert 'data-status="500"' in r.content.decode()


@pytest.mark.urls("tests.governance.test_error_pages")
def test_with_debug_only_a_superuser_sees_the_debug_page(world, settings):
    settings.DEBUG = True
    r = _client(world.grid_a).get("/boom/")
    assert r.status_code == 500 and 'data-status="500"' in r.content.decode()
    r = _client(world.grid_a).get("/no-such-page/")
    assert r.status_code == 404 and 'data-status="404"' in r.content.decode()
    r = _client(world.admin).get("/boom/")
    assert r.status_code == 500 and "RuntimeError" in r.content.decode()
    r = _client(world.admin).get("/no-such-page/")
    assert r.status_code == 404 and 'data-status="404"' not in r.content.decode()
