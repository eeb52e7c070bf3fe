"""The Content-Security-Policy in a real browser: every main page runs its scripts with no
violation (no inline script, no inline handler, no eval), and what used to be inline still works."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE


def watch_csp(page) -> list[str]:
    """Collect CSP violations the page reports (console errors and securitypolicyviolation events)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text)
        if message.type == "error" and "Content Security Policy" in message.text
        else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def test_main_pages_run_under_the_csp(demo, open_page):
    from disputes.models import Case

    page = open_page("center_district", viewport=DESKTOP)
    violations = watch_csp(page)
    case = Case.objects.order_by("-id").first()
    urls = ["/", "/dashboard/", "/cases/", "/areas/", "/residents/", "/reports/", "/notifications/", "/api/v1/docs/"]
    if case is not None:
        urls.append(f"/cases/{case.pk}/")
    for url in urls:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert not violations, (url, violations)
    # The dashboard drew its charts and map with scripts from our own files.
    page.goto("/dashboard/")
    expect(page.locator("canvas").first).to_be_attached()
    # Swagger UI rendered the operations from its split (non-inline) init script.
    page.goto("/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert not violations, violations


def test_the_intake_form_and_the_admin_run_under_the_csp(demo, open_page):
    page = open_page("grid_a", viewport=PHONE)
    violations = watch_csp(page)
    page.goto("/cases/new/")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".leaflet-container").first).to_be_visible()
    assert not violations, violations

    admin = open_page("admin", viewport=DESKTOP)
    admin_violations = watch_csp(admin)
    for url in ("/admin/", "/admin/grids/resident/", "/admin/grids/resident/add/"):
        admin.goto(url)
        admin.wait_for_load_state("networkidle")
    assert not admin_violations, admin_violations


def test_the_language_switch_works_without_an_inline_handler(demo, open_page):
    page = open_page("official", viewport=DESKTOP)
    violations = watch_csp(page)
    page.goto("/cases/")
    page.locator("header select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/cases/"))
    assert not violations, violations


def test_names_on_the_maps_are_text_not_markup(demo, open_page):
    """Leaflet shows a tooltip's string as HTML: the scripts escape names typed by people first."""
    from grids.models import Area

    name = '<img src=x data-xss="1">微网格'
    Area.objects.filter(pk=demo.micro.pk).update(name=name)
    page = open_page("grid_a", viewport=DESKTOP)
    page.goto("/cases/new/")
    labels = page.locator(".leaflet-tooltip.map-label-micro")
    expect(labels.filter(has_text=name)).to_have_count(1)  # the name, as text
    expect(page.locator(".leaflet-container img[data-xss]")).to_have_count(0)  # never an element
