"""A resident on a phone, with no account: reports on /report/, follows the case on /track/{code}/
and rates it; the rating shows in the center's satisfaction rate."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE


def _satisfaction(page, area_id: int):
    # From the page, as its scripts ask: Playwright's own request client leaves out the Secure
    # session cookie on http://127.0.0.1 (production mode), while Chromium sends it.
    body = page.evaluate("url => fetch(url).then(r => r.json())", f"/api/v1/dashboard/?area={area_id}")
    return body["kpis"]["satisfaction_rate"]


def test_resident_reports_tracks_and_rates_from_a_phone(demo, open_page):
    from django.core.cache import cache

    from disputes import services
    from disputes.models import Case

    # The per-IP limits count in the cache, which may be a Redis that earlier runs wrote to: start at zero.
    cache.delete_many(["rl:report:127.0.0.1", "rl:page:127.0.0.1"])

    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto("/report/")
    expect(page.locator("header .usermenu")).to_have_count(0)  # no login anywhere
    pick_map = page.get_by_test_id("pick-map")
    expect(pick_map).to_be_visible()
    page.wait_for_function("() => window.caseFormMap && window.caseFormMap.getSize().x > 0")
    # The resident zooms in on their street (grid_a's micro-grid in town 1), then taps the middle.
    page.evaluate(
        "([lat, lng]) => window.caseFormMap.setView([lat, lng], 16, {animate: false})",
        [demo.micro.centroid_lat, demo.micro.centroid_lng],
    )
    box = pick_map.bounding_box()
    pick_map.tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(page.get_by_test_id("routed")).to_have_text("已标注位置")
    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill("小区门口路灯坏了一周")
    page.locator("input[name=phone]").fill("13800138000")
    a, b = re.match(r"(\d+) \+ (\d+)", page.get_by_test_id("challenge-question").inner_text()).groups()
    page.locator("input[name=answer]").fill(str(int(a) + int(b)))
    page.get_by_test_id("submit-report").click()

    expect(page).to_have_url(re.compile(r"/track/[-\w]{16,}/$"))
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    case = Case.objects.get(contact__tracking_code=code)
    assert case.source == "resident" and case.area_id == demo.micro.pk
    grid = demo.grid
    expect(page.get_by_test_id("public-status")).to_have_text("已上报")

    # The center and the department work the case up to the feedback step.
    center, urban = demo.users["center_town"], demo.users["dept_urban"]
    services.case_accept(case=case, by=center)
    services.case_dispatch(case=case, by=center, lead_department=demo.urban)
    services.case_sign(case=case, by=urban)
    services.case_handle(case=case, by=urban, result="已更换灯泡")
    services.case_verify(case=case, by=center)

    staff = open_page("center_town")
    before = _satisfaction(staff, grid.pk)
    answer = "不满意" if before == 1.0 else "满意"

    page.reload()
    expect(page.get_by_test_id("public-status")).to_have_text("已核查")
    expect(page.get_by_test_id("public-timeline")).to_contain_text("派单")
    expect(page.get_by_test_id("public-timeline")).not_to_contain_text("center_town")
    page.get_by_label(answer, exact=True).check()
    page.locator("textarea[name=comment]").fill("处理及时")
    page.get_by_test_id("submit-rating").click()
    expect(page.get_by_test_id("rated")).to_be_visible()
    expect(page.get_by_test_id("public-timeline")).to_contain_text(answer)

    after = _satisfaction(staff, grid.pk)
    if answer == "满意":
        assert after is not None and (before is None or after > before)
    else:
        assert after < before


def test_center_town_logs_a_hotline_call_with_its_ticket_number(demo, open_page):
    from disputes.models import Case

    page = open_page("center_town")
    page.get_by_role("link", name="热线受理").first.click()
    expect(page).to_have_url(re.compile(r"/cases/hotline/$"))
    page.locator("input[name=caller_phone]").fill("13912345678")
    page.locator("input[name=caller_name]").fill("王女士")
    page.locator("input[name=hotline_ticket]").fill("12345-20261130-0042")
    page.locator("select[name=category]").select_option(label=demo.road.name)
    page.locator("textarea[name=description]").fill("来电反映幸福路井盖缺失")
    page.locator("input[name=address]").fill("幸福路 12 号")
    page.locator("select[name=area]").select_option(str(demo.grid.pk))
    page.get_by_test_id("submit-call").click()

    expect(page.get_by_test_id("hotline-ticket")).to_have_text("12345-20261130-0042")
    case = Case.objects.get(contact__hotline_ticket="12345-20261130-0042")
    assert case.source == "hotline" and case.center_id == demo.town1.pk

    # The next call from the same number shows the earlier case beside the form.
    page.goto("/cases/hotline/")
    page.locator("input[name=caller_phone]").fill("13912345678")
    page.get_by_test_id("lookup-caller").click()
    expect(page.get_by_test_id("caller-history")).to_contain_text(case.number)
