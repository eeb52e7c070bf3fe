"""Phone and offline (issue 16) in real Chromium: an offline report with a photo survives a reload and
uploads exactly once when the connection returns; the report map shows streets and buildings under
the pin at 360 px; no page a grid worker can open scrolls sideways at 360 px.

Screenshots go to test-artifacts/phone/ (look at them).
"""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS

# Playwright's offline mode reaches the service worker's own requests only with this switch (Chromium);
# without it the worker would still fetch from the live server and the test would prove nothing.
# Read when Playwright starts, so set at import, before the session's browser is launched.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

pytestmark = pytest.mark.e2e

PHONE_360 = {"width": 360, "height": 800}
SHOTS = ARTIFACTS / "phone"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def wait_until(page: Page, script: str, timeout_s: float = 15) -> None:
    """Poll an async page script until it returns true (service worker and cache state)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(script):
            return
        page.wait_for_timeout(200)
    state = page.evaluate(
        """async () => { const r = navigator.serviceWorker && await navigator.serviceWorker.getRegistration();
           return JSON.stringify({url: location.href, registered: !!r, active: r && r.active && r.active.state,
             installing: r && r.installing && r.installing.state, waiting: !!(r && r.waiting),
             controller: !!(navigator.serviceWorker && navigator.serviceWorker.controller)}); }"""
    )
    raise AssertionError(f"timed out waiting for: {script}; service worker: {state}")


def wait_for_worker(page: Page) -> None:
    """The service worker installed and in control of this page. A page whose navigation started
    before the worker was active stays uncontrolled until the next navigation (here: the login's
    redirect racing the first install), as in any browser; the next page opened is controlled."""
    wait_until(
        page,
        """async () => { const r = await navigator.serviceWorker.getRegistration();
           return !!(r && r.active && r.active.state === "activated"); }""",
        timeout_s=60,
    )
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    wait_until(page, "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)", timeout_s=30)


def drop_pin(page: Page, lat: float, lng: float) -> None:
    page.wait_for_function("() => window.caseFormMap && window.caseFormMap.getSize().x > 0")
    point = page.evaluate(
        "([lat, lng]) => { const p = window.caseFormMap.latLngToContainerPoint([lat, lng]); return {x: p.x, y: p.y}; }",
        [lat, lng],
    )
    page.get_by_test_id("pick-map").click(position=point)
    expect(page.locator("#id_lat")).not_to_have_value("")


def test_offline_report_with_a_photo_uploads_exactly_once(demo, open_page):
    from disputes.models import Attachment, Case, IntakeKey

    page = open_page("grid_a", viewport=PHONE_360)
    # The service worker takes control and keeps the grid worker's pages as they are opened. On a
    # busy machine installing it (the app shell's files) can take a while.
    wait_for_worker(page)
    for url in ["/", "/cases/", "/cases/new/"]:
        page.goto(url)
    wait_until(
        page,
        """async () => { const c = await caches.open('gov-pages'); const keys = (await c.keys()).map(r => new URL(r.url).pathname);
           return ['/', '/cases/new/', '/cases/'].every(p => keys.includes(p)); }""",
        timeout_s=60,
    )

    context = page.context
    context.set_offline(True)
    # No signal: the cached pages still open, others show the offline page.
    page.goto("/")
    expect(page.get_by_test_id("home-report")).to_be_visible()
    page.goto("/areas/")
    expect(page.get_by_test_id("offline-page")).to_be_visible()
    page.goto("/cases/new/")
    expect(page.get_by_test_id("submit-case")).to_be_visible()

    description = "离线上报:村口桥面护栏松动,需加固"
    drop_pin(page, demo.micro.centroid_lat, demo.micro.centroid_lng)
    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill(description)
    page.locator("input[name=photos]").set_input_files(
        files=[{"name": "bridge.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_test_id("submit-case").click()
    expect(page.get_by_test_id("draft-saved")).to_be_visible()
    badge = page.get_by_test_id("drafts-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("待上传")
    expect(badge.locator("[data-drafts-count]")).to_have_text("1")
    shot(page, "offline-draft-saved")
    assert not Case.objects.filter(description=description).exists()

    # Reload with no signal: the draft is still there.
    page.reload()
    expect(page.get_by_test_id("drafts-badge").locator("[data-drafts-count]")).to_have_text("1")
    expect(page.locator("[data-testid=drafts] li")).to_have_count(1)

    # The connection returns: the draft uploads by itself, once.
    context.set_offline(False)
    expect(page.get_by_test_id("drafts-uploaded")).to_be_visible()
    expect(page.get_by_test_id("drafts-badge")).to_be_hidden()
    cases = Case.objects.filter(description=description)
    assert cases.count() == 1
    case = cases.get()
    assert case.reporter.username == "grid_a" and case.area_id == demo.micro.pk
    assert Attachment.objects.filter(case=case).count() == 1
    assert IntakeKey.objects.filter(case=case).count() == 1

    # Uploading again (a flaky network replaying the same draft) makes nothing new.
    key = IntakeKey.objects.get(case=case).key
    status = page.evaluate(
        """async ([key, description, category, lat, lng]) => {
             const data = new FormData();
             data.append('category', category); data.append('description', description);
             data.append('lat', lat); data.append('lng', lng);
             const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
             const r = await fetch('/api/v1/cases/', {method: 'POST', body: data,
               headers: {'Idempotency-Key': key, 'X-CSRFToken': token}});
             return r.status; }""",
        [key, description, str(demo.road.pk), "1", "1"],
    )
    assert status == 409  # same key, other content
    assert Case.objects.filter(description=description).count() == 1
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator(".attachments img")).to_have_count(1)


def test_report_map_shows_streets_and_buildings_under_the_pin(demo, open_page):
    page = open_page("grid_a", viewport=PHONE_360, is_mobile=True, has_touch=True)
    page.goto("/cases/new/")
    pick = page.get_by_test_id("pick-map")
    expect(pick).to_have_attribute("data-basemap-features", re.compile(r"^[1-9]\d*$"))
    drop_pin(page, demo.micro.centroid_lat, demo.micro.centroid_lng)
    paths = page.locator("#pick-map .leaflet-basemap-pane path")
    assert paths.count() >= 10, "streets and buildings are drawn"
    expect(page.locator("#pick-map .leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("#pick-map .map-label-micro").first).to_be_visible()
    expect(page.locator("#pick-map .map-label-landmark").first).to_be_attached()
    pick.scroll_into_view_if_needed()
    shot(page, "report-map-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _grid_worker_urls(demo) -> list[str]:
    """Every page in the URL resolver, with the grid worker's own objects for the parameters."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from disputes.models import Case
    from grids.models import Resident

    case = Case.objects.filter(reporter=demo.users["grid_a"]).order_by("id").first()
    resident = Resident.objects.filter(area_path__startswith=demo.grid.path).order_by("id").first()
    params = {
        "case_detail": case.pk if case else None,
        "area_detail": demo.grid.pk,
        "grid_team": demo.grid.pk,
        "resident_detail": resident.pk if resident else None,
    }
    skip_prefixes = ("api/", "admin/", "i18n/", "sw.js", "manifest.webmanifest", "accounts/")
    skip_names = {"dashboard_export", "notification_open", "offline", "attachment"}
    urls: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(skip_prefixes) or p.name in skip_names or route.startswith("^"):
                    continue
                if "<" in route:
                    value = params.get(p.name)
                    if value is None:
                        continue
                    route = re.sub(r"<[^>]+>", str(value), route)
                urls.append("/" + route)

    walk(get_resolver().url_patterns, "")
    urls.append("/accounts/password_change/")
    urls.append("/cases/?tab=mine")
    return sorted(set(urls))


