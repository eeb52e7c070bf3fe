"""Field work in a real browser on a 360 px phone (issue 16): grid_a starts a patrol, the phone records
its track, grid_a logs two visits, reports a case on the patrol, ends it, and finds it on the grid page.
No page of the journey scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PHONE_360 = {"width": 360, "height": 800}


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_360["width"], f"{page.url} is {width}px wide"


def test_grid_worker_patrols_visits_reports_and_sees_it_on_the_grid_page(demo, open_page):
    from grids.models import Patrol

    here = {"latitude": demo.micro.centroid_lat, "longitude": demo.micro.centroid_lng}
    page = open_page(
        "grid_a",
        viewport=PHONE_360,
        is_mobile=True,
        has_touch=True,
        geolocation=here,
        permissions=["geolocation"],
    )
    page.goto("/patrols/")
    no_sideways_scroll(page)
    page.get_by_test_id("start-patrol").click()
    expect(page).to_have_url(re.compile(r"/patrols/\d+/$"))
    patrol = Patrol.objects.get(worker__username="grid_a", ended_at__isnull=True)
    expect(page.get_by_test_id("patrol-map")).to_be_visible()
    no_sideways_scroll(page)

    for n, purpose in ((1, "routine"), (2, "policy")):
        page.get_by_test_id("log-visit").click()
        form = page.get_by_test_id("visit-form")
        form.locator("select[name=household]").select_option(index=n)
        form.locator("select[name=purpose]").select_option(purpose)
        form.locator("textarea[name=note]").fill(f"第{n}户走访,情况正常")
        no_sideways_scroll(page)
        page.get_by_test_id("save-visit").click()
        expect(page.get_by_test_id("patrol-visits").locator("li")).to_have_count(n)

    page.get_by_test_id("patrol-report").click()
    expect(page).to_have_url(re.compile(r"/cases/new/\?patrol=\d+$"))
    page.locator("#use-location").click()
    expect(page.get_by_test_id("routed")).to_contain_text(demo.micro.name)
    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill("巡查发现井盖缺失,已设警示")
    no_sideways_scroll(page)
    page.get_by_test_id("submit-case").click()
    expect(page).to_have_url(re.compile(rf"/patrols/{patrol.pk}/$"))
    expect(page.get_by_test_id("patrol-cases").locator("li a")).to_have_count(1)

    # The track: the phone's position reached the server before the patrol ended.
    page.wait_for_function("() => /[1-9]/.test(document.getElementById('track-status').textContent)")
    page.get_by_test_id("end-patrol").click()
    expect(page.get_by_test_id("patrol-status")).to_contain_text("已结束")
    patrol.refresh_from_db()
    assert not patrol.open and patrol.points.exists() and patrol.case_count == 1 and patrol.visits.count() == 2
    no_sideways_scroll(page)

    page.goto(f"/areas/{demo.grid.pk}/")
    recent = page.get_by_test_id("recent-patrols")
    first = recent.locator("li").first
    expect(first.locator("a")).to_have_attribute("href", f"/patrols/{patrol.pk}/")
    expect(first).to_contain_text("走访 2")
    expect(first).to_contain_text("事项 1")
    no_sideways_scroll(page)

    # The household file of the first visit, and the worker's home with their grid's figures.
    page.goto(f"/patrols/{patrol.pk}/")
    page.get_by_test_id("patrol-visits").locator("li a").first.click()
    expect(page.get_by_test_id("household-members").locator("li").first).to_be_visible()
    expect(page.get_by_test_id("household-visits")).to_contain_text("第")
    no_sideways_scroll(page)
    page.goto("/")
    expect(page.get_by_test_id("patrol-figures")).to_be_visible()
    no_sideways_scroll(page)
    household = patrol.visits.order_by("id").first().household
    for url in (
        "/households/",
        "/households/new/",
        f"/households/{household.pk}/edit/",
        f"/households/{household.pk}/residents/new/",
        f"/households/{household.pk}/visit/",
        "/follow-ups/",
        f"/patrols/unpatrolled/?area={demo.grid.pk}",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        no_sideways_scroll(page)
