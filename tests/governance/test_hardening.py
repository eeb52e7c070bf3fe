"""Issue 18 (hardening), the project wiring: Content-Security-Policy without inline script,
no caching of signed-in pages and API answers, a 503 when the database is out of reach, and the
deployment checks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import OperationalError

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- defect 11: CSP and caching


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/", "/cases/", "/dashboard/", "/residents/", "/accounts/login/"])
def test_pages_carry_a_csp_without_inline_script(world, browser_client, url):
    response = browser_client(world.center_district).get(url, follow=True)
    assert response.status_code == 200
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives.get("default-src", [])


def test_the_api_docs_page_needs_no_inline_script(world, browser_client):
    response = browser_client(world.admin).get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
            for match in pattern.finditer(text):
                offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)[:60]}")
    assert offenders == []


def test_signed_in_pages_and_api_answers_are_not_cached(world, browser_client, api):
    page = browser_client(world.center_town).get("/cases/")
    assert {"private", "no-store"} <= {p.strip() for p in page["Cache-Control"].split(",")}
    answer = api(world.center_town).get("/api/v1/me/")
    assert {"private", "no-store"} <= {p.strip() for p in answer["Cache-Control"].split(",")}
    anonymous_api = api().get("/api/v1/me/")
    assert "no-store" in anonymous_api["Cache-Control"]


# ---------------------------------------------------------------- defect 9: 503 without a database


def _lost_database(*args, **kwargs):
    raise OperationalError("connection to server failed: FATAL:  sorry, too many clients already")


def test_no_database_connection_is_a_503_json_for_the_api(world, api):
    client = api(world.center_town)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", _lost_database):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


def test_no_database_connection_is_a_503_for_pages(world, browser_client):
    client = browser_client(world.center_town)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", _lost_database):
        response = client.get("/cases/")
    assert response.status_code == 503


def test_connections_are_health_checked_and_bounded():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    run_all = (ROOT / "bin" / "run-all").read_text()
    assert "--threads" in run_all and "WEB_WORKERS" in run_all


# ---------------------------------------------------------------- deployment checks


def test_check_deploy_is_clean_with_debug_off():
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": "ci-" + "k" * 60 + "-not-a-real-secret-key-0123456789",
        "ALLOWED_HOSTS": "governance.example.org",
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "VAR_DIR": str(ROOT / "var"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secure_cookies_and_hsts_when_debug_is_off():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_HTTPONLY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "VAR_DIR": str(ROOT / "var"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


def test_static_files_stay_cacheable_for_a_signed_in_user(rf):
    from django.http import HttpResponse

    from governance.middleware import PrivateNoStoreMiddleware

    middleware = PrivateNoStoreMiddleware(lambda request: HttpResponse("body{}"))
    request = rf.get("/static/css/app.css")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session"
    assert "no-store" not in middleware(request).get("Cache-Control", "")
    page = rf.get("/cases/")
    page.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session"
    assert "no-store" in middleware(page)["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_a_real_failed_connect_is_a_503_and_the_next_request_recovers(world, api):
    """Not a mock: the connection is closed and pointed at a port where no PostgreSQL listens.
    (SQLite's in-memory test database cannot be closed, so this runs on PostgreSQL only.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    client = api(world.center_town)
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/api/v1/me/")
        assert response.status_code == 503, response.content
        assert response.json()["detail"]
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert client.get("/api/v1/me/").status_code == 200


def test_an_action_whose_answer_cannot_be_read_is_not_done(world, report, api, monkeypatch):
    """Issue 18 (PostgreSQL restarted under load): a 503 tells the client to try again, so it must
    mean nothing was stored. The database went away after the note was written, while its answer was
    read: before, the note was already committed and a retry stored it twice."""
    from disputes import api as case_api
    from disputes import services
    from disputes.models import CaseEvent

    case = services.case_accept(case=report(), by=world.center_town)
    services.case_dispatch(case=case, by=world.center_town, lead_department=world.police1)
    services.case_sign(case=case, by=world.dept_police)

    class LostWhileAnswering(case_api.CaseDetailSerializer):
        @property
        def data(self):
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(case_api, "CaseDetailSerializer", LostWhileAnswering)
    response = api(world.dept_police).post(
        f"/api/v1/cases/{case.pk}/actions/progress/", {"note": "已到场"}, format="json"
    )
    assert response.status_code == 503
    assert not CaseEvent.objects.filter(case=case, action="progress").exists()
    monkeypatch.undo()
    response = api(world.dept_police).post(
        f"/api/v1/cases/{case.pk}/actions/progress/", {"note": "已到场"}, format="json"
    )
    assert response.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="progress").count() == 1


def _detail_routes():
    """(prefix, viewset, method, suffix) for every detail route of every viewset under /api/v1/."""
    from governance.api_urls import router

    for prefix, viewset, _basename in router.registry:
        if hasattr(viewset, "retrieve"):
            yield prefix, viewset, "get", ""
        for extra in viewset.get_extra_actions():
            if extra.detail:
                method = sorted(m for m in extra.mapping if m != "options")[0]
                yield prefix, viewset, method, re.sub(r"\(\?P<\w+>[^)]*\)", "x", extra.url_path) + "/"


@pytest.mark.parametrize("bad_id", ["abc", "null", "1e3", "\U0002b624" + "3", "-1"])
def test_every_api_detail_route_answers_a_malformed_id_with_a_json_404(world, api, bad_id):
    # Found by the fuzz (tests/fuzz): /legal/consultations/null/answer/ was a 500 (ValueError);
    # every viewset now takes numeric ids only, so a malformed one matches no route.
    routes = list(_detail_routes())
    assert len(routes) > 10
    for client in (api(world.legal), api(world.center_town)):
        for prefix, viewset, method, suffix in routes:
            assert getattr(viewset, "lookup_value_regex", None) == "[0-9]+", viewset
            path = f"/api/v1/{prefix}/{quote(bad_id)}/{suffix}"
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 404, (path, response.status_code)
            assert response["Content-Type"].startswith("application/json"), path