def test_no_page_a_grid_worker_opens_scrolls_sideways_at_360(demo, open_page):
    page = open_page("grid_a", viewport=PHONE_360, is_mobile=True, has_touch=True)
    wide: dict[str, int] = {}
    opened = []
    failed: dict[str, str] = {}
    for url in _grid_worker_urls(demo):
        response = None
        for _attempt in range(2):  # a navigation cut off on a loaded machine is tried once more
            try:
                response = page.goto(url)
                break
            except PlaywrightError as exc:  # e.g. a POST-only action answers 405 with no body
                failed[url] = str(exc).splitlines()[0]
        if response is None or response.status != 200 or "html" not in (response.headers.get("content-type") or ""):
            continue
        failed.pop(url, None)
        opened.append(url)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, "page" + re.sub(r"[^A-Za-z0-9]+", "_", url).rstrip("_"))
        if width > 360:
            wide[url] = width
    must = {"/", "/cases/new/", "/cases/", "/dashboard/", "/areas/", "/residents/", "/notifications/"}
    assert must <= set(opened), {url: failed.get(url, "not a 200 HTML page") for url in must - set(opened)}
    assert not wide, f"pages wider than 360 px: {wide}"
    # The menu is a bottom bar that fits: every item is on screen.
    page.goto("/")
    for link in page.locator("nav.mainnav > a:visible, nav.mainnav summary:visible").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["height"] >= 44, box


