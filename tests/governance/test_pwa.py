"""The installable app: manifest, the service worker at the root scope, the offline page, the report
form's error summary and the drafts badge."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_manifest_is_installable(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/manifest+json"
    data = json.loads(r.content)
    assert data["display"] == "standalone" and data["scope"] == "/" and data["start_url"].startswith("/")
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert data["name"] and data["short_name"]


def test_icons_exist(client):
    from django.contrib.staticfiles import finders

    for name in [
        "icons/icon-192.png",
        "icons/icon-512.png",
        "icons/icon-192-maskable.png",
        "icons/icon-512-maskable.png",
    ]:
        assert finders.find(name), name


def test_service_worker_is_served_at_the_root_with_no_cache(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r["Service-Worker-Allowed"] == "/"
    assert "no-cache" in r["Cache-Control"]
    assert r["Content-Type"].startswith("application/javascript")
    body = r.content.decode()
    config = json.loads(body.split("\n", 1)[0].removeprefix("self.GOV = ").rstrip(";"))
    assert config["pages"] == ["/", "/cases/new/", "/cases/"]
    assert "/static/css/app.css" in config["shell"] and config["version"]
    assert 'addEventListener("fetch"' in body


def test_offline_page_names_no_user(client, world):
    client.force_login(world.grid_a)
    r = client.get("/offline/")
    assert r.status_code == 200
    assert "grid_a" not in r.content.decode()
    assert "no-cache" in r["Cache-Control"] or "max-age=0" in r["Cache-Control"]


def test_pages_link_the_manifest_and_carry_the_drafts_badge(world, browser_client):
    r = browser_client(world.grid_a).get("/")
    html = r.content.decode()
    assert 'rel="manifest"' in html and "js/pwa.js" in html and "js/drafts.js" in html
    assert 'data-testid="drafts-badge"' in html


def test_failed_submit_shows_an_error_summary_linking_to_each_field(world, categories, browser_client):
    r = browser_client(world.grid_a).post("/cases/new/", {"description": ""})
    html = r.content.decode()
    assert 'data-testid="error-summary"' in html
    assert 'href="#id_category"' in html and 'href="#id_description"' in html


def test_report_form_keeps_no_inline_script_and_loads_no_chart_library(world, browser_client):
    html = browser_client(world.grid_a).get("/cases/new/").content.decode()
    assert "echarts" not in html
    assert "<script>" not in html and " onclick=" not in html
    assert 'id="map-config"' in html and "js/basemap.js" in html