@pytest.mark.parametrize("user", ["center_town", "legal", "grid_a"])
def test_the_bottom_bar_keeps_four_items_and_more_opens_the_rest(demo, open_page, user):
    """However many sections a role has, the bar's labels are whole: four items and 更多 (more), which
    opens the others above the bar; every section is reachable in one tap after it."""
    page = open_page(user, viewport=PHONE_360, is_mobile=True, has_touch=True)
    page.goto("/")
    all_links = page.locator("nav.mainnav > a")
    total = all_links.count()
    bar = page.locator("nav.mainnav > a:visible")
    more = page.get_by_test_id("nav-more")
    if total <= 5:
        expect(bar).to_have_count(total)
        expect(more).to_be_hidden()
        return
    expect(bar).to_have_count(4)
    expect(more).to_be_visible()
    for item in [*bar.all(), more.locator("summary")]:
        box = item.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["height"] >= 44, box
        # the label is whole: nothing cut off by the ellipsis
        assert item.evaluate("e => e.scrollWidth <= e.clientWidth"), item.inner_text()
    more.locator("summary").click()
    rest = page.locator(".nav-more-body a:visible")
    expect(rest).to_have_count(total - 4)
    for item in rest.all():
        box = item.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["y"] >= 0, box
    shot(page, f"nav-more-{user}")
    href = rest.last.get_attribute("href")
    rest.last.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))


def test_case_list_is_cards_with_status_and_deadline_on_a_phone(demo, open_page):
    page = open_page("center_town", viewport=PHONE_360, is_mobile=True, has_touch=True)
    page.goto("/cases/?tab=all")
    row = page.locator("table.case-table tbody tr[data-case]").first
    expect(row).to_be_visible()
    for label in ["状态", "期限"]:
        cell = row.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "case-list-cards")


@pytest.mark.parametrize(
    "user, url, status_label",
    [
        ("mediator", "/disputes/?tab=all", "状态"),
        ("grid_a", "/residents/", "身份证号"),
        ("legal", "/legal/aid/", "状态"),
        ("legal", "/legal/consultations/", "状态"),
        ("legal", "/legal/registry/advisers/", "律师事务所"),
        ("mediator", "/mediation-orgs/", "类型"),
    ],
)
def test_the_other_lists_are_cards_on_a_phone_too(demo, open_page, user, url, status_label):
    """Every list people open on a phone is a stack of cards, each line labelled, none off-screen."""
    page = open_page(user, viewport=PHONE_360, is_mobile=True, has_touch=True)
    page.goto(url)
    row = page.locator("table.table-cards tbody tr").first
    expect(row).to_be_visible()
    expect(row.locator("td.card-title")).to_be_visible()
    cell = row.locator(f'td[data-label="{status_label}"]')
    expect(cell).to_be_visible()
    for td in row.locator("td").all():
        box = td.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (url, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    shot(page, "cards" + re.sub(r"[^A-Za-z0-9]+", "_", url).rstrip("_"))


def test_failed_submit_scrolls_to_the_error_summary(demo, open_page):
    page = open_page("grid_a", viewport=PHONE_360, is_mobile=True, has_touch=True)
    page.goto("/cases/new/")
    page.get_by_test_id("submit-case").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert summary.bounding_box()["y"] < 800
    link = summary.locator('a[href="#id_description"]')
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("#id_description")).to_be_in_viewport()
    shot(page, "error-summary")


def test_a_report_post_that_fails_on_the_way_becomes_a_draft(demo, open_page):
    """The phone thinks it is online, but the POST never reaches the server: the service worker keeps
    the report as a draft, and it uploads once the server can be reached."""
    from disputes.models import Case

    page = open_page("grid_a", viewport=PHONE_360)
    wait_for_worker(page)
    page.goto("/cases/new/")
    description = "信号时有时无:路边配电箱门未关"
    drop_pin(page, demo.micro.centroid_lat, demo.micro.centroid_lng)
    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill(description)

    def drop_posts(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    # Every POST is lost on the way: the form's and the drafts' uploads alike.
    posts = re.compile(r".*/(cases/new/|api/v1/cases/)$")
    page.context.route(posts, drop_posts)
    page.get_by_test_id("submit-case").click()
    expect(page).to_have_url(re.compile(r"/cases/new/\?draft=saved$"))
    expect(page.get_by_test_id("draft-saved")).to_be_visible()
    expect(page.get_by_test_id("drafts-badge").locator("[data-drafts-count]")).to_have_text("1")
    assert not Case.objects.filter(description=description).exists()
    page.context.unroute(posts)

    # Next page load (the connection works again): it uploads by itself, once.
    page.goto("/")
    expect(page.get_by_test_id("drafts-uploaded")).to_be_visible()
    expect(page.get_by_test_id("drafts-badge")).to_be_hidden()
    assert Case.objects.filter(description=description).count() == 1
